"""What every HTTP connector shares: one `requests.Session` per source, a timeout on every
request, and bounded retries with exponential backoff and jitter. A source only says, per
response, whether it is fine, worth another try (and after how long), or final.

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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # the first try and up to five retries
    timeout: float = 30.0  # seconds, per request (connect and read)
    backoff: float = 1.0  # first wait; doubles per attempt
    max_wait: float = 60.0
    jitter: float = 0.5  # ± this share of the wait, so parallel clients do not retry in step

    def wait(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_wait, self.backoff * 2 ** (attempt - 1))
        return max(0.0, base * (1 + rng.uniform(-self.jitter, self.jitter)))


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
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update(self.headers)
        self.retries = 0  # how many retries this source needed, for the run's log

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """The response once it is good; SourceError when it is final or the retries ran out."""
        where = f"{self.name} {method} {path}"
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = self.session.request(method, self.base_url.rstrip("/") + path,
                                                timeout=self.policy.timeout, **kwargs)
            except requests.Timeout:
                verdict: Verdict = Retry(f"no answer within {self.policy.timeout:g} s")
            except requests.ConnectionError as exc:
                verdict = Retry(f"connection failed ({type(exc).__name__})")
            else:
                verdict = self.classify(response)
                if verdict is None:
                    return response
            if isinstance(verdict, Fail):
                raise SourceError(f"{where}: {verdict.reason}")
            if attempt == self.policy.max_attempts:
                raise SourceError(f"{where}: gave up after {attempt} attempts; last: {verdict.reason}")
            wait = verdict.wait if verdict.wait is not None else self.policy.wait(attempt, self.rng)
            log.warning("%s: %s; retry %d of %d in %.1f s", where, verdict.reason, attempt,
                        self.policy.max_attempts - 1, wait)
            self.retries += 1
            self.sleep(wait)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.session.close()
