"""Row rules of SOURCES.md, derived from the entity declarations, each with its Great Expectations
expectation. `rules_for(entity, currency)` is the expectation suite of an entity, in the order the
rules are reported (the first rule a row breaks is the one recorded in `quarantine.rule`).

Rules that look across rows (duplicate keys, parents, the rate card) are not here: they run
after these, on the rows that passed them (tasks/staging/).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.columns import Entity, Kind

# Parsing keeps, beside each typed column, the text that failed to parse: `<col>__unparsed`.
UNPARSED = "{}__unparsed"
# and beside a date that must be the first day of a month (Column.first_of_month), its day of the
# month: `<col>__day`, which the `range:` rule checks is 1 (GX has no expectation on a date's day)
DAY_OF_MONTH = "{}__day"

KIND_TEXT = {
    Kind.TIMESTAMP: "an ISO 8601 timestamp in the extended form (2023-01-05T10:00:00Z)",
    Kind.DATE: "a YYYY-MM-DD date",
    Kind.DECIMAL: "a plain decimal number",
    Kind.INTEGER: "a whole number",
    Kind.MONEY: "a plain decimal amount",
    Kind.BOOLEAN: "a boolean (true/false, 1/0, yes/no)",
}

# what a numeric column can hold, said when a value written as a number is beyond it (rule `type:`)
KIND_RANGE = {
    Kind.INTEGER: "whole numbers of 64 bits, -9223372036854775808 … 9223372036854775807",
    Kind.DECIMAL: "finite numbers of 64-bit floating point, up to ±1.8e308",
    Kind.MONEY: "finite numbers of 64-bit floating point, up to ±1.8e308",
}


@dataclass(frozen=True)
class Rule:
    """One rule: its name in `quarantine.rule`, what it says, and the GX expectation that checks it."""

    name: str
    column: str  # the column whose value is reported in `quarantine.detail`
    text: str
    expectation: str  # a class of great_expectations.expectations (tasks/staging/validate.py builds it)
    kwargs: dict[str, Any] = field(default_factory=dict)
    # only rows where `column in/not in values`: ("is_in" | "is_not_in", column, values)
    condition: tuple[str, str, tuple[str, ...]] | None = None


def rules_for(entity: Entity, currency: str) -> list[Rule]:
    """Every row rule of one entity, in reporting order: types, required values, values, order."""
    rules: list[Rule] = []
    for c in entity.columns:
        if c.kind.parsed:
            rules.append(Rule(f"type:{c.name}", c.name, f"{c.name} must be {KIND_TEXT[c.kind]}",
                              "ExpectColumnValuesToBeNull", {"column": UNPARSED.format(c.name)}))
    for c in entity.columns:
        if c.required:
            rules.append(Rule(f"required:{c.name}", c.name, f"{c.name} is required",
                              "ExpectColumnValuesToNotBeNull", {"column": c.name}))
    for r in entity.required_unless:
        rules.append(Rule(f"required:{r.column}", r.column,
                          f"{r.column} is required unless {r.when} is {' or '.join(r.values)}",
                          "ExpectColumnValuesToNotBeNull", {"column": r.column},
                          condition=("is_not_in", r.when, r.values)))
    for c in entity.columns:
        if c.kind is Kind.ENUM:
            rules.append(Rule(f"enum:{c.name}", c.name, f"{c.name} must be one of {', '.join(c.values)}",
                              "ExpectColumnValuesToBeInSet", {"column": c.name, "value_set": list(c.values)}))
        if c.kind is Kind.CURRENCY:
            rules.append(Rule(f"currency:{c.name}", c.name, f"{c.name} must be the reporting currency {currency}",
                              "ExpectColumnValuesToBeInSet", {"column": c.name, "value_set": [currency]}))
        if c.minimum is not None or c.maximum is not None:
            rules.append(_range_rule(c.name, c.minimum, c.min_strict, c.maximum))
        if c.first_of_month:  # a range too (SOURCES.md: "else rule `range`"), on the date's day
            rules.append(Rule(f"range:{c.name}", c.name, f"{c.name} must be the first day of a month",
                              "ExpectColumnValuesToBeBetween",
                              {"column": DAY_OF_MONTH.format(c.name), "min_value": 1, "max_value": 1}))
    for o in entity.not_before:
        rules.append(Rule(f"order:{o.column}", o.column, f"{o.column} must not be before {o.other}",
                          "ExpectColumnPairValuesAToBeGreaterThanB",
                          {"column_A": o.column, "column_B": o.other, "or_equal": True,
                           "ignore_row_if": "either_value_is_missing"}))
    for s in entity.set_iff:
        when = " or ".join(s.values)
        rules.append(Rule(f"set_iff:{s.column}", s.column, f"{s.column} must be set when {s.when} is {when}",
                          "ExpectColumnValuesToNotBeNull", {"column": s.column},
                          condition=("is_in", s.when, s.values)))
        rules.append(Rule(f"set_iff:{s.column}", s.column, f"{s.column} must be empty unless {s.when} is {when}",
                          "ExpectColumnValuesToBeNull", {"column": s.column},
                          condition=("is_not_in", s.when, s.values)))
    return rules


def _range_rule(column: str, minimum: float | None, strict: bool, maximum: float | None) -> Rule:
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '≥'} {minimum:g}")
    if maximum is not None:
        bounds.append(f"≤ {maximum:g}")
    kwargs: dict[str, Any] = {"column": column, "min_value": minimum, "max_value": maximum}
    if strict:
        kwargs["strict_min"] = True
    return Rule(f"range:{column}", column, f"{column} must be {' and '.join(bounds)}",
                "ExpectColumnValuesToBeBetween", kwargs)


# Rules checked across rows, after the row rules (tasks/staging/): named here so docs list them all.
DUPLICATE_KEY = "duplicate_key"
NO_RATE = "parent:rate_card"


def parent_rule(column: str) -> str:
    return f"parent:{column}"
