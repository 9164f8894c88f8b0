"""A Prefect server of our own for ``samflow flows serve`` on a single machine.

Prefect's ephemeral mode (no ``PREFECT_API_URL``) starts a temporary API without its
scheduler: in Prefect 3.8.8 only services marked ``run_in_ephemeral`` run there, and the
scheduler is not one of them, so ``serve()`` against it never gets a scheduled run (measured:
a 1-minute interval produced no run in 3 minutes). ``serve`` therefore starts a real
``prefect server start`` as a child process on 127.0.0.1, with its SQLite database in
``PREFECT_HOME``, waits for it to answer, and stops it on the way out. Nothing else has to
be installed; with ``PREFECT_API_URL`` set, the server named there is used instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

READY_SECONDS = 180.0


@contextmanager
def prefect_server(
    port: int, *, ready_seconds: float = READY_SECONDS, quiet: bool = False
) -> Iterator[str]:
    """Run ``prefect server start`` on 127.0.0.1:port; yields its API URL. ``quiet`` drops
    its banner and logs."""
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    args = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    out = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen([*args, "--port", str(port)], env=env, stdout=out, stderr=out)
    try:
        _wait_until_healthy(api, process, ready_seconds)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(api: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server stopped (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)  # polling a child process, not waiting for domain time
    raise RuntimeError(f"the Prefect server did not answer on {api} within {seconds:.0f} s")
