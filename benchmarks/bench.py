"""`make bench`: the benchmark harness; writes BENCHMARKS.md.

    .venv/bin/python benchmarks/bench.py [--scales 1,10] [--repeat 3] [--out BENCHMARKS.md]
                                         [--skip-workers] [--skip-postgres] [--end-date 2026-11-30]

Per scale, on a sample generated once and cached under .bench/scale<S>/ (`opsmetrics generate
--seed 7 --end-date D`, regenerated when its stamp — scale, seed, end date, the generator's
version — does not match):

- the read floor: pyarrow.csv reads every file, every column as text, and nothing else (the baseline);
- the pipeline without Prefect: `tasks.pipeline.run` for the end date with the plain steps;
- `opsmetrics run --as-of D` as a user runs it (Prefect's temporary server), split by stage;
- `opsmetrics backfill` of 365 dates (one in-process pass), against the one-date run;
- a 365-date pass without Prefect, and the same 365 dates through the backfill deployment over two
  process workers in chunks of 31 (benchmarks/backfill_workers.py), against that pass;
- publish throughput to SQLite and PostgreSQL against DataFrame.to_sql (benchmarks/publish_throughput.py);

and once: the fixed costs (imports, Great Expectations' context, Prefect's temporary server).

Every measured thing runs in a process of its own: its wall time is taken from outside, its peak
RSS from `os.wait4`. A figure is the median of --repeat runs when one run takes under a minute,
else one run. Each figure is given as a ratio to its baseline measured in the same run: the
machine is shared and its absolute speed varies.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / ".bench"
PYTHON = sys.executable
CLI = str(Path(sys.executable).parent / "opsmetrics")
SEED = 7
DAYS = 365
CHUNK_DAYS = 31
MAX_PUBLISH_ROWS = 1_000_000  # publish throughput: rows/s hardly changes past this, to_sql's time does
ONE_MINUTE = 60.0
GB = 1024 * 1024  # in kB (ru_maxrss is in kB on Linux)
VERSIONS = ("pandas", "pyarrow", "prefect", "great_expectations", "sqlalchemy", "numpy")


# --- figures ----------------------------------------------------------------------------------------

@dataclass
class Target:
    """`ratio` of a figure to its baseline at most (`max`) or at least (`min`) `value`; or its peak RSS
    at most `value` GB (kind "rss"); or rows/s at least `value` (kind "rate")."""
    kind: str  # "max" | "min" | "rss" | "rate"
    value: float
    text: str

    def met(self, fig: Figure, ratio: float | None) -> bool | None:
        if self.kind == "rss":
            return None if fig.rss_kb is None else fig.rss_kb <= self.value * GB
        if self.kind == "rate":
            return None if fig.rate is None else fig.rate >= self.value
        if ratio is None:
            return None
        return ratio <= self.value if self.kind == "max" else ratio >= self.value


@dataclass
class Figure:
    key: str
    label: str
    seconds: float | None = None  # median
    runs: int = 0
    rss_kb: int | None = None  # the largest of the runs
    baseline: str | None = None  # key of the baseline figure (same scale)
    target: Target | None = None
    rss_target: Target | None = None
    rate: float | None = None  # rows/s, for throughput figures (higher is better)
    na: str | None = None  # why it was not measured
    note: str = ""
    samples: list[float] = field(default_factory=list)
    short: str = ""  # its name as another figure's baseline

    @property
    def name(self) -> str:
        return self.short or self.label


def ratio(fig: Figure, figures: dict[str, Figure]) -> float | None:
    """The figure over its baseline: seconds over seconds, or rows/s over rows/s for a throughput."""
    base = figures.get(fig.baseline) if fig.baseline else None
    if base is None or fig.na or base.na:
        return None
    if fig.rate is not None and base.rate:
        return fig.rate / base.rate
    if fig.seconds is None or not base.seconds:
        return None
    return fig.seconds / base.seconds


# --- formatting and the markdown ---------------------------------------------------------------------

def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_rss(kb: int | None) -> str:
    if kb is None:
        return "n/a"
    return f"{kb / GB:.2f} GB" if kb >= GB else f"{kb / 1024:.0f} MB"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "n/a"
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×"


def fmt_rate(r: float | None) -> str:
    return "n/a" if r is None else f"{r:,.0f}"


def fmt_met(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[ok]


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def figure_rows(figures: list[Figure]) -> list[list[object]]:
    """figure | seconds (median, runs) | peak RSS | ratio | baseline | target | met?"""
    by_key = {f.key: f for f in figures}
    rows = []
    for f in figures:
        if f.rate is not None or f.key.startswith("publish"):
            continue  # throughput: its own table
        if f.na:
            rows.append([f.label, f"not measured: {f.na}", "", "", "", f.target.text if f.target else "", ""])
            continue
        r = ratio(f, by_key)
        base = by_key.get(f.baseline)
        met = f.target.met(f, r) if f.target else None
        rows.append([f.label, f"{fmt_s(f.seconds)} ({f.runs})", fmt_rss(f.rss_kb),
                     fmt_ratio(r) if f.baseline else "1×", base.name if base else "(the baseline)",
                     f.target.text if f.target else "", fmt_met(met) if f.target else ""])
    return rows


def publish_rows(figures: list[Figure]) -> list[list[object]]:
    """method | rows/s | ratio | baseline | target | met?"""
    by_key = {f.key: f for f in figures}
    rows = []
    for f in figures:
        if not f.key.startswith("publish"):
            continue
        if f.na:
            rows.append([f.label, f"not measured: {f.na}", "", "", f.target.text if f.target else "", ""])
            continue
        r = ratio(f, by_key)
        base = by_key.get(f.baseline)
        met = f.target.met(f, r) if f.target else None
        rows.append([f.label, fmt_rate(f.rate), fmt_ratio(r) if base else "1×", base.name if base else "(a baseline)",
                     f.target.text if f.target else "", fmt_met(met) if f.target else ""])
    return rows


def target_summary(scales: list[dict]) -> list[list[object]]:
    """One row per target: what it asks, then per scale the measured value and met/missed."""
    targets: dict[str, list[object]] = {}
    for i, sc in enumerate(scales):
        by_key = {f.key: f for f in sc["figures"]}
        for f in sc["figures"]:
            for t in (f.target, f.rss_target):
                if t is None:
                    continue
                name = f"{f.label}: {t.text}"
                row = targets.setdefault(name, [name] + [""] * len(scales))
                if f.na:
                    row[i + 1] = "not measured"
                    continue
                r = ratio(f, by_key)
                value = {"rss": fmt_rss(f.rss_kb), "rate": f"{fmt_rate(f.rate)} rows/s"}.get(t.kind, fmt_ratio(r))
                row[i + 1] = f"{value}: {fmt_met(t.met(f, r))}"
    return list(targets.values())


# the rows of the per-stage split: (key, label, indented?)
SPLIT_ROWS = [
    ("startup", "start-up and imports", False),
    ("prefect", "Prefect: temporary server start, flow run created", False),
    ("setup", "run set-up (settings, warehouse opened)", False),
    ("migrate", "warehouse migrations (a fresh SQLite file)", False),
    ("extract", "extract (sync, read)", False),
    ("read", "read: `read_entity`", True),
    ("stage", "stage", False),
    ("parse", "parse: `parse_entity`", True),
    ("validate", "validate: `find_rule_breaks` (Great Expectations)", True),
    ("validate_first", "of which its first call (waits for GX's import and context, begun on a second thread "
                       "by extract)", True),
    ("duplicates_parents", "duplicates and parents", True),
    ("stage_other", "the rest (quarantine records, counts)", True),
    ("gate", "gate", False),
    ("compute", "compute", False),
    ("compute_fn", "`build_marts`", True),
    ("publish", "publish: tables, ledger, quarantine and the run_log row, one transaction", False),
    ("publish_fn", "`publish_marts`", True),
    ("review", "review pack", False),
    ("finish", "flow run end: run summary and artifacts", False),
    ("exit", "exit (temporary server stopped, interpreter shut down)", False),
    ("total", "total (wall)", False),
]


def split_rows(columns: list[dict[str, float | None]], floor: float | None) -> list[list[object]]:
    """stage | (seconds | × read floor) per column; rows no column has are left out."""
    rows = []
    for key, label, sub in SPLIT_ROWS:
        values = [c.get(key) for c in columns]
        if all(v is None for v in values):
            continue
        cells: list[object] = [("&nbsp;&nbsp;&nbsp;&nbsp;" if sub else "") + label]
        for v in values:
            cells += [fmt_s(v) if v is not None else "—",
                      fmt_ratio(v / floor) if v is not None and floor else "—"]
        rows.append(cells)
    return rows


def render(report: dict) -> str:
    """BENCHMARKS.md from a report: {"header": {...}, "scales": [...], "fixed": [Figure], "fixed_base": str}."""
    h = report["header"]
    out = ["# Benchmarks", "",
           f"Measured {h['date']} by `benchmarks/bench.py` (`make bench`); reproduce with:", "",
           f"    {h['command']}", "",
           *table(["", ""], [["machine", h["machine"]], ["Python", h["python"]],
                             ["packages", ", ".join(f"{k} {v}" for k, v in h["versions"].items())],
                             ["commit", h["commit"]], ["data", h["data"]]]),
           "",
           "Every figure is the median of the runs shown in brackets (several when one run takes under a "
           "minute, else one) and is given as a ratio to its baseline measured in the same run: the machine "
           "is shared and its absolute speed varies between runs, ratios much less. Every measured thing runs "
           "in a process of its own; *peak RSS* is the largest resident set of that process or of a process it "
           "waited for (`os.wait4`), except where said. The targets are set for scale 10.",
           ""]
    scales = report["scales"]
    if scales:
        out += ["## Targets", "",
                *table(["target", *(f"scale {sc['scale']:g}" for sc in scales)], target_summary(scales)), ""]
    for sc in scales:
        figs: list[Figure] = sc["figures"]
        by_key = {f.key: f for f in figs}
        floor = by_key.get("read_floor")
        out += [f"## Scale {sc['scale']:g}", "", sc.get("data", ""), "",
                *table(["figure", "seconds (median, runs)", "peak RSS", "ratio to baseline", "baseline", "target",
                        "met?"], figure_rows(figs)), ""]
        notes = [f"- {f.label}: {f.note}" for f in figs if f.note and not f.key.startswith("publish")]
        if notes:
            out += notes + [""]
        columns = sc.get("split") or {}
        if columns:
            names = list(columns)
            out += [f"### Where the time of one date goes (scale {sc['scale']:g})", "",
                    "From the timestamps of the log line each step writes, and the pipeline's stage functions "
                    "timed in the measured process (`benchmarks/_stage_timing.py`); indented rows are part of "
                    "the row above them. Medians per row.", "",
                    *table(["stage", *(x for n in names for x in (f"{n} (s)", "× read floor"))],
                           split_rows([columns[n] for n in names], floor.seconds if floor else None)), ""]
            na = sc.get("split_na")
            if na:
                out += [f"Not measured: {na}", ""]
        pub = publish_rows(figs)
        if pub:
            out += [f"### Publish throughput (scale {sc['scale']:g})", ""]
            if sc.get("publish_note"):
                out += [sc["publish_note"], ""]
            out += [*table(["method", "rows/s", "ratio", "baseline", "target", "met?"], pub), ""]
    fixed: list[Figure] = report.get("fixed") or []
    if fixed:
        base_label = report.get("fixed_base", "")
        out += ["## Fixed costs", "",
                "Paid by every run whatever the data's size; each a process of its own (`python -c …`, "
                f"interpreter start-up included). Ratio: to the read floor at {base_label}.", "",
                *table(["what", "seconds (median, runs)", "peak RSS", "ratio to read floor"],
                       [[f.label, f"not measured: {f.na}", "", ""] if f.na else
                        [f.label, f"{fmt_s(f.seconds)} ({f.runs})", fmt_rss(f.rss_kb),
                         fmt_ratio(f.seconds / report["fixed_floor"]) if report.get("fixed_floor") else "n/a"]
                        for f in fixed]), ""]
    return "\n".join(out).rstrip() + "\n"


# --- the stage split from log lines --------------------------------------------------------------

LOG_LINE = re.compile(r"^(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})\.(?P<f>\d{1,6}) \| (?P<level>\w+)\s*\| "
                      r"(?P<name>.+?) - (?P<msg>.*)$")
# what ends at a line: the step whose log line it is (a step logs when its work is done)
CLASSIFY = [
    (re.compile(r"^Beginning flow run"), "prefect"),
    (re.compile(r"^(refresh|nightly_refresh|backfill) \S+: as of "), "setup"),
    (re.compile(r"^warehouse \S+ (is at version|upgraded from)"), "migrate"),
    (re.compile(r"^extract "), "extract"),
    (re.compile(r"^stage "), "stage"),
    (re.compile(r"^gate: "), "gate"),
    (re.compile(r"^compute "), "compute"),
    (re.compile(r"^publish: "), "publish"),
    (re.compile(r"^review pack "), "review"),
    (re.compile(r"^Finished in state"), "finish"),
]


def parse_log(text: str, reference: float) -> list[tuple[float, str, str]]:
    """(time.time(), logger, message) of every line in Prefect's console format `HH:MM:SS.mmm | LEVEL |
    name - message`; `reference`, a time.time() shortly before the first line, gives the date (local time)."""
    ref = dt.datetime.fromtimestamp(reference)
    out = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        at = ref.replace(hour=int(m["h"]), minute=int(m["m"]), second=int(m["s"]),
                         microsecond=int(m["f"].ljust(6, "0")))
        if at < ref - dt.timedelta(hours=12):  # past midnight
            at += dt.timedelta(days=1)
        out.append((at.timestamp(), m["name"], m["msg"]))
    return out


def step_events(lines: list[tuple[float, str, str]]) -> list[tuple[float, str]]:
    """The lines that end a step, as (time, step); a task's own "Finished in state" lines are not."""
    events = []
    for at, name, msg in lines:
        for pattern, step in CLASSIFY:
            if pattern.search(msg) and (step != "finish" or name.startswith("Flow run")):
                events.append((at, step))
                break
    return events


def segments(events: list[tuple[float, str]]) -> dict[str, float]:
    """Events (time, label: what ended then), the first being the start: label → seconds since the
    previous label's last event. Consecutive events of one label are one segment; a label seen again
    later adds to its total."""
    events = sorted(events)
    out: dict[str, float] = {}
    merged: list[tuple[float, str]] = []
    for at, label in events:
        if merged and merged[-1][1] == label:
            merged[-1] = (at, label)
        else:
            merged.append((at, label))
    for (prev, _), (at, label) in zip(merged, merged[1:], strict=False):
        out[label] = out.get(label, 0.0) + at - prev
    return out


def stage_split(log_text: str, spawn: float, end: float, hooks: dict | None) -> dict[str, float | None]:
    """One run's split: the steps from its log lines, the start-up from the import mark of the stage
    hooks, the stage functions' own times (`hooks["stages"]`) under their steps."""
    lines = parse_log(log_text, spawn)
    events = [(spawn, "spawn"), *step_events(lines), (end, "exit")]
    marks = (hooks or {}).get("marks") or {}
    if marks:
        events.append((max(marks.values()), "startup"))
    elif lines:
        # no import mark: start-up runs until the first line Prefect or the pipeline logs
        events.append((lines[0][0], "startup"))
    split: dict[str, float | None] = dict(segments(events))
    split["total"] = end - spawn
    stages = (hooks or {}).get("stages") or {}

    def hook(name: str, key: str = "seconds") -> float | None:
        s = stages.get(name) or {}
        return s.get(key)
    split["read"] = hook("read")
    split["parse"] = hook("parse")
    split["validate"] = hook("validate")
    split["validate_first"] = hook("validate", "first_seconds")
    split["duplicates_parents"] = hook("duplicates_parents")
    parts = [split["parse"], split["validate"], split["duplicates_parents"]]
    if split.get("stage") is not None and all(p is not None for p in parts):
        split["stage_other"] = max(0.0, split["stage"] - sum(parts))  # type: ignore[arg-type]
    split["compute_fn"] = hook("compute")
    split["publish_fn"] = hook("publish")
    return split


def median_split(runs: list[dict[str, float | None]]) -> dict[str, float | None]:
    keys = {k for r in runs for k in r}
    out: dict[str, float | None] = {}
    for k in keys:
        values = [r[k] for r in runs if r.get(k) is not None]
        out[k] = statistics.median(values) if values else None
    return out


def na_stages(hooks: dict | None) -> str:
    stages = (hooks or {}).get("stages") or {}
    return "; ".join(f"{k} ({v['na']})" for k, v in stages.items() if "na" in v)


# --- processes ---------------------------------------------------------------------------------------

@dataclass
class Sample:
    seconds: float  # wall, spawn to exit
    rss_kb: int  # ru_maxrss of the process and the children it waited for
    spawn: float  # time.time() just before the process started
    end: float
    returncode: int
    stdout: str
    stderr: str
    result: dict | None  # the process's --result JSON, if any


class MeasureError(RuntimeError):
    pass


def run_process(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | str | None = None,
                timeout: float = 4 * 3600, result: Path | None = None, check: bool = True) -> Sample:
    """Run `cmd` in a session of its own; wall time from outside, peak RSS from os.wait4."""
    with tempfile.TemporaryDirectory(prefix="bench-io-") as io_dir:
        out_path, err_path = Path(io_dir) / "out", Path(io_dir) / "err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            spawn = time.time()
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            timer = threading.Timer(timeout, lambda: _kill_group(proc.pid))
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            seconds = time.perf_counter() - t
            proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    data = None
    if result is not None and result.is_file():
        data = json.loads(result.read_text())
    sample = Sample(seconds, usage.ru_maxrss, spawn, spawn + seconds, proc.returncode, stdout, stderr, data)
    if check and proc.returncode != 0:
        tail = (stderr.strip().splitlines() or stdout.strip().splitlines() or ["(no output)"])[-1]
        shown = " ".join(Path(c).name if i == 0 else c.replace(f"{ROOT}/", "") for i, c in enumerate(cmd[:3]))
        raise MeasureError(f"`{shown} …` exited {proc.returncode}: {tail[:300]}")
    return sample


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def repeated(measure: Callable[[int], Sample], repeat: int, seconds: Callable[[Sample], float] | None = None
             ) -> list[Sample]:
    """One run; more, up to `repeat` in all, when that run took under a minute."""
    first = measure(0)
    samples = [first]
    if (seconds or (lambda s: s.seconds))(first) < ONE_MINUTE:
        samples += [measure(i) for i in range(1, repeat)]
    return samples


def figure_from(key: str, label: str, samples: list[Sample], seconds: Callable[[Sample], float] | None = None,
                **kw) -> Figure:
    values = [(seconds or (lambda s: s.seconds))(s) for s in samples]
    return Figure(key, label, statistics.median(values), len(values), max(s.rss_kb for s in samples),
                  samples=values, **kw)


# --- the environment of the measured processes -------------------------------------------------------

def base_env() -> dict[str, str]:
    """No Prefect server (the CLI starts its temporary one), no configuration from the caller's
    environment, Prefect's home inside the cache (its database survives between runs, as a user's does)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFECT_API_URL", "PREFECT_API_KEY", "OPSMETRICS_CONFIG", "OPSMETRICS_WAREHOUSE",
                        "OPSMETRICS_REPORTS_DIR", "BENCH_STAGE_OUT")}
    env.update(PREFECT_HOME=str(CACHE / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90", GX_ANALYTICS_ENABLED="False")
    return env


def hooked_env(out: Path) -> dict[str, str]:
    """base_env, plus the stage timing of benchmarks/_stage_timing.py (via sitecustomize) writing to `out`."""
    env = base_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE / "_sitecustomize"), env.get("PYTHONPATH")]))
    env["BENCH_STAGE_OUT"] = str(out)
    return env


# --- the cached data ---------------------------------------------------------------------------------

def generator_version() -> str:
    """The package's version and a digest of the generator's source: a changed generator is a new one."""
    try:
        v = version("opsmetrics")
    except PackageNotFoundError:
        v = "unknown"
    digest = hashlib.sha256()
    for path in sorted((ROOT / "opsmetrics" / "sample").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{v}+{digest.hexdigest()[:12]}"


def stamp_for(scale: float, end_date: str) -> dict:
    return {"scale": scale, "seed": SEED, "end_date": end_date, "generator": generator_version()}


def dataset(scale: float, end_date: str, log: Callable[[str], None] = print) -> Path:
    """.bench/scale<S>/, generated unless its stamp says it is this very sample."""
    folder = CACHE / f"scale{scale:g}"
    stamp_path = folder / ".stamp.json"
    want = stamp_for(scale, end_date)
    try:
        if json.loads(stamp_path.read_text()) == want:
            return folder
    except (OSError, ValueError):
        pass
    log(f"generating scale {scale:g} into {folder.relative_to(ROOT)} (not cached, or cached from another generator)")
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    run_process([CLI, "generate", "--out", str(tmp), "--scale", f"{scale:g}", "--seed", str(SEED),
                 "--end-date", end_date], env=base_env(), cwd=ROOT)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    stamp_path.write_text(json.dumps(want, indent=1) + "\n")
    return folder


def describe_data(folder: Path) -> str:
    files = sorted(folder.glob("*.csv"))
    size = sum(p.stat().st_size for p in files)
    rows = {}
    for p in files:
        with open(p, "rb") as f:
            rows[p.stem] = max(0, sum(chunk.count(b"\n") for chunk in iter(lambda f=f: f.read(1 << 20), b"")) - 1)
    big = ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items(), key=lambda kv: -kv[1])[:3])
    return (f"Data: `{folder.relative_to(ROOT)}/`, {len(files)} CSV files, {size / 1e6:,.0f} MB, "
            f"≈ {sum(rows.values()):,} lines ({big}, …).")


def warm(folder: Path) -> None:
    """Read every file once, untimed: the read floor and the runs then all find it in the page cache."""
    for p in folder.glob("*.csv"):
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


# --- the measurements --------------------------------------------------------------------------------

def specs() -> dict[str, Figure]:
    """The figures of one scale, unmeasured: what each is, its baseline and its targets."""
    figs = [
        Figure("read_floor", "read floor: `pyarrow.csv.read_csv` of every file, every column as text",
               short="read floor"),
        Figure("pipeline_1", "pipeline without Prefect, 1 date (`tasks.pipeline.run`, plain steps)",
               baseline="read_floor", target=Target("max", 8, "≤ 8× read floor")),
        Figure("run_1", "`opsmetrics run --as-of D`, 1 date (Prefect's temporary server)", short="the one-date run",
               baseline="read_floor", target=Target("max", 12, "≤ 12× read floor"),
               rss_target=Target("rss", 2, "peak RSS ≤ 2 GB")),
        Figure("backfill_365", f"`opsmetrics backfill`, {DAYS} dates (in-process, one pass)", baseline="run_1",
               target=Target("max", 2, "≤ 2× the one-date run"), rss_target=Target("rss", 3, "peak RSS ≤ 3 GB")),
        Figure("pass_365", f"{DAYS} dates in one pass without Prefect (`tasks.pipeline.run`)",
               short=f"the {DAYS}-date pass", baseline="read_floor"),
        Figure("workers", f"{DAYS} dates, backfill deployment, 2 process workers, chunks of {CHUNK_DAYS}",
               baseline="pass_365", target=Target("max", 2, f"≤ 2× the {DAYS}-date pass")),
    ]
    return {f.key: f for f in figs}


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.end = args.end_date
        self.start365 = (dt.date.fromisoformat(self.end) - dt.timedelta(days=DAYS - 1)).isoformat()
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-"))

    def say(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)

    def fresh(self, name: str) -> Path:
        """A fresh folder in the temporary directory, for one run's warehouse and review pack."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp))

    def guarded(self, spec: Figure, fn: Callable[[], Figure]) -> Figure:
        """`spec` with what `fn` measured; if it fails, marked not measured with the reason, and the
        rest goes on."""
        self.say(spec.label)
        try:
            got = fn()
        except Exception as exc:
            self.say(f"  not measured: {exc}")
            return replace(spec, na=str(exc)[:300] or type(exc).__name__)
        fig = replace(spec, seconds=got.seconds, runs=got.runs, rss_kb=got.rss_kb, rate=got.rate,
                      samples=got.samples, note=got.note or spec.note)
        self.say(f"  {fmt_s(fig.seconds)} s (median of {fig.runs}: {', '.join(map(fmt_s, fig.samples))}), "
                 f"peak RSS {fmt_rss(fig.rss_kb)}")
        return fig

    # --- per scale
    def read_floor(self, folder: Path) -> Figure:
        def once(i: int) -> Sample:
            r = self.tmp / f"floor{i}.json"
            return run_process([PYTHON, str(HERE / "_measure.py"), "read-floor", str(folder), "--result", str(r)],
                               env=base_env(), result=r)
        samples = repeated(once, self.args.repeat, lambda s: s.result["seconds"])
        fig = figure_from("read_floor", "", samples, lambda s: s.result["seconds"])
        walls = statistics.median(s.seconds for s in samples)
        fig.note = (f"the reading itself; its process took {fmt_s(walls)} s in all (interpreter start, "
                    f"`import pyarrow`); {samples[0].result['rows']:,} rows.")
        return fig

    def pipeline(self, folder: Path, start: str, key: str) -> tuple[Figure, list[dict], dict]:
        def once(i: int) -> Sample:
            work = self.fresh(key)
            r = work / "result.json"
            return run_process([PYTHON, str(HERE / "_measure.py"), "pipeline", str(folder), "--start", start,
                                "--end", self.end, "--warehouse", f"sqlite:///{work / 'warehouse.db'}",
                                "--reports", str(work / "reports"), "--result", str(r)],
                               env=base_env(), cwd=work, result=r)
        samples = repeated(once, self.args.repeat)
        splits = [stage_split(s.stderr, s.spawn, s.end, s.result) for s in samples]
        return figure_from(key, "", samples), splits, samples[-1].result or {}

    def cli(self, folder: Path, args: list[str], key: str) -> tuple[Figure, list[dict], dict]:
        def once(i: int) -> Sample:
            work = self.fresh(key)
            config = work / "opsmetrics.yaml"
            config.write_text(f"warehouse: sqlite:///{work / 'warehouse.db'}\nreports_dir: {work / 'reports'}\n"
                              f"sources:\n  files:\n    path: {folder}\n")
            r = work / "stages.json"
            return run_process([CLI, *args, "--config", str(config)], env=hooked_env(r), cwd=work, result=r)
        samples = repeated(once, self.args.repeat)
        splits = [stage_split(s.stderr, s.spawn, s.end, s.result) for s in samples]
        return figure_from(key, "", samples), splits, samples[-1].result or {}

    def workers(self, folder: Path) -> Figure:
        def once(i: int) -> Sample:
            r = self.fresh("workers") / "result.json"
            return run_process([PYTHON, str(HERE / "backfill_workers.py"), "--source-dir", str(folder), "--end",
                                self.end, "--days", str(DAYS), "--chunk-days", str(CHUNK_DAYS), "--no-baseline",
                                "--json", str(r)], env=base_env(), cwd=ROOT, result=r)
        samples = repeated(once, self.args.repeat, lambda s: s.result["seconds"])
        res = samples[-1].result
        if res["state"] != "COMPLETED" or not res["each_once"] or res["published_dates"] != DAYS:
            raise MeasureError(f"the backfill ended {res['state']}, {res['published_dates']} dates published "
                               f"(each once: {res['each_once']}): {res.get('message') or 'no message'}")
        fig = figure_from("workers", "", samples, lambda s: s.result["seconds"])
        peaks = [s.result.get("peak_rss_kb") for s in samples if s.result.get("peak_rss_kb")]
        fig.rss_kb = max(peaks) if peaks else None
        fig.note = (f"from the backfill's flow run created to its end (the server, the deployments and the "
                    f"workers started before it: {fmt_s(res['stack_seconds'])} s, not counted); chunks per worker "
                    f"{res['chunks_per_worker']}; peak RSS: the largest process the workers started (flow runs), "
                    f"sampled from /proc (VmHWM) every {res.get('sample_seconds', 0.5)} s.")
        return fig

    def publish(self, rows: int) -> tuple[list[Figure], str]:
        pg_url = None
        why_no_pg = ""
        if self.args.skip_postgres:
            why_no_pg = "--skip-postgres"
        elif (ROOT / ".pg" / "url").is_file():
            pg_url = (ROOT / ".pg" / "url").read_text().strip()
        else:
            why_no_pg = "no test PostgreSQL (.pg/url; `make pg` starts one)"
        self.say(f"publish throughput, {rows:,} rows" + (f" (PostgreSQL: {why_no_pg})" if why_no_pg else ""))
        r = self.fresh("publish") / "result.json"
        cmd = [PYTHON, str(HERE / "_measure.py"), "publish", "--rows", str(rows), "--result", str(r)]
        if pg_url:
            cmd += ["--pg-url", pg_url]
        sample = None
        try:
            sample = run_process(cmd, env=base_env(), cwd=r.parent, result=r)
            error = (sample.result or {}).get("error", "" if sample.result else "no result written")
        except MeasureError as exc:
            error = str(exc)
        figs = publish_figures(None if error else sample.result.get("result"), error, why_no_pg)
        note = (f"`benchmarks/publish_throughput.py`: `measure({rows}, pg_url)` in a process of its own (peak RSS "
                f"{fmt_rss(sample.rss_kb) if sample else 'n/a'}); {rows:,} rows: what the {DAYS}-date pass "
                f"publishes at this scale, at most {MAX_PUBLISH_ROWS:,}.")
        for f in figs:
            self.say(f"  {f.label}: " + (f"not measured: {f.na}" if f.na else f"{fmt_rate(f.rate)} rows/s"))
        return figs, note

    def scale(self, scale: float) -> dict:
        folder = dataset(scale, self.end, self.say)
        self.say(f"scale {scale:g}: {folder}")
        warm(folder)
        spec = specs()
        figs: list[Figure] = [self.guarded(spec["read_floor"], lambda: self.read_floor(folder))]
        split: dict[str, dict] = {}
        hooks_na: list[str] = []

        def one_date(name: str, measure: Callable[[], tuple[Figure, list[dict], dict]]) -> Callable[[], Figure]:
            def fn() -> Figure:
                fig, splits, res = measure()
                split[name] = median_split(splits)
                if na_stages(res):
                    hooks_na.append(f"{name}: {na_stages(res)}")
                if res.get("self_maxrss_kb") and name.startswith("`opsmetrics"):
                    fig.note = (f"peak RSS of the CLI's own process {fmt_rss(res['self_maxrss_kb'])} (the column: "
                                "the larger of it and Prefect's temporary server's).")
                return fig
            return fn
        figs.append(self.guarded(spec["pipeline_1"], one_date(
            "pipeline without Prefect", lambda: self.pipeline(folder, self.end, "pipeline_1"))))
        figs.append(self.guarded(spec["run_1"], one_date(
            "`opsmetrics run`", lambda: self.cli(folder, ["run", "--as-of", self.end], "run_1"))))
        figs.append(self.guarded(spec["backfill_365"], lambda: self.cli(
            folder, ["backfill", "--start", self.start365, "--end", self.end], "backfill_365")[0]))
        published: dict[str, int] = {}

        def pass_365() -> Figure:
            fig, _, res = self.pipeline(folder, self.start365, "pass_365")
            published["rows"] = res.get("rows_written") or 0
            return fig
        figs.append(self.guarded(spec["pass_365"], pass_365))
        if self.args.skip_workers:
            figs.append(replace(spec["workers"], na="--skip-workers"))
        else:
            figs.append(self.guarded(spec["workers"], lambda: self.workers(folder)))
        rows = min(MAX_PUBLISH_ROWS, published.get("rows") or int(100_000 * scale))
        pub, pub_note = self.publish(rows)
        figs += pub
        return {"scale": scale, "data": describe_data(folder), "figures": figs, "split": split,
                "split_na": "; ".join(hooks_na), "publish_note": pub_note}

    # --- once
    def fixed_costs(self) -> list[Figure]:
        out = []
        for key, label, code in [
            ("python", "`python -c pass` (the interpreter alone)", "pass"),
            ("import_cli", "`import opsmetrics.cli` (what `--help` and `check-config` load)", "import opsmetrics.cli"),
            ("import_flows", "`import flows.nightly_refresh` (the run path: Prefect, pandas, the pipeline)",
             "import flows.nightly_refresh"),
            ("gx", "`import great_expectations` + the ephemeral GX context (`tasks.staging.validate._context()`)",
             "from tasks.staging.validate import _context; _context()"),
        ]:
            def fn(code: str = code) -> Figure:
                samples = repeated(lambda i: run_process([PYTHON, "-c", code], env=base_env(), cwd=ROOT),
                                   self.args.repeat)
                return figure_from("", "", samples)
            out.append(self.guarded(Figure(key, label), fn))

        def server_once(i: int) -> Sample:
            r = self.tmp / f"server{i}.json"
            return run_process([PYTHON, str(HERE / "_measure.py"), "prefect-server", "--result", str(r)],
                               env=base_env(), cwd=ROOT, result=r)
        if not (CACHE / "prefect-home" / "prefect.db").exists():
            self.say("creating Prefect's database in .bench/prefect-home (a first start, untimed)")
            try:
                server_once(-1)
            except MeasureError as exc:
                self.say(f"  failed: {exc}")
        out.append(self.guarded(
            Figure("prefect_server", "Prefect's temporary server: from its start until it answers (its import not "
                   "included; its database exists)"),
            lambda: figure_from("", "", repeated(server_once, self.args.repeat, lambda s: s.result["seconds"]),
                                lambda s: s.result["seconds"])))
        return out


