"""The inbox with the new kinds of issue 10 mixed in, against the same inbox without them,
in the same run (target: the mixed p95 within 10 % of the plain one).

Two databases built alike: 3,000 units with started cycles and ``tasks`` task rows in all
(the same number open in both). The plain one has only annual-cycle tasks (``bench.inbox``);
in the mixed one part of them are the tasks of real cases registered through the use cases
— incidents (a fifth serious), safety representatives' requests, changes with their risk
assessment and the representative's participation, safety rounds, and yearly reviews of
routines owned by the units' managers (opened by the policy sweep step) — one case for
every ``--every`` units, so the managers' inboxes hold them among the annual tasks.
Task allocations are offered on another page, not in the inbox, so they are left out
(offering one would also hold a new manager's tasks back, changing the inboxes).

Times ``reports.inbox`` for the same random unit and department managers in both, the
calls interleaved (one plain, one mixed) so that the machine's load falls on both alike.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from sqlalchemy import func, select

from bench.common import build_org, fresh_app, machine, parser, percentiles, synthetic_tasks
from engine.context import Actor, App
from engine.coop import changes
from engine.db.models import Cycle, Person, Task
from engine.policy import documents, hooks
from engine.rounds import rounds
from engine.views import inbox as reports
from engine.workflow import cycles
from engine.workflow.process import cases as processes
from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput

UNITS = 3000
STARTED = 9063  # the tasks the year start makes for 3,000 units (bench.inbox)
KINDS = ("incident", "safety_request", "change", "safety_round", "policy_review")


def register_cases(app: App, every: int) -> dict[str, int]:
    """One case for every ``every`` units, the kinds in turn, through the use cases."""
    system = Actor.system("bench")
    hr = _actor(app, "hr@bench.se")
    made = dict.fromkeys(KINDS, 0)
    for n, i in enumerate(range(0, UNITS, every)):
        kind, unit = KINDS[n % len(KINDS)], f"U{i}"
        if kind == "incident":
            data = {
                "unit": unit,
                "kind": "accident",
                "occurred_on": "2027-01-09",
                "occurred_time": "14:30",
                "what": f"Händelse {i}",
                "serious": n % 5 == 0,
            }
            processes.open_case(app, system, kind, processes.parse_subject(kind, data))
        elif kind == "safety_request":
            data = {
                "unit": unit,
                "filed_on": "2027-01-10",
                "what": "Ventilationen ses över",
                "why": "Huvudvärk",
                "reply_by": "2027-02-10",
            }
            processes.open_case(app, system, kind, processes.parse_subject(kind, data))
        elif kind == "change":
            reg = {
                "unit": unit,
                "title": "Nytt schema",
                "change_kind": "schedule",
                "description": "Delade turer ersätts.",
                "registered_on": "2027-01-10",
                "planned_on": "2027-04-01",
                "affected_units": [unit],
            }
            changes.register(app, hr, changes.parse_registration(reg))
        elif kind == "safety_round":
            plan = {"unit": unit, "checklist": "kitchen", "planned_on": "2027-02-01", "area": "A"}
            rounds.plan(app, system, plan)
        else:  # a routine of the unit, owned by its manager, due for review
            doc = {
                "code": f"RUT-{unit}",
                "unit": unit,
                "topic": "incidents",
                "title": "Rutin för tillbud",
                "owner": "manager",
            }
            ver = {"body": "Så gör vi.", "valid_from": "2027-01-01", "review_by": "2027-02-01"}
            documents.create(
                app,
                hr,
                documents.parse(PolicyDocumentInput, doc),
                documents.parse(PolicyVersionInput, ver),
            )
        made[kind] += 1
    opened = hooks.due(app)  # the sweep's policy step opens the reviews
    assert opened["reviews"] == made["policy_review"], opened
    return made


def _actor(app: App, email: str) -> Actor:
    with app.read() as s:
        pid = s.scalar(select(Person.id).where(Person.email == email))
    assert pid is not None
    return Actor(pid, email)


def _counts(app: App) -> tuple[int, int, int, int]:
    """(tasks, open tasks, case tasks, open case tasks)."""
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(Task)) or 0
        open_ = s.scalar(select(func.count()).select_from(Task).where(Task.status == "open")) or 0
        case_q = select(func.count()).select_from(Task).join(Cycle, Cycle.id == Task.cycle_id)
        cases = s.scalar(case_q.where(Cycle.instance != "")) or 0
        open_cases = s.scalar(case_q.where(Cycle.instance != "", Task.status == "open")) or 0
    return int(total), int(open_), int(cases), int(open_cases)


def build(tasks: int, every: int | None, open_share: float = 0.05) -> tuple[App, dict[str, Any]]:
    """The plain database (``every`` None) or the mixed one, with ``tasks`` rows in all
    and as many of them open as the plain one has."""
    app = fresh_app(None)
    build_org(app, UNITS)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    extra = max(0, tasks - STARTED)
    info: dict[str, Any] = {}
    if every is None:
        synthetic_tasks(app, extra, open_share=open_share)
    else:  # the cases first, then synthetic annual rows up to the same totals
        t = time.perf_counter()
        info["cases"] = register_cases(app, every)
        info["register_seconds"] = time.perf_counter() - t
        _, _, case_tasks, open_case_tasks = _counts(app)
        fill = max(0, extra - case_tasks)
        fill_open = max(0, int(extra * open_share) - open_case_tasks)
        share = fill_open / fill if fill else 0.0
        synthetic_tasks(app, fill, open_share=share, annual_only=True)
    total, open_, case_tasks, open_case_tasks = _counts(app)
    info |= {
        "tasks": total,
        "open": open_,
        "case_tasks": case_tasks,
        "open_case_tasks": open_case_tasks,
    }
    return app, info


def measure(
    db: str | None = None, tasks: int = 1_000_000, calls: int = 1000, every: int = 1
) -> dict[str, Any]:
    if db is not None:
        raise SystemExit("inbox_mixed builds two SQLite databases; --db is not taken")
    plain, plain_info = build(tasks, None)
    print(f"plain: {plain_info}", flush=True)
    mixed, mixed_info = build(tasks, every)
    print(f"mixed: {mixed_info}", flush=True)
    with plain.read() as s:
        people = s.execute(
            select(Person.id, Person.email).where(
                Person.email.like("m%@bench.se") | Person.email.like("dm%@bench.se")
            )
        ).all()
    with mixed.read() as s:  # the same people, by e-mail (ids may differ)
        ids = {email: pid for pid, email in s.execute(select(Person.id, Person.email))}
    rng = random.Random(3)
    samples: dict[str, list[float]] = {"plain": [], "mixed": []}
    sizes: dict[str, list[int]] = {"plain": [], "mixed": []}
    cpu = {"plain": 0.0, "mixed": 0.0}
    for n in range(calls + 50):
        pid0, email = people[rng.randrange(len(people))]
        order = [("plain", plain, pid0), ("mixed", mixed, ids[email])]
        if n % 2:
            order.reverse()
        for name, app, pid in order:
            c0, t = time.process_time(), time.perf_counter()
            box = reports.inbox(app, Actor(pid, email))
            took = time.perf_counter() - t
            if n >= 50:
                samples[name].append(took)
                sizes[name].append(box.total)
                cpu[name] += time.process_time() - c0
    out: dict[str, Any] = {"calls": calls, "every": every}
    for name, info in (("plain", plain_info), ("mixed", mixed_info)):
        q = statistics.quantiles(samples[name], n=100)
        out[name] = info | {
            "p95_ms": q[94] * 1000,
            "p50_ms": q[49] * 1000,
            "cpu_ms_per_call": cpu[name] / calls * 1000,
            "inbox_median": sorted(sizes[name])[len(sizes[name]) // 2],
        }
        print(
            f"{name}: inbox over {info['tasks']} tasks ({info['open']} open, "
            f"{info['open_case_tasks']} of them cases'): {percentiles(samples[name])}; "
            f"{out[name]['cpu_ms_per_call']:.2f} ms CPU per call",
            flush=True,
        )
    out["ratio"] = out["mixed"]["p95_ms"] / out["plain"]["p95_ms"]
    print(f"mixed / plain p95: {out['ratio']:.3f}  [sqlite, {machine()}]", flush=True)
    plain.db.dispose()
    mixed.db.dispose()
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--tasks", type=int, default=1_000_000)
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--every", type=int, default=1, help="one case for every N units")
    args = p.parse_args()
    measure(args.db, args.tasks, args.calls, args.every)


if __name__ == "__main__":
    main()
