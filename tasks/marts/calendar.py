"""As-of dates as day numbers, and the few ways a fact counts toward them.

Every figure of METRICS.md is, for each as-of date D, a count or a sum over the facts that count
at D, and each fact counts on an interval of as-of dates, its `Span`: a lead created on day c is
in W30 for D ∈ [c, c+29]; a deal is open for D ∈ [created, closed−1]; a customer counts from its
first win on. The functions below add every fact's span with a difference array and one cumulative
sum, so N as-of dates cost one pass over the facts, not N recomputations.

They return one value per as-of date (1-D), or with `by` one row per group ((groups × dates)).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NEVER = np.int64(1 << 40)  # "no such date": an end that never comes, a start that never happens
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Grid:
    """The as-of dates D of a run: `n` consecutive days from day number `first`."""

    first: int
    n: int

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Grid:
        return cls(to_day(start), (end - start).days + 1)

    @property
    def last(self) -> int:
        return self.first + self.n - 1

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.n, dtype="int64")

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.to_datetime(self.days, unit="D")

    def shifted(self, back: int) -> Grid:
        """The same last date, `back` more days at the start."""
        return Grid(self.first - back, self.n + back)


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


def dates_of(day) -> np.ndarray:
    """Day numbers back to dates (datetime.date); NEVER (no date) to None."""
    day = np.asarray(day, dtype="int64")
    dates = pd.to_datetime(np.where(day < NEVER, day, 0), unit="D").date
    return np.where(day < NEVER, dates, None)


def days_of(values: pd.Series, tz: str | None = None) -> np.ndarray:
    """Day numbers of dates, or of timestamps' event dates in the business time zone `tz`.

    Missing values become NEVER.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    days = values.dt.floor("D").to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))
    out = days.astype("int64")
    out[np.isnat(days)] = NEVER
    return out


# --------------------------------------------------------------------------- spans: when a fact counts

class Span(NamedTuple):
    """The as-of dates D on which each fact counts: first ≤ D ≤ last (one entry per fact; a fact
    whose first is NEVER never counts)."""

    first: np.ndarray
    last: np.ndarray


def in_window(day, n: int) -> Span:
    """A fact dated `day` is in Wn (the n days ending D) for D ∈ [day, day + n − 1]."""
    day = np.asarray(day, dtype="int64")
    return Span(day, day + (n - 1))


def in_prior_window(day, n: int) -> Span:
    """A fact dated `day` is in the n days before Wn (D−(2n−1) … D−n: P90 for n = 90) for
    D ∈ [day + n, day + 2n − 1]."""
    day = np.asarray(day, dtype="int64")
    return Span(day + n, day + (2 * n - 1))


def from_day(day) -> Span:
    """A fact dated `day` counts from that day on ("by D", "to date": day ≤ D)."""
    day = np.asarray(day, dtype="int64")
    return Span(day, np.full(day.shape, NEVER))


def overlap(a: Span, b: Span) -> Span:
    """The dates on which a fact counts under both spans (e.g. overdue *and* its project active)."""
    return Span(np.maximum(a.first, b.first), np.minimum(a.last, b.last))


def holds_at(span: Span, grid: Grid) -> np.ndarray:
    """Whether each fact counts at each D: a (facts × dates) boolean matrix."""
    days = grid.days[None, :]
    return (days >= np.asarray(span.first)[:, None]) & (days <= np.asarray(span.last)[:, None])


