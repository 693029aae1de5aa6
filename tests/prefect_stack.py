"""A real Prefect deployment for tests: a server on a free port with its own PREFECT_HOME, the
deployments of prefect.yaml, and process workers, all stopped afterwards; with
`dead_run_detection=True`, also what `make deploy` and `make worker` add for dead workers (the
automation of flows/automations.py, and heartbeats from the workers' flow runs)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).parent / "prefect")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def descendants(pid: int) -> Iterator[int]:
    """Every descendant of `pid` (from /proc), children before grandchildren."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo = list(kids.get(pid, []))
    while todo:
        child = todo.pop(0)
        yield child
        todo.extend(kids.get(child, []))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    api: str  # http://127.0.0.1:PORT/api
    home: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    worker_env: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen | None = None

    @property
    def ui(self) -> str:
        return self.api.removesuffix("/api")

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.home / f"{name}.log", "w")
        proc = subprocess.Popen([PREFECT, *args], cwd=cwd or ROOT, env={**self.env, **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def serve(self, name: str = "server") -> subprocess.Popen:
        """Start the Prefect server (on the port of `api`, with this PREFECT_HOME) and wait until it answers."""
        port = self.api.rsplit(":", 1)[1].removesuffix("/api")
        self.server = self.start(name, "server", "start", "--host", "127.0.0.1", "--port", port)
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{self.api}/health", timeout=2).ok:
                    return self.server
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Prefect server not up after 120 s; see {self.home / name}.log")
            time.sleep(1)

    def restart_server(self) -> None:
        """Stop the server (SIGINT) and start it again on the same port and database, as after a
        reboot: what it kept only in memory (e.g. its concurrency leases) is gone."""
        os.killpg(self.server.pid, signal.SIGINT)
        self.server.wait(timeout=60)
        self.serve(f"server{len(self.processes)}")

    def start_worker(self, name: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
        """A process worker of the opsmetrics-process pool; OPSMETRICS_WORKER is its name. `env` and
        `cwd`: a worker of its own machine (its environment, its working folder; default the checkout)."""
        # at most two runs per worker: a backfill's parent run holds a slot, so no worker can
        # take every chunk and each one gets some
        return self.start(name, "worker", "start", "--pool", "opsmetrics-process", "--name", name, "--limit", "2",
                          env={**self.worker_env, "OPSMETRICS_WORKER": name, **(env or {})}, cwd=cwd)

    def kill(self, proc: subprocess.Popen) -> list[int]:
        """SIGKILL a process started by `start` and everything it started, as a machine that dies
        would: its process group and the groups of its descendants (Prefect 3.9's process worker
        starts each flow run in a session of its own). Returns the pids killed."""
        pids = [proc.pid, *descendants(proc.pid)]
        for pgid in dict.fromkeys(filter(None, map(_pgid, pids))):
            os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=10)
        return pids

    def prefect(self, *args: str) -> str:
        done = subprocess.run([PREFECT, "--no-prompt", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def create_automations(self) -> str:
        """What `make deploy` does after `prefect deploy`: `python -m flows.automations`."""
        done = subprocess.run([sys.executable, "-m", "flows.automations"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def deployment(self, name: str) -> dict:
        return self._answer("get", f"/deployments/name/{name}")

    def _answer(self, method: str, path: str, **kwargs) -> dict:
        """The JSON object the API answers with an id. The server on SQLite may answer 503
        ("database is locked") while workers poll it: a make test run failed on a reply without
        an id. A server error is retried; any other is said, with its body."""
        for attempt in range(5):
            reply = requests.request(method, f"{self.api}{path}", timeout=10, **kwargs)
            if reply.status_code < 500:
                break
            time.sleep(1 + attempt)
        assert reply.ok and "id" in reply.json(), f"{method.upper()} {path}: {reply.status_code} {reply.text[:500]}"
        return reply.json()

    def run_deployment(self, name: str, parameters: dict) -> str:
        """Create a flow run as the UI's custom run form does: POST create_flow_run with the
        parameters as JSON (dates as YYYY-MM-DD strings)."""
        dep = self.deployment(name)
        body = {"parameters": parameters, "state": {"type": "SCHEDULED", "name": "Scheduled"}}
        return self._answer("post", f"/deployments/{dep['id']}/create_flow_run", json=body)["id"]

    def flow_runs(self, deployment: str, state: str | None = None) -> list[dict]:
        body: dict = {"deployments": {"id": {"any_": [self.deployment(deployment)["id"]]}}}
        if state:
            body["flow_runs"] = {"state": {"type": {"any_": [state]}}}
        return requests.post(f"{self.api}/flow_runs/filter", json=body, timeout=10).json()

    def wait(self, run_id: str, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                run = requests.get(f"{self.api}/flow_runs/{run_id}", timeout=30).json()
            except requests.RequestException:  # a busy server (SQLite-backed) may answer late: ask again
                time.sleep(2)
                continue
            if run["state"]["type"] in FINAL:
                return run
            time.sleep(2)
        raise TimeoutError(f"flow run {run_id} not finished after {timeout} s; logs in {self.home}")

    def events(self, name: str, resource_id: str) -> list[dict]:
        """The events `name` of one resource (e.g. prefect.flow-run.heartbeat of prefect.flow-run.ID)."""
        body = {"filter": {"event": {"name": [name]}, "resource": {"id": [resource_id]}}, "limit": 50}
        return requests.post(f"{self.api}/events/filter", json=body, timeout=10).json()["events"]

    def stop(self) -> None:
        for proc in reversed(self.processes):  # workers first (SIGINT: they may ignore a first SIGTERM)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@contextmanager
def prefect_stack(home: Path, workers: int = 2, worker_env: dict[str, str] | None = None,
                  dead_run_detection: bool = False):
    """Server, work pool, `prefect deploy --all`, and `workers` process workers named w1, w2, …
    With `dead_run_detection`, as `make deploy` and `make worker` do: the automation of
    flows/automations.py on the server (`python -m flows.automations`), and the workers' flow runs
    beating every `flows.automations.heartbeat_seconds()` (PREFECT_FLOWS_HEARTBEAT_FREQUENCY)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    # this venv's bin first, as `make worker` does: the deployments start flow runs as `python -m prefect.engine`
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "true",
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}  # schedules show up within seconds
    stack = Stack(api, home, env, worker_env=dict(worker_env or {}))
    try:
        stack.serve()
        stack.prefect("work-pool", "create", "opsmetrics-process", "--type", "process", "--overwrite")
        stack.prefect("deploy", "--all")
        if dead_run_detection:
            from flows.automations import HEARTBEAT_VARIABLE, heartbeat_seconds

            stack.create_automations()
            stack.worker_env.setdefault(HEARTBEAT_VARIABLE, str(heartbeat_seconds(env)))
        for i in range(1, workers + 1):
            stack.start_worker(f"w{i}")
        yield stack
    finally:
        stack.stop()
