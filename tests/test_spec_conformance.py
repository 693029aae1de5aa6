"""The warehouse has every table and column that ../shared/spec/METRICS.md lists, read from the
spec itself, and `schemas/tables.py` declares nothing the spec does not."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.tables import MARTS, OPERATIONAL
from tasks.warehouse.tables import TABLES

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "METRICS.md"
SOURCES = SPEC.with_name("SOURCES.md")
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec/METRICS.md is not beside the checkout")


def sections(path: Path) -> list[str]:
    """The `### ` sections of a spec file, each from its title on."""
    return re.split(r"^### ", path.read_text(encoding="utf-8"), flags=re.M)[1:]


def first_cells(section: str) -> list[str]:
    """The names in the first column of a section's tables, its header and rule rows left out."""
    cols: list[str] = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| column") and not line.startswith("|--"):
            # a cell may list several columns and explain one: "**week_start** (the Monday of …)"
            cell = re.sub(r"\(.*?\)", "", line.split("|")[1])
            cols += [c.strip(" *`") for c in cell.split(",")]
    return [c for c in cols if c]


def entity_columns(name: str) -> list[str]:
    """The columns of a SOURCES.md entity: the table of its `### name …` section."""
    (section,) = [s for s in sections(SOURCES) if re.match(r"[a-z_]+", s)[0] == name]
    return first_cells(section)


def spec_tables() -> dict[str, list[str]]:
    """table → columns, from the `### name` sections' first table column and the prose lists."""
    out: dict[str, list[str]] = {}
    funnel: list[str] = []  # tables whose columns are campaign_daily's but `campaign` (said in a sentence)
    for section in sections(SPEC):
        names = [n.strip() for n in section.split(" — ")[0].split(",")]  # "### targets, review_notes — …"
        if re.search(r"The valid rows of the optional entities of the same names \(SOURCES\.md\)", section):
            # "targets, review_notes": no column list; theirs are the SOURCES.md entities', in order
            out |= {name: entity_columns(name) for name in names}
            continue
        name = names[0]
        if re.search(r"every column of `campaign_daily`\s+but `campaign`", section):
            funnel.append(name)
            continue
        cols = first_cells(section)
        if not cols:  # quarantine and run_log list their columns in a sentence: `a`, `b`, …
            sentence = section.split("\n", 1)[1].split(" and per entity")[0]
            cols = re.findall(r"`([a-z_]+)`", re.sub(r"\(.*?\)", "", sentence))  # "(`completed` / …)" are values
        out[name] = [c for c in cols if c]
    for name in funnel:
        out[name] = [c for c in out["campaign_daily"] if c != "campaign"]
    return out


def test_every_metrics_table_and_column_is_declared():
    spec = spec_tables()
    assert set(spec) - {"quarantine", "run_log"} == set(MARTS) and set(spec) <= set(MARTS) | set(OPERATIONAL)
    for name, columns in spec.items():
        declared = [c.name for c in TABLES[name].columns]
        missing = [c for c in columns if c not in declared]
        assert not missing, f"{name}: {missing} are in METRICS.md but not in the warehouse table"
        if name in MARTS:
            assert declared == columns, f"{name}: the warehouse has columns the spec does not, or another order"


def test_every_sources_entity_and_column_is_declared_in_order():
    """SOURCES.md's entities, each with its columns in the order of its table: those of schemas/sources.py
    (and so of the tables targets and review_notes, which copy two of them)."""
    from schemas.sources import ENTITIES

    spec = {re.match(r"[a-z_]+", s)[0]: first_cells(s) for s in sections(SOURCES)}  # "### milestones (…)"
    assert set(spec) == set(ENTITIES)  # declared in the order of the cascade, not of SOURCES.md
    for name, columns in spec.items():
        assert ENTITIES[name].names == columns, f"{name}: declared {ENTITIES[name].names}, SOURCES.md {columns}"


def test_run_log_counts_the_rows_of_every_entity():
    """METRICS.md: run_log has "per entity the rows read and quarantined" (reading 9 names the columns)."""
    from schemas.sources import ENTITIES

    declared = {c.name for c in TABLES["run_log"].columns}
    for name in ENTITIES:
        assert {f"{name}_read", f"{name}_quarantined"} <= declared, name
