"""The pipeline with leads and deals from (the fake) HubSpot: it gives exactly the tables of a run
on the same records from files, and the HubSpot token appears nowhere."""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa
from fakes.hubspot import FakeHubSpot
from prefect.artifacts import Artifact

from flows.backfill import backfill
from flows.nightly_refresh import nightly_refresh
from opsmetrics.sample import generate
from schemas.config import RunOptions, Settings
from schemas.sources import ENTITIES
from schemas.tables import MARTS
from tasks.sources.registry import read_entity
from tasks.staging.stage import stage_sources

END = dt.date(2026, 3, 1)
TOKEN = "pat-na1-11111111-planted-secret-2222"
CHANNEL_SOURCE = {"website": "ORGANIC_SEARCH", "paid_ads": "PAID_SEARCH", "content": "EMAIL_MARKETING",
                  "event": "OFFLINE", "referral": "REFERRALS", "other": "OTHER_CAMPAIGNS",
                  "partner": "PARTNERS", "outbound": "OUTBOUND"}  # the last two need the configured map
DEALSTAGE = {"discovery": "appointmentscheduled", "proposal": "presentationscheduled", "negotiation": "contractsent",
             "won": "closedwon", "lost": "closedlost"}
DEALTYPE = {"new": "newbusiness", "renewal": "existingbusiness", "expansion": "expansion"}