def publish_figures(result: dict | None, error: str, why_no_pg: str) -> list[Figure]:
    """The figures of publish_throughput.measure's result (method → rows/s), whatever its exact keys:
    ours and to_sql on SQLite and on PostgreSQL, and any other method (ADBC) as it comes."""
    sqlite_ours = Figure("publish_sqlite", "publish to SQLite (ours)", baseline="publish_sqlite_to_sql",
                         target=Target("rate", 300_000, "≥ 300,000 rows/s"))
    sqlite_base = Figure("publish_sqlite_to_sql", "`DataFrame.to_sql`, SQLite (defaults)", short="to_sql, SQLite")
    pg_ours = Figure("publish_pg", "publish to PostgreSQL (ours)", baseline="publish_pg_to_sql",
                     target=Target("min", 10, "≥ 10× to_sql"))
    pg_base = Figure("publish_pg_to_sql", "`DataFrame.to_sql`, PostgreSQL (defaults)", short="to_sql, PostgreSQL")
    main = [sqlite_base, sqlite_ours, pg_base, pg_ours]
    if result is None:
        for f in main:
            f.na = error or "no result"
        return main
    rates = flat_rates(result)
    others = []
    for name, value in rates.items():
        low = name.lower()
        pg = "postgres" in low or re.search(r"\bpg\b|^pg|_pg|pg_", low) is not None
        sqlite = "sqlite" in low
        to_sql = "to_sql" in low or "tosql" in low or "pandas" in low or "baseline" in low
        adbc = "adbc" in low
        if adbc or not (pg or sqlite) or (pg and sqlite):
            others.append(Figure(f"publish_other_{len(others)}", f"`{name}`", rate=value))
            continue
        f = (pg_base if to_sql else pg_ours) if pg else (sqlite_base if to_sql else sqlite_ours)
        if f.rate is None:
            f.rate, f.note = value, name
        else:
            others.append(Figure(f"publish_other_{len(others)}", f"`{name}`", rate=value))
    for f in others:
        if "sqlite" in f.label.lower():
            f.baseline = "publish_sqlite_to_sql"
        elif "postgres" in f.label.lower() or "pg" in f.label.lower():
            f.baseline = "publish_pg_to_sql"
    for f in main:
        if f.rate is None:
            is_pg = f.key.startswith("publish_pg")
            f.na = (why_no_pg if is_pg and why_no_pg else
                    f"no such method in publish_throughput's result (keys: {', '.join(rates) or 'none'})")
        else:
            f.label += f" — `{f.note}`"
            f.note = ""
    return main + others


