"""A real Prefect deployment for tests: a server on a free port with its own PREFECT_HOME, the
deployments of prefect.yaml, and process workers, all stopped afterwards."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).parent / "prefect")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


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

    @property
    def ui(self) -> str:
        return self.api.removesuffix("/api")

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.home / f"{name}.log", "w")
        proc = subprocess.Popen([PREFECT, *args], cwd=ROOT, env={**self.env, **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def prefect(self, *args: str) -> str:
        done = subprocess.run([PREFECT, "--no-prompt", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def deployment(self, name: str) -> dict:
        return requests.get(f"{self.api}/deployments/name/{name}", timeout=10).json()

    def run_deployment(self, name: str, parameters: dict) -> str:
        """Create a flow run as the UI's custom run form does: POST create_flow_run with the
        parameters as JSON (dates as YYYY-MM-DD strings)."""
        dep = self.deployment(name)
        body = {"parameters": parameters, "state": {"type": "SCHEDULED", "name": "Scheduled"}}
        return requests.post(f"{self.api}/deployments/{dep['id']}/create_flow_run", json=body, timeout=10).json()["id"]

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

    def stop(self) -> None:
        for proc in reversed(self.processes):  # workers first (SIGINT: they may ignore a first SIGTERM)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def prefect_stack(home: Path, workers: int = 2, worker_env: dict[str, str] | None = None):
    """Server, work pool, `prefect deploy --all`, and `workers` process workers named w1, w2, …"""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api, "PREFECT_WORKER_QUERY_SECONDS": "2",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "true",
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}  # schedules show up within seconds
    stack = Stack(api, home, env)
    try:
        stack.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{api}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Prefect server not up after 120 s; see {home / 'server.log'}")
            time.sleep(1)
        stack.prefect("work-pool", "create", "opsmetrics-process", "--type", "process", "--overwrite")
        stack.prefect("deploy", "--all")
        for i in range(1, workers + 1):
            # at most two runs per worker: a backfill's parent run holds a slot, so no worker can
            # take every chunk and each one gets some
            stack.start(f"w{i}", "worker", "start", "--pool", "opsmetrics-process", "--name", f"w{i}", "--limit", "2",
                        env={**(worker_env or {}), "OPSMETRICS_WORKER": f"w{i}"})
        yield stack
    finally:
        stack.stop()
