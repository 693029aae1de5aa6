"""The building blocks of the source contract: column kinds and the rules a row can break.

Every entity of SOURCES.md is declared with these in `schemas/sources.py`; parsing, the Great
Expectations suites, duplicate handling, the cascade and the docs all read those declarations,
so a rule is written down once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is parsed (SOURCES.md, "Conventions")."""

    TEXT = "text"  # trimmed; empty = missing
    ENUM = "enum"  # trimmed and lower-cased, then checked against the allowed values
    TIMESTAMP = "timestamp"  # ISO 8601; with an offset converted, without one UTC
    DATE = "date"  # YYYY-MM-DD, no time-zone conversion
    DECIMAL = "decimal"  # plain decimal: sign and exponent allowed, nothing else
    INTEGER = "integer"  # a decimal that is a whole number (12 and 12.0, not 12.5)
    MONEY = "money"  # a decimal, in the row's currency or the reporting currency
    CURRENCY = "currency"  # ISO 4217 code, upper-cased; must equal the reporting currency
    BOOLEAN = "boolean"  # true/false, 1/0, yes/no in any case

    @property
    def parsed(self) -> bool:
        """Kinds whose text can fail to parse (and so have a `type` rule)."""
        return self in PARSED_KINDS


PARSED_KINDS = {Kind.TIMESTAMP, Kind.DATE, Kind.DECIMAL, Kind.INTEGER, Kind.MONEY, Kind.BOOLEAN}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of an ENUM column
    minimum: float | None = None
    min_strict: bool = False  # True: "> minimum", False: "≥ minimum"
    maximum: float | None = None  # always inclusive ("≤ maximum")
    default: object = None  # value given to a missing optional cell (is_key_account: False)
    # a date that must be the first day of a month (targets.month): a `range:` rule like the bounds
    # above, which a date has none of (schemas/rules.py)
    first_of_month: bool = False
    doc: str = ""

    def __post_init__(self) -> None:
        if self.first_of_month and self.kind is not Kind.DATE:
            raise ValueError(f"{self.name}: only a date can be the first day of a month")


@dataclass(frozen=True)
class NotBefore:
    """`column ≥ other` (instants for timestamps); only checked when both are set."""

    column: str
    other: str


@dataclass(frozen=True)
class SetIff:
    """`column` is set if and only if `when` has one of `values` (deals.closed_at, projects.actual_end_date)."""

    column: str
    when: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RequiredUnless:
    """`column` is required unless `when` has one of `values` (projects.start_date unless planned)."""

    column: str
    when: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Parent:
    """Rows need a valid row of `entity` whose key equals `column` (the cascade)."""

    column: str
    entity: str
    # a soft reference keeps the row when the parent is missing (deals.lead_id, projects.deal_id)
    soft: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""
    not_before: tuple[NotBefore, ...] = ()
    set_iff: tuple[SetIff, ...] = ()
    required_unless: tuple[RequiredUnless, ...] = ()
    parents: tuple[Parent, ...] = ()
    version_column: str | None = "updated_at"  # None: any two differing rows of a key conflict
    # a source may have no such entity at all (SOURCES.md: `feedback`, `targets`, `review_notes`): a
    # missing file is an empty entity, not an error
    optional: bool = False
    # people type it (SOURCES.md, "Kept by hand": `targets`, `review_notes`): a typo must not stop the
    # night's figures, so neither the gate nor the shrink guard looks at it; its bad rows are
    # quarantined like any others and the run goes on (tasks/staging/stage.py, tasks/pipeline.py)
    kept_by_hand: bool = False
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must have (a required value cannot come from an absent column)."""
        conditional = {r.column for r in self.required_unless}
        return [c.name for c in self.columns if c.required or c.name in conditional]

    @property
    def hard_parents(self) -> tuple[Parent, ...]:
        return tuple(p for p in self.parents if not p.soft)
