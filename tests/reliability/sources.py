"""A small HubSpot account in the fake of tests/fakes (40 contacts, one won deal and its company),
the file drop for the other entities, and a TLS certificate authority for serving the fake over
https."""
from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from pathlib import Path

from builders import dataset
from fakes.hubspot import FakeHubSpot

CONTACTS = 40
CREATED = "2026-01-05T10:00:00Z"


def load_account(fake: FakeHubSpot) -> None:
    when = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    for i in range(CONTACTS):
        fake.add_contact(f"{1000 + i}", {"createdate": CREATED, "lastmodifieddate": CREATED,
                                         "hs_analytics_source": "ORGANIC_SEARCH", "company": "Acme", "industry": "Retail",
                                         "country": "DE"}, created=when, modified=when)
    fake.add_company("77", {"name": "Acme", "industry": "Retail", "country": "DE", "hs_is_target_account": "true"},
                     created=when, modified=when)
    fake.add_deal("D1", {"createdate": CREATED, "hs_lastmodifieddate": "2026-02-01T00:00:00Z",
                         "closedate": "2026-02-01T00:00:00Z", "dealstage": "closedwon", "dealtype": "newbusiness",
                         "amount": "25000", "deal_currency_code": "USD", "hubspot_owner_id": "ann"},
                  created=when, modified=when, contact_ids=["1000"], company_ids=["77"])


PROJECT = {"project_id": "P1", "deal_id": "D1", "account_id": "77"}


def write_drop(folder: Path) -> Path:
    """Every entity as files (leads and deals, and projects, are read from the connectors when a
    configuration says so): the project of the deal, its time entries, the rate card."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset(projects=[PROJECT], time_entries=[{"project_id": "P1"}] * 3).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority of our own and a certificate it signed for 127.0.0.1 and localhost:
    (ca.pem, server.pem, server.key). Nothing trusts the authority unless told to."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key, cert, key, csr = (folder / n for n in ("ca.pem", "ca.key", "server.pem", "server.key", "server.csr"))
    ext = folder / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    for args in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=opsmetrics reliability test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", ext],
    ):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)
    return ca, cert, key


def serve_tls(fake: FakeHubSpot, cert: Path, key: Path) -> str:
    """The fake's listening socket wrapped in TLS with `cert` (its serving thread accepts from the
    same file descriptor, now through the wrapper); returns the https URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = fake._server
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return f"https://127.0.0.1:{server.server_address[1]}"
