"""The references the engine's figures are compared with, measured in the same run.

``raw_completions``: what a completion costs with nothing but Python's ``sqlite3`` on the
same database file (same schema, indexes and audit trigger): per completion ``BEGIN
IMMEDIATE``, one SELECT (the task and its chain head), one guarded UPDATE of the task, one
INSERT of the hashed audit event (the trigger advances the head), COMMIT — the statements
the use case sends, without the engine around them (no access checks, no form validation,
no SQLAlchemy). It is the limit the engine's completion rate is measured against.

``spiff_completions`` and ``spiff_core_completions``: SpiffWorkflow (its BPMN engine, and
its lighter core) completing a task of a workflow persisted as JSON in a SQLite file, if
SpiffWorkflow is installed (it is not a dependency of samflow: ``pip install
SpiffWorkflow==3.2.0``, the version of issue 14); otherwise None.

    .venv/bin/python -m bench.reference
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.domain.audit.chain import canonical_json, row_hash, time_text

AT = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def raw_completions(
    path: str, jobs: list[tuple[int, int, str]], data: dict[str, Any]
) -> dict[str, Any]:
    """Complete ``jobs`` (task id, person id, label) with plain sqlite3 statements."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    at = time_text(AT)
    samples: list[float] = []
    start = time.perf_counter()
    cpu = time.process_time()
    for task_id, person, label in jobs:
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        row = db.execute(
            "SELECT t.version, t.cycle_id, t.unit_id, c.last_seq, c.last_hash FROM task t "
            "LEFT JOIN audit_chain c ON c.key = 'cycle:' || t.cycle_id "
            "WHERE t.id = ? AND t.status = 'open'",
            (task_id,),
        ).fetchone()
        version, cycle_id, unit_id, seq, prev = row
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
        cur = db.execute(
            "UPDATE task SET status = 'completed', data = ?, closed_at = ?, closed_by = ?, "
            "next_check_at = NULL, version = version + 1 WHERE id = ? AND version = ?",
            (payload, at, person, task_id, version),
        )
        assert cur.rowcount == 1
        chain = f"cycle:{cycle_id}"
        body = canonical_json({"key": "employee_survey", "input": data})
        digest = row_hash(
            chain,
            seq + 1,
            at,
            person,
            label,
            None,
            "task.completed",
            "task",
            str(task_id),
            unit_id,
            body,
            prev,
        )
        db.execute(
            "INSERT INTO audit_event (chain, seq, at, actor_id, on_behalf_of_id, actor_label, "
            "action, subject_type, subject_id, unit_id, data, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, NULL, ?, 'task.completed', 'task', ?, ?, ?, ?, ?)",
            (chain, seq + 1, at, person, label, str(task_id), unit_id, body, prev, digest),
        )
        db.execute("COMMIT")
        samples.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    db.close()
    return _rate("raw sqlite3", samples, elapsed, cpu)


#: The survey's two human tasks as BPMN, the notation SpiffWorkflow is mostly used with.
SURVEY_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="sam"
    targetNamespace="https://samflow.example/bench">
  <bpmn:process id="survey" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="survey_results"/>
    <bpmn:userTask id="survey_results" name="Survey results"/>
    <bpmn:sequenceFlow id="f2" sourceRef="survey_results" targetRef="analysis"/>
    <bpmn:userTask id="analysis" name="Analysis"/>
    <bpmn:sequenceFlow id="f3" sourceRef="analysis" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def spiff_completions(path: str, n: int) -> dict[str, Any] | None:
    """SpiffWorkflow's BPMN engine completing a user task of a persisted workflow (issue
    14's reference: 722/s there), or None when SpiffWorkflow is not installed. The workflow
    is the survey's two user tasks; it is kept with ``BpmnWorkflowSerializer`` (``_timed``
    says what each completion does)."""
    try:
        from lxml import etree
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser  # type: ignore[import-not-found]
        from SpiffWorkflow.bpmn.serializer.workflow import (  # type: ignore[import-not-found]
            BpmnWorkflowSerializer,
        )
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # type: ignore[import-not-found]
    except ImportError:
        return None
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(SURVEY_BPMN), filename="survey.bpmn")
    spec = parser.get_spec("survey")
    serializer = BpmnWorkflowSerializer()

    def started() -> Any:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        return wf

    def run_on(wf: Any) -> None:
        wf.do_engine_steps()

    return _timed(
        "SpiffWorkflow (BPMN)", path, n, started, run_on,
        serializer.serialize_json, serializer.deserialize_json,
    )  # fmt: skip


