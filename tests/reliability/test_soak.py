"""A month of nightly runs: thirty consecutive nights in one process (soak_child.py), each on the
data as it stood that night; every night completes, memory stays flat, and the tables equal one
backfill of the thirty dates over the final data.

Why every date, not only the last, must equal the backfill: METRICS.md computes a figure as of D
"using only facts whose date is ≤ D", so a backfill of a past date gives what a run on that day
would have given had the sources looked as they look now. The nightly run of night k saw the
sources as of night k; the backfill sees them as of night 30. The growing data here is
append-only: night k's drop is the final drop minus the event rows whose own date (a lead's or a
deal's created_at, a time entry's work_date, a spend's spend_date, an expense's expense_date, a
usage row's usage_date, a survey's submitted_at) is after k; projects, milestones, licences and the
rate card are whole every night (they are not events: a project's later dates are already in its
row, and milestones_total counts all of a project's milestones whatever their dates). So what
night k did not see are only facts dated after k, which no figure as of k may use: every date's
rows must be equal, and a difference would be a figure that looks past its as-of date (or a rule
that depends on rows of later dates). The last date is the plain case: both read the same drop.

effort_weekly is not as-of (all valid entries): after night 30 it is the final data's, as in the
backfill. The quarantine is the last run's, of the same drop in both.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from reliability.support import HERE, ROOT, Backend, child_env, differences, generate_drop, normalized
from schemas.tables import MARTS

pytestmark = pytest.mark.reliability

NIGHTS = 30
LAST = dt.date(2026, 3, 1)
FIRST = LAST - dt.timedelta(days=NIGHTS - 1)
WARM = slice(1, 6)  # nights 2-6: the first night also warms Great Expectations up
LAST_NIGHTS = slice(NIGHTS - 5, NIGHTS)


def test_thirty_nights_then_one_backfill(tmp_path):
    final = generate_drop(tmp_path / "final", seed=7, scale=0.05, end_date=LAST)
    nightly, backfill = Backend.sqlite(tmp_path / "nightly.db"), Backend.sqlite(tmp_path / "backfill.db")
    spec = {"final": str(final), "work": str(tmp_path / "work"), "first": str(FIRST), "nights": NIGHTS,
            "nightly_url": nightly.url, "backfill_url": backfill.url}
    done = subprocess.run([sys.executable, str(HERE / "soak_child.py"), json.dumps(spec)], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    nights = [x for x in lines if "night" in x]
    (after,) = [x for x in lines if "backfill" in x]
    table = "\n".join(f"night {n['night']:2} {n['date']}: {n['status']:9} {n['seconds']:6.2f} s, peak "
                      f"{n['peak_mb']:6.1f} MB, end {n['end_mb']:6.1f} MB, leads read {n['leads_read']}" for n in nights)
    print(f"\nbaseline {lines[0]['baseline_mb']} MB\n{table}\nbackfill: {after}")

    # every night completed, each computing its own yesterday only (nothing missed to catch up)
    assert len(nights) == NIGHTS
    for n in nights:
        assert (n["status"], n["message"]) == ("completed", f"published 1 as-of date {n['date']} … {n['date']}"), n
    reads = [n["leads_read"] for n in nights]
    assert reads == sorted(reads) and reads[-1] > reads[0], "the data was to grow night by night"
    assert after["backfill"] == "completed", after

    # memory: the last nights' peak within 20% of the first (warm) nights'
    warm, last = max(n["peak_mb"] for n in nights[WARM]), max(n["peak_mb"] for n in nights[LAST_NIGHTS])
    assert last <= 1.2 * warm, f"peak RSS grew from {warm} MB (nights 2-6) to {last} MB (nights 26-30)\n{table}"

    a, b = nightly.snapshot(), backfill.snapshot()
    nightly.close(), backfill.close()
    for name in MARTS:
        assert len(b[name]), f"{name}: the backfill wrote nothing"
    assert len(a["portfolio_daily"]) == len(b["portfolio_daily"]) == NIGHTS
    # the as-of tables, for every one of the thirty dates, and effort_weekly
    assert differences(a, b, list(MARTS)) == {}
    assert differences(normalized(a, run_ids=False), normalized(b, run_ids=False), ["quarantine"]) == {}
    assert sorted(a["partition_runs"]["as_of_date"].astype(str)) == sorted(b["partition_runs"]["as_of_date"].astype(str))
    assert set(a["partition_runs"]["flow"]) == {"nightly_refresh"} and set(b["partition_runs"]["flow"]) == {"backfill"}
    assert len(a["run_log"]) == NIGHTS and set(a["run_log"]["status"]) == {"completed"}
