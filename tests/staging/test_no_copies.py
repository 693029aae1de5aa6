"""Staging keeps the source's own text buffers where it changes nothing (memory: at scale 10 the
text of time_entries is ~400 MB, and every copy of it raised the run's peak), and still trims,
blanks and lower-cases exactly where the values need it."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from schemas.sources import ENTITIES
from tasks.staging.parse import normalise_text, parse_entity


def _data_buffer(array: pa.Array) -> int:
    return array.buffers()[2].address


def test_text_that_needs_no_trim_keeps_its_buffer():
    text = pa.array(["TE-1", "TE-2", "TE-3"], pa.large_string())
    out = normalise_text(text)
    assert out.to_pylist() == ["TE-1", "TE-2", "TE-3"]
    assert _data_buffer(out) == _data_buffer(text)


def test_text_that_needs_trimming_or_blanking_is_changed():
    text = pa.array([" TE-1 ", "", "   ", "TE-4", None], pa.large_string())
    # " TE-1 " trimmed; "" and "   " are missing (SOURCES.md: empty or white space = missing)
    assert normalise_text(text).to_pylist() == ["TE-1", None, None, "TE-4", None]
    # nothing to trim but an empty value: blanked, the rest as it was
    assert normalise_text(pa.array(["a", ""], pa.large_string())).to_pylist() == ["a", None]


def test_an_enum_already_in_lower_case_is_the_source_column():
    entity = ENTITIES["time_entries"]
    raw = pd.DataFrame({c.name: pd.array(["x"] * 2, dtype="str") for c in entity.columns})
    raw["role"] = pd.array(["sales", "Delivery"], dtype="str")
    raw["phase"] = pd.array(["presales", "build"], dtype="str")
    parsed = parse_entity(raw, entity)
    assert parsed["role"].tolist() == ["sales", "delivery"]  # "Delivery" lower-cased: a new column
    assert parsed["phase"].tolist() == ["presales", "build"]
    # phase needed nothing: it is the source's buffer, not a copy
    assert _data_buffer(pa.array(parsed["phase"].array)) == _data_buffer(pa.array(raw["phase"].array))