def norm(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower()


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """A file drop whose leads and deals HubSpot can hold: the valid ones, one row per key, each
    account's fields the same on all its deals (a company has one name, one target flag)."""
    src = tmp_path_factory.mktemp("generated")
    generate(src, scale=0.05, seed=11, end_date=END)
    settings = Settings(sources={"files": {"path": str(src)}})
    raw = {n: read_entity(settings, n) for n in ENTITIES}
    staged = stage_sources(raw, "USD")
    out = tmp_path_factory.mktemp("drop")
    for name in ENTITIES:
        shutil.copy(src / f"{name}.csv", out / f"{name}.csv")
    for name, key in (("leads", "lead_id"), ("deals", "deal_id")):
        frame = raw[name]
        keep = frame[key].isin(staged.valid[name][key]) & ~frame[key].duplicated(keep=False)
        raw[name] = frame[keep].reset_index(drop=True)
    deals = raw["deals"]
    flag = deals["is_key_account"].str.strip().str.lower().isin(["true", "1", "yes"])
    account = deals.assign(is_key_account=flag.map({True: "true", False: "false"})).groupby("account_id")[
        ["account_name", "industry", "region", "is_key_account"]].first()
    for col in account.columns:
        deals[col] = deals["account_id"].map(account[col])
    raw["leads"].to_csv(out / "leads.csv", index=False)
    deals.to_csv(out / "deals.csv", index=False)
    return out, raw["leads"], deals, account


def load_fake(fake: FakeHubSpot, leads: pd.DataFrame, deals: pd.DataFrame, account: pd.DataFrame) -> None:
    for i, r in enumerate(leads.itertuples(index=False)):
        v2 = i % 2 == 0  # half on the current lifecycle properties, half on the legacy ones
        fake.add_contact(r.lead_id, {
            "createdate": r.created_at, "lastmodifieddate": r.updated_at,
            "hs_analytics_source": CHANNEL_SOURCE[r.channel.strip().lower()],
            "company": r.company, "industry": r.industry, "country": r.region,
            "utm_campaign": r.campaign,  # the team's own property, named by campaign_property
            ("hs_v2_date_entered_salesqualifiedlead" if v2 else "hs_lifecyclestage_salesqualifiedlead_date"): r.qualified_at,
            ("hs_v2_date_entered_opportunity" if v2 else "hs_lifecyclestage_opportunity_date"): r.converted_at,
        }, created=END, modified=END)
    for acc, a in account.iterrows():
        fake.add_company(acc, {"name": a["account_name"], "industry": a["industry"], "country": a["region"],
                               "hs_is_target_account": a["is_key_account"]}, created=END, modified=END)
    for r in deals.itertuples(index=False):
        fake.add_deal(r.deal_id, {
            "createdate": r.created_at, "hs_lastmodifieddate": r.updated_at, "closedate": r.closed_at,
            "dealstage": DEALSTAGE[r.stage.strip().lower()], "dealtype": DEALTYPE[r.deal_type.strip().lower()],
            "amount": r.amount, "deal_currency_code": r.currency, "hubspot_owner_id": r.owner,
        }, created=END, modified=END, contact_ids=[r.lead_id] if r.lead_id.strip() else [], company_ids=[r.account_id])


def hubspot_config(tmp_path, drop, url: str) -> str:
    config = tmp_path / "hubspot.yaml"
    config.write_text(f"""
sources:
  files:
    path: {drop}
  hubspot:
    base_url: {url}
    token: env:OPSMETRICS_TEST_HUBSPOT_TOKEN
    entities: [leads, deals]
    channel_map: {{PARTNERS: partner, OUTBOUND: outbound}}
    campaign_property: utm_campaign
    deal_type_map: {{expansion: expansion}}
""")
    return str(config)


def marts_of(url: str) -> dict[str, pd.DataFrame]:
    engine = sa.create_engine(url)
    try:
        return {n: pd.read_sql_table(n, engine).sort_values(list(t.key), ignore_index=True) for n, t in MARTS.items()}
    finally:
        engine.dispose()


def test_hubspot_run_gives_exactly_the_tables_of_a_files_run(records, tmp_path, prefect_api, monkeypatch):
    drop, leads, deals, account = records
    monkeypatch.setenv("OPSMETRICS_TEST_HUBSPOT_TOKEN", TOKEN)
    files_wh, hubspot_wh = f"sqlite:///{tmp_path / 'files.db'}", f"sqlite:///{tmp_path / 'hubspot.db'}"
    start = END - dt.timedelta(days=6)
    backfill(start_date=start, end_date=END, options=RunOptions(source_dir=str(drop), warehouse=files_wh))
    with FakeHubSpot(token=TOKEN) as fake:
        load_fake(fake, leads, deals, account)
        result = backfill(start_date=start, end_date=END,
                          options=RunOptions(config=hubspot_config(tmp_path, drop, fake.url), warehouse=hubspot_wh))
    assert result.counts["leads"]["read"] == len(leads) and result.counts["deals"]["read"] == len(deals)
    assert result.counts["leads"]["quarantined"] == 0 and result.counts["deals"]["quarantined"] == 0
    a, b = marts_of(files_wh), marts_of(hubspot_wh)
    for name in MARTS:
        assert len(a[name]) > 0, name
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_the_token_is_never_logged_stored_or_shown(records, tmp_path, prefect_api, monkeypatch, capfd, caplog):
    drop, leads, deals, account = records
    monkeypatch.setenv("OPSMETRICS_TEST_HUBSPOT_TOKEN", TOKEN)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    with FakeHubSpot(token=TOKEN) as fake:
        load_fake(fake, leads.head(20), deals.head(20), account)
        config = hubspot_config(tmp_path, drop, fake.url)
        nightly_refresh(as_of=END, options=RunOptions(config=config, warehouse=url))
        monkeypatch.setenv("OPSMETRICS_TEST_HUBSPOT_TOKEN", TOKEN[::-1])  # a wrong token: the run fails
        with pytest.raises(Exception) as failure:
            nightly_refresh(as_of=END, options=RunOptions(config=config, warehouse=url))
    assert "refused the token from environment variable OPSMETRICS_TEST_HUBSPOT_TOKEN" in str(failure.value)
    out, err = capfd.readouterr()
    engine = sa.create_engine(url)
    dump = "\n".join(pd.read_sql_table(t, engine).to_csv() for t in sa.inspect(engine).get_table_names())
    engine.dispose()
    artifact = Artifact.get("opsmetrics-run-summary").data
    for place, text in {"stdout": out, "stderr": err, "log records": caplog.text, "warehouse": dump,
                        "artifact": artifact, "error": str(failure.value)}.items():
        assert TOKEN not in text and TOKEN[::-1] not in text, f"the token appears in the {place}"
    assert "refused the token" in dump  # the failed run's reason is in run_log, without the token
