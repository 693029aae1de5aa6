"""The file drop (the embedded default): one `<entity>.csv` (or `.parquet`) per entity in a folder,
read as SOURCES.md, "File drop" says, and never repaired by guessing.

A CSV record is what Python's `csv` module reads as one (a quoted field may hold a line break), and
its position is the physical line where it starts. A record with more or fewer fields than the
header, and the last record of a file that does not end with a line break (it may have been cut),
are not rows: they travel beside the frame (`Origin.misshapen`, with their raw text) and staging
quarantines them with rule `shape`; they count as read. A header that names a column twice, a file
that is not UTF-8 text, a missing file, a directory, a missing required column: a `SourceError`.

Two readers, one meaning: Arrow's CSV reader takes every file whose records are one line each
(checked on the file, see `_read_csv_arrow`), keeping only the canonical columns, as text, nothing
guessed; any other file goes through the csv module (`_read_csv_records`), whose reading is the
definition. tests/sources/test_csv_readers.py holds the two to the same rows, lines and raw text.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from schemas.columns import Entity
from tasks.sources.base import ORIGIN, Misshapen, Origin, SourceError, as_text, check_columns, require_columns

CHUNK = 50_000  # records parsed before they are moved to Arrow: bounds the Python objects alive at once
_RECORDS = pa.list_(pa.string())


def read_entity_file(folder: str | Path, entity: Entity) -> pd.DataFrame:
    """The entity's rows as text (every value a str, empty cells ""), its source in `attrs`: the
    file's name, how a row's position is said ("line N" in a CSV file, "row N" in Parquet) and,
    for a CSV file, its `Origin` (each row's line, the records of the wrong shape)."""
    folder = Path(folder)
    csv_path, parquet = folder / f"{entity.name}.csv", folder / f"{entity.name}.parquet"
    if _is_file(csv_path):
        frame = _read_csv(csv_path, entity)
        frame.attrs.update(source=csv_path.name, locator="line {}", first_position=2)
    elif _is_file(parquet):
        frame = _read_parquet(parquet, entity)
        frame.attrs.update(source=parquet.name, locator="row {}", first_position=1)
    elif entity.optional:  # SOURCES.md: a missing optional file is an empty entity
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in entity.names})
        frame.attrs.update(source=f"{csv_path.name} (no such file; the entity is optional)")
    else:
        raise SourceError(f"{csv_path}: file not found (nor {parquet.name}); every entity needs a file")
    return frame


def _is_file(path: Path) -> bool:
    """Whether `path` is there to be read; a directory of that name is an error, not a file."""
    if path.is_dir():
        raise SourceError(f"{path}: a directory, not a file")
    return path.exists()


# --- CSV ---------------------------------------------------------------------------------------------

def _read_csv(path: Path, entity: Entity) -> pd.DataFrame:
    data = _file_bytes(path)
    frame = _read_csv_arrow(path, data, entity)
    return frame if frame is not None else _read_csv_records(path, _utf8_text(path, data), entity)


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError:
        raise SourceError(f"{path}: cannot be read (permission denied)") from None


