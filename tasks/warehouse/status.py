"""What `opsmetrics status` shows: the published dates per flow (as ranges), the dates whose last
try failed, and the last runs with their reasons; read from the ledger and the run log."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES


@dataclass
class WarehouseStatus:
    published: pd.DataFrame  # flow, first, last, dates: runs of consecutive published dates
    failed: pd.DataFrame  # flow, as_of_date, run_id: dates no run of the flow has published
    runs: pd.DataFrame  # the last runs: run_id, flow, as_of_start, as_of_end, started_at, status, message


def warehouse_status(wh: Warehouse, last_runs: int = 10) -> WarehouseStatus:
    ledger, log = TABLES["partition_runs"], TABLES["run_log"]
    with wh.begin() as conn:
        dates = pd.DataFrame(conn.execute(sa.select(ledger.c.flow, ledger.c.as_of_date, ledger.c.status,
                                                    ledger.c.run_id)).mappings().all(),
                             columns=["flow", "as_of_date", "status", "run_id"])
        runs = pd.DataFrame(conn.execute(
            sa.select(log.c.run_id, log.c.flow, log.c.as_of_start, log.c.as_of_end, log.c.started_at, log.c.status,
                      log.c.message).order_by(log.c.started_at.desc()).limit(last_runs)).mappings().all(),
            columns=["run_id", "flow", "as_of_start", "as_of_end", "started_at", "status", "message"])
    dates["as_of_date"] = pd.to_datetime(dates["as_of_date"])  # SQLite gives dates back as text
    done = dates[dates["status"] == "published"].sort_values(["flow", "as_of_date"])
    # a new range starts wherever the day before is not published by the same flow
    new_range = (done["as_of_date"].diff() != pd.Timedelta(days=1)) | (done["flow"] != done["flow"].shift())
    published = (done.assign(range=new_range.cumsum()).groupby(["flow", "range"], sort=True)["as_of_date"]
                 .agg(first="min", last="max", dates="count").reset_index().drop(columns="range"))
    failed = dates[dates["status"] == "failed"].sort_values(["flow", "as_of_date"])[["flow", "as_of_date", "run_id"]]
    return WarehouseStatus(published, failed.reset_index(drop=True), runs)


def last_completed_run(wh: Warehouse) -> tuple[str, dict[str, int]] | None:
    """The run id of the latest completed run and the rows it read per entity (the shrink guard's
    yardstick); None when no run has completed."""
    log = TABLES["run_log"]
    read = [c for c in log.columns if c.name.endswith("_read")]
    with wh.begin() as conn:
        row = conn.execute(sa.select(log.c.run_id, *read).where(log.c.status == "completed")
                           .order_by(log.c.finished_at.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return row["run_id"], {c.name.removesuffix("_read"): row[c.name] for c in read if row[c.name] is not None}
