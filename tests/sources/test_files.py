"""The file drop of SOURCES.md: CSV or Parquet, any column order, clear errors naming file and column."""
from __future__ import annotations

import pandas as pd
import pytest
from builders import dataset

from schemas.sources import ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file

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


def test_broken_csv_names_the_file_and_line(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel\nL1,a,b,c\nL2,a,b,c,d,e\n")
    with pytest.raises(SourceError, match=r"leads\.csv: broken CSV: .*line 3"):
        read_entity_file(tmp_path, LEADS)


def test_not_utf8_is_an_error(tmp_path):
    write(tmp_path, "leads.csv", "lead_id,created_at,updated_at,channel,company\nL1,a,b,c,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"leads\.csv: not UTF-8"):
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