RATE_KEY = re.compile(r"rows?[_ ]?(/|per)[_ ]?s(ec(ond)?)?$", re.I)


def flat_rates(result: object, prefix: str = "") -> dict[str, float]:
    """method → rows/s, from a dict of numbers or of dicts ({"rows_per_s": …, "seconds": …}); a dict
    with a rows-per-second key gives that key only; None or a string (a reason) is left out."""
    if not isinstance(result, dict):
        return {}
    rate_keys = [k for k in result if RATE_KEY.search(str(k)) and isinstance(result[k], int | float)]
    if rate_keys and prefix:
        return {prefix: float(result[rate_keys[0]])}
    out: dict[str, float] = {}
    for k, v in result.items():
        name = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            if not prefix and str(k).lower() in ("rows", "n_rows", "row_count", "seconds"):
                continue
            out[name] = float(v)
        elif isinstance(v, dict):
            out.update(flat_rates(v, name))
    return out


# --- the header ---------------------------------------------------------------------------------------

def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "? GB"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        ram = f"{kb / GB:.1f} GB"
    except (OSError, TypeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {ram} RAM, {platform.system()} {platform.release()}"


def versions() -> dict[str, str]:
    out = {}
    for name in VERSIONS:
        try:
            out[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" (dirty: uncommitted changes in the working tree)" if dirty else "")


def command_line(argv: list[str]) -> str:
    return shlex.join([".venv/bin/python", "benchmarks/bench.py", *argv])


# --- main ---------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,10", help="comma-separated sample scales (default 1,10)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure that takes under a minute (default 3)")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="the markdown to write (default BENCHMARKS.md)")
    ap.add_argument("--skip-workers", action="store_true", help="no backfill over Prefect process workers")
    ap.add_argument("--skip-postgres", action="store_true", help="publish throughput on SQLite only")
    ap.add_argument("--end-date", default="2026-11-30", help="last date of the sample and the as-of date (fixed)")
    args = ap.parse_args(argv)
    args.scale_list = [float(s) for s in args.scales.split(",") if s.strip()]
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    bench = Bench(args)
    CACHE.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    try:
        bench.say(f"fixed costs (temporary directory {bench.tmp})")
        fixed = bench.fixed_costs()
        scales = [bench.scale(s) for s in args.scale_list]
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    largest = scales[-1] if scales else None
    floor = next((f for f in largest["figures"] if f.key == "read_floor"), None) if largest else None
    gen = "`opsmetrics generate --seed 7 --end-date " + args.end_date + "`"
    report = {
        "header": {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": command_line(argv),
                   "machine": machine(), "python": platform.python_version(), "versions": versions(),
                   "commit": commit(), "data": f"{gen}, generator {generator_version()}, cached in `.bench/`"},
        "scales": scales, "fixed": fixed,
        "fixed_floor": floor.seconds if floor and not floor.na else None,
        "fixed_base": f"scale {largest['scale']:g}" if largest else "",
    }
    out = Path(args.out)
    out.write_text(render(report))
    (CACHE / "last-report.json").write_text(json.dumps(report, default=lambda o: asdict(o), indent=1))
    bench.say(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
