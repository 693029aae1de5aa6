"""The weekly review pack: one self-contained HTML page the review meeting reads, made from the
warehouse alone as of a date D: what changed (the XmR rule), the headline figures, the funnel and
channels, campaigns (keep or drop), customer voice, delivery, effort, data quality and the restated
figures (sections.py, in that order), in English or Chinese.

Every successful run writes `<reports_dir>/review-<D>.html` for its last as-of date (the
pipeline's last step); `opsmetrics report` makes it again, or in Chinese, from the warehouse.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from schemas.config import MIN_RESPONSES
from schemas.review import DIRECTIONS, review_metric
from tasks.report import HEADLINES
from tasks.review.data import ReviewData, ReviewError, latest_published, read_review_data
from tasks.review.page import render, write_atomically
from tasks.review.paths import project_page_path
from tasks.review.project import write_project_page, write_project_pages
from tasks.review.sections import SECTIONS, Context
from tasks.review.text import Words, fmt_change, fmt_pct, fmt_value
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

__all__ = ["ReviewError", "build_pack", "headline_changes", "latest_published", "pack_path", "project_page_path",
           "write_pack", "write_project_page", "write_project_pages"]


def pack_path(reports_dir: str | Path, as_of: dt.date, lang: str = "en") -> Path:
    """Where the pack as of `as_of` goes: review-<date>.html (review-<date>.zh.html in Chinese)."""
    return Path(reports_dir) / f"review-{as_of.isoformat()}{'' if lang == 'en' else f'.{lang}'}.html"


def build_pack(data: ReviewData, *, lang: str = "en", currency: str = "USD", source: str = "",
               min_responses: int = MIN_RESPONSES) -> tuple[str, int]:
    """The page's HTML and how many charts it holds."""
    words = Words(lang)
    ctx = Context(data, words, currency, min_responses)
    sections = [build(ctx) for build in SECTIONS]
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    page = render(title=words("title", date=data.as_of.isoformat()),
                  subtitle=words("subtitle", date=data.as_of.isoformat(), currency=currency,
                                 week_ago=data.week_ago.isoformat(), warehouse=source, generated=generated),
                  sections=sections, chart_specs=ctx.charts, words=words)
    return page, len(ctx.charts)


def write_pack(wh: Warehouse, as_of: dt.date, out: str | Path, *, lang: str = "en", currency: str = "USD",
               min_responses: int = MIN_RESPONSES) -> Path:
    """Read the warehouse as of `as_of`, write the pack to `out` (atomically: a reader never
    opens half a page) and return its absolute path. ReviewError if the date is not published.
    `min_responses`: settings.review.min_responses."""
    page, _ = build_pack(read_review_data(wh, as_of), lang=lang, currency=currency, source=wh.url,
                         min_responses=min_responses)
    return write_atomically(Path(out), page)


def headline_changes(wh: Warehouse, as_of: dt.date, currency: str = "USD") -> list[dict[str, str]]:
    """The headline figures (tasks.report.HEADLINES) as of `as_of` with their week-over-week change
    (review_changes), as rows of text for a table: the run's Prefect artifact."""
    rc = TABLES["review_changes"]
    with wh.begin() as conn:
        found = {r["metric"]: r for r in conn.execute(
            sa.select(rc).where(rc.c.as_of_date == as_of, rc.c.metric.in_(HEADLINES))).mappings()}
    rows = []
    for name in HEADLINES:
        if name not in found:
            continue
        m, c = review_metric(name), found[name]
        rows.append({"metric": m.en, "value": fmt_value(c["value"], m.unit, currency),
                     "a week before": fmt_value(c["value_7d_ago"], m.unit, currency),
                     "change": fmt_change(c["change"], m.unit, currency, "en"), "change %": fmt_pct(c["change_pct"]),
                     "direction": DIRECTIONS[m.direction]["en"]})
    return rows
