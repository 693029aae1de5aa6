"""The one retry helper of the connectors (HTTP and SQL use it): bounded attempts, doubling waits
with a cap and jitter, the source's own wait honoured, final errors passed through at once."""
from __future__ import annotations

import random

import pytest

from tasks.sources.retry import RetryPolicy, TryAgain, retry


class GaveUp(Exception):
    pass


def failing(*outcomes):
    """An attempt that raises the given errors in turn, then returns "done"."""
    queue = list(outcomes)

    def attempt():
        if queue:
            raise queue.pop(0)
        return "done"

    return attempt


def run(attempt, policy, **kw):
    waits, announced = [], []
    result = retry(attempt, policy, sleep=waits.append, announce=lambda n, failure, wait: announced.append(n),
                   gave_up=lambda n, failure: GaveUp(f"{n} attempts, last: {failure.reason}"), **kw)
    return result, waits, announced


def test_waits_double_up_to_the_cap_and_the_source_wait_wins():
    policy = RetryPolicy(max_attempts=5, backoff=2, max_wait=5, jitter=0)
    result, waits, announced = run(failing(TryAgain("a"), TryAgain("b"), TryAgain("c", wait=0.5), TryAgain("d")), policy)
    assert (result, waits, announced) == ("done", [2, 4, 0.5, 5], [1, 2, 3, 4])


def test_jitter_comes_from_the_injected_random_source():
    policy = RetryPolicy(max_attempts=3, backoff=10, jitter=0.5)
    _, first, _ = run(failing(TryAgain("a"), TryAgain("b")), policy, rng=random.Random(1))
    _, again, _ = run(failing(TryAgain("a"), TryAgain("b")), policy, rng=random.Random(1))
    assert first == again and 5 <= first[0] <= 15 and 10 <= first[1] <= 30


def test_after_the_last_attempt_the_callers_error_without_the_failure_chained():
    with pytest.raises(GaveUp, match="3 attempts, last: c") as info:
        run(failing(TryAgain("a"), TryAgain("b"), TryAgain("c")), RetryPolicy(max_attempts=3, jitter=0))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_any_other_error_is_final_at_once():
    waits = []
    with pytest.raises(KeyError):
        retry(failing(KeyError("x")), RetryPolicy(), sleep=waits.append, announce=lambda *a: None,
              gave_up=lambda n, failure: GaveUp())
    assert waits == []
