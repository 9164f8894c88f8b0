"""The Prefect server ``samflow flows serve`` starts for itself: a failed start is an error
that says so, not a hang (starting it for real takes ~20 s; deploy/smoke_test.sh does)."""

from __future__ import annotations

import socket

import pytest

from flows.local_server import prefect_server


def test_a_server_that_cannot_start_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stopped = pytest.raises(RuntimeError, match="Prefect server stopped")
        with stopped, prefect_server(port, quiet=True, ready_seconds=120):
            pass
