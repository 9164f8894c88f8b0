"""Background jobs other than the year's start, as one Prefect flow run each (job id in).

The web app's Prefect launcher runs the ``run-job/jobs`` deployment for an evidence package,
a large organisation import or a large plan import (``engine.background.deployment_for``);
a worker runs this flow, which does the job through ``engine.background.run`` - the very
function the embedded thread launcher calls - so the job row shows the same progress and
result on the same page. The work itself is one flow run, never one run per unit or row:
the job's own batches (an import's) are transactions inside it.

A crashed or cancelled run (the worker killed) fails its job with the reason, as the
annual flow does; a run that dies without Prefect noticing stops beating, and the sweep's
recovery fails the job as stopped. When the job ends, its place in the queue goes to the
next waiting job (``submit_waiting``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from engine import background
from engine.workflow.batch import jobs
from flows import runtime
from flows.annual import job_stopped, submit_waiting


@flow(name="run-job", on_crashed=[job_stopped], on_cancellation=[job_stopped])
def run_job(job_id: int) -> dict[str, Any]:
    """Do one background job (evidence package, organisation or plan import) by its id."""
    rt = runtime.current()
    app = rt.app
    if flow_run.id:
        jobs.set_external_ref(app, job_id, str(flow_run.id))
    try:
        background.run(app, job_id)
    finally:
        submit_waiting(app)
    view = jobs.get(app, job_id)
    get_run_logger().info("job %s (%s): %s", job_id, view.kind, view.status)
    if view.status == "failed":
        raise RuntimeError(f"job {job_id} failed: {view.error}")
    return {"job_id": job_id, "kind": view.kind, "status": view.status, "result": view.result}
