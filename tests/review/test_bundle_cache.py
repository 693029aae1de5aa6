"""The Vega bundle is built once per machine, not once per process: kept in the cache folder
(OPSMETRICS_CACHE_DIR), read back whole, rebuilt when missing, and a cache that cannot be written
costs only the time."""
from __future__ import annotations

import pytest
import vl_convert

from schemas.config import CACHE_ENV
from tasks.review import page


@pytest.fixture
def fresh(monkeypatch):
    page.vega_bundle.cache_clear()  # the in-process copy; what is on disk is the test's
    yield monkeypatch
    page.vega_bundle.cache_clear()


def _no_build(**_):
    raise AssertionError("built again, not read from the cache")


def test_the_bundle_is_written_once_then_read_from_the_cache(fresh, tmp_path):
    fresh.setenv(CACHE_ENV, str(tmp_path))
    built = page.vega_bundle()
    kept = tmp_path / f"vega-{vl_convert.__version__}-{page.VL_VERSION}.js"
    assert kept.read_text(encoding="utf-8") == built
    assert "vegaEmbed" in built
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # no partial file left beside it
    page.vega_bundle.cache_clear()
    fresh.setattr(vl_convert, "javascript_bundle", _no_build)
    assert page.vega_bundle() == built


def test_a_cache_it_cannot_write_still_gives_the_bundle(fresh, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    fresh.setenv(CACHE_ENV, str(blocker / "cache"))  # its parent is a file: mkdir fails
    assert "vegaEmbed" in page.vega_bundle()
    assert blocker.read_text() == "not a folder"


def test_without_the_setting_the_cache_is_in_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert page.bundle_cache_dir() == tmp_path / "opsmetrics"
