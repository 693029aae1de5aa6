"""Quarantine records: the rows that broke a rule, with the rule, a readable detail and the raw row;
and the records a source read but could not make rows of (rule `shape`)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.columns import Entity, Kind
from schemas.rules import KIND_RANGE, rules_for
from tasks.sources.base import ORIGIN, Origin
from tasks.staging.parse import ROW, normalise_text, outside_range

QUARANTINE_COLUMNS = ["entity", "record_id", "rule", "detail", "record"]
POSITION = "__position__"  # where a quarantined record sits in its source (a file's line): their order

# A record whose fields do not match its header (SOURCES.md, "File drop"): more or fewer fields, or
# the last record of a file cut before its line break. Named beside the rules of schemas/rules.py
# (DUPLICATE_KEY, …), which schemas/ may take over.
SHAPE = "shape"


def describe_rule_breaks(breaks: pd.DataFrame, raw: pd.DataFrame, entity: Entity, currency: str) -> pd.DataFrame:
    """Add `detail` to GX's (row, rule, column) hits: what the rule says and the value the row had.

    A value that failed to parse is also missing: only its `type:` rule is reported then.
    """
    if breaks.empty:
        return pd.DataFrame(columns=[ROW, "rule", "detail"])
    texts = {r.name: r.text for r in rules_for(entity, currency)}
    pairs = pd.MultiIndex.from_arrays([breaks[ROW], breaks["column"]])
    typed = breaks["rule"].str.startswith("type:").to_numpy()
    shadowed = breaks["rule"].str.startswith("required:").to_numpy() & pairs.isin(pairs[typed])
    breaks = breaks[~shadowed]
    values = raw_values(raw, breaks[ROW].to_numpy(), breaks["column"].to_numpy())
    said = pa.array(breaks["rule"].map(texts).to_numpy(dtype=object), pa.string())
    detail = pc.binary_join_element_wise(pc.binary_join_element_wise(said, values, "; got "),
                                         _beyond_range(breaks, raw, entity), "")
    return pd.DataFrame({ROW: breaks[ROW].to_numpy(), "rule": breaks["rule"].to_numpy(),
                         "detail": detail.to_numpy(zero_copy_only=False)})


def _beyond_range(breaks: pd.DataFrame, raw: pd.DataFrame, entity: Entity) -> pa.Array:
    """Per break, what follows its value: for a `type:` break of a number its column cannot hold
    (1e19 in a whole-number column, 1e400 anywhere), that it is outside the column's range; else ""."""
    out = np.full(len(breaks), "", dtype=object)
    rows, columns = breaks[ROW].to_numpy(), breaks["column"].to_numpy()
    typed = breaks["rule"].str.startswith("type:").to_numpy()
    for col in entity.columns:
        if col.kind not in KIND_RANGE or col.name not in raw:
            continue
        at = np.flatnonzero(typed & (columns == col.name))
        text = _text(raw[col.name]) if len(at) else None
        if text is None:
            continue
        text = normalise_text(text.take(pa.array(rows[at])).cast(pa.string()))
        beyond = outside_range(text, whole=col.kind is Kind.INTEGER)
        out[at[beyond]] = f", outside the range of the column ({KIND_RANGE[col.kind]})"
    return pa.array(out, pa.string())


# values whose repr() is the value in single quotes, and whose JSON string is the value in double
# quotes: the common case, done in Arrow; the few others go through repr() or json.dumps one by one
_PLAIN_REPR = r"^[ -&(-\[\]-~]*$"  # printable ASCII but ' and \
_PLAIN_JSON = r'^[^"\\\x00-\x1f]*$'  # no quote, backslash or control character (json.dumps escapes those)
_NONE = pa.scalar(None, pa.string())  # "not done here": the value goes to Python


def raw_values(raw: pd.DataFrame, rows: np.ndarray, columns: np.ndarray) -> pa.Array:
    """The value each (row, column) had in the source, as a detail says it: `'text'` (repr), or
    `missing` when empty or white space only, or `missing (no such column)`."""
    out = np.full(len(rows), "missing (no such column)", dtype=object)
    for column in pd.unique(columns):
        if column not in raw:
            continue
        at = np.flatnonzero(columns == column)
        text = _text(raw[column])
        if text is None:
            out[at] = [_said(None if pd.isna(v) else v) for v in raw[column].to_numpy()[rows[at]]]
            continue
        text = text.take(pa.array(rows[at])).cast(pa.string())  # the rows only: a cast of all would copy
        plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_REPR), False)
        blank = pc.or_kleene(pc.is_null(text), pc.match_substring_regex(text, r"^ *$"))
        quoted = pc.binary_join_element_wise("'", text, "'", "")
        out[at] = _or_python(pc.if_else(blank, "missing", pc.if_else(plain, quoted, _NONE)), text, _said)
    return pa.array(out, pa.string())


def _or_python(fast: pa.Array, text: pa.Array, slow) -> np.ndarray:
    """`fast` as an array of str, where it is missing `slow(value)` of the same row of `text`:
    the few values Arrow's path leaves to Python."""
    out = fast.to_numpy(zero_copy_only=False)
    other = np.flatnonzero(pd.isna(out))
    out[other] = [slow(v) for v in text.take(pa.array(other)).to_pylist()]
    return out


def _said(value) -> str:
    return "missing" if value is None or not str(value).strip() else repr(str(value))


