"""A real S3 API for tests: moto's server (`python -m moto.server`) on 127.0.0.1, in a process of
its own, with a bucket; and the environment that points s3fs (botocore) at it the way a team
points a worker at its object store: credentials and endpoint in AWS_* variables, never in the
URL (schemas/config.py: check_snapshot_dir refuses a URL with a password)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from prefect_stack import free_port


@dataclass
class S3:
    endpoint: str  # http://127.0.0.1:PORT
    bucket: str
    log: Path  # moto's request log: one line per request ("GET /bucket/key HTTP/1.1" 200)

    @property
    def env(self) -> dict[str, str]:
        """What a worker's environment holds to reach the store (botocore reads these; s3fs asks botocore)."""
        return {"AWS_ACCESS_KEY_ID": "opsmetrics-test", "AWS_SECRET_ACCESS_KEY": "opsmetrics-test-secret",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": self.endpoint}

    def url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def requests_for(self, method: str, key_part: str) -> list[str]:
        """The request lines moto logged for `method` on a key containing `key_part`."""
        return [line for line in self.log.read_text().splitlines() if f'"{method} /{self.bucket}/' in line
                and key_part in line]


@contextmanager
def moto_s3(folder: Path, bucket: str = "opsmetrics-snapshots") -> Iterator[S3]:
    """moto's S3 server on a free port of 127.0.0.1, with `bucket` created; stopped afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "moto.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                cwd=folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "HOME": str(folder)})
    s3 = S3(f"http://127.0.0.1:{port}", bucket, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{s3.endpoint}/moto-api/", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, f"moto's server did not start; see {log}"
            time.sleep(0.2)
        # a bucket is made once, by whoever runs the store, not by the pipeline: a plain S3 PUT
        assert requests.put(f"{s3.endpoint}/{bucket}", timeout=10).ok
        yield s3
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
