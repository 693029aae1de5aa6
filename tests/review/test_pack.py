"""The weekly review pack (tasks/review/): what a run writes and `opsmetrics report` rebuilds from
the warehouse alone. One self-contained page, every section in order, at least six charts whose
Vega-Lite specifications are valid, every word in Chinese with --lang zh, restatements listed.
(tests/test_review_browser.py opens it in Chromium.)"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import altair
import jsonschema
import pandas as pd
import pytest
import sqlalchemy as sa

from review.sample import END, sample_warehouse
from schemas.review import AREAS, CHANNELS, ENTITIES, METRICS, PHASES, ROLES
from schemas.sources import CHANNELS as CONTRACT_CHANNELS
from schemas.sources import ENTITIES as CONTRACT_ENTITIES
from schemas.sources import PHASES as CONTRACT_PHASES
from schemas.sources import ROLES as CONTRACT_ROLES
from schemas.tables import PORTFOLIO_DAILY, SIGNAL_SERIES
from tasks.review import ReviewError, build_pack, headline_changes, pack_path, write_pack
from tasks.review.data import read_review_data
from tasks.review.page import vega_bundle
from tasks.review.sections import SECTIONS, Context
from tasks.review.sections.common import tone
from tasks.review.text import TEXT, Words

SECTION_IDS = ["what-changed", "headline", "decisions", "funnel", "campaigns", "voice", "delivery", "effort", "quality",
               "restated"]
VEGA_LITE = json.loads((Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json")
                       .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    s = sample_warehouse(tmp_path_factory.mktemp("review-pack"))
    yield s
    s.wh.dispose()


@pytest.fixture(scope="module")
def packs(sample) -> dict[str, str]:
    data = read_review_data(sample.wh, END)
    return {lang: build_pack(data, lang=lang, currency="USD", source="test")[0] for lang in ("en", "zh")}


class Page(HTMLParser):
    """What a test reads of a page: section ids and titles, chart containers, every URL attribute."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections, self.titles, self.charts, self.urls, self.scripts = [], [], [], [], []
        self._in = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "h2":
            self._in = "h2"
        if a.get("class") == "chart":
            self.charts.append(a["id"])
        self.urls += [v for k, v in attrs if k in ("src", "href", "action", "data", "poster") and v]
        if tag == "script":
            self.scripts.append(a)
        if tag == "link":
            self.urls.append(a.get("href", ""))

    def handle_data(self, data):
        if self._in == "h2":
            self.titles.append(data)
            self._in = None


def chart_specs(text: str) -> dict[str, dict]:
    found = re.search(r"const specs = (\{.*?\});\n", text, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_every_successful_run_writes_the_pack_of_its_last_date(sample):
    path = Path(sample.settings.reports_dir) / f"review-{END}.html"
    assert path.is_file() and pack_path(sample.settings.reports_dir, END) == path
    assert Page(path.read_text(encoding="utf-8")).sections == SECTION_IDS


def test_the_sections_come_in_order_with_at_least_six_charts(packs):
    page = Page(packs["en"])
    assert page.sections == SECTION_IDS
    assert page.titles == ["What changed", "Headline figures", "Decisions and follow-ups", "Funnel and channels",
                           "Campaigns: keep or drop",
                           "Customer voice", "Delivery", "Effort", "Data quality", "Restated figures"]
    assert len(page.charts) >= 6
    assert {*(f"chart-six-twelve-{area}" for area in AREAS), "chart-funnel", "chart-spend", "chart-cost",
            "chart-health", "chart-burn", "chart-effort-hours", "chart-effort-cost", "chart-quality",
            "chart-campaign-opportunity", "chart-voice-nps"} <= set(page.charts)
    assert len(SECTIONS) == len(SECTION_IDS)


def test_the_page_is_self_contained(packs):
    for text in packs.values():
        page = Page(text)
        # nothing to load: no src or stylesheet, links only within the page, the libraries inline
        # links within the page, or to the project pages beside it (tasks/review/paths.py): followed on a
        # click, never loaded
        assert all(u.startswith(("#", "data:"))
                   or re.fullmatch(r"projects/[\w.%-]+-\d{4}-\d{2}-\d{2}(\.zh)?\.html", u)
                   for u in page.urls), page.urls
        assert all("src" not in s for s in page.scripts)
        assert "window.vegaEmbed=" in text and "Content-Security-Policy" in text and "default-src 'none'" in text
        # no URL the page could fetch outside the bundled libraries' own strings
        outside = set(re.findall(r"https?://[^\s\"'<>)]+", text.replace(vega_bundle(), "")))
        assert outside <= {"https://vega.github.io/schema/vega-lite/v6.json"}, outside


def test_every_chart_is_valid_vega_lite_with_data(packs):
    validator = jsonschema.Draft7Validator(VEGA_LITE)
    specs = chart_specs(packs["zh"])
    assert set(specs) == set(Page(packs["zh"]).charts)
    for chart_id, spec in specs.items():
        errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(spec)]
        assert errors == [], chart_id
        assert '"values":[{' in json.dumps(spec, separators=(",", ":")), f"{chart_id} has no data"


