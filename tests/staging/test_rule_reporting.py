"""How a quarantined row's rules are reported: a value that failed to parse is also missing, and
only its `type:` rule is reported for it; every other rule of every other row is kept."""
from __future__ import annotations

from builders import dataset

from tasks.staging.stage import stage_sources


def test_a_failed_parse_hides_only_its_own_required_rule_whatever_other_rows_broke():
    # L1 breaks an enum (listed first among the hits), L2 has an unparsable required created_at:
    # L2 must be reported as type:created_at alone, and L1 as enum:channel. Before the fix the
    # (row, column) pairs of type failures were zipped with the columns of *all* hits, so the
    # suppression could hit the wrong row; with strict zips that mismatch raised instead.
    staged = stage_sources(dataset(leads=[
        {"lead_id": "L1", "channel": "tv"},
        {"lead_id": "L2", "created_at": "yesterday"},
        {"lead_id": "L3"},
    ]), "USD")
    q = staged.quarantine[staged.quarantine["entity"] == "leads"].sort_values("record_id")
    assert list(zip(q["record_id"], q["rule"], strict=True)) == [("L1", "enum:channel"), ("L2", "type:created_at")]
    assert "required" not in q.loc[q["record_id"] == "L2", "detail"].item()
    assert list(staged.valid["leads"]["lead_id"]) == ["L3"]
