"""Credentials named in the configuration: `env:NAME` (an environment variable) or
`secret:BLOCK` (a secret store: Prefect Secret blocks, which `flows/` installs as the loader, so
nothing under tasks/ imports Prefect). The value is never printed: a Credential shows where it
came from, which is what an error message names."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from schemas.config import SettingsError, is_reference

SecretLoader = Callable[[str], str]  # block name → value; raises ValueError when there is no such block
_secret_loader: SecretLoader | None = None


class CredentialError(SettingsError):
    """A credential named by the configuration cannot be had; the message says where it was looked for."""


@dataclass(frozen=True)
class Credential:
    value: str = field(repr=False)
    origin: str  # "environment variable HUBSPOT_TOKEN", "Prefect Secret block 'hubspot'"

    def __str__(self) -> str:
        return f"<credential from {self.origin}>"


def install_secret_loader(loader: SecretLoader | None) -> None:
    """Where `secret:NAME` references are looked up (flows/ installs Prefect's Secret blocks)."""
    global _secret_loader
    _secret_loader = loader


def resolve(reference: str, what: str) -> Credential:
    """The credential `reference` names; `what` ("sources.hubspot.token") words the errors."""
    kind, _, name = str(reference).strip().partition(":")
    if kind == "env" and name:
        value = os.environ.get(name, "")
        if not value:
            raise CredentialError(f"{what}: environment variable {name} is not set or empty")
        return Credential(value, f"environment variable {name}")
    if kind == "secret" and name:
        if _secret_loader is None:
            raise CredentialError(f"{what}: secret:{name} needs a secret store; run through Prefect (opsmetrics run, "
                                  "a deployment) or give env:VARIABLE")
        try:
            value = _secret_loader(name)
        except ValueError as exc:  # Prefect's "Unable to find block document named …"
            raise CredentialError(f"{what}: Prefect Secret block {name!r} could not be loaded ({exc})") from None
        if not value:
            raise CredentialError(f"{what}: Prefect Secret block {name!r} is empty")
        return Credential(str(value), f"Prefect Secret block {name!r}")
    raise CredentialError(f"{what}: give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself")


def resolve_url(url: str, what: str) -> str:
    """A URL setting that may be given literally or as a reference (the warehouse, a SQL source)."""
    return resolve(url, what).value if is_reference(url) else url
