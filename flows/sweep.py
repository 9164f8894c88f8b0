"""The sweep (reminders, escalations) and the e-mails, as Prefect flows.

``sweep`` runs every 15 minutes by default: the engine's sweep, then the notifier, so a
reminder the sweep decides goes out in the same run, then a signed checkpoint of the audit
chains when one is due (docs/audit.md; a log found shorter or recomputed fails that step).
All are safe to retry and to run twice at once: the sweep claims rows with SKIP LOCKED and
guarded updates, the notifier claims each mail before sending it, a checkpoint takes its
number with an exclusive link. ``weekly_digest`` sends each person one mail with all their
open tasks. The plain functions below do the work; the CLI's ``--direct`` calls them
without Prefect (a systemd timer, say).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from engine.workflow import sweeps
from flows import runtime
from flows.annual import submit_waiting
from flows.work import checkpoint_once, digest_once, notify_once, sweep_once


# --- Prefect ------------------------------------------------------------------------------
@task(name="sweep", cache_policy=NONE)
def sweep_task(batch: int) -> dict[str, int]:
    rt = runtime.current()
    if rt.before_sweep is not None:
        rt.before_sweep()
    return sweep_once(rt, batch)


@task(name="notify", cache_policy=NONE)
def notify_task() -> dict[str, Any]:
    return notify_once(runtime.current())


@task(name="audit-checkpoint", cache_policy=NONE)
def checkpoint_task() -> dict[str, Any]:
    return checkpoint_once(runtime.current())


@task(name="digest", cache_policy=NONE)
def digest_task(week: str | None) -> dict[str, Any]:
    return digest_once(runtime.current(), week)


def _retried(t: Any) -> Any:
    delays = runtime.current().retry_delays
    return t.with_options(retries=len(delays), retry_delay_seconds=delays)


@flow(name="sweep")
def sweep(batch: int = sweeps.BATCH, mail: bool = True) -> dict[str, Any]:
    """Reminders and escalations, then the e-mails about them (and about new tasks), then
    the audit checkpoint when due."""
    out: dict[str, Any] = {"sweep": _retried(sweep_task)(batch)}
    out["jobs_submitted"] = len(submit_waiting(runtime.current().app))
    if mail:
        out["mail"] = _retried(notify_task)()
    out["audit"] = checkpoint_task()
    return out


@flow(name="notify")
def notify() -> dict[str, Any]:
    """Only the e-mails about new tasks, reminders and escalations (no sweep)."""
    return {"mail": _retried(notify_task)()}


@flow(name="weekly-digest")
def weekly_digest(week: str | None = None) -> dict[str, Any]:
    """One mail per person with all their open tasks (once per ISO week, e.g. 2027-W03)."""
    return {"digest": _retried(digest_task)(week)}
