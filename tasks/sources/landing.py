"""Raw landing and incremental state, and the one stream sync every connector runs.

A connector reads a stream's records page by page; each page is landed (upsert by id, committed)
before the next is read, and only when the whole stream is landed does its cursor advance to the
latest modified time landed. A crash mid-sync therefore loses nothing (the landed pages stay, the
cursor has not moved, the next sync reads them again) and duplicates nothing (upsert by id).

Records travel as a frame with the columns of `RECORD_COLUMNS`: what `land_page` takes and
`read_landed` gives back.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import LANDED_RECORDS, SYNC_STATE

RECORD_COLUMNS = ["id", "payload", "modified_at"]  # payload: a dict; modified_at: a UTC instant or missing
DELETE_BATCH = 1000  # ids per DELETE: far below every driver's limit on bound parameters
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class StreamSync:
    """What one stream's sync did (any connector), for the flow's log line."""

    stream: str
    mode: str  # "full" or "incremental"
    landed: int = 0
    removed: int = 0
    cursor: dt.datetime | None = None


class Page(NamedTuple):
    """Records read together for one stream, landed (committed) before the next page is read."""

    stream: str
    records: pd.DataFrame  # RECORD_COLUMNS


def record_frame(ids: Iterable[str], payloads: Iterable[dict], modified_at: pd.Series) -> pd.DataFrame:
    """Records to land, from their ids, payloads and modified times (as `instants` gives them)."""
    frame = pd.DataFrame({"id": pd.Series(list(ids), dtype="object"), "payload": pd.Series(list(payloads), dtype="object")})
    return frame.assign(modified_at=modified_at.reset_index(drop=True))


def instants(texts: pd.Series) -> pd.Series:
    """Modified times as UTC instants for the cursor: a time without an offset is UTC, one with an
    offset is converted; missing (NaT) when empty or unreadable, so the record still lands and
    staging reports it. format="mixed" reads each value as `pd.Timestamp(text)` would; microseconds
    are what the cursor (a Python datetime) holds."""
    return pd.to_datetime(texts.astype("str").str.strip(), utc=True, errors="coerce", format="mixed").dt.as_unit("us")


def land_page(wh: Warehouse, source: str, stream: str, records: pd.DataFrame) -> int:
    """Upsert `records` (RECORD_COLUMNS) by id in one transaction; returns how many."""
    if records.empty:
        return 0
    rows = records[RECORD_COLUMNS].assign(
        source=source, stream=stream, payload=records["payload"].map(lambda p: json.dumps(p, sort_keys=True)),
        landed_at=dt.datetime.now(dt.UTC))
    insert = (postgresql if wh.is_postgres else sqlite).insert(LANDED_RECORDS)
    upsert = insert.on_conflict_do_update(
        index_elements=["source", "stream", "id"],
        set_={"payload": insert.excluded.payload, "modified_at": insert.excluded.modified_at,
              "landed_at": insert.excluded.landed_at})
    with wh.begin() as conn:
        # plain values for the driver: missing modified times as None (NULL), not NaT
        conn.execute(upsert, rows.astype(object).where(rows.notna(), None).to_dict("records"))
    return len(rows)


def read_landed(wh: Warehouse, source: str, stream: str) -> pd.DataFrame:
    """Every landed record of a stream (RECORD_COLUMNS, payload parsed back into a dict), by id."""
    t = LANDED_RECORDS
    query = sa.select(t.c.id, t.c.payload, t.c.modified_at).where(t.c.source == source, t.c.stream == stream)
    with wh.begin() as conn:
        frame = pd.DataFrame(conn.execute(query.order_by(t.c.id)).all(), columns=RECORD_COLUMNS)
    frame["payload"] = frame["payload"].map(json.loads)
    return frame


def remove_unseen(wh: Warehouse, source: str, stream: str, seen: Collection[str]) -> int:
    """After a full read: drop the landed records the source no longer returns (deleted, archived)."""
    t = LANDED_RECORDS
    of_stream = (t.c.source == source) & (t.c.stream == stream)
    with wh.begin() as conn:
        ids = pd.Series(conn.execute(sa.select(t.c.id).where(of_stream)).scalars().all(), dtype="object")
        gone = ids[~ids.isin(list(seen))].tolist()
        for start in range(0, len(gone), DELETE_BATCH):
            conn.execute(t.delete().where(of_stream, t.c.id.in_(gone[start:start + DELETE_BATCH])))
    return len(gone)


def cursor(wh: Warehouse, source: str, stream: str) -> dt.datetime | None:
    with wh.begin() as conn:
        value = conn.execute(sa.select(SYNC_STATE.c.cursor).where(SYNC_STATE.c.source == source,
                                                                  SYNC_STATE.c.stream == stream)).scalar()
    return _utc(value)


def advance_cursor(wh: Warehouse, source: str, stream: str) -> dt.datetime | None:
    """Set the stream's cursor to the latest modified_at landed (committed), and return it."""
    t = LANDED_RECORDS
    with wh.begin() as conn:
        latest = conn.execute(sa.select(sa.func.max(t.c.modified_at)).where(t.c.source == source,
                                                                             t.c.stream == stream)).scalar()
        conn.execute(SYNC_STATE.delete().where(SYNC_STATE.c.source == source, SYNC_STATE.c.stream == stream))
        conn.execute(SYNC_STATE.insert(), [{"source": source, "stream": stream, "cursor": latest,
                                            "synced_at": dt.datetime.now(dt.UTC)}])
    return _utc(latest)


