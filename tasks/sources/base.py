"""What every connector shares: the error it raises and the column check on what it read."""
from __future__ import annotations

import pandas as pd

from schemas.columns import Entity


class SourceError(RuntimeError):
    """A source could not be read (a missing file or column, a broken file, an API that failed).

    The message names the source and what is wrong; it never contains a credential.
    """


def check_columns(frame: pd.DataFrame, entity: Entity, where: str) -> pd.DataFrame:
    """The canonical columns of `frame` (extra ones are ignored), or a SourceError naming the
    missing required ones. Optional columns that are absent stay absent: missing on every row."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    missing = [c for c in entity.required_columns if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise SourceError(f"{where}: missing required column{'s' if len(missing) > 1 else ''} {names} "
                          f"(entity {entity.name})")
    return frame[[c for c in entity.names if c in frame.columns]]
