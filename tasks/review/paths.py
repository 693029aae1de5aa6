"""Where the project pages go, and how the pack links to them: `projects/<project_id>-<D>.html`
(`.zh.html` in Chinese) beside the pack, a relative link, so the pack and its pages open from disk
(a folder copied elsewhere or sent as a zip keeps its links).

A module of its own: the pack's Delivery section links to the pages, and the pages are built from
the pack's parts (tasks/review/project/), so neither can hold the name without a cycle."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from urllib.parse import quote

PROJECTS_DIR = "projects"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def project_file_name(project_id: object, as_of: dt.date, lang: str = "en") -> str:
    """`<project_id>-<D>.html` (`.zh.html` in Chinese). An id with a character a file name should not
    hold (a slash, a space…) has each replaced by `_` and a short hash of the id added, so two ids
    never share a file."""
    ident = str(project_id)
    safe = _UNSAFE.sub("_", ident)
    if safe != ident or safe.startswith("."):
        safe = f"{safe}-{hashlib.sha1(ident.encode('utf-8')).hexdigest()[:8]}"
    return f"{safe}-{as_of.isoformat()}{'' if lang == 'en' else f'.{lang}'}.html"


def project_href(project_id: object, as_of: dt.date, lang: str = "en") -> str:
    """The page's link from the pack (relative to the pack's folder)."""
    return f"{PROJECTS_DIR}/{quote(project_file_name(project_id, as_of, lang))}"


def project_page_path(reports_dir: str | Path, project_id: object, as_of: dt.date, lang: str = "en") -> Path:
    """Where the pipeline (and `opsmetrics report --project`) writes the page: beside the pack."""
    return Path(reports_dir) / PROJECTS_DIR / project_file_name(project_id, as_of, lang)
