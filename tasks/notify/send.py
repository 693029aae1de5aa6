"""Delivery: each channel on its own, a few attempts with a growing wait between them, every
failure logged under the channel's label (its kind, or the e-mail's recipient), never with its URL
or credential. Nothing here raises: a message that cannot be delivered is an error in the log, and
the run it tells of is what it was."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tasks.errors import one_line
from tasks.notify.apprise_io import send
from tasks.notify.channels import Channel
from tasks.notify.message import Message

Log = logging.Logger | logging.LoggerAdapter
MAX_WAIT = 60.0  # seconds between two attempts, at most
HIDDEN = "***"


@dataclass(frozen=True)
class Delivery:
    """What became of one channel's message."""

    label: str
    kind: str
    delivered: bool
    attempts: int
    reason: str = ""  # the last failure, scrubbed of the channel's secrets


def waits(attempts: int, backoff: float) -> list[float]:
    """The waits before attempts 2 … n: backoff, 2 × backoff, 4 × backoff, … each at most MAX_WAIT."""
    return [min(MAX_WAIT, backoff * 2 ** k) for k in range(attempts - 1)]


def scrub(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """`text` with every secret (and its URL-quoted form) replaced by ***, longest first."""
    from urllib.parse import quote

    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote(secret, safe="/:")}:
            text = text.replace(form, HIDDEN)
    return text


def deliver(message: Message, channel: Channel, log: Log, *, attempts: int = 3, backoff: float = 5.0,
            sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send `message` to `channel`, up to `attempts` times. Never raises."""
    title, body = scrub(message.title, channel.secrets), scrub(message.body, channel.secrets)
    pauses = waits(attempts, backoff)
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            delivered, warnings = send(channel.url, title, body)
            reason = "; ".join(dict.fromkeys(" ".join(w.split()) for w in warnings)) or "Apprise reported a failure"
        except Exception as exc:  # Apprise catches its own; anything else is a failed attempt all the same
            delivered, reason = False, one_line(exc)
        reason = scrub(reason, channel.secrets)
        if delivered:
            log.info("notify %s: delivered%s", channel.label, f" (attempt {attempt} of {attempts})" if attempt > 1
                     else "")
            return Delivery(channel.label, channel.kind, True, attempt)
        if attempt < attempts:
            log.warning("notify %s: attempt %d of %d failed (%s); again in %g s", channel.label, attempt, attempts,
                        reason, pauses[attempt - 1])
            sleep(pauses[attempt - 1])
    log.error("notify %s: not delivered after %d attempt%s (%s); the run is not affected", channel.label, attempts,
              "s" if attempts > 1 else "", reason)
    return Delivery(channel.label, channel.kind, False, attempts, reason)
