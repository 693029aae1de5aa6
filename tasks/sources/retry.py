"""Bounded retries with exponential backoff, the same for every connector (an HTTP API, a database).

An attempt says it may succeed if made again by raising `TryAgain`; any other exception is final
and passes through at once. The caller words the messages (`announce`, `gave_up`): it knows what
was being read. `sleep` and `rng` are parameters, so a test records the waits instead of sleeping.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try. The defaults suit an HTTP API under rate limits."""

    max_attempts: int = 6  # the first try included
    backoff: float = 1.0  # seconds before the second attempt; doubles after each failure
    max_wait: float = 60.0
    jitter: float = 0.5  # ± this share of the wait, so parallel clients do not retry in step

    def wait(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        base = min(self.max_wait, self.backoff * 2 ** (attempt - 1))
        if not self.jitter:
            return base
        return max(0.0, base * (1 + (rng or random).uniform(-self.jitter, self.jitter)))


NO_CAP = math.inf  # max_wait for a policy whose waits simply double


class TryAgain(Exception):
    """Raised by an attempt that failed in a way another attempt may not: why, and how long the
    source asked to be left alone (None: the policy's backoff decides)."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def retry(attempt: Callable[[], T], policy: RetryPolicy, *, sleep: Callable[[float], None],
          announce: Callable[[int, TryAgain, float], None], gave_up: Callable[[int, TryAgain], Exception],
          rng: random.Random | None = None) -> T:
    """What `attempt()` returns, trying again after each `TryAgain` (`announce(attempt, failure, wait)`
    is told first) up to `policy.max_attempts`; then the error `gave_up(attempts, last_failure)`
    builds, raised without the failure chained (its context may quote a credential)."""
    for number in range(1, policy.max_attempts + 1):
        try:
            return attempt()
        except TryAgain as failure:
            if number == policy.max_attempts:
                raise gave_up(number, failure) from None
            wait = failure.wait if failure.wait is not None else policy.wait(number, rng)
            announce(number, failure, wait)
            sleep(wait)
    raise AssertionError("unreachable: max_attempts is at least 1")