def _read_csv_arrow(path: Path, data: bytes, entity: Entity) -> pd.DataFrame | None:
    """The file read by Arrow's CSV reader (C++, ~10× the csv module), or None when the file is
    not one it reads exactly as the csv module does; the csv module's pass then reads it.

    Arrow agrees with the csv module, field for field, on a file whose every record is one physical
    line ending in "\n" (or "\r\n"): it is checked, not assumed. Records + misshapen records must
    equal the lines after the header (a quoted line break would make a record of two lines); a
    misshapen record with an odd number of quotes (a quote left open: where it ends is the csv
    module's call), an empty line (Arrow reads a row of empty fields, the csv module a record of
    none), a lone "\r" (a line break to the csv module), a file that does not end with a line
    break (its last record may be cut), bytes that are not UTF-8: all go to the csv module's pass,
    which says what is wrong and where. Read serially: Arrow gives the line of a misshapen record
    only then (two threads gained nothing measurable on this 2-core machine)."""
    if not data.endswith(b"\n") or b"\n\n" in data:
        return None
    # most exports end lines with "\n" alone: one scan for "\r" spares them the three that look at
    # "\r" (reading the 11 files of scale 10, best of 4: 2.34-2.38 s before, 1.44-1.97 s after)
    if b"\r" in data and (b"\n\r\n" in data or data.count(b"\r") != data.count(b"\r\n")):
        return None
    if not _is_utf8(data):  # Arrow checks only the columns it keeps: a bad byte elsewhere passed unseen
        return None
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    first = data[skip:data.index(b"\n")].removesuffix(b"\r")
    if not first or first.count(b'"') % 2:
        return None
    try:
        header = next(csv.reader([first.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error):
        return None
    names = _header(header, path, entity)
    fields = [f"f{i}" for i in range(len(names))]  # by position: a header may leave names empty
    wanted = {c: fields[names.index(c)] for c in entity.names if c in names}
    misshapen_lines: list[tuple[int, str]] = []

    def keep_aside(row) -> str:  # called by Arrow for each record of the wrong shape only
        misshapen_lines.append((row.number, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(use_threads=False, skip_rows=1, column_names=fields, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=keep_aside, ignore_empty_lines=False,
                                              newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(include_columns=list(wanted.values()),
                                                  column_types=dict.fromkeys(wanted.values(), pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:  # not UTF-8, mostly: the csv module's pass names the line and byte
        return None
    lines = data.count(b"\n")
    if table.num_rows + len(misshapen_lines) != lines - 1 or any(
            text.count('"') % 2 or number is None for number, text in misshapen_lines) or _ends_in_a_quote(data):
        return None
    positions = np.arange(2, lines + 1, dtype=np.int64)
    if misshapen_lines:
        positions = np.setdiff1d(positions, [n for n, _ in misshapen_lines], assume_unique=True)
    misshapen = tuple(_misshapen_record(next(csv.reader([text])), text, number, names, entity, cut=False)
                      for number, text in misshapen_lines)
    frame = pd.DataFrame({c: pd.array(table.column(f), dtype="str") for c, f in wanted.items()},
                         index=pd.RangeIndex(table.num_rows))
    frame.attrs[ORIGIN] = Origin(positions, misshapen)
    return frame


def _is_utf8(data: bytes) -> bool:
    """Whether all of `data` is UTF-8 text: Arrow validates it in place, as one string value over
    the file's bytes (decoding to a str would copy the file)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _ends_in_a_quote(data: bytes) -> bool:
    """Whether the file's last line leaves a quote open: Arrow then takes the final line break into
    the value, and the line count cannot tell (no line follows to be merged); the csv module's
    pass calls such a record cut. A quote inside an unquoted field (`a"`) is literal, so counting
    quotes cannot tell either: the csv module reads the line followed by an empty one, and a field
    holding a line break means the quote swallowed it."""
    last = data[data.rfind(b"\n", 0, len(data) - 1) + 1:].rstrip(b"\r\n")
    if b'"' not in last:
        return False
    try:
        record = next(csv.reader([last.decode("utf-8") + "\n", "\n"]), [])
    except (UnicodeDecodeError, csv.Error):
        return True
    return any("\n" in value for value in record)


def _read_csv_records(path: Path, text: str, entity: Entity) -> pd.DataFrame:
    """The csv module's pass: exact for every file, quoted line breaks and cut records included."""
    lines = io.StringIO(text, newline="").readlines()  # the physical lines, as the csv module splits them
    if not lines:
        raise SourceError(f"{path}: empty file: no header row")
    ends_with_break = lines[-1].endswith(("\n", "\r"))
    # a quote left open in the last record would take in whatever follows the file's last line
    # break: an empty line after it tells the two apart (it is a record of its own after a record
    # that ended, and part of the last record's value if that one never ended)
    sentinel = ends_with_break and '"' in text
    reader = csv.reader(itertools.chain(lines, ["\n"]) if sentinel else lines)
    with _gc_paused():  # millions of short-lived lists, no cycles: the collector would only slow this
        try:
            header = next(reader)
            header_end = reader.line_num
            records, ends = _records(reader)
        except csv.Error as exc:
            raise SourceError(f"{path}: unreadable CSV at line {reader.line_num}: {exc}") from None
    if header_end > len(lines):
        raise SourceError(f"{path}: the header row never ends (a quoted field opened in it is not closed)")
    names = _header(header, path, entity)
    starts = np.concatenate([[header_end], ends[:-1]]).astype(np.int64) + 1 if len(ends) else ends
    if sentinel and len(starts) and starts[-1] == len(lines) + 1:  # the empty line added: the last record ended
        records, starts, ends = records[:-1], starts[:-1], ends[:-1]
        cut = False
    else:
        cut = len(records) > 0 and (not ends_with_break or ends[-1] > len(lines))
    counts = records.value_lengths().to_numpy(zero_copy_only=False) if len(records) else np.zeros(0, np.int64)
    bad = counts != len(names)
    if cut:
        bad[-1] = True
    misshapen = tuple(_misshapen(records[int(i)].as_py(), lines, int(starts[i]), int(ends[i]), names, entity,
                                 cut and i == len(records) - 1) for i in np.flatnonzero(bad))
    rows = records.filter(pa.array(~bad)) if bad.any() else records
    frame = _columns(rows, names, entity)
    frame.attrs[ORIGIN] = Origin(starts[~bad], misshapen)
    return frame


def _utf8_text(path: Path, data: bytes) -> str:
    """The file's text; a byte order mark at its start is tolerated. Not UTF-8: a SourceError with
    the line and the byte (the offset in the file) of the first bad byte, both counted from 1."""
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return codecs.decode(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        before = data[:at]
        line = 1 + before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
        raise SourceError(f"{path}: not UTF-8 text: line {line}, byte {at + 1} of the file (both counted from 1) "
                          f"is 0x{data[at]:02X} ({exc.reason})") from None


def _records(reader) -> tuple[pa.ListArray, np.ndarray]:
    """Every record left in `reader` (a list array of its fields) and the line where each ends."""
    chunks, ends = [], []
    while True:
        fields, last_lines = [], []
        add, ended = fields.append, last_lines.append
        for record in itertools.islice(reader, CHUNK):
            add(record)
            ended(reader.line_num)
        if not fields:
            break
        chunks.append(pa.array(fields, type=_RECORDS))
        ends.extend(last_lines)
    records = pa.chunked_array(chunks, type=_RECORDS).combine_chunks()
    return records, np.array(ends, dtype=np.int64)


def _header(header: list[str], path: Path, entity: Entity) -> list[str]:
    """The column names (trimmed); a name given twice or a missing required column fails."""
    if not header:
        raise SourceError(f"{path}: no header row (line 1 is empty)")
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names, 1):
        if name and name in seen:
            raise SourceError(f"{path}: the header names column {name!r} twice (fields {seen[name]} and {i})")
        seen.setdefault(name, i)
    require_columns(names, entity, str(path))
    return names


def _misshapen(fields: list[str], lines: list[str], start: int, end: int, names: list[str], entity: Entity,
               cut: bool) -> Misshapen:
    """A record whose fields do not match the header (or that the file's end cut), with its raw text:
    its lines as the file has them, without the line break that ends it."""
    raw = "".join(lines[start - 1:min(end, len(lines))])
    if not cut:
        raw = raw[:-2] if raw.endswith("\r\n") else raw[:-1]
    return _misshapen_record(fields, raw, start, names, entity, cut)


def _misshapen_record(fields: list[str], raw: str, start: int, names: list[str], entity: Entity,
                      cut: bool) -> Misshapen:
    where = [names.index(k) for k in entity.key if k in names]
    key = "|".join(fields[i].strip() for i in where) if len(where) == len(entity.key) and max(where) < len(
        fields) else ""
    shape = f"{_fields(len(fields))}, the header has {len(names)}"
    detail = f"the record does not end with a line break: the file may have been cut in it ({shape})" if cut else shape
    return Misshapen(start, key, detail, raw)


def _fields(n: int) -> str:
    return f"{n} field{'' if n == 1 else 's'}"


def _columns(rows: pa.ListArray, names: list[str], entity: Entity) -> pd.DataFrame:
    """The canonical columns present in the header, cut by position from records of its shape."""
    values, width, n = rows.flatten(), len(names), len(rows)
    out = {}
    for column in entity.names:
        if column in names:
            at = names.index(column)
            out[column] = pd.array(values.take(pa.array(np.arange(at, n * width, width))), dtype="str")
    return pd.DataFrame(out, index=pd.RangeIndex(n))


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- Parquet ----------------------------------------------------------------------------------------

def _read_parquet(path: Path, entity: Entity) -> pd.DataFrame:
    """Parquet columns may be typed: turn every value back into the text of the file-drop format."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceError(f"{path}: unreadable Parquet file: {exc}") from None
    names = [str(c).strip() for c in frame.columns]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise SourceError(f"{path}: the file names column {twice[0]!r} twice")
    return as_text(check_columns(frame, entity, str(path)), entity).reset_index(drop=True)
