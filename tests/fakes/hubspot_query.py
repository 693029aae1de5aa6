"""Value handling, filters and sorts of the fake HubSpot CRM search (see hubspot.py).

HubSpot property values are strings (or null).  Date and datetime properties are compared as
instants, whether the stored value or the filter value is an ISO 8601 string or epoch
milliseconds; numbers compare as numbers; everything else compares as case-insensitive text.
"""
from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT_RE = re.compile(r"-?\d+")
_NUM_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")

OPERATORS = frozenset({
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
})
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18


class QueryError(ValueError):
    """A search body HubSpot would answer with 400 VALIDATION_ERROR."""


def iso(value: datetime | date | str) -> str:
    """HubSpot's datetime form: UTC, milliseconds, `Z` (e.g. 2024-01-17T19:55:04.281Z)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_instant(value: Any) -> int | None:
    """Epoch milliseconds of an ISO string, a date, or an epoch-millisecond number/string."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (dt - EPOCH) // timedelta(milliseconds=1)
    text = str(value).strip()
    if not text:
        return None
    if _INT_RE.fullmatch(text):
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // timedelta(milliseconds=1)


def is_date_property(name: str) -> bool:
    """createdate, lastmodifieddate, hs_lastmodifieddate, closedate, hs_v2_date_entered_*,
    hs_lifecyclestage_*_date, ...: the names of HubSpot's date and datetime properties."""
    return name.endswith("date") or "_date_" in name or name.startswith("hs_v2_date_")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    return float(text) if _NUM_RE.fullmatch(text) else None


def sort_key(prop: str, value: Any) -> tuple:
    """A key that orders values the way HubSpot compares them (kind first, so keys compare)."""
    try:
        return _cached_key(prop, value)
    except TypeError:  # an unhashable value (a list where a string was expected)
        return _key(prop, value)


def _key(prop: str, value: Any) -> tuple:
    if prop == "hs_object_id" or not is_date_property(prop):
        num = _number(value)
        if num is not None:
            return (1, num)
    else:
        instant = to_instant(value)
        if instant is not None:
            return (0, instant)
    return (2, str(value).lower())


_cached_key = functools.lru_cache(maxsize=1 << 18)(_key)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _tokens(value: str) -> list[str]:
    return [t for t in re.split(r"[^\w@.*-]+", value.lower()) if t]


def _contains_token(stored: Any, wanted: Any) -> bool:
    if not _present(stored) or wanted is None:
        return False
    pattern = str(wanted).lower()
    text = str(stored).lower()
    if "*" in pattern:
        return fnmatch.fnmatchcase(text, pattern) or any(fnmatch.fnmatchcase(t, pattern) for t in _tokens(text))
    return pattern in _tokens(text) or pattern == text


