"""A demo organisation and a year in progress, built only through the use cases.

About 50 units under one administration, with managers, safety representatives, HR and a
director. The clock is stepped through the year (January to today) and each unit gets as
far as its own pace allows, so the result looks like a real organisation in November: some
units done with their plans and following up measures, some stuck at the survey with
reminders sent and the task escalated to the manager above or the director. Everything is
in the audit log with the dates it happened.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from engine.context import Actor, App, Progress, no_progress
from engine.db import queries
from engine.db.models import Person
from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import SamflowError
from engine.org import access
from engine.org import admin as org
from engine.plans import plan as plans
from engine.views import cycle as cycle_views
from engine.workflow import cycles, sweeps, tasks
from engine.workflow.taskgen import route

FIRST = [
    "Anna",
    "Erik",
    "Maria",
    "Johan",
    "Sara",
    "Karl",
    "Lena",
    "Mikael",
    "Eva",
    "Lars",
    "Karin",
    "Anders",
    "Ingrid",
    "Per",
    "Elin",
    "Jonas",
    "Fatima",
    "Ali",
    "Emma",
    "Oskar",
    "Sofia",
    "Ahmed",
    "Linnea",
    "Nils",
    "Hanna",
    "Björn",
    "Malin",
    "Gustav",
    "Ida",
    "Leila",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Lindberg",
    "Holm",
    "Berg",
    "Ek",
    "Sandberg",
    "Lund",
    "Wallin",
    "Nyström",
    "Hassan",
    "Kaya",
    "Mohammed",
]
DEPARTMENTS = {
    "AO": (
        "Äldreomsorg",
        [
            "Solbackens äldreboende",
            "Ekbackens äldreboende",
            "Lindgårdens vård- och omsorgsboende",
            "Björkhagens korttidsboende",
            "Rosengårdens demensboende",
            "Ängsbackens äldreboende",
            "Sjöglimtens äldreboende",
            "Tallbackens vård- och omsorgsboende",
            "Dagverksamhet Ljuspunkten",
            "Nattpatrullen",
            "Rehabenheten",
        ],
    ),
    "HT": (
        "Hemtjänst",
        [
            "Hemtjänst Norr",
            "Hemtjänst Söder",
            "Hemtjänst Öster",
            "Hemtjänst Väster",
            "Hemtjänst Centrum",
            "Hemtjänst Landsbygd",
            "Trygghetslarm",
            "Biståndsenheten",
            "Hemsjukvård Norr",
            "Hemsjukvård Söder",
            "Anhörigstöd",
        ],
    ),
    "FS": (
        "Funktionsstöd",
        [
            "LSS-boende Granen",
            "LSS-boende Aspen",
            "LSS-boende Linden",
            "Daglig verksamhet Väst",
            "Daglig verksamhet Öst",
            "Personlig assistans",
            "Korttidsvistelse Solrosen",
            "Boendestöd",
            "Socialpsykiatri",
            "Ledsagarservice",
        ],
    ),
    "IFO": (
        "Individ- och familjeomsorg",
        [
            "Barn och unga",
            "Vuxenenheten",
            "Försörjningsstöd",
            "Familjerätt",
            "Familjebehandling",
            "Mottagningsenheten",
            "Ensamkommande",
            "Fältgruppen",
            "Beroendeenheten",
            "Våld i nära relation",
            "Kvinnojouren",
            "Mottagning Öst",
        ],
    ),
}
PASSWORD_HINT = "demo"


@dataclass
class DemoReport:
    units: int = 0
    people: int = 0
    cycles: int = 0
    gaps: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # email, name, role
    by_stage: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    escalated: int = 0


def build(
    app: App, *, today: datetime | None = None, seed: int = 2027, progress: Progress = no_progress
) -> DemoReport:
    """Import the demo organisation and play the year up to ``today``."""
    today = today or app.clock.now()
    year = today.year if today.month >= 3 else today.year - 1
    rng = random.Random(seed)
    clock = FrozenClock(datetime(year, 1, 8, 8, 0, tzinfo=UTC))
    play = App(app.db, clock, app.settings, app.cache)
    units_csv, people_csv, logins = _organisation(rng, year)
    report = DemoReport(logins=logins)
    imported = org.import_org(play, Actor.system("demo"), units_csv, people_csv)
    report.units = len(imported.units_created) + len(imported.units_updated)
    report.people = len(imported.people_created)
    hr = tasks.active_person(play, "hr@exempelby.se")
    clock.set(datetime(year, 1, 12, 8, 0, tzinfo=UTC))
    started = cycles.start_cycles(play, hr, year)
    report.cycles = len(started.started)
    report.gaps = [f"{g.code} {g.name}: {', '.join(g.missing)}" for g in started.gaps]
    pace = {c: rng.choices([0, 1, 2, 3, 4, 5], [2, 2, 3, 3, 6, 4])[0] for c in started.started}
    steps = _timeline(year, today)
    for i, (when, stage_no) in enumerate(steps):
        clock.set(when)
        for cycle_id, reached in pace.items():
            if reached >= stage_no:
                _advance(play, cycle_id, stage_no, rng, year)
        sweeps.sweep(play)
        progress(i + 1, len(steps), "demo year")
    overview = cycle_views.year_overview(app, year)
    report.by_stage, report.overdue = overview.by_stage, overview.overdue_tasks
    report.escalated = overview.escalated_tasks
    return report


def _timeline(year: int, today: datetime) -> list[tuple[datetime, int]]:
    """(date, the stage number units at that pace finish then); 5 = some follow-ups."""
    plan = [
        (date(year, 3, 5), 1),
        (date(year, 4, 22), 2),
        (date(year, 5, 27), 3),
        (date(year, 6, 12), 4),
        (date(year, 9, 20), 5),
        (date(year, 10, 25), 5),
    ]
    out = [(datetime(d.year, d.month, d.day, 9, 0, tzinfo=UTC), n) for d, n in plan]
    out = [(w, n) for w, n in out if w < today]
    return [*out, (today, 0)]


def _advance(app: App, cycle_id: int, stage_no: int, rng: random.Random, year: int) -> None:
    """Do what a unit at this pace does at this point of the year (best effort)."""
    view = cycle_views.cycle_view(app, cycle_id)
    stage = view.current_stage
    try:
        if stage == "survey" and stage_no >= 1:
            _finish_stage(app, view, "survey", rng, year)
        elif stage == "analysis" and stage_no >= 2:
            _finish_stage(app, view, "analysis", rng, year)
        elif stage == "action_plan" and stage_no >= 3:
            _finish_stage(app, view, "action_plan", rng, year)
        elif stage == "cooperation" and stage_no >= 4:
            _finish_stage(app, view, "cooperation", rng, year)
        elif stage == "follow_up" and stage_no >= 5:
            _follow_up(app, view, rng)
    except SamflowError:
        return  # a unit that cannot move on now stays where it is, as in real life


def _finish_stage(
    app: App, view: cycle_views.CycleView, key: str, rng: random.Random, year: int
) -> None:
    stage = next(s for s in view.stages if s.key == key)
    for t in stage.tasks:
        if t.status != "open" or (not t.required and rng.random() < 0.5):
            continue
        actor = _holder(app, t.id)
        if actor is None:
            continue
        data = _input(t.form_key, rng, year, view)
        if t.form_key == "approval" and rng.random() < 0.08:
            data = {
                "decision": "reject",
                "comment": "Åtgärderna för arbetsbelastning saknas; komplettera planen.",
            }
        tasks.complete_task(app, actor, t.id, data)
    view = cycle_views.cycle_view(app, view.id)
    if key == "analysis":
        for r in view.risks:
            if r.serious is None:
                plans.set_risk_seriousness(app, _manager(app, view), r.id, r.level != "low")
    if view.current_stage == key:
        cycles.sign_off_stage(app, _manager(app, view), view.id, key)


def _follow_up(app: App, view: cycle_views.CycleView, rng: random.Random) -> None:
    stage = next(s for s in view.stages if s.key == "follow_up")
    for t in stage.tasks:
        if (
            t.status == "open"
            and t.due_at <= app.clock.now() + timedelta(days=20)
            and rng.random() < 0.7
        ):
            actor = _holder(app, t.id)
            if actor is not None:
                tasks.complete_task(
                    app,
                    actor,
                    t.id,
                    rng.choice(
                        [
                            {
                                "status": "done",
                                "effect": "Färre belastningsskador rapporterade.",
                                "effect_ok": True,
                            },
                            {"status": "in_progress", "note": "Pågår, klart i december."},
                            {
                                "status": "done",
                                "effect": "Ingen märkbar skillnad ännu.",
                                "effect_ok": False,
                            },
                        ]
                    ),
                )


def _holder(app: App, task_id: int) -> Actor | None:
    """Someone who may act on the task (whoever its inbox belongs to)."""
    with app.read() as s:
        task = queries.load_task(s, task_id)
        person = task.assignee_id
        address = access.task_address(task)
        if person is None and address is not None:
            people = queries.holders_of(s, [address], local_date(app.clock.now())).get(address)
            person = people[0] if people else None
        p = s.get(Person, person) if person is not None else None
        return Actor(p.id, p.email) if p else None


def _manager(app: App, view: cycle_views.CycleView) -> Actor:
    with app.read() as s:
        snap = queries.ancestry_snapshot(s, [view.unit_id], local_date(app.clock.now()))
        address = route("manager", view.unit_id, snap)
        assert address is not None
        p = s.get(Person, snap.holders_of(address)[0])
        assert p is not None
        return Actor(p.id, p.email)


def _input(
    form_key: str, rng: random.Random, year: int, view: cycle_views.CycleView
) -> dict[str, object]:
    if form_key == "survey_results":
        answered = rng.randint(3, 40)
        base: dict[str, object] = {
            "survey_name": f"Medarbetarenkät {year}",
            "invited": answered + rng.randint(0, 8),
            "answered": answered,
            "findings": "Hög arbetsbelastning under semesterperioden.",
        }
        if answered >= 5:
            base |= {
                "motivation": rng.randint(65, 85),
                "leadership": rng.randint(60, 85),
                "governance": rng.randint(55, 80),
            }
        return base
    if form_key == "safety_round":
        return {
            "done_on": f"{year}-03-02",
            "participants": "Chef och skyddsombud",
            "findings": [{"description": "Trånga utrymmen vid förflyttning", "serious": False}],
        }
    if form_key == "absence_review":
        return {
            "short_term_pct": round(rng.uniform(2, 6), 1),
            "total_pct": round(rng.uniform(5, 11), 1),
            "repeated_short_absence": rng.randint(0, 6),
        }
    if form_key == "risk_assessment":
        return {
            "participants": "Chef, skyddsombud, två medarbetare",
            "safety_rep_participated": True,
            "risks": [
                {
                    "description": "Tunga lyft och förflyttningar",
                    "domain": "physical",
                    "probability": 3,
                    "consequence": 3,
                    "serious": True,
                },
                {
                    "description": "Hög arbetsbelastning",
                    "domain": "organisational",
                    "probability": rng.randint(2, 4),
                    "consequence": 3,
                    "serious": None if rng.random() < 0.3 else True,
                },
                {
                    "description": "Hot och våld i enskilt arbete",
                    "domain": "social",
                    "probability": 1,
                    "consequence": 2,
                    "serious": False,
                },
            ],
        }
    if form_key == "action_plan":
        risks = {r.description: r.id for r in view.risks}
        return {
            "participants": "Chef och skyddsombud, APT",
            "source_material": "Medarbetarenkät, skyddsrond, riskbedömning",
            "items": [
                {
                    "area": "Tunga lyft och förflyttningar",
                    "risk_id": risks.get("Tunga lyft och förflyttningar"),
                    "current_state": "Två belastningsskador rapporterade i år",
                    "probability": 3,
                    "consequence": 3,
                    "measures": [
                        {
                            "what": "Utbildning i förflyttningsteknik för all personal",
                            "desired_result": "Alla utbildade",
                            "responsible": "Enhetschef",
                            "due_date": f"{year}-09-30",
                            "follow_up_date": f"{year}-10-15",
                        },
                        {
                            "what": "Installera taklyft i två rum",
                            "desired_result": "Inga manuella lyft",
                            "responsible": "Enhetschef",
                            "due_date": f"{year}-11-30",
                            "follow_up_date": f"{year}-12-10",
                        },
                    ],
                },
                {
                    "area": "Hög arbetsbelastning",
                    "risk_id": risks.get("Hög arbetsbelastning"),
                    "current_state": "Index styrning 58",
                    "probability": 3,
                    "consequence": 3,
                    "measures": [
                        {
                            "what": "Prioriteringsstöd på APT varje månad",
                            "desired_result": "Tydliga prioriteringar",
                            "responsible": "Enhetschef",
                            "due_date": f"{year}-10-31",
                        }
                    ],
                },
            ],
        }
    if form_key == "approval":
        return {
            "decision": "approve",
            "comment": "Genomgången på APT.",
            "body": "LSG",
            "established_on": f"{year}-06-10",
            "protocol_ref": f"LSG {year}-06-10 §4",
        }
    return {}


def _organisation(rng: random.Random, year: int) -> tuple[str, str, list[tuple[str, str, str]]]:
    units = ["code,name,parent_code,level,headcount", "OF,Omsorgsförvaltningen,,administration,6"]
    people = ["email,name,role,unit_code,valid_from,valid_to"]
    start = f"{year - 2}-01-01"
    logins = [
        ("direktor@exempelby.se", "Eva Lind", "director"),
        ("hr@exempelby.se", "Hanna Berg", "hr"),
        ("hso@exempelby.se", "Per Wik", "chief_safety_rep"),
    ]
    for email, name, role in logins:
        people.append(f"{email},{name},{role},OF,{start},")
    used: set[str] = set()

    def person() -> tuple[str, str]:
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = (
                f"{first}.{last}@exempelby.se".lower()
                .replace("ö", "o")
                .replace("ä", "a")
                .replace("å", "a")
                .replace("é", "e")
            )
            if email not in used:
                used.add(email)
                return email, f"{first} {last}"

    for code, (name, names) in DEPARTMENTS.items():
        units.append(f"{code},{name},OF,department,{rng.randint(3, 8)}")
        email, pname = person()
        people.append(f"{email},{pname},manager,{code},{start},")
        so_email, so_name = person()
        people.append(f"{so_email},{so_name},safety_rep,{code},{start},")
        if code == "AO":
            logins += [
                (email, pname, "manager (department)"),
                (so_email, so_name, "safety_rep (department)"),
            ]
        for i, unit_name in enumerate(names):
            ucode = f"{code}-{i + 1:02d}"
            units.append(f"{ucode},{unit_name},{code},unit,{rng.randint(8, 60)}")
            if code == "IFO" and i == len(names) - 1:
                continue  # a unit whose manager left: HR sees it listed as a gap
            email, pname = person()
            people.append(f"{email},{pname},manager,{ucode},{start},")
            if code == "AO" and i == 0:
                logins.append((email, pname, "manager (unit)"))
            if rng.random() < 0.4:
                so_email, so_name = person()
                people.append(f"{so_email},{so_name},safety_rep,{ucode},{start},")
                if code == "AO" and i == 0:
                    logins.append((so_email, so_name, "safety_rep (unit)"))
    return "\n".join(units) + "\n", "\n".join(people) + "\n", logins


#: Where the demo's logins hold their roles (besides the three at the top).
LOGIN_UNITS = (("AO", "department"), ("AO-01", "unit"))


def logins(app: App) -> list[tuple[str, str, str]]:
    """(e-mail, name, role) of the demo's logins, read back from the database, so a demo
    built earlier can be given passwords again."""
    from sqlalchemy import select

    from engine.db.models import OrgUnit, RoleAssignment

    out: list[tuple[str, str, str]] = []
    with app.read() as s:
        for email, role in (
            ("direktor@exempelby.se", "director"),
            ("hr@exempelby.se", "hr"),
            ("hso@exempelby.se", "chief_safety_rep"),
        ):
            person = s.scalar(select(Person).where(Person.email == email))
            if person is not None:
                out.append((person.email, person.name, role))
        for code, level in LOGIN_UNITS:
            rows = s.execute(
                select(Person.email, Person.name, RoleAssignment.role)
                .join(RoleAssignment, RoleAssignment.person_id == Person.id)
                .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
                .where(OrgUnit.code == code, RoleAssignment.role.in_(("manager", "safety_rep")))
                .order_by(RoleAssignment.role)
            )
            out += [(e, n, f"{r} ({level})") for e, n, r in rows]
    return out
