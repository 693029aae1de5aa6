"""What every connector shares: the error it raises, the column check on what it read, where its
rows come from (`Origin`: a file's line numbers, the records it could not make rows of), and the
conversion of typed values (Parquet, a SQL result) into the text of the file-drop format."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import pandas as pd

from schemas.columns import Entity, Kind


class SourceError(RuntimeError):
    """A source could not be read (a missing file or column, a broken file, an API that failed).

    The message names the source and what is wrong; it never contains a credential.
    """


def check_columns(frame: pd.DataFrame, entity: Entity, where: str) -> pd.DataFrame:
    """The canonical columns of `frame` (extra ones are ignored), or a SourceError naming the
    missing required ones. Optional columns that are absent stay absent: missing on every row."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    require_columns(frame.columns, entity, where)
    return frame[[c for c in entity.names if c in frame.columns]]


def require_columns(names: Iterable[str], entity: Entity, where: str) -> None:
    """A SourceError naming `where` and the entity's required columns that `names` lacks."""
    present = set(names)
    missing = [c for c in entity.required_columns if c not in present]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise SourceError(f"{where}: missing required column{'s' if len(missing) > 1 else ''} {listed} "
                          f"(entity {entity.name})")


# --- where a source's rows come from --------------------------------------------------------------

ORIGIN = "origin"  # the key of a text frame's `attrs` that holds its `Origin`, when a source gives one


class Misshapen(NamedTuple):
    """A record a source read but could not make a row of: its fields do not match its header
    (SOURCES.md, "File drop"). Staging quarantines it with rule `shape`; it counts as read."""

    position: int  # where it starts, in the frame's locator (a file's line)
    record_id: str  # its key, when the key's fields are where the header puts them; else ""
    detail: str  # what is wrong with it, without its position
    record: str  # its raw text, as the source holds it


@dataclass(frozen=True, eq=False)
class Origin:
    """Where the rows of a text frame sit in their source, and the records the source read but
    could not make rows of; kept in `frame.attrs[ORIGIN]`.

    Without an Origin, row r of a frame is at `r + attrs["first_position"]`. pandas deep-copies
    `attrs` into every frame and series derived from another; an Origin is never changed, so its
    copy is itself (a big file's line numbers are not copied on every column access)."""

    positions: np.ndarray  # the position of each row of the frame, in the frame's locator
    misshapen: tuple[Misshapen, ...] = ()

    def __post_init__(self) -> None:
        self.positions.flags.writeable = False

    def __deepcopy__(self, memo: dict) -> Origin:
        return self


def as_text(frame: pd.DataFrame, entity: Entity | None = None) -> pd.DataFrame:
    """`frame` with every value as the text a CSV of the file drop would hold (SOURCES.md,
    "Conventions"), so typed sources are parsed by exactly the same rules as files: dates
    `YYYY-MM-DD`, timestamps ISO 8601 (`T`, offset kept), decimals without exponent or thousands
    separators, integers without ".0", booleans true/false, missing values "".

    With `entity`, a date column that arrives as a timestamp at midnight (a database DATETIME, a
    Parquet file written from pandas) is given as its date: that is the only way such a column can
    hold a date, and a time of day there would be an error staging reports.
    """
    dates = {c.name for c in entity.columns if c.kind is Kind.DATE} if entity is not None else set()
    out = frame.copy()
    for i, name in enumerate(frame.columns):  # by position: a typed frame may repeat a column name
        out.isetitem(i, _column_text(frame.iloc[:, i], str(name).strip() in dates))
    return out


def _column_text(col: pd.Series, is_date: bool) -> pd.Series:
    if isinstance(col.dtype, pd.StringDtype):  # text already; only the missing cells change
        return col.fillna("").astype("str")
    return col.map(lambda v: value_text(v, is_date)).astype("str")


def value_text(value: object, is_date: bool = False) -> str:
    """One value as file-drop text (see `as_text`)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # pd.Timestamp too; before date, which it subclasses
        if is_date and value.tzinfo is None and value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # "f" never switches to exponent notation (str gives 1E-7)
    if isinstance(value, float | np.floating):
        if math.isnan(value):  # how pandas holds a NULL among numbers
            return ""
        # an integer column with NULLs arrives as floats: give its whole numbers back as integers
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)
