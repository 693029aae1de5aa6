"""Text → typed columns, by the conventions of SOURCES.md, in Arrow (pyarrow.compute: the patterns
run in RE2, the casts in C++; no Python per value).

A value that is present but does not parse becomes missing in its typed column and is kept, as
text, in `<column>__unparsed`, where the `type:<column>` rule (a GX expectation) finds it. Nothing
here drops or fixes a row: deciding is the validation's job.

Each value is first matched against its kind's pattern; only the values that match are converted.
Arrow's `strptime` rolls an impossible date over (2026-02-30 becomes 2026-03-02) and reads second
60, so a parsed date or instant stands only when its month and second are the ones written;
timestamps not in the common `YYYY-MM-DDTHH:MM:SSZ` form (offsets, fractions, a space, no time)
go to pandas' ISO 8601 parser, as all of them did before.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.columns import Entity, Kind
from schemas.rules import DAY_OF_MONTH, UNPARSED

ROW = "__row__"  # the row's position in its source (0 = first data row), carried to the quarantine

# plain decimals: a sign and an exponent allowed; no separators, currency signs, NaN or infinity
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
                     re.IGNORECASE)
_UTC_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")  # the common form, parsed in Arrow
# what an INTEGER column holds: int64, as the warehouse's bigint columns and the marts' casts. Its
# values are parsed as float64, so the bound is 2**63 as a float: beyond it, a cast to int64 wraps
# (seats = 1e19 was published as seats_live = -9223372036854775808)
INT64_BOUND = 2.0 ** 63
_TRUE = ["true", "1", "yes"]
_FALSE = ["false", "0", "no"]


def normalise_text(text: pa.Array) -> pa.Array:
    """Trim (Unicode white space, as str.strip); empty or white space only = missing."""
    # most columns need no trimming: then the source's own buffers are kept, not a copy of them
    # (the text columns of time_entries are hundreds of MB at scale 10)
    trimmed = _same_or(text, pc.utf8_trim_whitespace(text))
    empty = pc.equal(pc.binary_length(trimmed), 0)
    if not pc.any(empty).as_py():
        return trimmed
    return pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed)


def _matching(text: pa.Array, pattern: re.Pattern) -> pa.Array:
    """`text` where it matches `pattern` whole, else missing."""
    ok = pc.match_substring_regex(text, pattern.pattern, ignore_case=bool(pattern.flags & re.IGNORECASE))
    return pc.if_else(pc.fill_null(ok, False), text, pa.scalar(None, text.type))


def _as_written(parsed: pa.Array, text: pa.Array, with_seconds: bool) -> pa.Array:
    """`parsed` where it is the value `text` spells (strptime rolls 02-30 and :60 over), else missing."""
    same = pc.equal(pc.month(parsed), _digits(text, 5, 7))
    if with_seconds:
        same = pc.and_(same, pc.equal(pc.second(parsed), _digits(text, 17, 19)))
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, parsed.type))


def _digits(text: pa.Array, start: int, stop: int) -> pa.Array:
    return pc.cast(pc.utf8_slice_codeunits(text, start, stop), pa.int64())


def parse_timestamp(text: pa.Array) -> pd.Series:
    """ISO 8601 → UTC instants; without an offset the value is UTC."""
    iso = _matching(text, _ISO_TS)
    common = _matching(iso, _UTC_SECONDS)
    fast = _as_written(pc.strptime(common, format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True), common, True)
    out = fast.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)  # UTC, naive: numpy, no objects
    rest = pc.and_(pc.is_valid(iso), pc.invert(pc.is_valid(common))).to_numpy(zero_copy_only=False)
    if rest.any():  # offsets, fractions, a space, no time: pandas' ISO 8601 parser, as before
        others = pd.Series(iso.filter(pa.array(rest)).to_numpy(zero_copy_only=False), dtype=object)
        parsed = pd.to_datetime(others, utc=True, format="ISO8601", errors="coerce")
        out = out.copy()
        out[rest] = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(out).dt.tz_localize("UTC")


def parse_date(text: pa.Array) -> pd.Series:
    dates = _matching(text, _DATE)
    parsed = _as_written(pc.strptime(dates, format="%Y-%m-%d", unit="s", error_is_null=True), dates, False)
    return pd.Series(parsed.to_numpy(zero_copy_only=False)).astype("datetime64[s]")


def _numbers(text: pa.Array) -> np.ndarray:
    """float64 of the plain decimals of `text` (infinite where one is beyond a float's range), NaN elsewhere."""
    # every value the pattern lets through is one Arrow's cast reads (a sign, "1.", ".5", 1e5)
    return pc.cast(_matching(text, _NUMBER), pa.float64()).to_numpy(zero_copy_only=False)


def _held(numbers: np.ndarray, whole: bool) -> np.ndarray:
    """Where a parsed number is one its column holds: finite; for a whole-number column, whole and
    within int64."""
    held = np.isfinite(numbers)
    if whole:
        held &= (numbers == np.floor(numbers)) & (numbers >= -INT64_BOUND) & (numbers < INT64_BOUND)
    return held


def parse_number(text: pa.Array, whole: bool = False) -> pd.Series:
    out = _numbers(text)
    return pd.Series(np.where(_held(out, whole), out, np.nan), dtype="float64")


def outside_range(text: pa.Array, whole: bool = False) -> np.ndarray:
    """Where `text` (normalised) is a plain decimal its column cannot hold, although it is written as
    one: beyond a float's range (1e400 parses to infinity), or, for a whole-number column, a whole
    number beyond int64 (1e19). Such a value is `type:` as any unparsed one; its detail says why."""
    numbers = _numbers(text)
    with np.errstate(invalid="ignore"):
        beyond = np.isinf(numbers)
        if whole:
            beyond |= (numbers >= INT64_BOUND) | (numbers < -INT64_BOUND)
    return beyond


def parse_boolean(text: pa.Array) -> pd.Series:
    low = pc.utf8_lower(text)
    value = pc.if_else(pc.is_in(low, pa.array(_TRUE)), True,
                       pc.if_else(pc.is_in(low, pa.array(_FALSE)), False, pa.scalar(None, pa.bool_())))
    return pd.Series(pd.array(value, dtype="boolean"))


_PARSERS = {
    Kind.TIMESTAMP: parse_timestamp,
    Kind.DATE: parse_date,
    Kind.DECIMAL: parse_number,
    Kind.MONEY: parse_number,
    Kind.INTEGER: lambda t: parse_number(t, whole=True),
    Kind.BOOLEAN: parse_boolean,
}


def parse_entity(raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """Typed frame of one entity: `__row__`, every canonical column, and `<col>__unparsed` helpers
    (and `<col>__day` beside a date that must be a month's first).

    `raw` holds the source's text; a canonical column absent from it is missing on every row. Text
    stays in Arrow (`str`, Arrow-backed); parsed columns are numpy-typed, as the marts compute on them.
    """
    out = {ROW: np.arange(len(raw), dtype="int64")}
    for col in entity.columns:
        # pa.array takes the Arrow buffers of a `str` column as they are (pa.chunked_array would
        # walk the values one by one)
        text = normalise_text(pa.array(raw[col.name].array) if col.name in raw else pa.nulls(len(raw), pa.string()))
        if col.kind is Kind.ENUM:
            out[col.name] = _str(_same_or(text, pc.utf8_lower(text)))
        elif col.kind is Kind.CURRENCY:
            out[col.name] = _str(_same_or(text, pc.utf8_upper(text)))
        elif col.kind is Kind.TEXT:
            out[col.name] = _str(text)
        else:
            typed = _PARSERS[col.kind](text)
            out[col.name] = typed
            unparsed = pc.if_else(pa.array(typed.isna().to_numpy()), text, pa.scalar(None, text.type))
            out[UNPARSED.format(col.name)] = _str(unparsed)
            if col.first_of_month:  # its day, for the `range:` rule (missing where the date is)
                out[DAY_OF_MONTH.format(col.name)] = typed.dt.day
        if col.default is not None:
            out[col.name] = out[col.name].fillna(col.default)
    return pd.DataFrame(out)


def _same_or(text: pa.Array, changed: pa.Array) -> pa.Array:
    """`text` itself (the source's buffers) when `changed` holds the same values, else `changed`."""
    return text if pc.all(pc.equal(text, changed)).as_py() is not False else changed


def _str(values: pa.Array) -> pd.Series:
    """Arrow text as pandas' `str` (Arrow-backed, missing = NaN), without a copy."""
    return pd.Series(pd.array(values, dtype="str"))
