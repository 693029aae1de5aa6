"""The weekly review pack (tasks/review/): what a run writes and `opsmetrics report` rebuilds from
the warehouse alone. One self-contained page, every section in order, at least six charts whose
Vega-Lite specifications are valid, every word in Chinese with --lang zh, restatements listed.
(tests/test_review_browser.py opens it in Chromium.)"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import altair
import jsonschema
import pytest

from review.sample import END, sample_warehouse
from schemas.review import CHANNELS, ENTITIES, METRICS, PHASES, ROLES
from schemas.sources import CHANNELS as CONTRACT_CHANNELS
from schemas.sources import ENTITIES as CONTRACT_ENTITIES
from schemas.sources import PHASES as CONTRACT_PHASES
from schemas.sources import ROLES as CONTRACT_ROLES
from schemas.tables import PORTFOLIO_DAILY
from tasks.review import ReviewError, build_pack, headline_changes, pack_path, write_pack
from tasks.review.data import read_review_data
from tasks.review.page import vega_bundle
from tasks.review.sections import SECTIONS, Context
from tasks.review.text import TEXT, Words

SECTION_IDS = ["what-changed", "headline", "funnel", "campaigns", "voice", "delivery", "effort", "quality", "restated"]
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
    assert page.titles == ["What changed", "Headline figures", "Funnel and channels", "Campaigns: keep or drop",
                           "Customer voice", "Delivery", "Effort", "Data quality", "Restated figures"]
    assert len(page.charts) >= 6
    assert {"chart-trend-daily", "chart-trend-monthly", "chart-funnel", "chart-spend", "chart-cost", "chart-health",
            "chart-burn", "chart-effort-hours", "chart-effort-cost", "chart-quality", "chart-campaign-spend",
            "chart-nps-daily", "chart-nps-monthly"} <= set(page.charts)
    assert len(SECTIONS) == len(SECTION_IDS)


def test_the_page_is_self_contained(packs):
    for text in packs.values():
        page = Page(text)
        # nothing to load: no src or stylesheet, links only within the page, the libraries inline
        assert all(u.startswith(("#", "data:")) for u in page.urls), page.urls
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


def test_what_changed_states_the_rule_and_lists_every_metric(packs, sample):
    text = packs["en"]
    assert "mean ± 2.66 × the mean moving range" in text and "13 weekly values" in text
    section = text[text.index('<section id="what-changed">'):text.index('<section id="headline">')]
    for m in METRICS.values():  # each metric: flagged, "no signal", or not enough history
        assert m.en in section, m.name
    assert "no signal" in section


def test_headline_figures_show_every_portfolio_metric_with_its_direction(packs):
    section = packs["en"][packs["en"].index('<section id="headline">'):packs["en"].index('<section id="funnel">')]
    for m in METRICS.values():
        assert m.en in section
    assert "higher is better" in section and "lower is better" in section
    assert re.search(r'<span class="(good|bad)">[+−]', section)


def test_chinese_has_every_heading_label_and_legend_in_chinese(packs):
    text, page = packs["zh"], Page(packs["zh"])
    assert page.titles == [TEXT[k]["zh"] for k in ("what_changed", "headline", "funnel", "campaigns", "voice",
                                                    "delivery", "effort", "quality", "restated")]
    assert '<html lang="zh-CN">' in text
    for m in METRICS.values():
        assert m.zh in text
    english = ("What changed", "Headline figures", "higher is better", "Budget burn", "Quarantined", "Leads",
               "Implementation", "Engineer", "Website", "A week before", "Rows quarantined")
    body = text[:text.index("<script>")] + json.dumps(chart_specs(text), ensure_ascii=False)
    assert [w for w in english if w in body] == []
    assert '"formatLocale"' in text and "星期一" in text  # d3's Chinese number and time formats for the charts


def test_campaigns_and_customer_voice_of_the_sample(packs):
    """The sample's cohorts won nothing yet: every campaign that spent is marked "spent, won nothing";
    three projects have a negative NPS over 180 days (read off the sample warehouse)."""
    text = packs["en"]
    section = text[text.index('<section id="campaigns">'):text.index('<section id="voice">')]
    assert section.count("spent, won nothing</span>") == 9
    assert "No campaign&#x27;s cohort has a win" in section and "The table marks; it does not decide." in section
    voice = text[text.index('<section id="voice">'):text.index('<section id="delivery">')]
    projects = re.findall(r"<tr><td>(PRJ-\d+)</td><td>(ACC-\d+)</td><td class=num>(\d+)</td><td class=num>([^<]+)</td>",
                          voice)
    assert projects == [("PRJ-00018", "ACC-00062", "1", "-100.0"), ("PRJ-00023", "ACC-00025", "3", "-66.7"),
                        ("PRJ-00027", "ACC-00070", "2", "-50.0")]


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
