"""The weekly review pack opened as a reader opens it: from disk, in headless Chromium (Debian's
`chromium` through Debian's `chromedriver`, as tests/test_ui_backfill.py), with the network off,
in English and in Chinese. Fails on any console error or Vega warning, on any chart that drew no
mark, and on any request that is not for the file itself.

Keeps docs/images/review-pack.png (the top of the English pack), review-decisions.png,
review-campaigns.png and review-delivery.png for the README."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
import sqlalchemy as sa
from prefect_stack import ROOT
from review.sample import END, sample_warehouse

from tasks.review import pack_path, write_pack, write_project_pages
from tasks.review.text import TEXT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = ROOT / "docs" / "images" / "review-pack.png"
RENDER_SECONDS = 60

# the marks a chart draws: Vega's SVG renderer puts each mark's items in a <g class="… role-mark">
# (axes, legends and titles have other roles), so a chart without data has none
COUNT_MARKS = """
return Array.from(document.querySelectorAll('div.chart')).map(function (c) {
  return {id: c.id, rendered: c.dataset.rendered || null,
          marks: c.querySelectorAll('svg g.role-mark > path, svg g.role-mark > rect, svg g.role-mark > line, '
                                    + 'svg g.role-mark > circle, svg g.role-mark > text, svg g.role-mark > g').length};
});
"""


def _missing_browser() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return f"{', '.join(missing)} missing: run scripts/install-browser (Debian's chromium and chromium-driver)"
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        return "no Chinese font (the zh pack would show boxes): run scripts/install-browser (fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
def browser_installed() -> None:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI installs them; a missing browser there is a broken setup, not a skip
        pytest.skip(reason)


@pytest.fixture(scope="module")
def sample(browser_installed, tmp_path_factory):
    """A warehouse with 120 days of history, a real change in its last week and a restated past deal."""
    s = sample_warehouse(tmp_path_factory.mktemp("review-browser"))
    yield s
    s.wh.dispose()


@pytest.fixture(scope="module")
def packs(sample) -> dict[str, Path]:
    """Its packs as of its last date, in both languages."""
    return {lang: write_pack(sample.wh, END, pack_path(sample.settings.reports_dir, END, lang), lang=lang)
            for lang in ("en", "zh")}


@pytest.fixture
def driver(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # Debian's browser: Selenium Manager downloads nothing
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1300,1500", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(arg)
    # the console (errors, Vega's warnings) and the DevTools network events (every request made)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        # the network off before the page is opened: whatever it tried to fetch would fail
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        yield browser
    finally:
        browser.quit()


def requested_urls(driver) -> list[str]:
    """Every URL the page requested, from the DevTools events of the performance log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait_for_charts(driver) -> list[dict]:
    """Until every chart says it is drawn (or failed), then what each drew."""
    deadline = time.monotonic() + RENDER_SECONDS
    while True:
        charts = driver.execute_script(COUNT_MARKS)
        if charts and all(c["rendered"] for c in charts):
            return charts
        assert time.monotonic() < deadline, f"charts not drawn after {RENDER_SECONDS} s: " \
            f"{[c['id'] for c in charts if not c['rendered']]}"
        time.sleep(0.25)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pack_opens_offline_and_draws_every_chart(packs, driver, lang, tmp_path):
    page = packs[lang]
    driver.get_log("performance")  # what the browser's own start page requested is not the pack's
    driver.get(page.as_uri())
    charts = wait_for_charts(driver)
    try:
        console = driver.get_log("browser")
        problems = [e["message"] for e in console if e["level"] in ("SEVERE", "WARNING")]
        assert problems == [], "console errors or warnings"
        assert len(charts) >= 6
        assert [c["id"] for c in charts if c["rendered"] != "done" or c["marks"] == 0] == [], \
            f"charts that failed or drew no mark: {charts}"
        # nothing but the file itself was requested: no network, no other file
        assert [u for u in requested_urls(driver) if u != page.as_uri()] == []
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert resources == []
        assert driver.execute_script("return navigator.onLine") is False  # the network really was off
        titles = driver.execute_script("return Array.from(document.querySelectorAll('section > h2'))"
                                       ".map(h => h.textContent)")
        assert titles == [TEXT[k][lang] for k in ("what_changed", "headline", "decisions", "funnel", "campaigns",
                                                  "voice", "delivery", "effort", "quality", "restated")]
        if lang == "en":
            shot(driver, tmp_path)
    except AssertionError:
        driver.save_screenshot(str(tmp_path / f"failure-{lang}.png"))
        print(f"screenshot of the failure: {tmp_path / f'failure-{lang}.png'}; page {page}")
        raise


