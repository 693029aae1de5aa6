"""Set-up anywhere: the test PostgreSQL starts from a checkout that only its owner can enter (as
root, `~` is mode 700), which used to stop `make test` at `make pg` with nothing but "Error 1"."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.reliability


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None,
                    reason="the server runs as 'postgres' only when started by root")
def test_the_test_postgresql_starts_from_a_private_checkout(tmp_path):
    private = tmp_path / "home"
    checkout = private / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "pg-test-server", checkout / "scripts" / "pg-test-server")
    private.chmod(0o700)  # like root's home: 'postgres' cannot enter
    env = {**os.environ, "PGTEST_PORT": "55499"}
    env.pop("PGTEST_DIR", None)
    script = str(checkout / "scripts" / "pg-test-server")
    started = subprocess.run([script, "start"], capture_output=True, text=True, env=env, timeout=180)
    try:
        assert started.returncode == 0, started.stderr
        url = (checkout / ".pg" / "url").read_text().strip()
        assert url.endswith(":55499/opsmetrics_test")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar() == 1
        engine.dispose()
    finally:
        subprocess.run([script, "stop"], capture_output=True, text=True, env=env, timeout=120)
        # the server's files went where 'postgres' can reach them, named after the checkout
        shutil.rmtree(Path("/var/tmp") / f"opsmetrics-pg-{hashlib.sha1(str(checkout).encode()).hexdigest()[:12]}",
                      ignore_errors=True)
