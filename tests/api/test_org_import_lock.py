"""A large organisation import must not hold SQLite's write lock for its whole length
(100,000 units held it for minutes; other requests got "database is locked" after 30 s).
Above ``SAMFLOW_ORG_IMPORT_JOB_ROWS`` the API queues it as a job that writes in batches;
another connection keeps writing meanwhile. The figures for 100,000 units come from
``bench/org_import_batches.py``."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from tests.api.conftest import Web
from tests.factories import people_csv, units_csv

UNITS = 5_000
#: Another writer waits this long for the lock before "database is locked": long enough
#: never to fail on a loaded machine; the test compares its waits with the import's length.
PROBE_TIMEOUT = 30.0


class Probe:
    """Small write transactions from a connection of its own (another process's view)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.waits: list[float] = []
        self.failed: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=PROBE_TIMEOUT, isolation_level=None)
        while not self.stop.wait(0.05):
            started = time.perf_counter()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE notify_cursor SET updated_at = updated_at")
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.failed.append(str(exc))
            else:
                self.waits.append(time.perf_counter() - started)
        conn.close()


def big_files() -> tuple[str, str]:
    units = units_csv() + "".join(f"B{i},Enhet B{i},DEP,unit,10\n" for i in range(UNITS))
    people = people_csv() + "".join(
        f"b{i}@x.se,Chef B{i},manager,B{i},2020-01-01,\n" for i in range(UNITS)
    )
    return units, people


@pytest.mark.slow  # 5,000 units and people written through the use case (~5-10 s here)
def test_a_large_import_lets_other_writers_in_between_its_batches(web: Web) -> None:
    url = web.engine.settings.database_url
    with web.engine.db.write() as s:
        s.execute(
            text("INSERT INTO notify_cursor (name, at, updated_at) VALUES ('probe', :t, :t)"),
            {"t": web.clock.now()},
        )
    units, people = big_files()
    hr = web.api("hr@x.se")
    probe = Probe(url.removeprefix("sqlite:///"))
    probe.thread.start()
    started = time.perf_counter()
    try:
        got = hr.post(
            "/api/org/import", json={"units_csv": units, "people_csv": people, "dry_run": False}
        )
        web.documents.join(300)
    finally:
        took = time.perf_counter() - started
        probe.stop.set()
        probe.thread.join()
    # other writers got the database throughout: the longest wait is about one batch, not
    # the import (in one transaction it was all of it: 4.3 s of 4.3 s for 5,000 units)
    assert probe.failed == []
    assert len(probe.waits) >= 20 and max(probe.waits) < took / 5, (max(probe.waits), took)
    assert got.status_code == 202, got.text[:300]  # queued as a job, applied in batches
    job = hr.get(f"/api/jobs/{got.json()['id']}").json()
    assert job["status"] == "done", job
    assert job["result"]["units_created"] == UNITS and job["result"]["roles_added"] == UNITS
    # the organisation's own roles are still there (the file lists them)
    assert job["result"]["roles_ended"] == 0


def test_a_large_import_with_a_bad_row_is_refused_before_it_is_queued(web: Web) -> None:
    units, people = big_files()
    people += "no-at-sign,Nobody,manager,B1,2020-01-01,\n"
    got = web.api("hr@x.se").post(
        "/api/org/import", json={"units_csv": units, "people_csv": people, "dry_run": False}
    )
    assert got.status_code == 422 and got.json()["errors"][0]["path"].startswith("people.csv")
    with web.engine.db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM job WHERE kind = 'org_import'")) == 0
