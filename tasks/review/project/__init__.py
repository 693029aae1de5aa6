"""A page per project (专项盘点): one self-contained HTML page of a project as of D, made from the
warehouse alone like the pack (tasks/review/), in English or Chinese.

Beside every pack (the pipeline's, `opsmetrics report`'s) go the pages of the projects red or amber at
D, `projects/<project_id>-<D>.html` (`.zh.html` in Chinese, tasks/review/paths.py), which the pack's
Delivery table links to; `opsmetrics report --project ID` writes any project's page on demand."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from tasks.review.page import write_atomically
from tasks.review.paths import project_page_path
from tasks.review.project.data import ProjectData, projects_to_page, read_project_data, read_projects_data
from tasks.review.project.page import build_project_page
from tasks.warehouse.connect import Warehouse

__all__ = ["ProjectData", "build_project_page", "projects_to_page", "read_project_data", "write_project_page",
           "write_project_pages"]


def write_project_page(wh: Warehouse, project_id: str, as_of: dt.date, out: str | Path, *, lang: str = "en",
                       currency: str = "USD", back: str | None = None) -> Path:
    """Read the warehouse, write the project's page to `out` (atomically) and return its absolute
    path. ReviewError, naming the project and the warehouse, when there is no page to make."""
    page, _ = build_project_page(read_project_data(wh, project_id, as_of), lang=lang, currency=currency, back=back)
    return write_atomically(Path(out), page)


def write_project_pages(wh: Warehouse, as_of: dt.date, pack: str | Path, *, lang: str = "en",
                        currency: str = "USD") -> list[Path]:
    """The pages of the projects red or amber at D, beside the pack at `pack` (in its folder's
    `projects/`, each linking back to it): what the pack's Delivery table links to."""
    pack = Path(pack)
    back = f"../{pack.name}"
    pages = []
    for data in read_projects_data(wh, projects_to_page(wh, as_of), as_of):  # one read for them all
        page, _ = build_project_page(data, lang=lang, currency=currency, back=back)
        pages.append(write_atomically(project_page_path(pack.parent, data.project_id, as_of, lang), page))
    return pages
