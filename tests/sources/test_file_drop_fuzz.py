"""Property test of the file drop (SOURCES.md, "File drop"): whatever a leads.csv holds, either the
run fails with a one-line SourceError naming the file (and the line and byte, or the column), or,
after staging, every record of the file is accounted for:

    read == valid + quarantined + superseded + collapsed, read == the records the csv module reads,

the rows are the records of the header's shape, field for field (nothing padded, cut or shifted),
and each record of the wrong shape is quarantined with rule `shape`, at the line where it starts,
with the raw text the file holds there.

The expectations come from the csv module run on the file's text here (an independent reader)
and from what the generator did to the file (cut its end, inserted a byte that is not UTF-8).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import hypothesis.strategies as st
from builders import dataset
from hypothesis import HealthCheck, event, given, settings

from schemas.sources import ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file
from tasks.staging.stage import stage_sources

LEADS = ENTITIES["leads"]
OPTIONAL = [c for c in LEADS.names if c not in LEADS.required_columns]
EXAMPLES = 120  # ~30 s of CPU here: most examples are staged, Great Expectations included

TIMESTAMPS = ["2026-01-02 10:00", "2026-02-30T00:00:00Z", "01/03/2026", "", "  ", "yesterday",
              "2026-13-01T00:00:00Z", "1e309", "2026-01-01T00:00:00"]
ODD = ["1e309", "NaN", "-1", "1,234.50", "9" * 40, "-0", "inf", "Café", "北京", "emoji 🚀", ' "quoted" ',
       "a,b", "line\nbreak", "cr\rlf\r\n", "'", "\\", "\t", "=1+1", "\x00nul", ""]
VALID = {  # values that pass the rules, so rows also reach the duplicate-key rules
    "lead_id": st.sampled_from(["L1", "L2", "L3", " L1 "]),
    "created_at": st.just("2026-01-01T00:00:00Z"),
    "updated_at": st.sampled_from(["2026-01-01T00:00:00Z", "2026-03-01T23:30:00+08:00", "2026-02-01"]),
    "channel": st.sampled_from(["website", " Paid_Ads ", "EVENT", "partner"]),
    "qualified_at": st.sampled_from(["", "2026-01-05T00:00:00Z"]),
}
ODD_VALUES = {
    "lead_id": st.sampled_from(["", "L,5", 'L"6', "L\n7", "L\r8"]),
    "channel": st.sampled_from(["tv", "", "NaN"]),
    **{c: st.sampled_from(TIMESTAMPS) for c in ("created_at", "updated_at", "qualified_at", "converted_at")},
}
ANY_TEXT = st.one_of(st.sampled_from(ODD), st.text(max_size=12))
NOT_UTF8 = [b"\xff", b"\xe9", b"\xc3(", b"\xed\xa0\x80", b"\x80", b"\xf0\x9f\x9a"]  # Latin-1 "é" among them


@dataclass
class File:
    data: bytes  # what is written
    bad_byte: int | None = None  # where the first byte that is not UTF-8 was put (0-based)
    cut: bool = False  # the last record was cut (no line break after it)


def sometimes(draw, one_in: int) -> bool:
    return draw(st.sampled_from([True] + [False] * (one_in - 1)))


@st.composite
def lead_files(draw) -> File:
    """A small leads.csv, then some of the ways a file drop goes wrong."""
    if sometimes(draw, 30):
        return File(b"")  # empty file
    columns = draw(st.lists(st.sampled_from(OPTIONAL + ["notes"]), max_size=4, unique=True))
    columns += [""] * draw(st.integers(0, 2))  # unnamed columns: ignored, not names given twice
    required = list(LEADS.required_columns)
    if sometimes(draw, 12):  # required columns missing
        required = draw(st.lists(st.sampled_from(required), min_size=1, max_size=3, unique=True))
    if sometimes(draw, 12):  # a column named twice
        columns.append(draw(st.sampled_from(required + columns)))
    names = draw(st.permutations(required + columns))  # in any order
    header = [draw(st.sampled_from(["", " ", "  "])) + n if draw(st.booleans()) else n for n in names]
    term = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    records, fields = [_line(header, term)], None
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["valid", "valid", "odd", "again", "short", "long", "empty line"]))
        if kind == "again" and fields is not None:  # the record before, as it is or with other values
            fields = [f if draw(st.booleans()) else draw(VALID.get(n.strip(), ANY_TEXT)) for f, n in zip(
                fields, names, strict=False)]
        else:
            values = VALID if kind != "odd" else ODD_VALUES
            fields = [draw(values.get(n.strip(), ANY_TEXT)) for n in names]
        if kind == "short" and fields:
            fields = fields[:draw(st.integers(0, len(fields) - 1))]
        elif kind == "long":
            fields = fields + draw(st.lists(ANY_TEXT, min_size=1, max_size=45))
        elif kind == "empty line":
            records.append(term)
        records.append(_line(fields, term))
    text = "".join(records)
    cut = False
    if len(records) > 1 and records[-1] != term:
        last = records[-1][:-len(term)]
        end = draw(st.sampled_from(["ends", "ends", "ends", "ends", "cut", "open quote"]))
        if end == "cut":  # cut the last record anywhere, always losing its line break
            text = "".join(records[:-1]) + last[:draw(st.integers(1, len(last)))]
            # ... unless the cut falls just after a line break inside it (csv.writer leaves a "\n"
            # unquoted when records end in "\r"): that file ends with a line break, so it is not
            # one SOURCES.md calls cut, and its last record is read without that line break
            cut = not text.endswith(("\n", "\r"))
        elif end == "open quote":  # the last value cut after a line break inside it: the file ends inside quotes
            value = draw(st.sampled_from(["open", "", "a,b", 'say ""hi']))
            text, cut = "".join(records[:-1]) + last + ',"' + value + draw(st.sampled_from(["\n", "\r\n", "\r"])), True
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    data, bad_byte = bom + text.encode("utf-8"), None
    if sometimes(draw, 8):  # a byte that is not UTF-8, between two characters
        at = len(bom) + len(text[:draw(st.integers(0, len(text)))].encode("utf-8"))
        data, bad_byte = data[:at] + draw(st.sampled_from(NOT_UTF8)) + data[at:], at
    return File(data, bad_byte, cut)


def _line(fields: list[str], term: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=term).writerow(fields)
    return out.getvalue()


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lead_files())
def test_every_record_of_a_file_is_accounted_for(tmp_path, file):
    path = tmp_path / "leads.csv"
    path.write_bytes(file.data)
    expected_error = _expected_error(file)
    try:
        frame = read_entity_file(tmp_path, LEADS)
    except SourceError as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message, message
        assert message.startswith(f"{path}: "), message
        assert expected_error is not None and re.search(expected_error, message), (expected_error, message)
        event(f"SourceError: {re.split(r' column| line|:', message.removeprefix(f'{path}: '))[0]}")
        return
    assert expected_error is None, expected_error

    text = file.data.decode("utf-8-sig")
    records, starts = _records(text)
    header, data = [h.strip() for h in records[0]], records[1:]
    misshapen = {i for i, r in enumerate(data) if len(r) != len(header)}
    if file.cut:
        misshapen.add(len(data) - 1)
    good = [r for i, r in enumerate(data) if i not in misshapen]
    canonical = [c for c in LEADS.names if c in header]
    assert list(frame.columns) == canonical
    assert frame.to_dict("records") == [{c: r[header.index(c)] for c in canonical} for r in good]

    staged = stage_sources(dataset(leads=frame, rate_card=[]), "USD")  # every other entity empty
    c = staged.counts.loc["leads"]
    assert c["read"] == len(data)
    assert c["read"] == c["valid"] + c["quarantined"] + c["superseded"] + c["collapsed"]
    q = staged.quarantine[staged.quarantine["entity"] == "leads"]
    shape = q[q["rule"] == "shape"]
    assert len(shape) == len(misshapen)
    event(f"staged: {'some' if misshapen else 'no'} records of the wrong shape{', the last one cut' if file.cut else ''}")
    if c["superseded"] or c["collapsed"]:
        event("staged: duplicate keys resolved")
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    for i, (record_id, detail, record) in zip(sorted(misshapen), shape[["record_id", "detail", "record"]].itertuples(
            index=False, name=None), strict=True):
        line = starts[i + 1]
        assert detail.startswith(f"leads.csv line {line}: ")
        if i == len(data) - 1:  # the last record: the rest of the file, without a line break that ends it
            held = text[line_starts[line - 1]:]
            assert record == (held if file.cut else re.sub(r"(\r\n|\r|\n)\Z", "", held))
        else:  # its lines, without the line break before the next record
            held = text[line_starts[line - 1]:line_starts[starts[i + 2] - 1]]
            assert record == re.sub(r"(\r\n|\r|\n)\Z", "", held), (record, held)
        key = header.index("lead_id")
        assert record_id == (data[i][key].strip() if key < len(data[i]) else "")
    for detail in q.loc[q["rule"] != "shape", "detail"]:
        line = int(re.match(r"leads\.csv line (\d+): ", detail).group(1))
        assert line in {starts[i + 1] for i, r in enumerate(data) if i not in misshapen}


def _records(text: str) -> tuple[list[list[str]], list[int]]:
    """The records the csv module reads, and the physical line where each starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records, starts, line = [], [], 1
    for record in reader:
        records.append(record)
        starts.append(line)
        line = reader.line_num + 1
    return records, starts


def _expected_error(file: File) -> str | None:
    """The SourceError the file calls for (a regular expression of its message), or None."""
    if file.bad_byte is not None:
        before = file.data[:file.bad_byte]
        line = len(re.split(rb"\r\n|\r|\n", before))
        return rf"not UTF-8 text: line {line}, byte {file.bad_byte + 1} of the file \(both counted from 1\)"
    text = file.data.decode("utf-8-sig")
    if not text:
        return "empty file: no header row"
    header = next(csv.reader(io.StringIO(text, newline="")))
    if not header:
        return r"no header row \(line 1 is empty\)"
    names = [h.strip() for h in header]
    twice = [n for n in names if n and names.count(n) > 1]
    missing = [c for c in LEADS.required_columns if c not in names]
    if twice:
        return f"the header names column {twice[0]!r} twice"
    if missing:
        return f"missing required columns? {repr(missing[0])}"
    return None
