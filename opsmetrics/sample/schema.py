"""The canonical entities of SOURCES.md as the sample generator sees them, derived from the one
declaration in `schemas/sources.py`: column order, how each column is written to CSV, the keys
and the parents, so the generator cannot drift from the pipeline's contract.
"""
from schemas.columns import Column, Kind
from schemas.sources import CHANNELS, DECISIONS, PORTFOLIO_METRICS, ROLES  # noqa: F401 - re-exported
from schemas.sources import ENTITIES as _DECLARED

# the plan and the review's notes (plan.py, notes.py) are made after the others, from them
PLAN_ENTITIES = ("targets", "review_notes")
# the others in the declared order, which is the order their strings are drawn in (__init__.build)
BASE_ENTITIES = tuple(n for n in _DECLARED if n not in PLAN_ENTITIES)
ENTITIES = BASE_ENTITIES + PLAN_ENTITIES
# typed by people: the gate passes them by (SOURCES.md, "Kept by hand"), so faults.py gives them a few
# bad rows whatever their share
KEPT_BY_HAND = frozenset(n for n, e in _DECLARED.items() if e.kept_by_hand)

# how a value is written: "id" exactly as generated, "text" with the odd stray space, the other
# kinds in the spellings SOURCES.md allows (offsets, case, exponents, …)
_WRITE = {Kind.TIMESTAMP: "ts", Kind.DATE: "date", Kind.ENUM: "enum", Kind.MONEY: "money",
          Kind.DECIMAL: "decimal", Kind.INTEGER: "int", Kind.BOOLEAN: "bool", Kind.CURRENCY: "currency"}


def _write_as(c: Column) -> str:
    if c.kind is Kind.TEXT:
        return "id" if c.name.endswith("_id") else "text"
    return _WRITE[c.kind]


COLUMNS: dict[str, dict[str, str]] = {n: {c.name: _write_as(c) for c in e.columns} for n, e in _DECLARED.items()}
KEYS: dict[str, tuple[str, ...]] = {n: e.key for n, e in _DECLARED.items()}
# rows of these entities need a valid parent (SOURCES.md, "Cascade"): child → (parent, column)
PARENTS: dict[str, tuple[str, str]] = {n: (p.entity, p.column) for n, e in _DECLARED.items() for p in e.hard_parents}
