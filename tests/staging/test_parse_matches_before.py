"""Parsing in Arrow (tasks/staging/parse.py) reads every text as the pandas parser of BEFORE did:
the same typed value, or missing (then `type:` quarantines it), for timestamps, dates, numbers and
booleans, on values drawn to sit at the edges (impossible dates, second 60, year 0, offsets,
fractions, case, signs, exponents, white space)."""
from __future__ import annotations

import subprocess
import types
from pathlib import Path

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from schemas.columns import Column, Kind
from tasks.staging import parse

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "2831f25"


@pytest.fixture(scope="module")
def before():
    """tasks/staging/parse.py as it was at BEFORE, loaded as a module."""
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:tasks/staging/parse.py"],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"commit {BEFORE} is not in this checkout's history")
    module = types.ModuleType("parse_before")
    exec(compile(done.stdout, "parse_before.py", "exec"), module.__dict__)  # noqa: S102 - our own code
    return module


DIGITS = st.text("0123456789", min_size=1, max_size=4)
DATE = st.builds("{}-{}-{}".format, st.sampled_from(["2026", "0000", "0001", "9999", "1677", "2263", "26"]),
                 st.sampled_from(["01", "02", "12", "13", "00", "1"]), st.sampled_from(["01", "28", "29", "30", "31", "00"]))
TIME = st.builds("{}:{}{}".format, st.sampled_from(["00", "23", "24", "9"]), st.sampled_from(["00", "59", "60"]),
                 st.sampled_from(["", ":00", ":59", ":60", ":61", ":00.5", ":00.123456789"]))
ZONE = st.sampled_from(["", "Z", "z", "+08:00", "-0530", "+0800", "+24:00", "+08"])
TIMESTAMP = st.one_of(DATE, st.builds("{}{}{}{}".format, DATE, st.sampled_from(["T", " ", "t", "x"]), TIME, ZONE))
NUMBER = st.one_of(st.builds("{}{}{}{}".format, st.sampled_from(["", "+", "-"]), DIGITS,
                             st.sampled_from(["", ".", ".5", ".000"]), st.sampled_from(["", "e5", "E-3", "e999", "e"])),
                   st.sampled_from(["NaN", "inf", "1,000", ".5", ".", "-", "1e-999", "0x10", "٣"]))
BOOLEAN = st.sampled_from(["true", "TRUE", "False", "1", "0", "yes", "No", "y", "t", "2"])
PAD = st.sampled_from(["", " ", "\t", "\u00a0"])
KINDS = {Kind.TIMESTAMP: TIMESTAMP, Kind.DATE: st.one_of(DATE, TIMESTAMP), Kind.DECIMAL: NUMBER,
         Kind.INTEGER: NUMBER, Kind.BOOLEAN: BOOLEAN}


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds("{}{}{}".format, PAD, values, PAD)


@pytest.mark.parametrize("kind", list(KINDS), ids=lambda k: k.name)
def test_a_value_parses_to_what_it_parsed_to_before(before, kind):
    @settings(max_examples=150, deadline=None)
    @given(values=st.lists(st.one_of(padded(KINDS[kind]), st.just("")), min_size=1, max_size=30))
    def check(values):
        raw = pd.DataFrame({"v": pd.array(values, dtype="str")})
        # a declared column (not a stand-in with the fields of the day: parsing reads first_of_month now)
        entity = types.SimpleNamespace(columns=[Column("v", kind)])
        new, old = parse.parse_entity(raw, entity), before.parse_entity(raw, entity)
        pd.testing.assert_frame_equal(new, old, check_exact=True)

    check()
