"""TLS verification stays on for HTTP sources: nothing turns it off, a server whose certificate no
trusted authority signed is refused with an error that names the source and says it is the
certificate, and the same server is accepted once its authority is configured (REQUESTS_CA_BUNDLE:
schemas/config.py's HubSpotSource has no CA-bundle setting of its own)."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from fakes.hubspot import FakeHubSpot

from reliability.sources import CONTACTS, load_account, make_ca, serve_tls, write_drop
from reliability.support import ROOT
from schemas.config import Settings
from tasks import pipeline
from tasks.sources.base import SourceError
from tasks.sources.http import HttpSource
from tasks.sources.retry import RetryPolicy
from tasks.warehouse.connect import Warehouse

pytestmark = pytest.mark.reliability

TOKEN = "pat-na1-tls-test-token"
AS_OF = dt.date(2026, 3, 1)
LOG = logging.getLogger("reliability-tls")
# ways to switch certificate checking off, in requests, urllib3 and the ssl module
INSECURE = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context|"
                      r"disable_warnings|InsecureRequestWarning|\.verify\s*=\s*(False|0)\b")


@pytest.fixture(scope="module")
def tls_fake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_ca(folder / "ca")
    with FakeHubSpot(token=TOKEN) as fake:
        load_account(fake)
        yield fake, serve_tls(fake, cert, key), ca, write_drop(folder / "drop")


@pytest.fixture(autouse=True)
def no_ca_from_the_environment(monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSMETRICS_REL_TLS_TOKEN", TOKEN)


def settings(url: str, drop, warehouse: str, **hubspot) -> Settings:
    return Settings(warehouse=warehouse, sources={
        "files": {"path": str(drop)},
        "hubspot": {"base_url": url, "token": "env:OPSMETRICS_REL_TLS_TOKEN", "entities": ["leads", "deals"],
                    "max_attempts": 1, **hubspot}})


def run(url: str, drop, tmp_path, **hubspot):
    s = settings(url, drop, f"sqlite:///{tmp_path / 'w.db'}", **hubspot)
    wh = Warehouse.open(s.warehouse)
    try:
        return pipeline.run(s, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="tls")
    finally:
        wh.dispose()


def test_nothing_turns_certificate_verification_off():
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for folder in ("tasks", "flows", "opsmetrics", "schemas") for path in sorted((ROOT / folder).rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if INSECURE.search(line)]
    assert hits == []
    source = HttpSource("HubSpot", "https://api.hubapi.com", lambda r: None)
    # requests' defaults: verify against the CA bundle, and honour REQUESTS_CA_BUNDLE from the environment
    assert source.session.verify is True and source.session.trust_env is True
    source.close()


def test_an_untrusted_certificate_fails_the_run_naming_the_source_and_the_certificate(tls_fake, tmp_path):
    fake, url, ca, drop = tls_fake
    result = run(url, drop, tmp_path)
    assert result.status == "failed"
    assert "HubSpot" in result.message, result.message
    assert "certificate" in result.message.lower(), f"the reason does not say it is the certificate: {result.message}"
    assert not any(r.path.startswith("/crm") for r in fake.requests), "a request got through without TLS"


def test_a_certificate_failure_is_final_not_retried(tls_fake):
    """A certificate that does not verify will not verify a second later: like a refused token, it
    stops at once rather than waiting through the backoff (1 + 2 + 4 + 8 + 16 s with the defaults)."""
    fake, url, ca, drop = tls_fake
    waits: list[float] = []
    source = HttpSource("HubSpot", url, lambda r: None, policy=RetryPolicy(max_attempts=6), sleep=waits.append)
    with pytest.raises(SourceError) as failure:
        source.request("GET", "/crm/v3/objects/contacts")
    source.close()
    assert str(failure.value).startswith("HubSpot GET /crm/v3/objects/contacts")
    assert waits == [], f"retried {len(waits)} times, waiting {sum(waits):.0f} s: {failure.value}"


def test_the_same_server_is_accepted_once_its_authority_is_configured(tls_fake, tmp_path, monkeypatch):
    fake, url, ca, drop = tls_fake
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    result = run(url, drop, tmp_path)
    assert result.status == "completed", result.message
    assert result.counts["leads"]["read"] == CONTACTS and result.counts["deals"]["read"] == 1
    assert result.counts["leads"]["quarantined"] == 0 and result.counts["deals"]["quarantined"] == 0


def test_the_same_server_is_accepted_with_the_ca_bundle_setting(tls_fake, tmp_path):
    fake, url, ca, drop = tls_fake
    result = run(url, drop, tmp_path, ca_bundle=str(ca))
    assert result.status == "completed", result.message
    assert result.counts["leads"]["read"] == CONTACTS
