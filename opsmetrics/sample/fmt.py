"""Typed columns -> the strings a real file drop would contain.

The clean data is written in the many spellings SOURCES.md allows (offsets,
naive timestamps, boolean words, enum case and padding, ``12.0`` integers), so
the pipeline's parsers are exercised on every run without any row being bad.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import COLUMNS

# (suffix, offset in hours, share). No suffix = naive, read as UTC.
_TS_STYLES = (("Z", 0, 0.78), ("+08:00", 8, 0.08), ("-05:00", -5, 0.06),
              ("+05:30", 5.5, 0.02), ("", 0, 0.06))
_BOOL_WORDS = (("true", "false"), ("True", "False"), ("TRUE", "FALSE"),
               ("yes", "no"), ("Yes", "No"), ("1", "0"))


def _blank_missing(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[missing] = ""
    return out


def fmt_ts(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    ts = np.asarray(ts, dtype="datetime64[s]")
    style = rng.choice(len(_TS_STYLES), size=len(ts), p=[s[2] for s in _TS_STYLES])
    offsets = np.array([s[1] for s in _TS_STYLES])[style]
    local = ts + (offsets * 3600).astype(np.int64) * np.timedelta64(1, "s")
    text = np.datetime_as_string(local, unit="s")
    text = np.char.add(text.astype(str), np.array([s[0] for s in _TS_STYLES])[style])
    return _blank_missing(text, np.isnat(ts))


def fmt_date(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, dtype="datetime64[D]")
    return _blank_missing(np.datetime_as_string(d, unit="D"), np.isnat(d))


def fmt_money(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    # A few in exponent form ("1.234567800e+05"): allowed, exact, and some
    # exporters write it.
    x = np.asarray(x, dtype=float)
    v = np.nan_to_num(x)
    text = np.where(rng.random(len(x)) < 0.005, np.char.mod("%.9e", v), np.char.mod("%.2f", v))
    return _blank_missing(text, np.isnan(x))


def fmt_decimal(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return _blank_missing(np.char.mod("%.10g", np.nan_to_num(x)), np.isnan(x))


def fmt_int(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    # A few integers written as "12.0": allowed, and exporters do it.
    x = np.asarray(x, dtype=float)
    text = np.char.mod("%d", np.nan_to_num(x).astype(np.int64))
    text = np.where(rng.random(len(x)) < 0.03, np.char.add(text, ".0"), text)
    return _blank_missing(text, np.isnan(x))


def fmt_bool(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=bool)
    words = np.array(_BOOL_WORDS)[rng.integers(0, len(_BOOL_WORDS), len(x))]
    text = np.where(x, words[:, 0], words[:, 1]).astype(object)
    text[~x & (rng.random(len(x)) < 0.15)] = ""  # missing = false
    return text


def fmt_enum(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Mostly canonical; ~4% upper/title case or padded with spaces."""
    out = np.asarray(x, dtype=object).copy()
    r = rng.random(len(out))
    for lo, hi, style in ((0, 0.015, str.upper), (0.015, 0.03, str.title),
                          (0.03, 0.04, lambda v: f" {v} ")):
        m = np.flatnonzero((r >= lo) & (r < hi))
        out[m] = [style(v) for v in out[m]]
    return out


def fmt_currency(rng: np.random.Generator, n: int) -> np.ndarray:
    # Codes are compared after upper-casing, so "usd" is valid.
    return np.where(rng.random(n) < 0.02, "usd", "USD").astype(object)


def fmt_text(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    missing = pd.isna(x) | (x == "")
    out = np.where(missing, "", x).astype(object)
    pad = ~missing & (rng.random(len(x)) < 0.01)  # stray trailing space: trimmed
    out[pad] = np.char.add(out[pad].astype(str), " ")
    return out


def to_strings(rng: np.random.Generator, entity: str, typed: pd.DataFrame) -> pd.DataFrame:
    """Render a typed frame into the canonical columns, all strings."""
    out = {}
    for col, kind in COLUMNS[entity].items():
        v = typed[col].to_numpy() if col in typed else None
        if kind == "ts":
            out[col] = fmt_ts(rng, v)
        elif kind == "date":
            out[col] = fmt_date(v)
        elif kind == "money":
            out[col] = fmt_money(rng, v)
        elif kind == "decimal":
            out[col] = fmt_decimal(v)
        elif kind == "int":
            out[col] = fmt_int(rng, v)
        elif kind == "bool":
            out[col] = fmt_bool(rng, v)
        elif kind == "enum":
            out[col] = fmt_enum(rng, v)
        elif kind == "currency":
            out[col] = fmt_currency(rng, len(typed))
        elif kind == "text":
            out[col] = fmt_text(rng, v)
        else:  # id: written exactly
            out[col] = np.where(pd.isna(v), "", v).astype(object)
    return blank_optional(rng, entity, pd.DataFrame(out, dtype=object))


# Optional columns left empty now and then: (entity, column) -> share, and an
# optional condition on the typed row (account_id only for projects without deal).
_OPTIONAL_BLANKS = {
    ("leads", "company"): 0.01, ("deals", "owner"): 0.02, ("deals", "account_name"): 0.005,
    ("marketing_spend", "campaign"): 0.03, ("projects", "name"): 0.01,
    ("projects", "budget_hours"): 0.02, ("projects", "account_id"): 0.5,
    ("milestones", "name"): 0.01, ("expenses", "category"): 0.02,
}


def blank_optional(rng: np.random.Generator, entity: str, df: pd.DataFrame) -> pd.DataFrame:
    for (ent, col), share in _OPTIONAL_BLANKS.items():
        if ent != entity:
            continue
        hit = rng.random(len(df)) < share
        if col == "account_id":
            hit &= df["deal_id"].to_numpy() == ""
        df.loc[hit, col] = ""
    return df
