"""Delivered where the team is: after a nightly run, a message by e-mail and chat (Apprise).

`notify_run` is the one call a shell makes after a run: it builds the message (message.py: the
review pack's link, the signals, the red projects, the overdue follow-ups; or the failure's reason),
resolves the configured channels into Apprise URLs (channels.py) and delivers to each on its own,
with retries (send.py). It never raises and never writes to the warehouse: a message that cannot be
delivered is an error in the run's log, and the run is what it was.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from schemas.config import Settings
from tasks.errors import one_line
from tasks.notify.channels import Channel, channels
from tasks.notify.message import Message, run_message
from tasks.notify.send import Delivery, deliver, scrub
from tasks.report import RunResult
from tasks.warehouse.connect import Warehouse

__all__ = ["Channel", "Delivery", "Message", "notify_run"]

Log = logging.Logger | logging.LoggerAdapter


def notify_run(settings: Settings, result: RunResult, wh: Warehouse | None, log: Log, *,
               sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Tell the configured channels how the run went, if `notify:` asks for runs ending so
    (`notify.when`). `wh` may be None (a run that failed before its warehouse was usable). Returns
    what became of each channel; never raises."""
    conf = settings.notify
    if conf is None or result.status not in conf.when:
        return []
    try:
        message = run_message(settings, result, wh)
        found, problems = channels(conf)
    except Exception as exc:  # nothing here may fail the run
        log.error("notify: no message sent: %s", one_line(exc))
        return []
    # a credential that happens to appear in the message (an error quoting it) is hidden from every channel
    secrets = [s for c in found for s in c.secrets]
    message = Message(scrub(message.title, secrets), scrub(message.body, secrets))
    for _, label, why in problems:
        log.error("notify %s: not sent: %s", label, why)
    if found:
        log.info("notify: %s as of %s → %s", result.status, result.end, ", ".join(c.label for c in found))
    out = [deliver(message, c, log, attempts=conf.attempts, backoff=conf.backoff_seconds, sleep=sleep) for c in found]
    return out + [Delivery(label, kind, False, 0, why) for kind, label, why in problems]