def section_of(text: str, section_id: str) -> str:
    start = text.index(f'<section id="{section_id}">')
    return text[start:text.index("</section>", start)]


def signals_in_warehouse(sample) -> set[tuple[str, str]]:
    rows = pd.read_sql(sa.text("SELECT metric, rule FROM review_signals WHERE as_of_date = :d AND rule IS NOT NULL"),
                       sample.wh.engine, params={"d": END})
    return set(zip(rows["metric"], rows["rule"], strict=True))


def test_what_changed_shows_exactly_the_signals_of_review_signals(packs, sample):
    section = section_of(packs["en"], "what-changed")
    assert "mR = the mean of its week-to-week moves; limits = centre ± 2.66 × mR" in section
    flagged = set(re.findall(r'<tr class="[a-z]+" data-metric="([a-z0-9_]+)" data-rule="([a-z_]+)">', section))
    assert flagged == signals_in_warehouse(sample)
    # every analysed metric is listed, flagged or not; no 30- or 90-day window and no rate is
    for name in SIGNAL_SERIES:
        assert METRICS[name].en in section, name
    tables = "".join(re.findall(r"<table.*?</table>", section, re.S))
    for name in set(METRICS) - set(SIGNAL_SERIES):
        assert f">{METRICS[name].en}<" not in tables, name


def test_headline_figures_are_coloured_by_signals_only(packs, sample):
    section = section_of(packs["en"], "headline")
    for m in METRICS.values():
        assert m.en in section
    assert "higher is better" in section and "lower is better" in section
    rows = dict((m, c) for c, m in re.findall(r'<tr class="([a-z]+)" data-metric="([a-z0-9_]+)">', section))
    assert set(rows) == set(METRICS)
    signalled = {metric for metric, _ in signals_in_warehouse(sample)}
    assert signalled, "the sample's planted campaign launch is a signal"
    # good or bad: a signal read by a direction; flagged: a signal on a metric neither good nor bad in
    # itself; neutral: no signal, whatever the week's change
    assert {m for m, c in rows.items() if c in ("good", "bad")} == {m for m in signalled
                                                                    if METRICS[m].direction != "neutral"}
    assert {m for m, c in rows.items() if c == "flagged"} == {m for m in signalled if METRICS[m].direction == "neutral"}
    assert rows["leads_created_7d"] == "good"  # the launch: more leads, good for the business


@pytest.mark.parametrize(("direction", "change", "expected"), [
    ("higher", 1, "good"), ("higher", -1, "bad"), ("lower", 1, "bad"), ("lower", -1, "good"),
    ("neutral", 1, "neutral"), ("higher", 0, "neutral"), ("higher", None, "neutral")])
def test_a_move_is_read_by_the_metrics_direction(direction, change, expected):
    assert tone(direction, change) == expected


def test_chinese_has_every_heading_label_and_legend_in_chinese(packs):
    text, page = packs["zh"], Page(packs["zh"])
    assert page.titles == [TEXT[k]["zh"] for k in ("what_changed", "headline", "decisions", "funnel", "campaigns",
                                                    "voice", "delivery", "effort", "quality", "restated")]
    assert '<html lang="zh-CN">' in text
    for m in METRICS.values():
        assert m.zh in text
    english = ("What changed", "Headline figures", "higher is better", "Budget burn", "Quarantined", "Leads",
               "Implementation", "Engineer", "Website", "A week before", "Rows quarantined")
    # the page's own words: what people wrote in their notes is theirs, in their language
    body = re.sub(r'<section id="decisions">.*?</section>|<div class="note">.*?</div>', "",
                  text[:text.index("<script>")], flags=re.S) + json.dumps(chart_specs(text), ensure_ascii=False)
    assert [w for w in english if w in body] == []
    assert '"formatLocale"' in text and "星期一" in text  # d3's Chinese number and time formats for the charts