@dataclass(frozen=True)
class Groups:
    """Which output row (0 … n−1) each fact adds to; −1 for a fact that belongs to none."""

    codes: np.ndarray
    n: int

    @classmethod
    def of(cls, values: pd.Series, labels) -> Groups:
        """Each value's position among `labels` (which must be distinct)."""
        if isinstance(values.dtype, pd.StringDtype) and isinstance(getattr(labels, "dtype", None), pd.StringDtype):
            # Arrow's hash lookup: Series.map over millions of text keys was a tenth of compute
            found = pc.index_in(pa.array(values.array).cast(pa.large_string()),
                                value_set=pa.array(labels.array).cast(pa.large_string()), skip_nulls=True)
            return cls(pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype("int64"), len(labels))
        position = pd.Series(np.arange(len(labels)), index=labels)
        return cls(values.map(position).fillna(-1).astype("int64").to_numpy(), len(labels))

    @classmethod
    def of_rows(cls, frame: pd.DataFrame, labels: pd.DataFrame) -> Groups:
        """Each row's position among the rows of `labels` (which must be distinct), matched on all of
        `labels`' columns: groups of several columns, e.g. (channel, campaign)."""
        columns = list(labels.columns)
        found = pd.MultiIndex.from_frame(labels).get_indexer(pd.MultiIndex.from_frame(frame[columns]))
        return cls(np.asarray(found, dtype="int64"), len(labels))


# --------------------------------------------------------------------------- counts and sums per as-of date

