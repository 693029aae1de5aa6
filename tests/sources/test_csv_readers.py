"""The two CSV readers of the file drop mean the same: Arrow's (fast, for files whose records are one
line each) and the csv module's (the definition). Whenever Arrow's reader accepts a file, its rows,
their lines and the misshapen records (line, key, detail, raw text) equal the csv module's; when it
cannot be sure, it declines and the csv module reads the file.
"""
from __future__ import annotations

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings

from schemas.sources import ENTITIES
from tasks.sources.base import ORIGIN, SourceError
from tasks.sources.files import _read_csv_arrow, _read_csv_records, _utf8_text, read_entity_file

LEADS = ENTITIES["leads"]
HEADER = "lead_id,created_at,updated_at,channel"
# pieces a field is made of: quotes opened and closed anywhere, separators, line breaks, CR, space
ON_ONE_LINE = ["a", "L1", ",", ",", '"', '""', " ", "é", "2026-01-01"]
PIECES = st.sampled_from(ON_ONE_LINE + ["\n", "\r\n", "\r"])
# mostly one-line records (the files Arrow takes), some with line breaks anywhere (the ones it must not)
LINE = st.one_of(st.lists(st.sampled_from(ON_ONE_LINE), max_size=10), st.lists(PIECES, max_size=8)).map("".join)


def both(tmp_path, data: bytes):
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    fast = _read_csv_arrow(path, data, LEADS)
    slow = _read_csv_records(path, _utf8_text(path, data), LEADS)
    return fast, slow


def assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, slow, check_dtype=True)
    f, s = fast.attrs[ORIGIN], slow.attrs[ORIGIN]
    assert f.positions.tolist() == s.positions.tolist()
    assert f.misshapen == s.misshapen


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=6), crlf=st.booleans(), final_break=st.booleans())
def test_arrow_reads_a_file_exactly_as_the_csv_module_or_declines(tmp_path, lines, crlf, final_break):
    end = "\r\n" if crlf else "\n"
    text = HEADER + end + end.join(lines) + (end if final_break and lines else "")
    fast, slow = both(tmp_path, text.encode())
    event("arrow" if fast is not None else "csv module")
    if fast is not None:
        assert_same(fast, slow)


def test_arrow_takes_plain_files_with_misshapen_records_and_quotes(tmp_path):
    # line 2 good; line 3 one field short; line 4 quoted comma; line 5 one field long, key 'L4'
    data = (b'lead_id,created_at,updated_at,channel\r\nL1,2026-01-01,u,web\r\nL2,2026-01-02\r\n'
            b'"L3","2026-01-03",u,"a,b"\r\nL4,x,u,y,z\r\n')
    fast, slow = both(tmp_path, data)
    assert fast is not None, "Arrow's reader should take a file of one-line records"
    assert_same(fast, slow)
    assert fast["channel"].tolist() == ["web", "a,b"]
    assert fast.attrs[ORIGIN].positions.tolist() == [2, 4]  # lines 3 and 5 are misshapen
    assert [(m.position, m.record_id, m.record) for m in fast.attrs[ORIGIN].misshapen] == [
        (3, "L2", "L2,2026-01-02"), (5, "L4", "L4,x,u,y,z")]


def test_arrow_declines_what_only_the_csv_module_reads_right(tmp_path):
    header = b"lead_id,created_at,updated_at,channel\n"
    declined = {
        "a quoted line break": header + b'L1,2026-01-01,u,"web\nsite"\n',
        "no final line break (maybe cut)": header + b"L1,2026-01-01,u,web",
        "an empty line": header + b"L1,2026-01-01,u,web\n\nL2,2026-01-01,u,web\n",
        "a lone CR": header + b"L1,2026-01-01,u,web\rL2,2026-01-01,u,web\n",
        "a quote left open in a misshapen record": header + b'L1,"2026\nL2,2026-01-01,u,web\n',
        "not UTF-8": header + b"L1,2026-01-01,u,caf\xe9\n",
    }
    for why, data in declined.items():
        path = tmp_path / "leads.csv"
        path.write_bytes(data)
        assert _read_csv_arrow(path, data, LEADS) is None, why


def test_a_last_line_whose_quote_takes_in_the_final_line_break_goes_to_the_csv_module(tmp_path):
    # found by hypothesis: in `a","` the first quote is literal (inside an unquoted field) and the
    # second opens a value that swallows the file's last "\n"; quotes are even, lines = records +
    # misshapen (1 = 1), so only the last line itself tells. The csv module calls the record cut.
    for last in ['a","', 'L1,x,u,"web']:
        data = f"{HEADER}\n{last}\n".encode()
        fast, slow = both(tmp_path, data)
        assert fast is None, last
        assert slow.attrs[ORIGIN].misshapen[0].detail.startswith("the record does not end with a line break")
    fast, slow = both(tmp_path, f'{HEADER}\nL1,x,u,"we""b"\n'.encode())  # closed quotes: Arrow keeps it
    assert fast is not None
    assert_same(fast, slow)


def test_a_byte_that_is_not_utf8_in_a_column_arrow_leaves_out_still_fails_the_file(tmp_path):
    # found by hypothesis (tests/sources/test_file_drop_fuzz.py): Arrow reads only the canonical
    # columns and checked UTF-8 in those only, so \xff under an unnamed column passed unseen. The
    # file is refused as the csv module's pass says: line 2, byte 73 = len(header line) 40 + the
    # 32 bytes of "L1,2026-01-01T00:00:00Z,website," + 1 (both counted from 1)
    data = (b"lead_id,created_at,channel,,updated_at,\n"
            b"L1,2026-01-01T00:00:00Z,website,\xff1e309,2026-01-01T00:00:00Z,1e309\n")
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    assert _read_csv_arrow(path, data, ENTITIES["leads"]) is None
    with pytest.raises(SourceError, match=r"leads\.csv: not UTF-8 text: line 2, byte 73 of the file"):
        read_entity_file(tmp_path, ENTITIES["leads"])
