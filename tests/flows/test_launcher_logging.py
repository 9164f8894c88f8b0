"""Importing Prefect in the web process must not silence uvicorn's logs (a fresh process
each: Prefect configures logging once, when first imported)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import logging.config, sys
from uvicorn.config import LOGGING_CONFIG
logging.config.dictConfig(LOGGING_CONFIG)
if sys.argv[1] == "launcher":
    from api.prefect_launcher import keep_uvicorn_logs
    keep_uvicorn_logs()
from prefect import flow
logging.getLogger("uvicorn.error").info("started: still heard")
access = logging.getLogger("uvicorn.access")
access.info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", "/", "1.1", 200)
"""


def run(mode: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_SETTINGS_PATH"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout + done.stderr


def test_the_launcher_keeps_uvicorn_logs_that_prefect_would_silence() -> None:
    assert "still heard" not in run("plain")  # Prefect's stock logging config
    heard = run("launcher")
    assert "started: still heard" in heard and '"GET / HTTP/1.1" 200' in heard
