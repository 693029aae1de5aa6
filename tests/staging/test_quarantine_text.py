"""The quarantine's text, built in Arrow: a rule break's `got …` says the value as repr() does, and
a record is the JSON object json.dumps writes, whatever the value holds (quotes, backslashes,
control characters, Unicode white space, non-ASCII). The common values take Arrow's path, the
others Python's: both are checked here against the hand-written strings."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tasks.staging.quarantine import _by_row, json_objects, raw_values

VALUES = ["abc", "", "   ", "it's", 'say "hi"', "back\\slash", "tab\there", "\u00a0", "中文", None, " x "]


def test_raw_values_say_each_value_as_repr_does():
    raw = pd.DataFrame({"v": pd.array(VALUES, dtype="str")})
    rows = np.arange(len(VALUES))
    got = raw_values(raw, rows, np.array(["v"] * len(VALUES), dtype=object)).to_pylist()
    assert got == [
        "'abc'",
        "missing",  # empty
        "missing",  # spaces only
        '"it\'s"',  # repr switches to double quotes around a single quote
        "'say \"hi\"'",
        "'back\\\\slash'",  # repr doubles the backslash
        "'tab\\there'",  # and writes the tab as \t
        "missing",  # a no-break space is white space: str.strip() leaves nothing
        "'中文'",  # printable: as it is
        "missing",  # null
        "' x '",  # a value is said untrimmed, as the source holds it
    ]


def test_raw_values_of_a_column_the_source_lacks_and_of_rows_out_of_order():
    raw = pd.DataFrame({"a": pd.array(["r0", "r1", "r2"], dtype="str")})
    got = raw_values(raw, np.array([2, 0, 1]), np.array(["a", "nope", "a"], dtype=object)).to_pylist()
    assert got == ["'r2'", "missing (no such column)", "'r1'"]


def test_json_objects_are_what_json_dumps_writes():
    records = pd.DataFrame({"id": pd.array(["1", "2", "3", "4"], dtype="str"),
                            "note": pd.array(['say "hi"', "a\\b\nc", None, "中文 é"], dtype="str")})
    assert json_objects(records).to_pylist() == [
        '{"id": "1", "note": "say \\"hi\\""}',
        '{"id": "2", "note": "a\\\\b\\nc"}',
        '{"id": "3", "note": null}',
        '{"id": "4", "note": "中文 é"}',  # ensure_ascii=False: as it is
    ]


def test_json_objects_of_a_column_of_numbers_keep_them_numbers():
    # a frame made by hand (not a source's text): json.dumps writes its numbers as numbers
    records = pd.DataFrame({"n": [1.5, np.nan]})
    assert json_objects(records).to_pylist() == ['{"n": 1.5}', '{"n": null}']


def test_by_row_keeps_the_first_rule_and_joins_every_detail_in_order():
    breaks = pd.DataFrame({"__row__": [7, 3, 7, 5, 7], "rule": ["b", "a", "c", "d", "e"],
                           "detail": ["B", "A", "C", "D", "E"]})
    out = _by_row(breaks)
    assert out.index.tolist() == [3, 5, 7]
    assert out["rule"].tolist() == ["a", "d", "b"]  # row 7's first break is "b"
    assert out["detail"].tolist() == ["A", "D", "B; C; E"]


def test_json_objects_of_rows_without_a_column_are_empty_objects():
    # a source that has none of the entity's columns: each record is {} (json.dumps of an empty
    # dict). An "empty frame" check (DataFrame.empty is true without columns too) once gave no
    # record at all for these rows.
    assert json_objects(pd.DataFrame(index=range(2))).to_pylist() == ["{}", "{}"]
    assert json_objects(pd.DataFrame({"id": pd.array([], dtype="str")})).to_pylist() == []