def spiff_core_completions(path: str, n: int) -> dict[str, Any] | None:
    """The same with SpiffWorkflow's lighter core (``WorkflowSpec`` of ``Simple`` manual
    tasks, ``JSONSerializer``), or None when SpiffWorkflow is not installed."""
    try:
        from SpiffWorkflow.serializer.json import JSONSerializer  # type: ignore[import-not-found]
        from SpiffWorkflow.specs.Simple import Simple  # type: ignore[import-not-found]
        from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec  # type: ignore[import-not-found]
        from SpiffWorkflow.workflow import Workflow  # type: ignore[import-not-found]
    except ImportError:
        return None
    spec = WorkflowSpec("survey", addstart=True)
    survey = Simple(spec, "survey_results", manual=True)
    spec.start.connect(survey)
    survey.connect(Simple(spec, "analysis", manual=True))
    serializer = JSONSerializer()

    def started() -> Any:
        wf = Workflow(spec)
        wf.run_all()
        return wf

    def run_on(wf: Any) -> None:
        wf.run_all()

    return _timed(
        "SpiffWorkflow (core)", path, n, started, run_on,
        serializer.serialize_workflow, serializer.deserialize_workflow,
    )  # fmt: skip


def _timed(
    label: str,
    path: str,
    n: int,
    started: Callable[[], Any],
    run_on: Callable[[Any], None],
    dump: Callable[[Any], str],
    load: Callable[[str], Any],
) -> dict[str, Any]:
    """``n`` workflows run to their first task and stored as JSON in a SQLite file first
    (WAL, synchronous=NORMAL: the engine's durability). Each timed completion: ``BEGIN
    IMMEDIATE``, read the workflow's JSON, load it, complete the ready survey task with
    the survey's data, run on (the analysis task becomes ready), write it back, ``COMMIT``
    — what the engine's use case does for a completion, with SpiffWorkflow's state instead
    of samflow's rows (no access check, no form validation, no audit chain)."""
    from SpiffWorkflow.util.task import TaskState  # type: ignore[import-not-found]

    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("CREATE TABLE workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    db.execute("BEGIN")
    for i in range(n):
        db.execute("INSERT INTO workflow VALUES (?, ?)", (i, dump(started())))
    db.execute("COMMIT")
    data = {"answers": 42, "period": "2027"}
    samples: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        (state,) = db.execute("SELECT state FROM workflow WHERE id = ?", (i,)).fetchone()
        wf = load(state)
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        if task is None or task.task_spec.name != "survey_results":
            raise RuntimeError(f"{label}: no survey task ready")
        task.data.update(data)
        task.run()
        run_on(wf)
        db.execute("UPDATE workflow SET state = ? WHERE id = ?", (dump(wf), i))
        db.execute("COMMIT")
        samples.append(time.perf_counter() - t)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.close()
    return _rate(label, samples, elapsed, cpu)


def _rate(label: str, samples: list[float], elapsed: float, cpu: float) -> dict[str, Any]:
    q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
    out = {
        "per_second": len(samples) / elapsed,
        "p95_ms": q[94] * 1000,
        "n": len(samples),
        "seconds": elapsed,
        "cpu_seconds": cpu,
    }
    print(f"{label}: {out['per_second']:,.0f}/s, p95 {out['p95_ms']:.2f} ms (n={len(samples)})")
    return out


def main() -> None:
    from bench.complete_tasks import measure

    measure(None, units=1000, n=1000)


if __name__ == "__main__":
    main()
