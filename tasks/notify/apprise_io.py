"""Apprise, called so that what it is given stays where it is.

An Apprise URL holds a credential (a webhook's token, an SMTP password). Apprise logs the address it
posts to at debug level, and a few of its warnings quote a token it refused; urllib3 logs each
request line (a webhook's path and query: its token) at debug level. While a URL is read or sent
to, the records of both libraries are caught here instead of reaching the application's handlers
(Prefect's run log, the CLI's stderr); `send` hands back what Apprise warned, for the caller to
scrub and log under the channel's label.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LOGGERS = ("apprise", "urllib3")
APP_ID = "opsmetrics"
_lock = threading.Lock()


class _Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def quiet_apprise() -> Iterator[list[logging.LogRecord]]:
    """The warnings Apprise and urllib3 log meanwhile, kept in a list and not propagated; their
    debug records are not even made. Logging is as it was afterwards."""
    records: list[logging.LogRecord] = []
    handler = _Keep(records)
    with _lock:
        saved = []
        for name in LOGGERS:
            logger = logging.getLogger(name)
            saved.append((logger, logger.propagate, logger.level))
            logger.propagate = False
            logger.setLevel(logging.WARNING)
            logger.addHandler(handler)
        try:
            yield records
        finally:
            for logger, propagate, level in saved:
                logger.removeHandler(handler)
                logger.propagate = propagate
                logger.setLevel(level)


def instantiate(url: str):
    """The Apprise service `url` describes (its plugin's instance), or None if Apprise cannot read it."""
    import apprise  # imported when a run notifies, not with tasks/

    with quiet_apprise():
        return apprise.Apprise.instantiate(url, asset=apprise.AppriseAsset(app_id=APP_ID))


def send(url: str, title: str, body: str) -> tuple[bool, list[str]]:
    """One attempt to deliver the message to `url`: whether it was delivered, and what Apprise
    warned meanwhile (raw: it may quote the URL; the caller scrubs it)."""
    import apprise

    with quiet_apprise() as records:
        service = apprise.Apprise(asset=apprise.AppriseAsset(app_id=APP_ID))
        if not service.add(url):
            return False, ["Apprise cannot read the channel's URL"]
        delivered = bool(service.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
    return delivered, [r.getMessage() for r in records]
