"""A warehouse with history for the review pack's tests: generated sample data with one real change
planted in its last week (a campaign launched: 30 leads where a week brings about 6), backfilled
over 120 as-of dates (review_signals reaches back 84 days), then a past won deal changed and the
backfill run again, so the pack has restated figures to list."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from opsmetrics.sample import generate
from schemas.config import Settings
from tasks import pipeline
from tasks.warehouse.connect import Warehouse

END = dt.date(2026, 3, 31)
START = END - dt.timedelta(days=119)
LOG = logging.getLogger("review-sample")


@dataclass
class Sample:
    settings: Settings
    wh: Warehouse
    root: Path
    restated_deal: str


def sample_warehouse(root: Path, scale: float = 0.03) -> Sample:
    generate(root / "drop", scale=scale, seed=5, end_date=END)
    launch_a_campaign(root / "drop" / "leads.csv")
    settings = Settings(sources={"files": {"path": str(root / "drop")}}, warehouse=f"sqlite:///{root / 'w.db'}",
                        reports_dir=str(root / "reports"))
    wh = pipeline.open_warehouse(settings)
    first = pipeline.backfill(settings, START, END, warehouse=wh, log=LOG, run_id="history")
    assert first.status == "completed", first.message
    deal = change_a_past_deal(root / "drop" / "deals.csv")
    again = pipeline.backfill(settings, START, END, warehouse=wh, log=LOG, run_id="restating")
    assert again.status == "completed", again.message
    assert again.written["restatements"] > 0, "changing a won deal's amount restates bookings"
    return Sample(settings, wh, root, deal)


LAUNCH = "Spring launch"
LAUNCHED_LEADS = 30


def launch_a_campaign(leads_csv: Path) -> None:
    """30 website leads of a new campaign created in END's week (END − 6 … END, 5 a day from the
    second day): a real change of leads_created_7d, and a campaign too young to judge on wins."""
    leads = pd.read_csv(leads_csv, dtype=str, keep_default_na=False)
    days = [END - dt.timedelta(days=5 - i // 5) for i in range(LAUNCHED_LEADS)]
    new = pd.DataFrame({c: "" for c in leads.columns}, index=range(LAUNCHED_LEADS))
    new["lead_id"] = [f"LAUNCH-{i:03d}" for i in range(LAUNCHED_LEADS)]
    new["created_at"] = new["updated_at"] = [f"{d.isoformat()}T10:00:00Z" for d in days]
    new["channel"], new["campaign"] = "website", LAUNCH
    pd.concat([leads, new], ignore_index=True).to_csv(leads_csv, index=False)


def change_a_past_deal(deals_csv: Path) -> str:
    """Double the amount of a deal won 20 to 60 days before END (a valid one: a number in USD)."""
    deals = pd.read_csv(deals_csv, dtype=str, keep_default_na=False)
    closed = pd.to_datetime(deals["closed_at"], errors="coerce", utc=True, format="ISO8601")
    amount = pd.to_numeric(deals["amount"], errors="coerce")
    window = (closed >= pd.Timestamp(END - dt.timedelta(days=60), tz="UTC")) & (
        closed <= pd.Timestamp(END - dt.timedelta(days=20), tz="UTC"))
    pick = deals[(deals["stage"] == "won") & window & (amount > 0) & (deals["currency"] == "USD")
                 & ~deals["deal_id"].duplicated(keep=False)].index[0]
    deals.loc[pick, "amount"] = str(float(deals.loc[pick, "amount"]) * 2)
    deals.to_csv(deals_csv, index=False)
    return str(deals.loc[pick, "deal_id"])
