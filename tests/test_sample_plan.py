"""Tests of the sample's plan and review notes (targets.csv, review_notes.csv): what the weekly
review pack needs of them (plan lines with owners, notes, follow-ups, a dropped campaign still
spending), read from the files with the plain rule reading of test_sample.py, not the generator's.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from test_sample import CANONICAL, END, PORTFOLIO, _date, _num, _ts, quarantine

from opsmetrics.sample import build, generate

PLANNED = ["leads_created_30d", "leads_created_7d", "marketing_spend_30d", "deals_won_30d", "bookings_30d",
           "bookings_7d", "new_customers_30d", "win_rate_90d", "on_time_delivery_rate_90d", "hours_7d", "nps_90d"]
BASE = [e for e in CANONICAL if e not in ("targets", "review_notes")]
# sha256 of the other entities' files at scale 0.02, seed 3, END, as written before the plan and the
# notes were added: adding them drew from a stream of their own and changed none of these bytes
# (update only when the generator of an entity is changed on purpose)
BEFORE_THE_PLAN = {
    "leads": "3668a842bf76402b2b3f452b95a850e83e1bccaa5f26dcc8130bb4c2c5727200",
    "deals": "7982adaed39de5916239d6972ca89ed8954da6af24b04990ddc7b8ed6f733077",
    "marketing_spend": "a2fda7a7d5262eb2e1113c13d3f9440da19547395810b02fd92548c8ed71a62f",
    "projects": "56ef5a2f1137fa1bd8fe5c226002ade155c6db98c2e026eb1aa54d5c4fbd0a06",
    "feedback": "cc829a29f2fcd45c7c8550230ae8870afd6c369fe8c8e2ccaa765ccb7942fa7c",
    "milestones": "a5bae479614eeb4fde2ede31d131ba4211a7b716c584565c4fed9f6f327dfde9",
    "licenses": "effa413b7501311c9472ba9b9908af6b965c826ba56c7a4b33bc3fe8d745eec1",
    "usage": "03e58203cbfebb1a5619070273ad454c25da54cc3d2cbfd3ec04d5d1a98eb3fc",
    "rate_card": "cddc606a9a815f2e017bdd0d84e5ff5f83057f22931ebb45bb53cab708590e3a",
    "time_entries": "d4c6041741b3a038d53079f739a6e33929ea65a0696174f9394261e95c870c2c",
    "expenses": "3051c509813632cbb48015d214c6238d2d6072611657e22fe5be4ae0d2f0ccfe",
}


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """Per entity, the rows the pipeline keeps (of the scale-0.05 drop of test_sample.py)."""
    out = tmp_path_factory.mktemp("drop")
    generate(out, scale=0.05, seed=7, end_date=END)
    frames = {e: pd.read_csv(out / f"{e}.csv", dtype=str, keep_default_na=False) for e in CANONICAL}
    bad = quarantine(frames)
    kept = {e: df[~bad[e]].drop_duplicates() for e, df in frames.items()}
    notes = kept["review_notes"]  # the latest version of each note
    kept["review_notes"] = notes.loc[_ts(notes["updated_at"]).groupby(notes["note_id"]).idxmax()]
    return kept


def _norm(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower()


def test_targets_are_a_monthly_plan_of_portfolio_metrics(valid):
    t = valid["targets"].assign(metric=lambda d: _norm(d["metric"]), month=lambda d: _date(d["month"]))
    assert (t["month"].dt.day == 1).all()
    assert set(t["metric"]) <= set(PORTFOLIO) and sorted(set(t["metric"])) == sorted(PLANNED)
    months = pd.date_range(end=pd.Timestamp(END).to_period("M").to_timestamp(), periods=15, freq="MS")
    for metric, rows in t.groupby("metric"):  # every month of the 15 up to END's, once
        assert sorted(rows["month"]) == list(months), metric
    # round figures, as people type them: whole counts, money to 2 significant figures, whole percent
    v = _num(t["target"])
    counts = t["metric"].isin(["leads_created_30d", "leads_created_7d", "deals_won_30d", "new_customers_30d"])
    assert (v[counts] % 1 == 0).all() and (v[counts] >= 1).all()
    money = t["metric"].str.contains("bookings|spend")
    digits = v[money].astype(int).astype(str).str.rstrip("0").str.len()
    assert (digits <= 2).all() and (v[money] > 0).all()
    rates = t["metric"].str.contains("rate")
    assert v[rates].between(0, 1).all() and ((v[rates] * 100).round(6) % 1 == 0).all()


def test_each_metric_has_one_owner_and_the_sales_numbers_change_hands_once(valid):
    t = valid["targets"].assign(metric=lambda d: _norm(d["metric"]), owner=lambda d: d["owner"].str.strip(),
                                month=lambda d: _date(d["month"])).sort_values("month")
    assert t["owner"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ \([A-Z][A-Za-z ]+\)").all()  # people, with a team
    owners = t.groupby("metric")["owner"].nunique()
    assert set(owners[owners > 1].index) == {"deals_won_30d", "bookings_30d", "bookings_7d", "new_customers_30d",
                                             "win_rate_90d"}
    for _, rows in t[t["metric"].isin(owners[owners > 1].index)].groupby("metric"):
        changes = (rows["owner"] != rows["owner"].shift()).sum() - 1
        assert changes == 1 and rows.loc[rows["owner"] != rows["owner"].iloc[0], "month"].min().month == 7
    assert set(t.loc[t["metric"] == "leads_created_30d", "owner"]) == {"Li Wei (Marketing)"}


def test_a_target_is_a_few_percent_above_the_level_the_data_shows(valid):
    """leads_created_30d: the month's mean of the 30-day counts of the valid leads, over the last 12
    full months, against the targets of those months."""
    created = _ts(valid["leads"]["created_at"]).dt.tz_localize(None).dt.normalize()
    daily = created.value_counts().reindex(pd.date_range(created.min(), pd.Timestamp(END)), fill_value=0)
    level = daily.sort_index().rolling(30, min_periods=1).sum()
    level = level.groupby(level.index.to_period("M")).mean()
    t = valid["targets"][_norm(valid["targets"]["metric"]) == "leads_created_30d"]
    target = pd.Series(_num(t["target"]).to_numpy(), index=_date(t["month"]).dt.to_period("M")).sort_index()
    year = target.index[-13:-1]
    assert 0.85 < target[year].sum() / level[year].sum() < 1.25
    assert ((target[year] / level[year]).between(0.5, 2.2)).all()


def test_reviews_are_weekly_on_mondays_and_notes_name_what_exists(valid):
    n = valid["review_notes"]
    noted = _date(n["noted_on"])
    meetings = sorted(noted.unique())
    last_monday = pd.Timestamp(END) - pd.Timedelta(days=END.weekday())
    assert meetings == list(pd.date_range(end=last_monday, periods=6, freq="7D"))
    assert noted.value_counts().min() >= 3  # a few notes each
    assert (_ts(n["updated_at"]).dt.tz_convert(None) >= noted).all()
    assert (n["owner"].str.strip() != "").all() and (n["note"].str.strip() != "").all()
    metric, subject = _norm(n["metric"]), n["subject"].str.strip()
    assert metric.isin(["", *PORTFOLIO]).all()
    assert ((metric == "") != (subject == "")).all()  # about a metric, or else about a subject
    assert _norm(n.loc[metric != "", "decision"]).isin(["watch", "fix"]).all()
    projects = set(valid["projects"]["project_id"])
    on_project = subject.str.startswith("PRJ-")
    assert on_project.sum() >= 3 and subject[on_project].isin(projects).all()
    assert (_norm(n.loc[on_project, "decision"]) == "fix").all()
    fu = (_date(n["follow_up_by"]) - noted).dt.days
    assert fu[on_project].between(7, 14).all()


def _campaigns(df: pd.DataFrame) -> pd.Series:
    return _norm(df["channel"]) + "/" + df["campaign"].str.strip()


def test_a_dropped_campaign_still_spends_after_the_decision_and_a_kept_one_exists(valid):
    n = valid["review_notes"]
    decision = _norm(n["decision"])
    spend, leads = valid["marketing_spend"], valid["leads"]
    spent_on, exists = _campaigns(spend), set(_campaigns(spend)) | set(_campaigns(leads))
    drop, keep = n[decision == "drop"], n[decision == "keep"]
    assert len(drop) == 1 and len(keep) == 1
    assert set(drop["subject"].str.strip()) | set(keep["subject"].str.strip()) <= exists
    for _, d in drop.iterrows():
        after = _date(spend["spend_date"]) > _date(pd.Series([d["noted_on"]])).iloc[0]
        assert (after & (spent_on == d["subject"].strip())).any(), d["subject"]  # "still spending"


def test_follow_ups_closed_overdue_and_due_next_week(valid):
    n = valid["review_notes"]
    end = pd.Timestamp(END)
    noted, due, closed = _date(n["noted_on"]), _date(n["follow_up_by"]), _date(n["closed_on"])
    assert (due.dropna() >= noted[due.notna()]).all() and (closed.dropna() >= noted[closed.notna()]).all()
    assert (closed.dropna() <= end).all()
    open_ = due.notna() & closed.isna()
    assert closed.notna().sum() >= 2
    assert (open_ & (due < end)).sum() >= 1  # overdue at the end date
    assert (open_ & (due > end) & (due <= end + pd.Timedelta(days=7))).sum() >= 1  # due within the week


def test_the_plan_s_faults_are_in_the_manifest_once_each():
    from opsmetrics.sample.catalogue import catalogue

    m = build(scale=0.05, seed=7, end_date=END).manifest
    for entity in ("targets", "review_notes"):
        mine = m[m["entity"] == entity]
        assert sorted(zip(mine["kind"], mine["column"], strict=True)) == sorted(
            (c.kind, c.column) for c in catalogue(entity, {})), entity
        assert (mine["expect"] == "quarantined").sum() == 2, entity


def test_adding_the_plan_changed_no_other_entity(tmp_path):
    generate(tmp_path, scale=0.02, seed=3, end_date=END)
    for entity in BASE:
        assert hashlib.sha256((tmp_path / f"{entity}.csv").read_bytes()).hexdigest() == BEFORE_THE_PLAN[entity], entity


def test_the_plan_is_the_same_for_a_seed_and_differs_for_another():
    a, b, c = (build(scale=0.02, seed=s, end_date=END).frames for s in (3, 3, 4))
    for entity in ("targets", "review_notes"):
        pd.testing.assert_frame_equal(a[entity], b[entity])
        assert not a[entity].equals(c[entity])
