"""The file drop of SOURCES.md: CSV or Parquet, any column order, clear errors naming file and column
(or line and byte), records of the wrong shape quarantined as the file holds them."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from builders import dataset

from schemas.sources import ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file
from tasks.staging.stage import stage_sources

LEADS = ENTITIES["leads"]


def write(folder, name, text: str | bytes):
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_columns_in_any_order_extra_ignored_optional_absent(tmp_path):
    write(tmp_path, "leads.csv", "channel,extra,updated_at,lead_id,created_at\n"
          "website,x,2026-01-02T00:00:00Z,L1,2026-01-01T00:00:00Z\n")
    frame = read_entity_file(tmp_path, LEADS)
    assert list(frame.columns) == ["lead_id", "created_at", "updated_at", "channel"]
    assert frame.loc[0, "lead_id"] == "L1" and frame.attrs["source"] == "leads.csv"


def test_values_are_kept_as_text(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel\n007,2026-01-01,2026-01-01,web\n")
    assert read_entity_file(tmp_path, LEADS).loc[0, "lead_id"] == "007"  # not the number 7


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(SourceError, match=r"leads\.csv: file not found"):
        read_entity_file(tmp_path, LEADS)


def test_missing_required_column_names_file_and_column(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,updated_at,channel\nL1,2026-01-01,web\n")
    with pytest.raises(SourceError, match=r"leads\.csv: missing required column 'created_at'"):
        read_entity_file(tmp_path, LEADS)


def test_conditionally_required_column_is_required_in_the_file(tmp_path):
    cols = [c for c in ENTITIES["projects"].names if c != "start_date"]
    write(tmp_path, "projects.csv", ",".join(cols) + "\n")
    with pytest.raises(SourceError, match="'start_date'"):
        read_entity_file(tmp_path, ENTITIES["projects"])


def test_header_only_is_an_empty_entity(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel\n")
    assert read_entity_file(tmp_path, LEADS).empty


def test_empty_file_is_an_error(tmp_path):
    write(tmp_path, "leads.csv", "")
    with pytest.raises(SourceError, match=r"leads\.csv: empty file"):
        read_entity_file(tmp_path, LEADS)


def test_not_utf8_is_an_error(tmp_path):
    # Latin-1 text: the header is 46 bytes with its line break, "L1,a,b,c," 9 more, "Caf" 3 more:
    # "é" (0xE9 in Latin-1) is byte 46 + 9 + 3 + 1 = 59 of the file, on line 2
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel,company\nL1,a,b,c,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(SourceError) as err:
        read_entity_file(tmp_path, LEADS)
    assert str(err.value) == (f"{tmp_path / 'leads.csv'}: not UTF-8 text: line 2, byte 59 of the file "
                              "(both counted from 1) is 0xE9 (invalid continuation byte)")


def test_invalid_utf8_is_located_by_physical_line_and_file_byte(tmp_path):
    # BOM (3 bytes) + header (45 + CRLF = 47): 50; line 2 'L1,"x' + CRLF = 7 (the quoted value's line
    # break ends a physical line): 57; line 3 'y",a,b,c,ok' + CRLF = 13: 70; line 4 "L2,a,b,c," is 9
    # more: 0xFF, never valid in UTF-8, is byte 80 of the file, on physical line 4
    data = (b"\xef\xbb\xbflead_id,created_at,updated_at,channel,company\r\n"
            b'L1,"x\r\ny",a,b,c,ok\r\nL2,a,b,c,\xff\r\n')
    assert data.index(b"\xff") + 1 == 80
    write(tmp_path, "leads.csv", data)
    with pytest.raises(SourceError, match=r"leads\.csv: not UTF-8 text: line 4, byte 80 of the file "
                                          r"\(both counted from 1\) is 0xFF \(invalid start byte\)$"):
        read_entity_file(tmp_path, LEADS)


def test_a_directory_named_like_the_file_is_a_source_error(tmp_path):
    (tmp_path / "leads.csv").mkdir()
    with pytest.raises(SourceError, match=r"leads\.csv: a directory, not a file$"):
        read_entity_file(tmp_path, LEADS)


def test_a_header_naming_a_column_twice_fails_naming_file_and_column(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel,company,channel\n"
          "L1,2026-01-01,2026-01-01,website,Acme,event\n")
    with pytest.raises(SourceError, match=r"leads\.csv: the header names column 'channel' twice \(fields 4 and 6\)$"):
        read_entity_file(tmp_path, LEADS)


def test_names_are_compared_trimmed_so_a_padded_duplicate_is_one_too(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel, channel \nL1,a,b,c,d\n")
    with pytest.raises(SourceError, match="'channel' twice"):
        read_entity_file(tmp_path, LEADS)


def test_bom_and_crlf(tmp_path):
    write(tmp_path, "leads.csv", b"\xef\xbb\xbflead_id,created_at,updated_at,channel\r\nL1,a,b,web\r\nL2,c,d,e\r\n")
    frame = read_entity_file(tmp_path, LEADS)
    assert list(frame.columns) == ["lead_id", "created_at", "updated_at", "channel"]  # not "\ufefflead_id"
    assert frame.to_dict("list") == {"lead_id": ["L1", "L2"], "created_at": ["a", "c"], "updated_at": ["b", "d"],
                                     "channel": ["web", "e"]}  # no "\r" left on the last field
    assert list(frame.attrs["origin"].positions) == [2, 3] and frame.attrs["origin"].misshapen == ()


def test_header_only_without_a_final_line_break_is_an_empty_entity(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel")
    assert read_entity_file(tmp_path, LEADS).empty


def test_a_quoted_field_keeps_its_line_break(tmp_path):
    write(tmp_path, "leads.csv", 'lead_id,created_at,updated_at,channel,company\nL1,a,b,c,"Acme\nEast, Inc"\nL2,a,b,c,d\n')
    frame = read_entity_file(tmp_path, LEADS)
    assert list(frame["company"]) == ["Acme\nEast, Inc", "d"]
    assert list(frame.attrs["origin"].positions) == [2, 4]  # L2 starts on line 4


def test_optional_entity_without_a_file_is_empty_and_with_one_follows_every_rule(tmp_path):
    feedback = ENTITIES["feedback"]
    assert feedback.optional
    frame = read_entity_file(tmp_path, feedback)
    assert frame.empty and list(frame.columns) == feedback.names
    write(tmp_path, "feedback.csv", "feedback_id,account_id\nF1,A1\n")
    with pytest.raises(SourceError, match=r"feedback\.csv: missing required columns 'respondent', 'score'"):
        read_entity_file(tmp_path, feedback)


def test_a_required_entity_is_not_optional(tmp_path):
    assert not LEADS.optional
    with pytest.raises(SourceError, match=r"leads\.csv: file not found \(nor leads\.parquet\)"):
        read_entity_file(tmp_path, LEADS)


def test_parquet_with_typed_columns_reads_as_the_same_text(tmp_path):
    pd.DataFrame({"lead_id": ["L1"], "created_at": pd.to_datetime(["2026-01-01T10:00:00Z"]),
                  "updated_at": ["2026-01-02T00:00:00Z"], "channel": ["website"], "company": [None]}
                 ).to_parquet(tmp_path / "leads.parquet")
    frame = read_entity_file(tmp_path, LEADS)
    assert frame.loc[0, "created_at"] == "2026-01-01T10:00:00+00:00" and frame.loc[0, "company"] == ""


def test_every_entity_round_trips_through_csv(tmp_path):
    raw = dataset(leads=[{"lead_id": "L1"}], deals=[{"deal_id": "D1"}])
    for name, frame in raw.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    for e in ENTITIES.values():
        assert list(read_entity_file(tmp_path, e).columns) == e.names


# --- records of the wrong shape: quarantined by staging with rule `shape`, never padded, cut or shifted ---

HEADER9 = "lead_id,created_at,updated_at,channel,company,industry,region,qualified_at,converted_at\n"


def lead(n: int, channel: str = "website") -> str:
    return f"L{n},2026-01-0{n}T00:00:00Z,2026-01-0{n}T00:00:00Z,{channel},Co {n},IT,EU,,\n"


def staged_file(folder, entity: str = "leads"):
    frame = read_entity_file(folder, ENTITIES[entity])
    staged = stage_sources(dataset(**{entity: frame}), "USD")
    q = staged.quarantine[staged.quarantine["entity"] == entity]
    return frame, staged, q


def test_a_short_record_is_quarantined_as_it_is_and_its_neighbours_are_read(tmp_path):
    short = "L2,2026-01-02T00:00:00Z,2026-01-02T00:00:00Z,website,Co 2,IT,EU"  # 7 of 9 fields
    write(tmp_path, "leads.csv", HEADER9 + lead(1) + short + "\n" + lead(3))
    frame, staged, q = staged_file(tmp_path)
    assert list(frame["lead_id"]) == ["L1", "L3"] and list(frame["company"]) == ["Co 1", "Co 3"]
    assert q[["record_id", "rule", "detail", "record"]].to_dict("records") == [
        {"record_id": "L2", "rule": "shape", "detail": "leads.csv line 3: 7 fields, the header has 9", "record": short}]
    c = staged.counts.loc["leads"]
    assert (c["read"], c["valid"], c["quarantined"]) == (3, 2, 1)


def test_a_long_first_record_shifts_nothing(tmp_path):
    long = "L1" + ",x" * 49  # 50 fields
    write(tmp_path, "leads.csv", HEADER9 + long + "\n" + lead(2) + lead(3, channel="tv"))
    frame, staged, q = staged_file(tmp_path)
    # the records after it are read as the file holds them: no index taken from the extra fields
    assert frame.to_dict("records")[0] == {"lead_id": "L2", "created_at": "2026-01-02T00:00:00Z",
                                           "updated_at": "2026-01-02T00:00:00Z", "channel": "website",
                                           "company": "Co 2", "industry": "IT", "region": "EU", "qualified_at": "",
                                           "converted_at": ""}
    assert q[["record_id", "rule", "detail", "record"]].to_dict("records") == [
        {"record_id": "L1", "rule": "shape", "detail": "leads.csv line 2: 50 fields, the header has 9", "record": long},
        {"record_id": "L3", "rule": "enum:channel", "record": json.dumps(frame.iloc[1].to_dict()),
         "detail": "leads.csv line 4: channel must be one of website, paid_ads, content, event, partner, outbound, "
                   "referral, other; got 'tv'"}]
    assert staged.counts.loc["leads", "read"] == 3


def test_a_last_record_cut_without_a_final_line_break_is_quarantined(tmp_path):
    # the last line was "sales,2021-01-01,82.86": cut to "8", it still has the header's 3 fields
    write(tmp_path, "rate_card.csv", "role,valid_from,hourly_cost\nengineer,2020-01-01,95.00\nsales,2021-01-01,8")
    frame, staged, q = staged_file(tmp_path, "rate_card")
    assert list(frame["role"]) == ["engineer"]
    assert q[["record_id", "rule", "detail", "record"]].to_dict("records") == [
        {"record_id": "sales|2021-01-01", "rule": "shape", "record": "sales,2021-01-01,8",
         "detail": "rate_card.csv line 3: the record does not end with a line break: the file may have been cut "
                   "in it (3 fields, the header has 3)"}]
    assert (staged.counts.loc["rate_card", "read"], staged.counts.loc["rate_card", "valid"]) == (2, 1)


def test_a_quote_left_open_at_the_end_is_a_cut_record_even_after_a_line_break(tmp_path):
    write(tmp_path, "leads.csv", HEADER9 + lead(1) + 'L2,a,b,c,"Acme\n')
    frame = read_entity_file(tmp_path, LEADS)
    assert list(frame["lead_id"]) == ["L1"]
    (m,) = frame.attrs["origin"].misshapen
    assert (m.position, m.record_id, m.record) == (3, "L2", 'L2,a,b,c,"Acme\n')
    assert m.detail == ("the record does not end with a line break: the file may have been cut in it "
                        "(5 fields, the header has 9)")


def test_the_line_of_a_record_is_where_it_starts_after_a_quoted_line_break(tmp_path):
    # line 1 header; L1 spans lines 2-3 (a quoted line break); the short record is line 4; L4, line 5
    write(tmp_path, "leads.csv", HEADER9 + 'L1,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,website,"Acme\nEast",IT,EU,,\n'
          + "L2,broken\n" + lead(4, channel="tv"))
    frame, staged, q = staged_file(tmp_path)
    assert list(q["detail"]) == [
        "leads.csv line 4: 2 fields, the header has 9",
        "leads.csv line 5: channel must be one of website, paid_ads, content, event, partner, outbound, referral, "
        "other; got 'tv'"]
    assert list(q["record"])[0] == "L2,broken" and list(q["record_id"]) == ["L2", "L4"]
    assert list(staged.valid["leads"]["company"]) == ["Acme\nEast"]


def test_crlf_records_of_the_wrong_shape_keep_their_text_without_the_line_break(tmp_path):
    write(tmp_path, "leads.csv", (HEADER9 + lead(1) + "L2,x,y\n" + lead(3)).replace("\n", "\r\n"))
    frame, staged, q = staged_file(tmp_path)
    assert list(staged.valid["leads"]["lead_id"]) == ["L1", "L3"]
    assert list(q["record"]) == ["L2,x,y"] and list(q["detail"]) == ["leads.csv line 3: 3 fields, the header has 9"]


def test_an_empty_line_is_a_record_of_no_fields(tmp_path):
    write(tmp_path, "leads.csv", HEADER9 + lead(1) + "\n" + lead(2))
    frame, staged, q = staged_file(tmp_path)
    assert list(q[["record_id", "record", "detail"]].itertuples(index=False, name=None)) == [
        ("", "", "leads.csv line 3: 0 fields, the header has 9")]
    assert (staged.counts.loc["leads", "read"], staged.counts.loc["leads", "valid"]) == (3, 2)


def test_a_short_record_without_its_key_field_has_no_record_id(tmp_path):
    # usage's key is license_id|usage_date: the header puts usage_date 3rd, the record has 2 fields
    write(tmp_path, "usage.csv", "license_id,active_users,usage_date\nL1,3\n")
    frame = read_entity_file(tmp_path, ENTITIES["usage"])
    (m,) = frame.attrs["origin"].misshapen
    assert (m.record_id, m.detail) == ("", "2 fields, the header has 3")


def test_parquet_rows_are_rows_not_lines(tmp_path):
    pd.DataFrame({"lead_id": ["L1", "L2"], "created_at": ["2026-01-01T00:00:00Z"] * 2,
                  "updated_at": ["2026-01-01T00:00:00Z"] * 2, "channel": ["website", "tv"]}
                 ).to_parquet(tmp_path / "leads.parquet")
    frame, staged, q = staged_file(tmp_path)
    assert list(q["detail"]) == ["leads.parquet row 2: channel must be one of website, paid_ads, content, event, "
                                 "partner, outbound, referral, other; got 'tv'"]


def test_a_drop_of_header_only_files_stages_as_empty_entities(tmp_path):
    # an empty rate card with no time entries once failed inside pandas (merge_asof on two empty columns)
    for e in ENTITIES.values():
        write(tmp_path, f"{e.name}.csv", ",".join(e.names) + "\n")
    staged = stage_sources({n: read_entity_file(tmp_path, e) for n, e in ENTITIES.items()}, "USD")
    assert staged.quarantine.empty and (staged.counts.to_numpy() == 0).all()
    assert all(frame.empty for frame in staged.valid.values())
