"""Text → typed columns, by the conventions of SOURCES.md.

A value that is present but does not parse becomes missing in its typed column and is kept, as
text, in `<column>__unparsed`, where the `type:<column>` rule (a GX expectation) finds it. Nothing
here drops or fixes a row: deciding is the validation's job.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from schemas.columns import Entity, Kind
from schemas.rules import UNPARSED

ROW = "__row__"  # the row's position in its source (0 = first data row), carried to the quarantine

# plain decimals: a sign and an exponent allowed; no separators, currency signs, NaN or infinity
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
                     re.IGNORECASE)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def normalise_text(s: pd.Series) -> pd.Series:
    """Trim; empty or white space only = missing."""
    s = s.astype("str").str.strip()
    return s.where(s != "")


def parse_timestamp(text: pd.Series) -> pd.Series:
    """ISO 8601 → UTC instants; without an offset the value is UTC."""
    ok = text.str.fullmatch(_ISO_TS.pattern, case=False).fillna(False).astype(bool)
    out = pd.to_datetime(text.where(ok), utc=True, format="ISO8601", errors="coerce")
    return out.astype("datetime64[us, UTC]")


def parse_date(text: pd.Series) -> pd.Series:
    ok = text.str.fullmatch(_DATE.pattern).fillna(False).astype(bool)
    return pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce").astype("datetime64[s]")


def parse_number(text: pd.Series, whole: bool = False) -> pd.Series:
    ok = text.str.fullmatch(_NUMBER.pattern).fillna(False).astype(bool)
    out = pd.to_numeric(text.where(ok), errors="coerce").astype("float64")
    out = out.where(np.isfinite(out))  # 1e999 parses to infinity: not a plain decimal
    return out.where(out == np.floor(out)) if whole else out


def parse_boolean(text: pd.Series) -> pd.Series:
    low = text.str.lower()
    return low.map(lambda v: True if v in _TRUE else False if v in _FALSE else None).astype("boolean")


_PARSERS = {
    Kind.TIMESTAMP: parse_timestamp,
    Kind.DATE: parse_date,
    Kind.DECIMAL: parse_number,
    Kind.MONEY: parse_number,
    Kind.INTEGER: lambda t: parse_number(t, whole=True),
    Kind.BOOLEAN: parse_boolean,
}


def parse_entity(raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """Typed frame of one entity: `__row__`, every canonical column, and `<col>__unparsed` helpers.

    `raw` holds the source's text; a canonical column absent from it is missing on every row.
    """
    out = {ROW: np.arange(len(raw), dtype="int64")}
    for col in entity.columns:
        text = normalise_text(raw[col.name]) if col.name in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
        text = text.reset_index(drop=True)
        if col.kind is Kind.ENUM:
            out[col.name] = text.str.lower()
        elif col.kind is Kind.CURRENCY:
            out[col.name] = text.str.upper()
        elif col.kind is Kind.TEXT:
            out[col.name] = text
        else:
            typed = _PARSERS[col.kind](text)
            out[col.name] = typed
            out[UNPARSED.format(col.name)] = text.where(typed.isna())
        if col.default is not None:
            out[col.name] = out[col.name].fillna(col.default)
    return pd.DataFrame(out)