def reset(wh: Warehouse, source: str, stream: str) -> None:
    """Forget a stream's cursor (a full refresh reads everything again)."""
    with wh.begin() as conn:
        conn.execute(SYNC_STATE.delete().where(SYNC_STATE.c.source == source, SYNC_STATE.c.stream == stream))


# --- the sync of one stream ------------------------------------------------------------------

ReadChanges = Callable[[dt.datetime | None], Iterable[Page]]  # since (None: everything) → pages


@dataclass
class LandedPages:
    """What landing a read's pages did, per stream: records landed, and the ids among them."""

    count: Counter = field(default_factory=Counter)
    ids: dict[str, set[str]] = field(default_factory=dict)


def _once(attempt: Callable[[], T]) -> T:
    return attempt()


def sync_stream(wh: Warehouse, source: str, stream: str, read_changes: ReadChanges, *, margin: dt.timedelta,
                full_refresh: bool = False, side_streams: tuple[str, ...] = (),
                retrying: Callable[[Callable[[], LandedPages]], LandedPages] = _once) -> StreamSync:
    """Bring one stream's landing up to date; what it did.

    Without a cursor (the first sync, a full refresh) `read_changes(None)` reads everything, and the
    landed records it did not return are removed: deleted or archived at the source. Otherwise
    `read_changes(cursor - margin)` reads what changed since. `side_streams` are landed along with
    the stream (HubSpot's companies, read for its deals) and pruned with it. `retrying` runs the
    read-and-land, and may run it again from the start (a database connection that dropped):
    pages landed before the failure are upserted again, harmlessly."""
    if full_refresh:
        reset(wh, source, stream)
    since = cursor(wh, source, stream)
    result = StreamSync(stream, "full" if since is None else "incremental")
    # margin: a record committed after the last sync with an older modified time (a long transaction,
    # clocks that differ) is still at or after cursor − margin; re-reading a few records is harmless
    start = None if since is None else since - margin
    landed = retrying(lambda: land_pages(wh, source, read_changes(start), (stream, *side_streams)))
    result.landed = landed.count[stream]
    if result.mode == "full":
        result.removed = sum(remove_unseen(wh, source, s, ids) for s, ids in landed.ids.items())
    result.cursor = advance_cursor(wh, source, stream)
    log.info("%s %s: %s sync, %d records landed, %d removed, cursor %s", source, stream, result.mode,
             result.landed, result.removed, result.cursor)
    return result


def land_pages(wh: Warehouse, source: str, pages: Iterable[Page], streams: tuple[str, ...]) -> LandedPages:
    """Land each page as it is read (so a failure later keeps what came before)."""
    landed = LandedPages(ids={s: set() for s in streams})
    for page in pages:
        landed.count[page.stream] += land_page(wh, source, page.stream, page.records)
        landed.ids.setdefault(page.stream, set()).update(page.records["id"])
        log.info("%s %s: %d records landed so far", source, page.stream, landed.count[page.stream])
    return landed


def _utc(value) -> dt.datetime | None:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
