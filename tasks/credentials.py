"""Credentials named in the configuration: `env:NAME` (an environment variable) or
`secret:BLOCK` (a Prefect Secret block). The value is never printed: a Credential shows where it
came from, which is what an error message names."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from tasks.sources.base import SourceError


@dataclass(frozen=True)
class Credential:
    value: str = field(repr=False)
    origin: str  # "environment variable HUBSPOT_TOKEN", "Prefect Secret block 'hubspot'"

    def __str__(self) -> str:
        return f"<credential from {self.origin}>"


def resolve(reference: str, what: str) -> Credential:
    """The credential `reference` names; `what` ("the HubSpot token") words the errors."""
    kind, _, name = str(reference).partition(":")
    if kind == "env" and name:
        value = os.environ.get(name, "")
        if not value:
            raise SourceError(f"{what}: environment variable {name} is not set or empty")
        return Credential(value, f"environment variable {name}")
    if kind == "secret" and name:
        return Credential(_secret_block(name, what), f"Prefect Secret block {name!r}")
    raise SourceError(f"{what}: give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself")


def _secret_block(name: str, what: str) -> str:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError as exc:  # Prefect's "Unable to find block document named …"
        raise SourceError(f"{what}: Prefect Secret block {name!r} could not be loaded ({exc})") from None
    if not value:
        raise SourceError(f"{what}: Prefect Secret block {name!r} is empty")
    return str(value)
