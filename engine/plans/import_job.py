"""Large plan imports as a background job (job kind ``plan_import``).

A plan of a few hundred rows imports within the request (``importer.import_plan``). Above
``SAMFLOW_PLAN_IMPORT_JOB_ROWS`` rows the doors use this module instead, so the web process
does not spend the minutes of a region's plan in a request:

1. ``request`` checks the whole file now, exactly as the import would (a dry run of
   ``import_plan``: every bad cell is a 422, a person without the plan's rights gets 403
   or 404, and nothing is queued); then keeps the file with a queued job (a job file under
   ``input/``, never offered for download) and returns the job's id.
2. ``run`` (a thread of the web server, or a run of the Prefect ``run-job/jobs``
   deployment) imports the kept file with the rights of the person who asked, checked again
   then, in one transaction as ever, and records the counts as the job's result.

Running the job again imports nothing twice: a job that is ``done`` is left as it is, and
one whose process died after the import committed (before the job was marked done) finds
the import's ``plan.imported`` audit event (same cycle, same file digest, after the job was
asked for) and only records the outcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy import delete, select

from engine.context import Actor, App
from engine.db.models import AuditEvent
from engine.db.models.workflow.files import JobFile
from engine.domain.errors import SamflowError
from engine.plans import importer
from engine.workflow.batch import jobs

log = logging.getLogger("samflow.plan_import")

KIND = "plan_import"
INPUT = "input/plan-import.json"  # a job's input file: never offered as a download


def rows_in(content: bytes) -> int:
    """A cheap measure before parsing: lines of a CSV; an XLSX counts by its size (a row of
    a plan is ~60 bytes compressed), so both choose the job path at about the same size."""
    if content[:2] == b"PK":
        return len(content) // 60
    return content.count(b"\n")


def needs_job(app: App, content: bytes) -> bool:
    return rows_in(content) > app.settings.plan_import_job_rows


def request(
    app: App, actor: Actor, cycle_id: int, filename: str, content: bytes, runner: str
) -> int:
    """Check everything now (a dry run), then queue the import; returns the job id."""
    checked = importer.import_plan(app, actor, cycle_id, filename, content, dry_run=True)
    params = {
        "cycle_id": cycle_id,
        "file": filename,
        "items": checked.items,
        "measures": checked.measures,
    }
    job_id = jobs.create(app, actor, KIND, params, runner)
    stored = json.dumps({"file": filename, "content": content.hex()}).encode()
    with app.db.write() as s:
        s.add(
            JobFile(
                job_id=job_id,
                filename=INPUT,
                content_type="application/json",
                size=len(stored),
                sha256=hashlib.sha256(stored).hexdigest(),
                created_at=app.clock.now(),
                content=stored,
            )
        )
    return job_id


def run(app: App, job_id: int) -> jobs.JobView:
    """Import the kept file for the person who asked; the job row holds the outcome."""
    job = jobs.get(app, job_id)
    if job.status == "done":
        return job
    job, actor = jobs.begin(app, job_id)
    cycle_id = int(job.params["cycle_id"])
    try:
        with app.read() as s:
            stored = s.scalar(
                select(JobFile.content).where(JobFile.job_id == job_id, JobFile.filename == INPUT)
            )
        if stored is None:
            raise RuntimeError("the plan file is gone; import it again")
        kept = json.loads(stored)
        content = bytes.fromhex(kept["content"])
        if _already_imported(app, job, content):
            return jobs.finish(app, job_id, dict(job.params) | {"recovered": True})
        total = int(job.params.get("measures", 0))
        progress = jobs.progress_sink(app, job_id)
        progress(0, total, "importing")
        with jobs.heartbeat(app, job_id):
            result = importer.import_plan(app, actor, cycle_id, str(kept["file"]), content)
        progress(result.measures, result.measures, "imported")
    except SamflowError as exc:
        return jobs.fail(app, job_id, exc.message("en"))
    except Exception as exc:
        log.exception("plan import job %s failed", job_id)
        return jobs.fail(app, job_id, f"{type(exc).__name__}: {exc}")
    with app.db.write() as s:  # imported: the input is not needed again
        s.execute(delete(JobFile).where(JobFile.job_id == job_id))
    return jobs.finish(app, job_id, summary(result))


def summary(result: importer.ImportResult) -> dict[str, Any]:
    return {
        "cycle_id": result.cycle_id,
        "items": result.items,
        "measures": result.measures,
        "status_changes": result.status_changes,
    }


def _already_imported(app: App, job: jobs.JobView, content: bytes) -> bool:
    digest = hashlib.sha256(content).hexdigest()
    with app.read() as s:
        found = s.scalars(
            select(AuditEvent.data).where(
                AuditEvent.action == "plan.imported",
                AuditEvent.subject_id == str(job.params["cycle_id"]),
                AuditEvent.at >= job.created_at,
            )
        )
        return any(json.loads(data).get("sha256") == digest for data in found)
