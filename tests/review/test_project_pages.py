"""The project pages read from a warehouse and written where the pack links to them:

- read_project_data: the hand-built rows of test_project_page.py put in a warehouse (SQLite and
  PostgreSQL) come back as of D (a response, a note or a week after D left out, another subject's
  note left out, a subject written with spaces found); a warehouse without the newer tables says so;
- `opsmetrics report --project`: the page on demand; an unknown project, a project with no row at D
  and a date not published each fail with one line naming the project and the warehouse;
- a run writes the pages of exactly the projects red or amber at its last date beside its pack, and
  every red or amber row of the pack's Delivery table links to one of them (relative, so it works
  from disk); `opsmetrics report --lang zh` writes the Chinese pages its Chinese pack links to."""
from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from review.pages import D
from review.sample import END, sample_warehouse
from review.test_project_page import (
    DAILY,
    DIRECTORY,
    EFFORT,
    LICENCES,
    MILESTONES,
    NOTES,
    RESPONSES,
    P,
    section_of,
    text_of,
)
from schemas.tables import PORTFOLIO_DAILY
from tasks.review import ReviewError, project_page_path
from tasks.review.paths import PROJECTS_DIR
from tasks.review.project import build_project_page, read_project_data
from tasks.review.project.data import OPTIONAL
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare
from tasks.warehouse.tables import TABLES


def put(wh: Warehouse, name: str, frame: pd.DataFrame) -> None:
    """Rows into a warehouse table as they are (dates as dates, NaN as null)."""
    table = TABLES[name]
    rows = frame[[c.name for c in table.columns]].astype(object).where(frame.notna(), None)
    records = [{k: (v.date() if isinstance(v, pd.Timestamp) else v) for k, v in r.items()}
               for r in rows.to_dict("records")]
    with wh.begin() as conn:
        conn.execute(table.insert(), records)


def fill(wh: Warehouse) -> None:
    other_note = NOTES.iloc[[0]].assign(note_id="N7", subject="PRJ-2")  # another project's note
    spaced_note = NOTES.iloc[[0]].assign(note_id="N8", subject=f"  {P} ", follow_up_by=pd.NaT)  # its id, spaced
    portfolio = pd.DataFrame([{c.name: None for c in PORTFOLIO_DAILY.columns} | {"as_of_date": pd.Timestamp(D)}])
    for name, rows in (("project_directory", DIRECTORY), ("project_daily", DAILY), ("effort_weekly", EFFORT),
                       ("project_milestones", MILESTONES), ("project_licenses", LICENCES),
                       ("feedback_responses", RESPONSES), ("review_notes", pd.concat([NOTES, other_note, spaced_note])),
                       ("portfolio_daily", portfolio)):
        put(wh, name, rows.assign(updated_at=pd.Timestamp("2026-04-02", tz="UTC")) if name == "review_notes" else rows)


# --- read from a warehouse ---------------------------------------------------------------------

def test_the_page_reads_its_project_as_of_d(any_wh):
    fill(any_wh)
    data = read_project_data(any_wh, P, D)
    assert data.name == "Acme CRM rollout" and data.account_name == "Acme" and data.absent == frozenset()
    assert [d.date().isoformat() for d in data.daily["as_of_date"]] == ["2026-03-01", "2026-03-15", "2026-03-29",
                                                                        "2026-03-30", "2026-03-31"]
    assert sorted(data.effort["week_start"].dt.date.astype(str).unique()) == ["2026-03-16", "2026-03-23", "2026-03-30"]
    assert sorted(data.responses["feedback_id"]) == ["F1", "F2", "F3", "F4"]  # F5 is submitted after D
    assert sorted(data.notes["note_id"]) == ["N1", "N2", "N3", "N4", "N5", "N8"]  # N6 after D, N7 another's
    assert sorted(data.milestones["milestone_id"]) == ["M1", "M2", "M3", "M4", "M5"]
    assert sorted(data.licences["license_id"]) == ["L1", "L2", "L3"]
    page, charts = build_project_page(data)
    assert charts == 7 and "Red at 2026-03-31 because" in text_of(section_of(page, "summary"))


def test_a_project_without_a_page_is_refused_naming_it_and_the_warehouse(wh):
    fill(wh)
    put(wh, "project_directory", DIRECTORY.assign(project_id="PRJ-LATER", name="Later", start_date=pd.Timestamp(
        "2026-05-01"), status="planned"))
    with pytest.raises(ReviewError, match=rf"^project 'NOPE': no such project in {re.escape(wh.url)} "):
        read_project_data(wh, "NOPE", D)
    with pytest.raises(ReviewError, match=rf"^project 'PRJ-LATER' has no row in project_daily as of {D} in "
                                          rf"{re.escape(wh.url)}: it is planned or not started"):
        read_project_data(wh, "PRJ-LATER", D)
    with pytest.raises(ReviewError, match=rf"^project 'PRJ-1' has no row in project_daily as of 2026-03-20 in "
                                          rf"{re.escape(wh.url)} \(its last row up to that date is of 2026-03-15\)"):
        put(wh, "portfolio_daily", pd.DataFrame([{c.name: None for c in PORTFOLIO_DAILY.columns}
                                                 | {"as_of_date": pd.Timestamp("2026-03-20")}]))
        read_project_data(wh, P, dt.date(2026, 3, 20))
    with pytest.raises(ReviewError, match=r"^as of 2030-01-01: not published .*latest published as-of date: 2026-03-31"):
        read_project_data(wh, P, dt.date(2030, 1, 1))


