"""Every entrypoint in prefect.yaml imports and names a Prefect flow."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).parent.parent
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_entrypoint_is_a_flow(deployment):
    path, name = deployment["entrypoint"].split(":")
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(getattr(module, name), Flow)


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_the_worker_starts_the_engine_itself(deployment):
    # without a command, Prefect 3.9's process worker starts a workspace supervisor that imports
    # Prefect, then execs the engine, which imports it again: ~1.7 s of CPU more per flow run
    assert deployment["work_pool"] == {"name": "opsmetrics-process",
                                       "job_variables": {"command": "python -m prefect.engine"}}
