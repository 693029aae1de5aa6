"""How an error is said in one line: in run_log, in a run's artifact, and last on the CLI's stderr.
Kept free of heavy imports, since the CLI's error path uses it before anything else is loaded."""
from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """An error as one line of at most 500 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