def test_an_older_warehouse_without_the_newer_tables_is_read_and_says_so(wh):
    fill(wh)
    with wh.begin() as conn:
        for name in OPTIONAL:
            conn.execute(sa.text(f"DROP TABLE {wh.qualified(name)}"))
    data = read_project_data(wh, P, D)
    assert data.absent == frozenset(OPTIONAL) and data.milestones.empty and data.notes.empty
    page, _ = build_project_page(data)
    said = text_of(page[:page.index("<script>")])
    assert all(f"the warehouse has no table {name}" in said for name in OPTIONAL)


# --- the command line ---------------------------------------------------------------------------

def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opsmetrics.cli", "report", *args], capture_output=True, text=True,
                          timeout=300)


def test_opsmetrics_report_project_writes_the_page_or_says_why_not(tmp_path):
    w = Warehouse.open(f"sqlite:///{tmp_path / 'w.db'}")
    prepare(w)
    fill(w)
    w.dispose()
    url = f"sqlite:///{tmp_path / 'w.db'}"
    out = tmp_path / "acme.html"
    done = report("--warehouse", url, "--project", P, "--as-of", D.isoformat(), "--lang", "zh", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "Acme CRM rollout（PRJ-1）专项盘点，截至 2026-03-31" in text
    unknown = report("--warehouse", url, "--project", "NOPE", "--as-of", D.isoformat())
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines()[-1] == (
        f"opsmetrics report failed: project 'NOPE': no such project in {url} (not in project_directory nor "
        "project_daily)")
    before = report("--warehouse", url, "--project", P, "--as-of", "2026-02-01")
    assert before.returncode == 1
    assert before.stderr.strip().splitlines()[-1].startswith("opsmetrics report failed: as of 2026-02-01: not "
                                                             f"published in {url}")


# --- written beside the pack --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    s = sample_warehouse(tmp_path_factory.mktemp("project-pages"))
    yield s
    s.wh.dispose()


def urgent(sample) -> set[str]:
    rows = pd.read_sql(sa.text("SELECT project_id FROM project_daily WHERE as_of_date = :d AND health IN "
                               "('red', 'amber')"), sample.wh.engine, params={"d": END})
    return set(rows["project_id"])


def linked(pack: Path) -> list[tuple[str, str]]:
    """(href, the row's class) of every link of the pack's Delivery table."""
    delivery = section_of(pack.read_text(encoding="utf-8"), "delivery")
    return [(html.unescape(href), cls) for cls, href in re.findall(
        r'<tr class="(\w+)"><td><a class="project-page" href="([^"]+)">', delivery)]


def test_a_run_writes_the_pages_of_exactly_its_red_and_amber_projects(sample):
    reports = Path(sample.settings.reports_dir)
    red_amber = urgent(sample)
    assert red_amber, "the sample has a project red or amber at its last date"
    written = sorted(p.name for p in (reports / PROJECTS_DIR).glob(f"*-{END}.html"))
    assert written == sorted(project_page_path(reports, p, END).name for p in red_amber)
    for p in red_amber:  # each its project's, linking back to the pack
        text = project_page_path(reports, p, END).read_text(encoding="utf-8")
        assert f"({p}) as of {END}" in text and f'<a class="back" href="../review-{END}.html">' in text


def test_the_packs_red_and_amber_rows_link_to_pages_that_exist(sample, tmp_path):
    pack = Path(sample.settings.reports_dir) / f"review-{END}.html"
    links = linked(pack)
    assert sorted(cls for _, cls in links) == sorted(pd.read_sql(sa.text(
        "SELECT health FROM project_daily WHERE as_of_date = :d AND health IN ('red', 'amber')"), sample.wh.engine,
        params={"d": END})["health"])
    assert all(not href.startswith(("/", "file:", "http")) and (pack.parent / href).is_file() for href, _ in links)
    # in Chinese: `opsmetrics report` writes the Chinese pages beside the Chinese pack it links them from
    out = tmp_path / "zh" / "pack.zh.html"
    done = report("--warehouse", f"sqlite:///{sample.root / 'w.db'}", "--as-of", END.isoformat(), "--lang", "zh",
                  "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    zh = linked(out)
    assert {href for href, _ in zh} == {f"{PROJECTS_DIR}/{project_page_path('.', p, END, 'zh').name}"
                                        for p in urgent(sample)}
    for href, _ in zh:
        page = (out.parent / href).read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in page and '<a class="back" href="../pack.zh.html">' in page


def test_the_pages_of_a_run_are_read_in_one_batch_that_gives_each_project_what_it_alone_gives(sample):
    """write_project_pages reads every red and amber project at once (one query per table, not per
    project and table): each project's data must be what reading it alone gives, frame for frame."""
    from tasks.review.project.data import read_projects_data

    ids = sorted(urgent(sample))
    batch = read_projects_data(sample.wh, [*ids, ids[0]], END)  # a project asked twice is read once
    assert [d.project_id for d in batch] == ids
    for together in batch:
        alone = read_project_data(sample.wh, together.project_id, END)
        for part in ("directory", "daily", "effort", "milestones", "licences", "responses", "notes"):
            # a column all missing for one project reads None alone and NaN beside others: both missing
            a, b = (f.astype(object).where(f.notna(), None) for f in (getattr(together, part), getattr(alone, part)))
            pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=f"{together.project_id} {part}")
        assert together.absent == alone.absent