def filter_matches(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    prop, op = flt["propertyName"], flt["operator"]
    stored = props.get(prop)
    if op == "HAS_PROPERTY":
        return _present(stored)
    if op == "NOT_HAS_PROPERTY":
        return not _present(stored)
    if op == "CONTAINS_TOKEN":
        return _contains_token(stored, flt.get("value"))
    if op == "NOT_CONTAINS_TOKEN":
        return not _contains_token(stored, flt.get("value"))
    if op in ("IN", "NOT_IN"):
        # HubSpot lowercases the stored string, not the given values: values must be lowercase.
        values = flt.get("values") or []
        if _present(stored) and sort_key(prop, stored)[0] != 2:
            found = any(sort_key(prop, v) == sort_key(prop, stored) for v in values)
        else:
            found = _present(stored) and str(stored).lower() in [str(v) for v in values]
        return found if op == "IN" else not found
    if op == "NEQ":
        return not _present(stored) or sort_key(prop, stored) != sort_key(prop, flt.get("value"))
    if not _present(stored):
        return False
    have = sort_key(prop, stored)
    low = sort_key(prop, flt.get("value"))
    if have[0] != low[0]:  # e.g. text against a number: compare as text
        have, low = (2, str(stored).lower()), (2, str(flt.get("value")).lower())
    if op == "EQ":
        return have == low
    if op == "GT":
        return have > low
    if op == "GTE":
        return have >= low
    if op == "LT":
        return have < low
    if op == "LTE":
        return have <= low
    high = sort_key(prop, flt.get("highValue"))  # BETWEEN, inclusive at both ends
    return low <= have <= high if high[0] == have[0] else False


def parse_filter_groups(body: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """filterGroups are OR-ed, filters in a group AND-ed; a top-level `filters` list (an older
    form HubSpot still accepts) counts as one more group.  Checks HubSpot's limits."""
    groups = [g.get("filters") or [] for g in (body.get("filterGroups") or [])]
    if body.get("filters"):
        groups.append(body["filters"])
    if len(groups) > MAX_GROUPS:
        raise QueryError(f"Too many filter groups: {len(groups)}. The maximum is {MAX_GROUPS}.")
    for group in groups:
        if len(group) > MAX_FILTERS_PER_GROUP:
            raise QueryError(f"Too many filters in a filter group: {len(group)}. "
                             f"The maximum is {MAX_FILTERS_PER_GROUP}.")
    total = sum(len(g) for g in groups)
    if total > MAX_FILTERS:
        raise QueryError(f"Too many filters: {total}. The maximum is {MAX_FILTERS}.")
    for group in groups:
        for flt in group:
            if not isinstance(flt, dict) or not flt.get("propertyName"):
                raise QueryError("Each filter needs a propertyName and an operator.")
            flt.setdefault("operator", "EQ")
            if flt["operator"] not in OPERATORS:
                raise QueryError(f"Unknown filter operator: {flt['operator']}.")
            if flt["operator"] == "BETWEEN" and "highValue" not in flt:
                raise QueryError("The BETWEEN operator needs a value and a highValue.")
            if flt["operator"] in ("IN", "NOT_IN") and not isinstance(flt.get("values"), list):
                raise QueryError(f"The {flt['operator']} operator needs a values list.")
    return [g for g in groups if g]


def matches(props: dict[str, Any], groups: list[list[dict[str, Any]]]) -> bool:
    return not groups or any(all(filter_matches(props, f) for f in group) for group in groups)


def parse_sorts(raw: Any) -> list[tuple[str, bool]]:
    """[(property, descending)]: `{"propertyName", "direction"}` objects or plain strings
    ("createdate", "-createdate").  HubSpot applies one sorting rule, so only the first counts."""
    sorts: list[tuple[str, bool]] = []
    for item in raw or []:
        if isinstance(item, str):
            sorts.append((item.lstrip("-"), item.startswith("-")))
        elif isinstance(item, dict) and item.get("propertyName"):
            direction = str(item.get("direction", "ASCENDING")).upper()
            if direction not in ("ASCENDING", "DESCENDING"):
                raise QueryError(f"Unknown sort direction: {item.get('direction')}.")
            sorts.append((item["propertyName"], direction == "DESCENDING"))
        else:
            raise QueryError("Each sort needs a propertyName and a direction.")
    return sorts[:1]


def ordered(items: Iterable[Any], props_of: Callable[[Any], dict[str, Any]],
            sorts: list[tuple[str, bool]], default: Callable[[Any], tuple]) -> list[Any]:
    """Sort by the first sort rule (records without the property last), ties by id; without a
    rule, by `default` (HubSpot: creation order, oldest first)."""
    items = sorted(items, key=default)
    if not sorts:
        return items
    prop, descending = sorts[0]
    present = [i for i in items if _present(props_of(i).get(prop))]
    missing = [i for i in items if not _present(props_of(i).get(prop))]
    present.sort(key=lambda i: sort_key(prop, props_of(i)[prop]), reverse=descending)
    return present + missing
