"""Thirty consecutive nightly runs in one process, over data that grows night by night, then one
backfill of the thirty dates over the final data in a warehouse of its own; test code only.

    python tests/reliability/soak_child.py '{"final": DROP, "work": DIR, "first": "2026-02-01", "nights": 30,
                                            "nightly_url": ..., "backfill_url": ...}'

Night k (its date d = first + k − 1; the run happens at 02:00 UTC the day after, `today`) sees the
generated drop cut to what existed then: each event entity keeps the rows whose own date is ≤ d
(FACT_DATE), the other entities are whole every night (see test_soak.py for why). Rows whose date
does not parse are kept every night (staging quarantines them every night alike).

Prints one JSON line per night: status, message, seconds, peak and end RSS in MB (a thread samples
/proc/self/statm every 5 ms; the peak is reset at the start of each night); then one for the backfill.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from schemas.config import Settings
from schemas.sources import ENTITIES
from tasks import pipeline

# the date that makes a row a fact of a given day: the row exists from that day on
FACT_DATE = {"leads": "created_at", "deals": "created_at", "marketing_spend": "spend_date", "time_entries": "work_date",
             "expenses": "expense_date", "usage": "usage_date", "feedback": "submitted_at"}
PAGE = os.sysconf("SC_PAGE_SIZE")


class Rss:
    def __init__(self) -> None:
        self.peak = 0
        threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            time.sleep(0.005)

    def reset(self) -> None:
        self.peak = self.now()


def mb(n: int) -> float:
    return round(n / 2**20, 1)


def main() -> None:
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    log = logging.getLogger("soak")
    final, work = Path(spec["final"]), Path(spec["work"])
    first, nights = dt.date.fromisoformat(spec["first"]), spec["nights"]
    frames, days = {}, {}
    for name in ENTITIES:
        path = final / f"{name}.csv"
        if not path.exists():
            continue
        frames[name] = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        if name in FACT_DATE:
            stamp = pd.to_datetime(frames[name][FACT_DATE[name]], utc=True, errors="coerce", format="mixed")
            days[name] = stamp.dt.tz_convert(None).dt.normalize()  # the day, in UTC (the business time zone)
    drop = work / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    settings = Settings(sources={"files": {"path": str(drop)}}, warehouse=spec["nightly_url"])
    wh = pipeline.open_warehouse(settings)
    rss = Rss()
    print(json.dumps({"baseline_mb": mb(rss.now())}), flush=True)
    for k in range(1, nights + 1):
        day = first + dt.timedelta(days=k - 1)
        for name, frame in frames.items():
            if name in days:
                frame = frame[days[name].isna() | (days[name] <= pd.Timestamp(day))]
            frame.to_csv(drop / f"{name}.csv", index=False, lineterminator="\n")
        rss.reset()
        started = time.monotonic()
        result = pipeline.nightly(settings, warehouse=wh, log=log, run_id=f"night-{k:02d}",
                                  today=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(2), dt.UTC))
        print(json.dumps({"night": k, "date": str(day), "status": result.status, "message": result.message,
                          "seconds": round(time.monotonic() - started, 2), "peak_mb": mb(rss.peak),
                          "end_mb": mb(rss.now()), "leads_read": result.counts.get("leads", {}).get("read")}),
              flush=True)
    wh.dispose()
    # the final data is what night `nights` saw: the drop as it is now
    backfill_wh = pipeline.open_warehouse(settings.model_copy(update={"warehouse": spec["backfill_url"]}))
    rss.reset()
    started = time.monotonic()
    result = pipeline.backfill(settings, first, first + dt.timedelta(days=nights - 1), warehouse=backfill_wh, log=log,
                               run_id="backfill")
    print(json.dumps({"backfill": result.status, "message": result.message,
                      "seconds": round(time.monotonic() - started, 2), "peak_mb": mb(rss.peak)}), flush=True)
    backfill_wh.dispose()


if __name__ == "__main__":
    main()
