"""Laying out an evidence package as PDF in the background (job kind ``evidence``).

The web app queues the job (``engine.evidence.jobs.request``) and hands it to its launcher:
a thread of the web server in the embedded setup, a run of the ``run-job/jobs`` Prefect
deployment when ``SAMFLOW_RUNNER=prefect`` (``engine.background`` says which function does
each kind). The PDF is laid out in that process (``workers=1``: forking a server with
threads is unsafe), one part at a time, with the job's progress after each; the file is
kept in the database (``job_store``) for the person's page to offer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from engine.context import Actor, App
from engine.domain.errors import SamflowError
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.evidence import parts
from engine.workflow.batch import job_store, jobs
from forms.exports import evidence_docs

log = logging.getLogger("samflow.evidence")


def filename(scope: evidence.Scope, ext: str) -> str:
    """``underlag-U1-2027.pdf``; a subtree's ``underlag-ADM-2027-med-underenheter.pdf``."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", scope.code)[:40] or "enhet"
    tail = "-med-underenheter" if scope.kind == "subtree" else ""
    return f"underlag-{code}-{scope.year}{tail}.{ext}"


def _make(
    app: App,
    job_id: int,
    order: evidence_jobs.Order,
    actor: Actor,
    progress: Callable[[int, int, str], None],
) -> tuple[str, bytes, evidence.Built]:
    progress(0, 0, "data")
    built = evidence.build(app, actor, order.scope)
    doc = built.document(actor.label, order.reference)
    content = evidence_docs.evidence_pdf(
        doc, order.lang, workers=1, progress=progress, store=parts.Store(app)
    )
    name = filename(order.scope, "pdf")
    job_store.store(app, job_id, name, "application/pdf", content)
    return name, content, built


def run(app: App, job_id: int) -> None:
    """Build, lay out and store the package; the job row holds the outcome."""
    job, actor = jobs.begin(app, job_id)
    order = evidence_jobs.order_of(job)
    progress = jobs.progress_sink(app, job_id)
    try:
        with jobs.heartbeat(app, job_id):
            name, content, built = _make(app, job_id, order, actor, progress)
    except SamflowError as exc:
        jobs.fail(app, job_id, exc.message("en"))
        return
    except Exception as exc:
        log.exception("evidence job %s failed", job_id)
        jobs.fail(app, job_id, f"{type(exc).__name__}: {exc}")
        return
    jobs.finish(
        app,
        job_id,
        {
            "filename": name,
            "size": len(content),
            "digest": built.digest,
            "units": len(built.data["units"]),
        },
    )