def count_per_day(span: Span, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """How many facts count at each D (integers)."""
    return _Cells.of(span, grid, by).count()


def sum_per_day(span: Span, value, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """Σ value of the facts that count at each D; exactly 0 where none does.

    A difference array adds and removes each value, so an emptied interval can keep a rounding
    residue (1e-10); counting the same facts says where the sum is over no rows at all, which
    METRICS.md says is 0.
    """
    return sums_per_day(span, [value], grid, by)[0]


def sums_per_day(span: Span, values: list, grid: Grid, by: Groups | None = None) -> list[np.ndarray]:
    """`sum_per_day` of several values of the same facts (hours and labour cost of time entries),
    which share their cells and their count: each figure is the one `sum_per_day` gives."""
    cells = _Cells.of(span, grid, by)
    some = cells.count() > 0
    return [np.where(some, cells.total(value), 0.0) for value in values]


def raw_total_per_day(span: Span, value, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """Σ value as the difference array gives it, rounding residue included: `sum_per_day` unless
    the sum must be zeroed by another count than its own facts'."""
    return _Cells.of(span, grid, by).total(value)


@dataclass(frozen=True)
class _Cells:
    """Where each fact that counts enters and leaves the (group × day) difference array: the
    start cells then the end cells, in the facts' order, from which any value's totals per D are
    one bincount and one cumulative sum (computed once for a count and the sums of one span)."""

    cells: np.ndarray
    keep: np.ndarray  # the facts that count at some D of the grid, in a group
    groups: int
    length: int  # days from the origin to the grid's last
    offset: int  # the grid's first day, from the origin
    grouped: bool

    @classmethod
    def of(cls, span: Span, grid: Grid, by: Groups | None) -> _Cells:
        # The running sum starts at a fixed origin, the earliest fact, not at the run's first date:
        # a floating-point sum depends on the order it adds in, so starting where the run starts
        # would make a date's figure differ in its last bits between a one-date run and a backfill.
        span_first = np.asarray(span.first, dtype="int64")
        group = np.zeros(span_first.shape, dtype="int64") if by is None else by.codes
        starts = span_first[(span_first < NEVER) & (group >= 0)]
        origin = min(int(starts.min()), grid.first) if len(starts) else grid.first
        first = span_first - origin
        last = np.minimum(np.asarray(span.last, dtype="int64"), grid.last) - origin
        keep = (first <= last) & (group >= 0)
        length = grid.last - origin + 1
        row = group[keep] * (length + 1)
        return cls(np.concatenate([row + first[keep], row + last[keep] + 1]), keep,
                   1 if by is None else by.n, length, grid.first - origin, by is not None)

    def total(self, value) -> np.ndarray:
        """Σ value per D (per group and D when grouped), rounding residue included."""
        value = np.broadcast_to(np.asarray(value, dtype="float64"), self.keep.shape)[self.keep]
        # one bincount adds the starts then the ends, each cell in input order: the very additions,
        # in the very order, of np.add.at on the (group × day) difference array, at a tenth of its time
        diff = np.bincount(self.cells, weights=np.concatenate([value, -value]), minlength=self.size)
        return self._running(diff)

    def count(self) -> np.ndarray:
        """How many facts count per D: integers, added as integers (exact, as the float sum of ±1
        it replaces was below 2**53)."""
        half = len(self.cells) // 2
        diff = np.bincount(self.cells[:half], minlength=self.size) - np.bincount(self.cells[half:], minlength=self.size)
        return self._running(diff)

    @property
    def size(self) -> int:
        """Cells of the difference array: a day past the grid's last for each group's ends."""
        return self.groups * (self.length + 1)

    def _running(self, diff: np.ndarray) -> np.ndarray:
        total = np.cumsum(diff.reshape(self.groups, self.length + 1), axis=1)[:, self.offset: self.length]
        return total if self.grouped else total[0]


def count_in_window(day, n: int, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """How many facts are dated in Wn, per D."""
    return count_per_day(in_window(day, n), grid, by)


def sum_in_window(day, value, n: int, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """Σ value of the facts dated in Wn, per D; exactly 0 over no rows."""
    return sum_per_day(in_window(day, n), value, grid, by)


def sums_in_window(day, values: list, n: int, grid: Grid, by: Groups | None = None) -> list[np.ndarray]:
    """`sum_in_window` of several values of the same facts."""
    return sums_per_day(in_window(day, n), values, grid, by)


def mean_in_window(day, value, n: int, grid: Grid) -> np.ndarray:
    """Mean value of the facts dated in Wn, per D (null over no rows)."""
    return ratio(sum_in_window(day, value, n, grid), count_in_window(day, n, grid))


def median_in_window(day, value, n: int, grid: Grid) -> np.ndarray:
    """Median value of the facts dated in Wn, per D (null over no rows).

    A median does not add up like a sum: every (fact, D) pair, at most n per fact, is listed once
    and sorted by D then value, so each D's values form a sorted run whose middle is read off.
    """
    span = in_window(day, n)
    first = np.maximum(span.first, grid.first) - grid.first
    length = np.maximum(np.minimum(span.last, grid.last) - grid.first - first + 1, 0)
    fact = np.repeat(np.arange(len(first)), length)
    step = np.arange(len(fact)) - np.repeat(np.cumsum(length) - length, length)  # 0, 1, … within each fact
    date, values = first[fact] + step, np.asarray(value, dtype="float64")[fact]
    values = values[np.lexsort((values, date))]
    size = np.bincount(date, minlength=grid.n)
    start = np.cumsum(size) - size
    out = np.full(grid.n, np.nan)
    some = size > 0
    # the two middle values (the same one for an odd count), averaged as numpy's median does
    lower, upper = start[some] + (size[some] - 1) // 2, start[some] + size[some] // 2
    out[some] = (values[lower] + values[upper]) / 2
    return out


def count_to_date(day, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """How many facts are dated on or before D ("by D")."""
    return count_per_day(from_day(day), grid, by)


def sum_to_date(day, value, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """Σ value of the facts dated on or before D ("to date"); exactly 0 over no rows."""
    return sum_per_day(from_day(day), value, grid, by)


def sums_to_date(day, values: list, grid: Grid, by: Groups | None = None) -> list[np.ndarray]:
    """`sum_to_date` of several values of the same facts."""
    return sums_per_day(from_day(day), values, grid, by)


def count_cohort_reaching(created, reached, n: int, grid: Grid, by: Groups | None = None) -> np.ndarray:
    """Of the cohort created in Wn, how many have reached a step (qualified, converted, won) by D.

    A member counts from the later of its creation and its step to the end of its Wn.
    """
    created = np.asarray(created, dtype="int64")
    return count_per_day(overlap(in_window(created, n), from_day(reached)), grid, by)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, null (NaN) where the denominator is 0 or null (METRICS.md, shared definitions)."""
    num, den = np.asarray(num, dtype="float64"), np.asarray(den, dtype="float64")
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=(den != 0) & ~np.isnan(den))
    return out