def test_the_signals_on_the_page_are_the_review_signals_rows_with_a_rule(sample, packs, driver):
    """What a reader (or a tool) sees flagged is what the warehouse says moved, nothing more or less:
    the planted campaign launch at least, each with its chart drawn."""
    driver.get(packs["en"].as_uri())
    wait_for_charts(driver)
    shown = driver.execute_script(
        "return Array.from(document.querySelectorAll('#what-changed tr[data-metric]'))"
        ".map(r => [r.dataset.metric, r.dataset.rule, r.className])")
    rows = pd.read_sql(sa.text("SELECT metric, rule, side FROM review_signals WHERE as_of_date = :d AND rule IS NOT NULL"),
                       sample.wh.engine, params={"d": END})
    assert {(m, r) for m, r, _ in shown} == set(zip(rows["metric"], rows["rule"], strict=True))
    # 30 leads launched in the last week where the weeks before brought about 6: above the upper limit,
    # good for the business
    assert ["leads_created_7d", "outside", "good"] in shown
    drawn = {c["id"]: c["marks"] for c in driver.execute_script(COUNT_MARKS)}
    assert all(drawn[f"chart-signal-{m}"] > 0 for m, _, _ in shown)


def shot(driver, tmp_path: Path) -> None:
    """For the README: the top of the pack (the title, what changed and its signal's chart), and the
    top of the decisions, campaigns and delivery sections."""
    for section, image in ((None, SCREENSHOT), ("decisions", SCREENSHOT.with_name("review-decisions.png")),
                           ("campaigns", SCREENSHOT.with_name("review-campaigns.png")),
                           ("delivery", SCREENSHOT.with_name("review-delivery.png"))):
        driver.execute_script("window.scrollTo(0, 0)" if section is None else
                              f"document.getElementById('{section}').scrollIntoView()")
        driver.save_screenshot(str(tmp_path / image.name))
        image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / image.name, image)
        assert image.stat().st_size < 400_000, f"{image} is {image.stat().st_size} bytes; keep it small"


# --- the project pages (tasks/review/project/) ---------------------------------------------------

PROJECT_SHOT = ROOT / "docs" / "images" / "project-page.png"
PROJECT_SECTIONS = ("proj_summary", "proj_budget_schedule", "proj_milestones", "effort", "proj_products",
                    "proj_deal_title", "proj_voice", "proj_notes")


@pytest.fixture(scope="module")
def project_pages(sample, packs) -> dict[str, list[Path]]:
    """The pages of the projects red or amber at the last date, beside the pack of each language."""
    pages = {lang: write_project_pages(sample.wh, END, packs[lang], lang=lang) for lang in ("en", "zh")}
    assert all(pages.values()), "the sample has a red or amber project at its last date"
    return pages


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_packs_link_opens_the_project_page_offline_and_every_page_draws(packs, project_pages, driver, lang,
                                                                             tmp_path):
    """From the pack, a click on a red or amber project's name opens its page (the pack's CSP, default-src
    'none', governs what a page loads, not where a link goes); that page and every other project page
    open from disk with the network off, draw every chart, log nothing and request nothing."""
    pack = packs[lang]
    driver.get_log("performance")
    driver.get(pack.as_uri())
    link = driver.find_element("css selector", "#delivery a.project-page")
    href = driver.execute_script("return arguments[0].getAttribute('href')", link)
    assert href.startswith("projects/"), href  # relative: the folder opens from anywhere
    target = pack.parent / unquote(href)
    link.click()
    wait_for_charts(driver)
    assert driver.current_url == target.as_uri() and target in project_pages[lang]
    for page in project_pages[lang]:
        if driver.current_url != page.as_uri():
            driver.get_log("performance")
            driver.get(page.as_uri())
        charts = wait_for_charts(driver)
        try:
            problems = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
            assert problems == [], "console errors or warnings"
            assert charts and [c["id"] for c in charts if c["rendered"] != "done" or c["marks"] == 0] == [], \
                f"charts that failed or drew no mark: {charts}"
            assert [u for u in requested_urls(driver) if u not in (pack.as_uri(), page.as_uri())] == []
            assert driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)") == []
            titles = driver.execute_script("return Array.from(document.querySelectorAll('section > h2'))"
                                           ".map(h => h.textContent)")
            assert titles == [TEXT[k][lang] for k in PROJECT_SECTIONS]
        except AssertionError:
            driver.save_screenshot(str(tmp_path / f"failure-{page.name}.png"))
            print(f"screenshot of the failure: {tmp_path / f'failure-{page.name}.png'}; page {page}")
            raise
    if lang == "en":  # for the README: the top of the red project's page (else the first one's)
        red = [p for p in project_pages["en"] if '<span class="chip red"></span>' in p.read_text(encoding="utf-8")]
        driver.get((red or project_pages["en"])[0].as_uri())
        wait_for_charts(driver)
        driver.save_screenshot(str(tmp_path / PROJECT_SHOT.name))
        shutil.copyfile(tmp_path / PROJECT_SHOT.name, PROJECT_SHOT)
        assert PROJECT_SHOT.stat().st_size < 400_000, f"{PROJECT_SHOT} is {PROJECT_SHOT.stat().st_size} bytes"