def test_campaigns_and_customer_voice_of_the_sample(packs, sample):
    """Read against the warehouse: a campaign marked "spent, won nothing" had matured leads and spend and
    no win; one marked too young had no matured lead; `unknown` is never judged. A project's NPS is
    listed as a judgement only over at least 5 answers."""
    section = section_of(packs["en"], "campaigns")
    marks = re.findall(r'data-channel="([a-z_]+)" data-campaign="([^"]+)" data-late="([a-z_]+)"', section)
    assert marks, "the sample has campaigns with leads"
    rows = pd.read_sql(sa.text("SELECT * FROM campaign_daily WHERE as_of_date = :d"), sample.wh.engine,
                       params={"d": END}).set_index(["channel", "campaign"])
    for channel, campaign, late in marks:
        r = rows.loc[(channel, html.unescape(campaign))]
        assert campaign != "unknown"
        if late == "spent_won_nothing":
            assert r["leads_prior_90d"] > 0 and r["spend_prior_90d"] > 0 and r["won_prior_90d"] == 0
        if late == "too_young":
            assert r["leads_prior_90d"] == 0
    assert section.count("spent, won nothing</span>") == sum(late == "spent_won_nothing" for *_, late in marks)
    assert "The table marks; it does not decide." in section
    voice = section_of(packs["en"], "voice")
    judged = re.findall(r'<tr><td>[^<]*<span class="id">(PRJ-\d+)</span></td><td>.*?</td><td class=num>(\d+)</td>'
                        r'<td class=num>([^<]+)</td></tr>', voice)
    assert all(int(n) >= 5 and float(nps) < 0 for _, n, nps in judged)


def test_restated_figures_are_listed_apart(packs, sample):
    section = packs["en"][packs["en"].index('<section id="restated">'):]
    assert "Bookings (30 d)" in section and "restating" in section  # the run that changed it
    assert "No published figure was restated" not in section
    assert "history restated this week" in packs["en"]  # what changed says which movements are restated


def test_every_contract_value_and_portfolio_column_is_declared():
    assert set(METRICS) == {c.name for c in PORTFOLIO_DAILY.columns} - {"as_of_date"}
    assert set(CHANNELS) == set(CONTRACT_CHANNELS) and set(ROLES) == set(CONTRACT_ROLES)
    assert set(PHASES) == set(CONTRACT_PHASES) and set(ENTITIES) == set(CONTRACT_ENTITIES)
    assert all(set(v) == {"en", "zh"} for v in TEXT.values())


def test_a_date_not_published_is_refused_with_the_latest_one(sample, tmp_path):
    with pytest.raises(ReviewError, match=f"as of 2030-01-01: not published .*latest published as-of date: {END}"):
        write_pack(sample.wh, dt.date(2030, 1, 1), tmp_path / "x.html")


def test_the_headline_table_of_the_prefect_artifact(sample):
    rows = headline_changes(sample.wh, END)
    assert [r["metric"] for r in rows][:2] == ["Leads created (30 d)", "Open pipeline amount"]
    assert set(rows[0]) == {"metric", "value", "a week before", "change", "change %", "direction"}


def test_sections_are_pluggable(sample):
    """The place for the sections to come: a builder in SECTIONS is all a new section needs."""
    ctx = Context(read_review_data(sample.wh, END), Words("en"), "USD")
    assert [build(ctx).id for build in SECTIONS] == SECTION_IDS


def test_opsmetrics_report_rebuilds_it_from_the_warehouse_alone(sample, tmp_path):
    out = tmp_path / "pack.html"
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "report", "--warehouse",
                           f"sqlite:///{sample.root / 'w.db'}", "--as-of", END.isoformat(), "--lang", "zh",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert Page(out.read_text(encoding="utf-8")).titles[0] == "本周变化"
    bad = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "report", "--warehouse",
                          f"sqlite:///{sample.root / 'w.db'}", "--as-of", "2030-01-01"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith("opsmetrics report failed: as of 2030-01-01: not published")
