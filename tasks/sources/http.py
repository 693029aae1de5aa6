"""What every HTTP connector shares: one `requests.Session` per source, a timeout on every
request, and the bounded retries of tasks/sources/retry.py. A source only says, per response,
whether it is fine, worth another try (and after how long), or final.

Nothing here logs a header or a URL's credentials: a connector puts its token in the session's
headers, and messages name the source, the method and the path.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from tasks.sources.base import SourceError
from tasks.sources.retry import RetryPolicy, TryAgain, retry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """Try again; after `wait` seconds if the server said so (Retry-After), else by the policy."""

    reason: str
    wait: float | None = None


@dataclass(frozen=True)
class Fail:
    """Stop now: retrying cannot help (bad credentials, a daily quota, a malformed request)."""

    reason: str


Verdict = Retry | Fail | None  # None: the response is good
Classifier = Callable[[requests.Response], Verdict]


@dataclass
class HttpSource:
    name: str  # "HubSpot": how messages name the source
    base_url: str
    classify: Classifier
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0  # seconds, per request (connect and read)
    ca_bundle: str | None = None  # a CA bundle to verify the server with; None: the system's (or REQUESTS_CA_BUNDLE)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update(self.headers)
        if self.ca_bundle:  # certificates are always verified: a bundle adds trust, never removes the check
            self.session.verify = self.ca_bundle
        self.retries = 0  # how many retries this source needed, for the run's log

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """The response once it is good; SourceError when it is final or the retries ran out."""
        where = f"{self.name} {method} {path}"

        def attempt() -> requests.Response:
            try:
                response = self.session.request(method, self.base_url.rstrip("/") + path, timeout=self.timeout,
                                                **kwargs)
            except requests.Timeout:
                raise TryAgain(f"no answer within {self.timeout:g} s") from None
            except requests.exceptions.SSLError as exc:  # a ConnectionError too, but retrying cannot heal it
                raise SourceError(f"{where}: the server's TLS certificate could not be verified ({_ssl_reason(exc)}); "
                                  "if it is signed by a private CA, give its bundle as ca_bundle") from None
            except requests.ConnectionError as exc:
                raise TryAgain(f"connection failed ({type(exc).__name__})") from None
            verdict = self.classify(response)
            if isinstance(verdict, Fail):
                raise SourceError(f"{where}: {verdict.reason}")
            if isinstance(verdict, Retry):
                raise TryAgain(verdict.reason, verdict.wait)
            return response

        def announce(attempt_number: int, failure: TryAgain, wait: float) -> None:
            log.warning("%s: %s; retry %d of %d in %.1f s", where, failure.reason, attempt_number,
                        self.policy.max_attempts - 1, wait)
            self.retries += 1

        def gave_up(attempts: int, failure: TryAgain) -> SourceError:
            return SourceError(f"{where}: gave up after {attempts} attempts; last: {failure.reason}")

        return retry(attempt, self.policy, sleep=self.sleep, rng=self.rng, announce=announce, gave_up=gave_up)

    def close(self) -> None:
        self.session.close()


def _ssl_reason(exc: Exception) -> str:
    """The verification failure as OpenSSL words it (e.g. "self-signed certificate"), not the whole chain."""
    text = str(exc)
    for marker in ("certificate verify failed: ", "SSLError("):
        if marker in text:
            return text.split(marker, 1)[1].split(")")[0].split("'")[0].strip() or "SSL error"
    return type(exc).__name__
