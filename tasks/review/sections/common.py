"""What every section of the review pack shares: the `Context` a builder gets (the data read as of
D, the words of the page's language, the currency, the charts registered so far), the `Section` it
returns, and small HTML helpers."""
from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from schemas.config import MIN_RESPONSES
from schemas.review import METRICS
from tasks.review.data import ReviewData
from tasks.review.plan import Notes, Plan
from tasks.review.text import Words, missing


@dataclass
class Context:
    data: ReviewData
    words: Words
    currency: str
    min_responses: int = MIN_RESPONSES  # settings.review.min_responses: a project's NPS is judged over at least these
    charts: dict[str, dict] = field(default_factory=dict)  # chart id → Vega-Lite spec, in page order

    @property
    def lang(self) -> str:
        return self.words.lang

    def chart(self, chart_id: str, spec: dict, caption: str = "") -> str:
        """Register a chart; its container, to put in the section's HTML (ids `chart-…`, apart from
        the sections' own)."""
        element = f"chart-{chart_id}"
        assert element not in self.charts, f"two charts {element}"
        self.charts[element] = spec
        return (f'<figure class="chart-figure">{f"<figcaption>{esc(caption)}</figcaption>" if caption else ""}'
                f'<div class="chart" id="{element}" data-chart="{chart_id}"></div></figure>')

    @functools.cached_property
    def names(self) -> Names:
        return Names.of(self.data.directory)

    @functools.cached_property
    def plan(self) -> Plan:
        return Plan.of(self.data.targets)

    @functools.cached_property
    def notes(self) -> Notes:
        return Notes.of(self.data.notes)

    def chart_words(self, *keys: str) -> dict[str, str]:
        return {k: self.words(k) for k in ("date", "value", "limits", *keys)}


@dataclass(frozen=True)
class Names:
    """Names beside ids (project_directory): the meeting knows "Acme CRM rollout", not P0042."""

    projects: dict[str, str]
    accounts: dict[str, str]

    @classmethod
    def of(cls, directory: pd.DataFrame) -> Names:
        def named(key: str, name: str) -> dict[str, str]:
            if directory.empty:
                return {}
            rows = directory[[key, name]].dropna().drop_duplicates(key)
            return dict(zip(rows[key].astype(str), rows[name].astype(str), strict=True))

        return cls(named("project_id", "name"), named("account_id", "account_name"))

    def project(self, project_id: object) -> Raw:
        return _named(self.projects, project_id)

    def account(self, account_id: object) -> Raw:
        return _named(self.accounts, account_id)

    def project_text(self, project_id: object) -> str:
        """For a chart's tooltip: the name, the id in brackets."""
        name = self.projects.get(str(project_id))
        return f"{name} ({project_id})" if name else str(project_id)


def _named(names: dict[str, str], key: object) -> Raw:
    if missing(key):
        return Raw("–")
    name = names.get(str(key))
    ident = f'<span class="id">{esc(key)}</span>'
    return Raw(f"{esc(name)} {ident}" if name else ident)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str


# --- small HTML helpers -----------------------------------------------------------------------

class Raw(str):
    """HTML that a table cell takes as it is (everything else is escaped)."""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "", row_classes: Sequence[str] = (),
          numeric: Sequence[int] = (), row_data: Sequence[dict[str, object]] = ()) -> str:
    """An HTML table; `row_data` gives rows `data-*` attributes (what tests and tools read)."""
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        rc = row_classes[r] if r < len(row_classes) and row_classes[r] else ""
        attrs = f' class="{esc(rc)}"' if rc else ""
        if r < len(row_data):
            attrs += "".join(f' data-{k}="{esc(v)}"' for k, v in row_data[r].items())
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{c if isinstance(c, Raw) else esc(c)}</td>'
                        for i, c in enumerate(row))
        body.append(f"<tr{attrs}>{cells}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def para(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{esc(text)}</p>'


def short_run(run_id: object) -> Raw:
    """A run id as the page shows it: its first 8 characters, the whole on hover."""
    if missing(run_id):
        return Raw("–")
    text = str(run_id)
    return Raw(f'<span class="run" title="{esc(text)}">{esc(text[:8])}</span>')


def tone(direction: str, change: object) -> str:
    """good, bad or neutral: a change read by the metric's direction."""
    if missing(change) or direction == "neutral" or float(change) == 0:  # type: ignore[arg-type]
        return "neutral"
    up = float(change) > 0  # type: ignore[arg-type]
    return "good" if up == (direction == "higher") else "bad"


def metric_order(columns: Sequence[str]) -> list[str]:
    """The portfolio metrics: declared ones in their declared order, then any other column."""
    present = [c for c in columns if c != "as_of_date"]
    return [m for m in METRICS if m in present] + [c for c in present if c not in METRICS]


def when(day: dt.date | pd.Timestamp) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")
