"""What the section tests share: warehouse rows built by hand, and reading a section's HTML and
charts as a reader (or Vega) would."""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from pathlib import Path

import altair
import jsonschema
import pandas as pd
import vl_convert

from schemas.tables import Table

D = dt.date(2026, 3, 31)  # the as-of date of the hand-built data: a Tuesday and a month-end
VEGA_LITE = json.loads((Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json")
                       .read_text(encoding="utf-8"))


def frame(table: Table, records: list[dict]) -> pd.DataFrame:
    """Rows of a warehouse table: every column, those not given null; an as-of table's rows at D
    unless they say otherwise; dates as pandas timestamps (as tasks/review/data.py reads them)."""
    base = {c: None for c in table.names} | ({"as_of_date": pd.Timestamp(D)} if table.as_of else {})
    out = pd.DataFrame([base | r for r in records], columns=table.names)
    for column in table.columns:
        if column.type == "date":
            out[column.name] = pd.to_datetime(out[column.name])
    return out


def rows_of(section_html: str) -> list[list[str]]:
    """The text of each body row of the section's tables, in order."""
    out = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", section_html, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            out.append([html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells])
    return out


def assert_valid(spec: dict) -> None:
    """The spec is valid Vega-Lite (the schema Altair ships)."""
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(VEGA_LITE).iter_errors(spec)]
    assert errors == []


def drawn_marks(spec: dict) -> Counter:
    """The mark items Vega draws of the spec, offline (vl-convert's SVG): how many of each kind
    (bar, tick, line, point, rule…); a mark layer without data draws only its empty container."""
    svg = vl_convert.vegalite_to_svg(spec, vl_version="v6_4")
    return Counter(k for k in re.findall(r'role="graphics-symbol" aria-roledescription="([^"]+)"', svg)
                   if not k.endswith("container"))