def _text(values: pd.Series) -> pa.Array | None:
    """A raw column as Arrow text; None when it is not text (a source's columns are; a frame made
    by hand may hold numbers, which keep the per-value path and its Python types)."""
    try:
        arrow = pa.array(values.array, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    text = pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type) or pa.types.is_null(arrow.type)
    return arrow if text else None


def quarantine_records(breaks: pd.DataFrame, raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """One record per quarantined row: the first rule it broke, every detail, the raw row as JSON.

    `breaks` lists (row, rule, detail) in reporting order; rows already dropped by an earlier
    stage never reach a later one, so a row's breaks all come from a single stage.
    """
    if breaks.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS + [ROW, POSITION])
    by_row = _by_row(breaks)
    rows = by_row.index.to_numpy()
    source, locate = _where(raw, entity)
    positions = row_positions(raw)[rows]
    canonical = [c for c in entity.names if c in raw.columns]
    records = raw.iloc[rows][canonical]
    keys = [records[k].astype("str").str.strip().fillna("") for k in entity.key if k in records]
    before, _, after = locate.partition("{}")
    detail = pc.binary_join_element_wise(f"{source} {before}", pa.array(positions).cast(pa.string()),
                                         f"{after}: ", pa.array(by_row["detail"].to_numpy(), pa.string()), "")
    return pd.DataFrame({
        "entity": entity.name,
        "record_id": keys[0].str.cat(keys[1:], sep="|").to_numpy() if keys else "",
        "rule": by_row["rule"].to_numpy(),
        "detail": detail.to_numpy(zero_copy_only=False),
        "record": json_objects(records).to_numpy(zero_copy_only=False),
        ROW: rows,
        POSITION: positions,
    })


def _by_row(breaks: pd.DataFrame) -> pd.DataFrame:
    """Per row (sorted): its first rule, and its details joined by "; " in the order of `breaks`.
    Most rows break one rule, so only rows with several go through a Python join (a join per
    group for every row was 0.4 s of time_entries' 25 k quarantined rows at scale 10)."""
    ordered = breaks.sort_values(ROW, kind="stable")
    first = ~ordered[ROW].duplicated(keep="first").to_numpy()
    by_row = pd.DataFrame({"rule": ordered["rule"].to_numpy()[first], "detail": ordered["detail"].to_numpy()[first]},
                          index=pd.Index(ordered[ROW].to_numpy()[first], name=ROW))
    several = ordered[ordered[ROW].duplicated(keep=False).to_numpy()]
    if len(several):
        joined = several.groupby(ROW, sort=True)["detail"].agg("; ".join)
        by_row.loc[joined.index, "detail"] = joined.to_numpy()
    return by_row


def json_objects(records: pd.DataFrame) -> pa.Array:
    """Each row as the JSON object `json.dumps(row, ensure_ascii=False)` writes (missing = null),
    built column by column in Arrow."""
    if not len(records.columns):
        return pa.array(["{}"] * len(records), pa.string())
    parts = []
    for column in records.columns:
        text = _text(records[column])
        if text is None:
            value = [json.dumps(None if pd.isna(v) else v, ensure_ascii=False) for v in records[column]]
        else:
            text = text.cast(pa.string())
            plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_JSON), False)
            quoted = pc.binary_join_element_wise('"', text, '"', "")
            value = _or_python(pc.if_else(pc.is_null(text), "null", pc.if_else(plain, quoted, _NONE)), text,
                               lambda v: json.dumps(v, ensure_ascii=False))
        parts.append(pc.binary_join_element_wise(json.dumps(column, ensure_ascii=False) + ": ",
                                                 pa.array(value, pa.string()), ""))
    return pc.binary_join_element_wise("{", pc.binary_join_element_wise(*parts, ", "), "}", "")


def shape_records(raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """The records the source read but could not make rows of (`Origin.misshapen`), quarantined
    with rule `shape`: their key where the header puts it, their line and shape, their raw text."""
    origin = raw.attrs.get(ORIGIN)
    misshapen = origin.misshapen if isinstance(origin, Origin) else ()
    source, locate = _where(raw, entity)
    return pd.DataFrame({
        "entity": pd.Series(entity.name, index=range(len(misshapen)), dtype="object"),
        "record_id": [m.record_id for m in misshapen],
        "rule": SHAPE,
        "detail": [f"{source} {locate.format(m.position)}: {m.detail}" for m in misshapen],
        "record": [m.record for m in misshapen],
        POSITION: np.array([m.position for m in misshapen], dtype=np.int64),
    }, columns=QUARANTINE_COLUMNS + [POSITION])


def unread_count(raw: pd.DataFrame) -> int:
    """Records the source read that are not rows of `raw` (they count as read, and are quarantined)."""
    origin = raw.attrs.get(ORIGIN)
    return len(origin.misshapen) if isinstance(origin, Origin) else 0


def row_positions(raw: pd.DataFrame) -> np.ndarray:
    """Where each row of `raw` sits in its source, in its locator's terms: the `Origin`'s positions
    (a CSV file's lines: a quoted line break or a misshapen record before a row moves it), else
    counted from `first_position` (for a CSV file line 2, since line 1 is the header)."""
    origin = raw.attrs.get(ORIGIN)
    if isinstance(origin, Origin):
        return origin.positions
    return np.arange(len(raw), dtype=np.int64) + raw.attrs.get("first_position", 2)


def _where(raw: pd.DataFrame, entity: Entity) -> tuple[str, str]:
    """The source's name and how a position in it is said ("line {}", "row {}", "record {}")."""
    return raw.attrs.get("source", entity.name), raw.attrs.get("locator", "line {}")
