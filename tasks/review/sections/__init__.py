"""The sections of the review pack, one module each, in the order the meeting reads them. Each
builder takes the pack's `Context` (the data read as of D, the words of the page's language, the
currency) and returns a `Section`: a title and its HTML, with the charts it registered on the context.

To add a section, write a module with its builder and put the builder in SECTIONS where the page
should show it."""
from __future__ import annotations

from collections.abc import Callable

from tasks.review.sections.campaigns import campaigns
from tasks.review.sections.common import Context, Section
from tasks.review.sections.decisions import decisions
from tasks.review.sections.delivery import delivery
from tasks.review.sections.effort import effort
from tasks.review.sections.funnel import funnel
from tasks.review.sections.headline import headline
from tasks.review.sections.quality import data_quality
from tasks.review.sections.restated import restated
from tasks.review.sections.voice import customer_voice
from tasks.review.sections.what_changed import what_changed

__all__ = ["SECTIONS", "Context", "Section", "SectionBuilder"]

SectionBuilder = Callable[[Context], Section]

SECTIONS: list[SectionBuilder] = [
    what_changed,
    headline,
    decisions,
    funnel,
    campaigns,
    customer_voice,
    delivery,
    effort,
    data_quality,
    restated,
]
