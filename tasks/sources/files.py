"""The file drop (the embedded default): one `<entity>.csv` (or `.parquet`) per entity in a folder."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas.columns import Entity
from tasks.sources.base import SourceError, as_text, check_columns


def read_entity_file(folder: str | Path, entity: Entity) -> pd.DataFrame:
    """The entity's rows as text (every value a str, empty cells ""), its source in `attrs`."""
    folder = Path(folder)
    csv, parquet = folder / f"{entity.name}.csv", folder / f"{entity.name}.parquet"
    if csv.exists():
        path, frame = csv, _read_csv(csv)
    elif parquet.exists():
        path, frame = parquet, _read_parquet(parquet, entity)
    else:
        raise SourceError(f"{csv}: file not found (nor {parquet.name}); every entity needs a file")
    frame = check_columns(frame, entity, str(path)).reset_index(drop=True)
    frame.attrs.update(source=path.name)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", skipinitialspace=False)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: empty file, not even a header row") from None
    except pd.errors.ParserError as exc:
        raise SourceError(f"{path}: broken CSV: {exc}".strip()) from None


def _read_parquet(path: Path, entity: Entity) -> pd.DataFrame:
    """Parquet columns may be typed: turn every value back into the text of the file-drop format."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceError(f"{path}: unreadable Parquet file: {exc}") from None
    return as_text(frame, entity)
