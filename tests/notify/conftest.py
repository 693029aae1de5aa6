"""Receivers for the delivery tests (started here, stopped after each test) and a certificate they
serve, trusted by the clients for the test's duration."""
from __future__ import annotations

import pytest

from notify.receivers import SMTP_PASSWORD, SMTP_USER, Certificate, Receiver, SmtpServer, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusted(certificate, monkeypatch) -> Certificate:
    """The clients trust the test certificate (and nothing else) meanwhile."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


@pytest.fixture
def receivers(trusted):
    """receivers() → a new Receiver (HTTP; `tls=True` HTTPS), stopped at the end of the test."""
    started: list[Receiver] = []

    def start(tls: bool = False, **kwargs) -> Receiver:
        started.append(Receiver(trusted if tls else None, **kwargs))
        return started[-1]

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def smtp(trusted):
    server = SmtpServer(trusted, SMTP_USER, SMTP_PASSWORD)
    yield server
    server.stop()
