"""Raw landing and incremental state, shared by every connector.

A connector lands each page of records it reads (upsert by id, committed page by page), and only
when a stream's sync has finished does it advance that stream's cursor to the latest modified
time landed. A crash mid-sync therefore loses nothing (the landed pages stay, the cursor has not
moved, the next sync reads them again) and duplicates nothing (upsert by id).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import LANDED_RECORDS, SYNC_STATE


@dataclass
class StreamSync:
    """What one stream's sync did (any connector), for the flow's log line."""

    stream: str
    mode: str  # "full" or "incremental"
    landed: int = 0
    removed: int = 0
    cursor: dt.datetime | None = None


@dataclass(frozen=True)
class Landed:
    id: str
    payload: dict
    modified_at: dt.datetime | None


def land(wh: Warehouse, source: str, stream: str, records: Iterable[Landed]) -> int:
    """Upsert `records` by id in one transaction; returns how many."""
    now = dt.datetime.now(dt.UTC)
    rows = [{"source": source, "stream": stream, "id": r.id, "payload": json.dumps(r.payload, sort_keys=True),
             "modified_at": r.modified_at, "landed_at": now} for r in records]
    if not rows:
        return 0
    insert = (postgresql if wh.is_postgres else sqlite).insert(LANDED_RECORDS)
    upsert = insert.on_conflict_do_update(
        index_elements=["source", "stream", "id"],
        set_={"payload": insert.excluded.payload, "modified_at": insert.excluded.modified_at,
              "landed_at": insert.excluded.landed_at})
    with wh.begin() as conn:
        conn.execute(upsert, rows)
    return len(rows)


def landed(wh: Warehouse, source: str, stream: str) -> pd.DataFrame:
    """Every landed record of a stream: `id`, `payload` (a dict), `modified_at`, ordered by id."""
    t = LANDED_RECORDS
    query = sa.select(t.c.id, t.c.payload, t.c.modified_at).where(t.c.source == source, t.c.stream == stream)
    with wh.begin() as conn:
        frame = pd.DataFrame(conn.execute(query.order_by(t.c.id)).all(), columns=["id", "payload", "modified_at"])
    frame["payload"] = frame["payload"].map(json.loads)
    return frame


def remove_unseen(wh: Warehouse, source: str, stream: str, seen: set[str]) -> int:
    """After a full refresh: drop the landed records the source no longer returns (archived)."""
    t = LANDED_RECORDS
    with wh.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(t.c.id).where(t.c.source == source, t.c.stream == stream))]
        gone = [i for i in ids if i not in seen]
        for chunk in range(0, len(gone), 1000):
            conn.execute(t.delete().where(t.c.source == source, t.c.stream == stream,
                                          t.c.id.in_(gone[chunk:chunk + 1000])))
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


def _utc(value) -> dt.datetime | None:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
