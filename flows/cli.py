"""``samflow flows ...``: serve the schedules, or run one flow now.

``cli.main`` loads ``register`` through the ``samflow.cli`` entry point, so the command line
never imports this package by name. Prefect is imported only when a command needs it (it
takes ~2 s), never for ``samflow --help`` or ``--direct`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # imported by the handlers: registering the commands stays cheap
    from engine.settings import Settings
    from flows import runtime

FLOWS = ("annual", "sweep", "notify", "digest")


class Console(Protocol):
    def line(self, text: str = "") -> None: ...


def register(sub: Any) -> None:
    p = sub.add_parser(
        "flows",
        help="Prefect flows: serve the schedules, or run one flow now",
        description="Prefect flows: the annual start, the sweep with its e-mails, the digest.",
    )
    cmds = p.add_subparsers(dest="flows_command", required=True, metavar="COMMAND")
    serve = cmds.add_parser(
        "serve",
        help="run the schedules in this process (Prefect serve; a local Prefect server)",
        description="Serve four deployments: start-annual-cycles/annual (SAMFLOW_ANNUAL_CRON), "
        "run-job/jobs (the web app's other background jobs), sweep/sweep (every "
        "SAMFLOW_SWEEP_MINUTES), weekly-digest/digest (SAMFLOW_DIGEST_CRON). "
        "Uses the Prefect server at PREFECT_API_URL when set, else starts one of its own on "
        "127.0.0.1 (its UI there too) and stops it on exit.",
    )
    serve.add_argument(
        "--prefect-port",
        type=int,
        default=4200,
        help="port of the Prefect server started here when PREFECT_API_URL is unset (4200)",
    )
    serve.set_defaults(handler=cmd_serve)
    run = cmds.add_parser("run", help="run one flow now and print its result")
    run.add_argument("flow", choices=FLOWS)
    run.add_argument("--year", type=int, help="annual: the year (default: this year)")
    run.add_argument("--template", help="annual: template key (default: SAMFLOW_DEFAULT_TEMPLATE)")
    run.add_argument("--root", metavar="UNIT_CODE", help="annual: only this subtree")
    run.add_argument("--job", type=int, metavar="ID", help="annual: do this background job")
    run.add_argument("--week", help="digest: ISO week, e.g. 2027-W03 (default: this week)")
    run.add_argument(
        "--direct",
        action="store_true",
        help="without Prefect: call the engine directly (cron jobs, systemd timers)",
    )
    run.set_defaults(handler=cmd_run)


def _settings(args: argparse.Namespace) -> Settings:
    from engine.settings import Settings

    if getattr(args, "db", None):
        os.environ["SAMFLOW_DATABASE_URL"] = args.db  # flow runs in subprocesses read it
    return Settings.from_env()


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    from flows import runtime

    settings = _settings(args)
    runtime.build(settings).app.db.dispose()  # refuse early when the schema is behind
    runtime.prefect_defaults()
    if os.environ.get("PREFECT_API_URL"):
        return _serve(settings, console, os.environ["PREFECT_API_URL"])
    from flows.local_server import prefect_server

    console.line(f"starting a Prefect server on 127.0.0.1:{args.prefect_port} (~20 s)")
    with prefect_server(args.prefect_port) as api:
        os.environ["PREFECT_API_URL"] = api  # for serve() and the flow runs it starts
        return _serve(settings, console, api)


def _serve(settings: Settings, console: Console, api: str) -> int:
    from flows import deployments

    console.line(
        f"serving on {api}: annual start ({settings.annual_cron or 'on demand only'}), "
        f"background jobs (on demand), sweep every {settings.sweep_minutes} min, "
        f"digest ({settings.digest_cron}); "
        "Ctrl-C stops"
    )
    deployments.serve(settings)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from flows import runtime

    settings = _settings(args)
    with runtime.using(runtime.build(settings)) as rt:
        try:
            result = _direct(rt, args) if args.direct else _prefect(args)
        finally:
            rt.app.db.dispose()
    console.line(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def _direct(rt: runtime.Runtime, args: argparse.Namespace) -> dict[str, Any]:
    from flows import work

    if args.flow == "annual":
        return _direct_annual(rt, args)
    if args.flow == "sweep":
        return {"sweep": work.sweep_once(rt), "mail": work.notify_once(rt)}
    if args.flow == "notify":
        return work.notify_once(rt)
    return work.digest_once(rt, args.week)


def _direct_annual(rt: runtime.Runtime, args: argparse.Namespace) -> dict[str, Any]:
    from engine.workflow import cycles
    from engine.workflow.batch import jobs
    from flows import work

    if args.job is not None:
        return jobs.run(rt.app, args.job).result or {}
    req = work.request_for(rt.app, args.year, args.template, args.root, None)

    def run_batch(_: int, text: str, units: list[int]) -> cycles.BatchResult:
        return cycles.start_batch(rt.app, req.actor, req.year, text, units)

    outcome = work.start_in_batches(
        rt.app, req, batch_size=work.BATCH, run_batch=run_batch, progress=lambda d, t: None
    )
    return outcome.summary() | {"cycle_ids": len(outcome.report.started)}


def _prefect(args: argparse.Namespace) -> dict[str, Any]:
    from flows import runtime

    runtime.prefect_defaults()
    if args.flow == "annual":
        from flows.annual import start_annual_cycles

        result: dict[str, Any] = start_annual_cycles(args.year, args.template, args.root, args.job)
        return result | {"cycle_ids": len(result["cycle_ids"])}
    from flows import sweep

    if args.flow == "sweep":
        return dict(sweep.sweep())
    if args.flow == "notify":
        return dict(sweep.notify())
    return dict(sweep.weekly_digest(args.week))
