"""The staged sources of a backfill, shared by its chunks: staged once, read by every chunk.

A backfill run from its deployment stages the sources once and leaves what staging gave (the
valid rows of every entity, the quarantine, the counts) in `snapshot_dir`, a folder or any fsspec
URL (`s3://bucket/path` for workers on several machines). Each chunk then reads the snapshot
instead of reading and validating every source again.

A snapshot is keyed by a **fingerprint**: the sha256 of everything that decides what staging
gives, namely each source's data (a file's name, size and content hash; for an entity a connector
lands, the state of its landing tables; for one read live from a database, the hash of the rows
read), the settings staging uses (the reporting currency and the sources' configuration) and the
code that reads and stages (the source files of tasks/staging/, tasks/sources/ and the contract,
and the versions of the libraries that parse). Same fingerprint, same staged rows.

Layout, under snapshot_dir:

    <fingerprint>/manifest.json               written last: without it there is no snapshot
    <fingerprint>/<write id>/<part>.parquet   the frames, each with its sha256 in the manifest

A reader sees a whole snapshot or none: the data files go to a folder of their own first, then
the manifest is moved into place in one step (a rename on a local disk, one object on a store).
Reading checks that the manifest holds the fingerprint asked for and every file its sha256: a
snapshot that fails either check is refused (SnapshotError), never used. Plain functions, no
Prefect: tasks/pipeline.py and flows/backfill.py call them.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import io
import json
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import sqlalchemy as sa

from schemas.config import Settings, SnapshotRef, url_password
from schemas.sources import ENTITIES
from tasks.sources.registry import read_entity
from tasks.staging.stage import Staged
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import LANDED_RECORDS, SYNC_STATE

FORMAT = 1  # the layout above; part of the fingerprint, so a new layout never reads an old one
ROOT = Path(__file__).resolve().parents[1]
# the code whose change changes what staging gives (reading, parsing, rules, duplicates, parents);
# schemas/outputs.py declares portfolio_daily, whose columns are the metrics a target or note may name
STAGING_CODE = ("tasks/staging", "tasks/sources", "schemas/sources.py", "schemas/columns.py", "schemas/rules.py",
                "schemas/outputs.py", "tasks/snapshot.py")
LIBRARIES = ("pandas", "pyarrow", "numpy", "great-expectations")
# connectors whose entities are read from the landing tables (the others are read live at extract)
LANDED = {"hubspot": lambda conf, entity: True, "sql": lambda conf, entity: entity in conf.incremental}


class SnapshotError(RuntimeError):
    """A snapshot that must not be used (another fingerprint, a file that is not what the manifest
    says), or sources that are not the ones a snapshot was staged from."""


class UnreachableStore(SnapshotError):
    """snapshot_dir cannot be opened here (an unknown protocol, its filesystem not installed)."""


# --- the fingerprint ----------------------------------------------------------------------------

def describe_sources(settings: Settings, wh: Warehouse | None = None) -> dict[str, Any]:
    """Per entity, what identifies the data a run would read now: for the file drop the file's
    name, size and sha256; for an entity a connector lands, the state of that connector's landing
    tables (records, latest landed and modified times, cursors: every sync that lands anything
    moves `landed_at`); for one read live from a database, the rows read and their hash."""
    info: dict[str, Any] = {}
    for name in ENTITIES:
        source = settings.sources.source_of(name)
        if source == "files":
            info[name] = _file_info(Path(settings.source_dir), name)
            continue
        conf = getattr(settings.sources, source)
        if source in LANDED and LANDED[source](conf, name):
            if wh is None:
                raise SnapshotError(f"{name}: landed by {source}; its state is read from the warehouse, and none was given")
            info[name] = {"source": source, "landed": landed_state(wh, source)}
        else:
            frame = read_entity(settings, name, wh)
            info[name] = {"source": source, "rows": len(frame), "sha256": frame_digest(frame)}
    return info


def fingerprint(settings: Settings, sources_info: dict[str, Any]) -> str:
    """sha256 (hex) of the sources (`describe_sources`), the settings staging uses and the code
    that stages. Settings staging does not read (the warehouse, the time zone, the gate) are not
    in it, nor the file drop's folder: the files' names and contents are."""
    content = {"format": FORMAT, "code": code_version(), "reporting_currency": settings.reporting_currency,
               "sources": _source_settings(settings), "entities": sources_info}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def source_fingerprint(settings: Settings, wh: Warehouse | None = None) -> str:
    """The fingerprint of the sources as this process sees them now."""
    return fingerprint(settings, describe_sources(settings, wh))


def check_fingerprint(seen: str, expected: str) -> None:
    """SnapshotError unless the sources and settings this run sees are those the backfill staged."""
    if seen != expected:
        raise SnapshotError(f"snapshot: the sources or staging settings this run sees (fingerprint {seen[:12]}) are "
                            f"not those the backfill staged (fingerprint {expected[:12]}): nothing published; rerun "
                            "the backfill to stage them again")


@functools.cache
def code_version() -> str:
    """sha256 of the staging code (STAGING_CODE) and the versions of the libraries that parse."""
    digest = hashlib.sha256()
    for item in STAGING_CODE:
        path = ROOT / item
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(f"{file.relative_to(ROOT)}\0".encode())
            digest.update(file.read_bytes())
    for lib in LIBRARIES:
        try:
            digest.update(f"{lib}=={importlib.metadata.version(lib)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{lib} missing\0".encode())
    return digest.hexdigest()


def landed_state(wh: Warehouse, source: str) -> list[list[str]]:
    """Per stream a connector landed: records, latest landed_at and modified_at, and its cursor."""
    t, s = LANDED_RECORDS, SYNC_STATE
    records = sa.select(t.c.stream, sa.func.count(), sa.func.max(t.c.landed_at), sa.func.max(t.c.modified_at)) \
        .where(t.c.source == source).group_by(t.c.stream).order_by(t.c.stream)
    cursors = sa.select(s.c.stream, s.c.cursor).where(s.c.source == source).order_by(s.c.stream)
    with wh.begin() as conn:
        rows = [["records", *map(str, r)] for r in conn.execute(records)]
        rows += [["cursor", *map(str, r)] for r in conn.execute(cursors)]
    return rows


def frame_digest(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256("\0".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _file_info(folder: Path, entity: str) -> dict[str, Any]:
    """As the file drop reads it: `<entity>.csv`, else `<entity>.parquet`, else missing."""
    for path in (folder / f"{entity}.csv", folder / f"{entity}.parquet"):
        if path.is_dir():
            return {"file": path.name, "directory": True}
        if path.is_file():
            with path.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            return {"file": path.name, "size": path.stat().st_size, "sha256": digest}
    return {"file": None}


def _source_settings(settings: Settings) -> dict[str, Any]:
    """The sources' configuration, without the file drop's folder and with no password."""
    conf = settings.sources.model_dump(mode="json")
    conf["files"].pop("path", None)
    if conf.get("sql") and (password := url_password(conf["sql"]["url"])):
        conf["sql"]["url"] = conf["sql"]["url"].replace(f":{password}@", ":***@")
    return conf


# --- writing and reading -----------------------------------------------------------------------------

def location(snapshot_dir: str) -> str:
    """`snapshot_dir` as every worker can be told it: a local folder made absolute, a URL as it is.
    SnapshotError when fsspec cannot open it (an unknown protocol, a filesystem not installed)."""
    _store(snapshot_dir)
    if "://" in snapshot_dir or fsspec.utils.get_protocol(snapshot_dir) != "file":
        return snapshot_dir.rstrip("/")
    return str(Path(snapshot_dir).expanduser().absolute())


def write_snapshot(staged: Staged, snapshot_dir: str, fingerprint_: str) -> SnapshotRef:
    """Write `staged` as the snapshot of `fingerprint_` (replacing one of the same fingerprint,
    which holds the same rows); returns where it is, for the chunks."""
    where = location(snapshot_dir)
    fs, root = _store(where)
    base = f"{root}/{fingerprint_}"
    write_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    fs.makedirs(f"{base}/{write_id}", exist_ok=True)
    files = {}
    for part, frame in _parts(staged):
        data = _parquet(frame)
        path = f"{write_id}/{part}.parquet"
        fs.pipe_file(f"{base}/{path}", data)
        files[part] = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "rows": len(frame),
                       "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()}, "index": str(frame.index.dtype)}
    manifest = {"format": FORMAT, "fingerprint": fingerprint_, "written_at": dt.datetime.now(dt.UTC).isoformat(),
                "entities": list(staged.valid), "files": files}
    temporary = f"{base}/manifest-{write_id}.tmp"
    fs.pipe_file(temporary, json.dumps(manifest, indent=1).encode())
    fs.mv(temporary, f"{base}/manifest.json")  # one step: a reader sees the old manifest or this one
    return SnapshotRef(location=where, fingerprint=fingerprint_)


def read_snapshot(snapshot_dir: str, fingerprint_: str) -> Staged | None:
    """The staged sources of `fingerprint_`, or None when there is no such snapshot (never
    written, or removed meanwhile). SnapshotError when there is one that must not be used: its
    manifest holds another fingerprint or format, or a file is not what the manifest says."""
    fs, root = _store(snapshot_dir)
    base = f"{root}/{fingerprint_}"
    where = f"{snapshot_dir.rstrip('/')}/{fingerprint_[:12]}…"
    try:
        text = fs.cat_file(f"{base}/manifest.json")
    except FileNotFoundError:
        return None
    try:
        manifest = json.loads(text)
        held, files, entities = manifest["fingerprint"], manifest["files"], manifest["entities"]
    except (ValueError, KeyError, TypeError):
        raise SnapshotError(f"snapshot {where}: its manifest is not one this code wrote: refused") from None
    if held != fingerprint_ or manifest.get("format") != FORMAT:
        raise SnapshotError(f"snapshot {where}: its manifest holds fingerprint {str(held)[:12]} (format "
                            f"{manifest.get('format')}), not {fingerprint_[:12]} (format {FORMAT}): refused")
    needed = [f"valid-{name}" for name in ENTITIES] + ["quarantine", "counts", "quarantined_per_rule"]
    if list(entities) != list(ENTITIES) or any(part not in files for part in needed):
        raise SnapshotError(f"snapshot {where}: its manifest does not list every entity and part: refused")
    frames = {}
    for part in needed:
        try:
            data = fs.cat_file(f"{base}/{files[part]['path']}")
        except FileNotFoundError:
            return None  # removed while being read (its backfill finished): as good as missing
        if hashlib.sha256(data).hexdigest() != files[part]["sha256"]:
            raise SnapshotError(f"snapshot {where}: {files[part]['path']} is not the file its manifest names "
                                "(sha256 differs): refused")
        frames[part] = _typed(pd.read_parquet(io.BytesIO(data)), files[part])
    return Staged({name: frames[f"valid-{name}"] for name in ENTITIES}, frames["quarantine"], frames["counts"],
                  frames["quarantined_per_rule"])


def remove_snapshot(ref: SnapshotRef) -> bool:
    """Remove a snapshot (its manifest first, so no reader starts on it); False if it was not there."""
    fs, root = _store(ref.location)
    base = f"{root}/{ref.fingerprint}"
    try:
        fs.rm_file(f"{base}/manifest.json")
    except FileNotFoundError:
        pass
    if not fs.exists(base):
        return False
    fs.rm(base, recursive=True)
    return True


def _store(snapshot_dir: str) -> tuple[fsspec.AbstractFileSystem, str]:
    try:
        fs, root = fsspec.core.url_to_fs(snapshot_dir)
    except (ImportError, ValueError) as exc:  # "Install s3fs to access S3", "Protocol not known: …"
        raise UnreachableStore(f"snapshot_dir {snapshot_dir}: cannot be opened: {exc}") from None
    return fs, root.rstrip("/")


def _parts(staged: Staged):
    for name, frame in staged.valid.items():
        yield f"valid-{name}", frame
    yield "quarantine", staged.quarantine
    yield "counts", staged.counts
    yield "quarantined_per_rule", staged.quarantined_per_rule


def _typed(frame: pd.DataFrame, written: dict) -> pd.DataFrame:
    """The dtypes the frame was written with, where Parquet has no exact equivalent (seconds are
    stored as milliseconds): the values are the same, so the conversion back is exact."""
    dtypes = written.get("dtypes", {})
    changed = {c: dtypes[c] for c in frame.columns if c in dtypes and str(frame[c].dtype) != dtypes[c]}
    if changed:
        frame = frame.astype(changed)
    if "index" in written and str(frame.index.dtype) != written["index"]:
        frame.index = frame.index.astype(written["index"])
    return frame


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)  # pandas' metadata keeps the dtypes and the index (counts: by entity)
    return buffer.getvalue()
