"""Use cases of any process whose subject is a case (an inspection, an incident, a
request): open one, list them, draw up a document, and what a task's page shows of it.

The template says everything (``subject:`` in its YAML): the form of the subject's fields,
which field names its unit (routing and visibility), its date and reference, its items and
the task each item gets at each responsible unit, its documents and named hooks. Opening a
case starts a cycle of the template (instance ``<kind>:<id>``), so stages, tasks, routing,
reminders, escalation, sign-off and the audit chain are the annual cycle's machinery.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import OrgUnit, Stage, Task
from engine.db.models.workflow.process import CaseDocument, CaseItem, CaseItemTask, ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from engine.domain.evidence import digest, normalised
from engine.domain.org import OrgSnapshot
from engine.domain.validation import field_errors
from engine.domain.workflow.routing import Address, RoleExpr, parse
from engine.domain.workflow.template import CycleTemplate, SubjectDef
from engine.org import access
from engine.workflow import cycles, facts, taskgen, templates
from engine.workflow.process import overview
from engine.workflow.process import views as process_views
from engine.workflow.process.registry import registry
from engine.workflow.process.views import CaseSummary, case_data
from forms.schemas.base import Form
from forms.schemas.registry import schema_for


def template_for(kind: str) -> tuple[str, CycleTemplate]:
    """The packaged template whose subject is this kind of case (its YAML text, parsed)."""
    for text in templates.packaged().values():
        template = templates.parse(text)
        if template.subject.kind == kind:
            return text, template
    raise NotFound("process", kind)


def evidence_subjects() -> list[SubjectDef]:
    """The subjects of the packaged case processes that have a section in the evidence."""
    subjects = [templates.parse(text).subject for text in templates.packaged().values()]
    return sorted((x for x in subjects if x.evidence), key=lambda x: x.kind)


def subject_of(kind: str) -> SubjectDef:
    return template_for(kind)[1].subject


def parse_subject(kind: str, data: Mapping[str, Any]) -> Form:
    """The subject's fields validated by its form; every bad field named."""
    form = subject_of(kind).form
    assert form is not None
    try:
        return schema_for(form).model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


@dataclass(frozen=True)
class Opened:
    case_id: int
    cycle_id: int
    items: int
    tasks: int


def open_case(app: App, actor: Actor, kind: str, subject: Form) -> Opened:
    """Register a case, start its cycle, and make one task per item and responsible unit."""
    return app.run(lambda tx: open_in(app, tx, actor, kind, subject))


def open_in(app: App, tx: Tx, actor: Actor, kind: str, subject: Form) -> Opened:
    """``open_case`` in the caller's transaction (a case a completed task opens)."""
    text, template = template_for(kind)
    sub = template.subject
    fields = subject.model_dump()
    s, today = tx.session, local_date(tx.now)
    errors = [e for key in sub.checks for e in registry().check(key)(subject, today)]
    if errors:
        raise InvalidInput(errors)
    unit = _unit(s, fields[sub.unit], sub.unit)
    org = queries.org_snapshot(s, today)
    on_behalf = _require_registrant(s, tx, actor, sub, unit.id, org)
    entries = fields[sub.items.field] if sub.items else []
    routed = _route_items(s, template, entries, fields[sub.unit], unit.id, org)
    case = ProcessCase(
        kind=kind,
        template_key=template.key,
        unit_id=unit.id,
        reference=fields.get(sub.reference or "", "") or "",
        opened_on=fields[sub.date or ""],
        deadline=fields.get(sub.deadline or ""),
        data=json.dumps(normalised(_head(sub, fields)), ensure_ascii=False),
        created_at=tx.now,
        created_by=actor.person_id,
    )
    s.add(case)
    s.flush()
    year = case.opened_on.year
    cycle_id, stored = cycles.start_instance(
        tx, actor, text, unit.id, year, f"{kind}:{case.id}", subject=fields
    )
    case.cycle_id = cycle_id
    made = _make_item_tasks(app, tx, actor, stored, case, subject, entries, routed, today)
    extras: dict[str, Any] = {}
    for key in sub.on_open:  # named hooks (engine.catalog), in this transaction
        extras |= registry().opened(key)(tx, actor, case, subject)
    tx.record(
        cycles.chain(cycle_id),
        f"{kind}.registered",
        kind,
        case.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=unit.id,
        data={
            **{f: getattr(subject, f) for f in sub.audit},
            **({sub.items.field: len(entries)} if sub.items else {}),
            **extras,
        },
    )
    for ddef in sub.documents:
        if ddef.on_open:  # a receipt exists at once
            _record_document(tx, actor, kind, case, ddef.key)
    return Opened(case.id, cycle_id, len(entries), made)


def _require_registrant(
    s: Session, tx: Tx, actor: Actor, sub: SubjectDef, unit_id: int, org: OrgSnapshot
) -> int | None:
    """Who may open a case of this kind (``subject.registrants``; by default HR or a
    director over the unit)."""
    who = sub.registrants
    if who.roles == ("hr", "director") and who.scope == "line":
        return access.require_admin(s, tx, actor, [unit_id], org)
    return access.require_registrant(
        s, tx, actor, unit_id, org, who.roles, line=who.scope == "line"
    )


def _head(sub: SubjectDef, fields: dict[str, Any]) -> dict[str, Any]:
    """The subject's own fields (its items are rows of their own)."""
    return {k: v for k, v in fields.items() if not (sub.items and k == sub.items.field)}


def _unit(s: Session, code: str, path: str) -> OrgUnit:
    unit = s.scalar(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.active.is_(True)))
    if unit is None:
        raise InvalidInput.field(path, f"no unit has code {code}", f"ingen enhet har koden {code}")
    return unit


def _route_items(
    s: Session,
    template: CycleTemplate,
    entries: list[dict[str, Any]],
    default: str,
    root: int,
    org: OrgSnapshot,
) -> list[list[tuple[int, Address]]]:
    """Per item: (unit, the address its task goes to); every problem named at once. A
    responsible unit is the case's unit or one below it."""
    items = template.subject.items
    if items is None:
        return []
    role = template.task(items.task).role
    label = _role_label(role)
    within = template.subject.unit_title
    codes = queries.pairs(s, select(OrgUnit.code, OrgUnit.id).where(OrgUnit.active.is_(True)))
    errors: list[FieldError] = []
    out: list[list[tuple[int, Address]]] = []
    for i, entry in enumerate(entries):
        mine: list[tuple[int, Address]] = []
        named = (entry.get(items.units) if items.units else None) or [default]
        for j, code in enumerate(dict.fromkeys(named)):
            path = f"{items.field}[{i}].{items.units}[{j}]"
            unit_id = codes.get(code)
            address = taskgen.route(role, unit_id, org) if unit_id is not None else None
            if unit_id is None:
                errors.append(FieldError(path, f"no unit has code {code}", f"ingen enhet {code}"))
            elif unit_id != root and root not in org.ancestors(unit_id):
                errors.append(
                    FieldError(
                        path,
                        f"{code} is not part of {within.en}",
                        f"{code} ingår inte i {within.sv}",
                    )
                )
            elif address is None:
                errors.append(
                    FieldError(path, f"{code} has no {label[1]}", f"{code} saknar {label[0]}")
                )
            else:
                mine.append((unit_id, address))
        out.append(mine)
    if errors:
        raise InvalidInput(errors)
    return out


def _role_label(expr: str) -> tuple[str, str]:
    role = parse(expr)
    assert isinstance(role, RoleExpr)
    return role.role.sv.lower(), role.role.en.lower()


def _make_item_tasks(
    app: App,
    tx: Tx,
    actor: Actor,
    template: CycleTemplate,
    case: ProcessCase,
    subject: Form,
    entries: list[dict[str, Any]],
    routed: list[list[tuple[int, Address]]],
    today: date,
    first: int = 1,
) -> int:
    items = template.subject.items
    if items is None:
        return 0
    s = tx.session
    assert case.cycle_id is not None
    tdef, ladder = template.task(items.task), template.ladder_for(items.task)
    stage_key = next(st.key for st in template.stages if tdef in st.tasks)
    stage_id = s.scalar(
        select(Stage.id).where(Stage.cycle_id == case.cycle_id, Stage.key == stage_key)
    )
    assert stage_id is not None
    skip = {items.text, items.units, items.due}
    count = 0
    for n, (entry, targets) in enumerate(zip(entries, routed, strict=True), start=first):
        due = entry.get(items.due or "") or _default_due(app, template, subject, entry, today)
        rest = {k: v for k, v in entry.items() if k not in skip}
        item = CaseItem(
            case_id=case.id,
            number=n,
            text=entry[items.text],
            due_date=due,
            data=json.dumps(normalised(rest), ensure_ascii=False) if rest else None,
        )
        s.add(item)
        s.flush()
        for unit_id, address in targets:
            row = taskgen.task_row(
                cycle_id=case.cycle_id,
                stage_id=stage_id,
                unit_id=unit_id,
                tdef=tdef,
                address=address,
                assignee_id=None,
                due_at=tdef.due.due_at(case.opened_on.year, tx.now, {"item_due": due}),
                now=tx.now,
                ladder=ladder,
                round_=1,
            )
            task_id = taskgen.insert_tasks(s, [row])[0]
            s.add(CaseItemTask(item_id=item.id, unit_id=unit_id, task_id=task_id))
            taskgen.record_created(tx, actor, [row], [task_id], **{items.kind: n})
            count += 1
    s.flush()
    return count


def _default_due(
    app: App, template: CycleTemplate, subject: Form, entry: dict[str, Any], today: date
) -> date:
    sub = template.subject
    if sub.item_due:
        return registry().item_due(sub.item_due)(app.settings, subject, entry, today)
    deadline: date = getattr(subject, sub.deadline or "", None) or today
    return deadline


# --- items a case takes later ---------------------------------------------------------------
def parse_addition(kind: str, case_id: int, data: Mapping[str, Any], app: App) -> Form:
    """An addition's fields validated by the form its case's template names."""
    with app.read() as s:
        case = process_views.load_case(s, case_id, kind)
        template = templates.by_id(app, s, cycles.load_cycle(s, case.cycle_id or 0).template_id)
    add = _additions(template)
    try:
        return schema_for(add.form).model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


def _additions(template: CycleTemplate) -> Any:
    items = template.subject.items
    if items is None or items.additions is None:
        raise Conflict(
            f"this case takes no later items (template {template.key} version {template.version})",
            f"ärendet tar inte emot fler punkter (mall {template.key} version {template.version})",
        )
    return items.additions


def add_items(app: App, actor: Actor, kind: str, case_id: int, addition: Form) -> Opened:
    """A case takes more items later (an inspection's föreläggande or förbud): each is
    routed and gets its tasks as the first ones did, in the same stage (opened again if
    it was signed off, and the case with it); the addition's own fields go with each item
    and into the case's ``additions``. HR or a director over the case's unit."""

    def work(tx: Tx) -> Opened:
        s, today = tx.session, local_date(tx.now)
        case = process_views.load_case(s, case_id, kind)
        cycle = cycles.load_cycle(s, case.cycle_id or 0, lock=True)
        template = templates.by_id(app, s, cycle.template_id)
        add = _additions(template)
        org = queries.org_snapshot(s, today)
        require_visible(s, actor, case, today)
        on_behalf = access.require_admin(s, tx, actor, [case.unit_id], org)
        if cycle.status == "cancelled":
            raise Conflict("the case is cancelled", "ärendet är makulerat")
        fields = addition.model_dump()
        head = {k: v for k, v in fields.items() if k != add.field}
        entries = [{**e, add.kind: head} for e in fields[add.field]]
        items = template.subject.items
        assert items is not None
        late = [
            FieldError(
                f"{add.field}[{i}].{items.due}", "the date has passed", "datumet har passerat"
            )
            for i, e in enumerate(entries)
            if items.due and e.get(items.due) is not None and e[items.due] < today
        ]
        if late:
            raise InvalidInput(late)
        code = queries.pairs(s, select(OrgUnit.id, OrgUnit.code)).get(case.unit_id, "")
        routed = _route_items(s, template, entries, code, case.unit_id, org)
        _reopen(tx, actor, cycle, template, org)
        first = 1 + len(list(s.scalars(select(CaseItem.id).where(CaseItem.case_id == case.id))))
        made = _make_item_tasks(
            app, tx, actor, template, case, addition, entries, routed, today, first
        )
        data = case_data(case)
        data.setdefault("additions", []).append(normalised(head))
        case.data = json.dumps(data, ensure_ascii=False)
        tx.record(
            cycles.chain(cycle.id),
            f"{kind}.{add.kind}_added",
            kind,
            case.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=case.unit_id,
            data={
                **{f: getattr(addition, f) for f in add.audit},
                add.field: len(entries),
                "first": first,
                "tasks": made,
            },
        )
        return Opened(case.id, cycle.id, len(entries), made)

    return app.run(work)


def _reopen(tx: Tx, actor: Actor, cycle: Any, template: CycleTemplate, org: OrgSnapshot) -> None:
    """The stage that holds the items' tasks is active again (and the case, if closed)."""
    items = template.subject.items
    assert items is not None
    tdef = template.task(items.task)
    stage_key = next(st.key for st in template.stages if tdef in st.tasks)
    stage = tx.session.scalar(
        select(Stage).where(Stage.cycle_id == cycle.id, Stage.key == stage_key)
    )
    assert stage is not None
    if cycle.status == "completed":
        cycles.reopen_cycle(tx, actor, cycle)
    if stage.status != "active":
        cycles.activate(tx, actor, cycle, template, stage_key, org, reason="items added")


# --- reading cases ------------------------------------------------------------------------
def list_cases(
    app: App, actor: Actor, kind: str, *, unit_code: str | None = None, year: int | None = None
) -> list[CaseSummary]:
    """Cases of a kind the person may see (their units' and those below), newest first."""
    sub, now = subject_of(kind), app.clock.now()
    first_doc = sub.documents[0].key if sub.documents else None
    with app.read() as s:
        sel = selection(s, actor, sub, kind, unit_code, year, local_date(now))
        rows = s.execute(sel.stmt.order_by(ProcessCase.opened_on.desc(), ProcessCase.id.desc()))
        shown = [(case, unit) for case, unit in rows if sel.visible(case, unit.id)]
        views = process_views.case_views(s, [c for c, _ in shown])
        return [_summary(s, sub, views[c.id], unit, now, first_doc) for c, unit in shown]


#: The most cases one page of a list shows.
MAX_PAGE = 200


@dataclass(frozen=True)
class CasePage:
    """One page of a list of cases, newest first: ``total`` counts every case the person
    may see; ``next_after`` is the keyset cursor of the next page (None on the last)."""

    rows: list[CaseSummary]
    total: int
    next_after: str | None
    limit: int


def parse_cursor(text: str | None) -> tuple[date, int] | None:
    """``2027-03-04.123`` (the date and id of the last case shown) -> (date, id)."""
    if text is None or not text.strip():
        return None
    day, _, ident = text.strip().partition(".")
    try:
        return date.fromisoformat(day), int(ident)
    except ValueError:
        raise InvalidInput.field(
            "after",
            "the page cursor is not a date and a number (2027-03-04.123)",
            "sidmarkören är inte ett datum och ett nummer (2027-03-04.123)",
        ) from None


def page_cases(
    app: App,
    actor: Actor,
    kind: str,
    *,
    unit_code: str | None = None,
    year: int | None = None,
    after: str | None = None,
    limit: int = 50,
) -> CasePage:
    """One page of ``list_cases`` read by keyset (opened_on, id), plus a count query: a
    director's list of 10,000 cases reads the page's cases and their tasks, not all of
    them (the limit is checked before anything is read)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput.field(
            "limit",
            f"a page shows between 1 and {MAX_PAGE} cases",
            f"en sida visar mellan 1 och {MAX_PAGE} ärenden",
        )
    cursor = parse_cursor(after)
    sub, now = subject_of(kind), app.clock.now()
    first_doc = sub.documents[0].key if sub.documents else None
    with app.read() as s:
        sel = selection(s, actor, sub, kind, unit_code, year, local_date(now))
        stmt = sel.stmt.order_by(ProcessCase.opened_on.desc(), ProcessCase.id.desc())
        shown: list[tuple[ProcessCase, OrgUnit]] = []
        while len(shown) <= limit:  # filtered in SQL; in Python only over 5,000 units
            page = stmt
            if cursor is not None:
                day, ident = cursor
                page = page.where(
                    or_(
                        ProcessCase.opened_on < day,
                        (ProcessCase.opened_on == day) & (ProcessCase.id < ident),
                    )
                )
            got = list(s.execute(page.limit(limit + 1)).tuples())
            shown += [(c, u) for c, u in got if sel.visible(c, u.id)]
            if len(got) <= limit:
                break
            cursor = (got[-1][0].opened_on, got[-1][0].id)
        more = len(shown) > limit
        shown = shown[:limit]
        views = process_views.case_views(s, [c for c, _ in shown])
        rows = [_summary(s, sub, views[c.id], unit, now, first_doc) for c, unit in shown]
        last = shown[-1][0] if shown and more else None
        return CasePage(
            rows,
            sel.count(s),
            f"{last.opened_on.isoformat()}.{last.id}" if last is not None else None,
            limit,
        )


@dataclass
class Selection:
    """The cases of a kind one person may see: a statement filtered in SQL (the units they
    oversee, and their own where the process says so) and the same rule in Python, for
    organisations so large that the units are not put in the statement."""

    stmt: Any
    where: list[Any]
    in_sql: bool
    visible_units: set[int] | None
    own: bool
    person_id: int | None

    def visible(self, case: ProcessCase, unit_id: int) -> bool:
        return self.sees(unit_id, case.created_by)

    def sees(self, unit_id: int, created_by: int | None) -> bool:
        if self.visible_units is None or self.in_sql:
            return True
        return unit_id in self.visible_units or (self.own and created_by == self.person_id)

    def count(self, s: Session) -> int:
        if self.in_sql:
            return int(s.scalar(select(func.count(ProcessCase.id)).where(*self.where)) or 0)
        rows = s.execute(select(ProcessCase.unit_id, ProcessCase.created_by).where(*self.where))
        return sum(1 for unit, by in rows if self.sees(unit, by))


def selection(
    s: Session,
    actor: Actor,
    sub: SubjectDef,
    kind: str,
    unit_code: str | None,
    year: int | None,
    day: date,
) -> Selection:
    org = queries.org_snapshot(s, day)
    where: list[Any] = [ProcessCase.kind == kind]
    if unit_code is not None:
        within = org.subtree(queries.unit_by_code(s, unit_code).id)
        where.append(ProcessCase.unit_id.in_(within))
    if year is not None:
        where += [
            ProcessCase.opened_on >= date(year, 1, 1),
            ProcessCase.opened_on <= date(year, 12, 31),
        ]
    own = sub.registrants.own_cases
    units: set[int] | None = None
    in_sql = True
    if actor.person_id is not None:  # only the units the person oversees are read
        auth = queries.authority(s, actor.person_id, day)
        units = {u for u in org.subtree(None) if access.may_oversee(auth, org, u)}
        in_sql = len(units) <= 5000
        if in_sql:
            mine = ProcessCase.created_by == actor.person_id
            where.append(
                or_(ProcessCase.unit_id.in_(sorted(units)), mine)
                if own
                else ProcessCase.unit_id.in_(sorted(units))
            )
    stmt = (
        select(ProcessCase, OrgUnit).join(OrgUnit, OrgUnit.id == ProcessCase.unit_id).where(*where)
    )
    return Selection(stmt, where, in_sql, units, own, actor.person_id)


def _summary(
    s: Session,
    sub: SubjectDef,
    view: process_views.CaseView,
    unit: OrgUnit,
    now: datetime,
    doc: str | None,
) -> CaseSummary:
    state = registry().status(sub.status)(s, view, now) if sub.status else {}
    return process_views.summary(view, unit, now, doc, state)


def require_visible(s: Session, actor: Actor, case: ProcessCase, day: date) -> None:
    """Whoever oversees the case's unit sees it; so does whoever opened it, where the
    process says so (``registrants.own_cases``). Anyone else: 404, as if it did not exist."""
    if actor.person_id is None:
        return
    sub = subject_of(case.kind)
    if sub.registrants.own_cases and case.created_by == actor.person_id:
        return
    auth = queries.authority(s, actor.person_id, day)
    org = queries.ancestry_snapshot(s, [case.unit_id], day)
    if not access.may_oversee(auth, org, case.unit_id):
        raise NotFound(case.kind, case.id)


def case_overview(
    app: App, actor: Actor, year: int, *, unit_code: str | None = None
) -> list[overview.KindOverview]:
    """Every case process the person may see, for the year's overview: per kind, the
    cases per state and their open, overdue and escalated tasks, counted in the database
    (``engine.workflow.process.overview``; the same rules as ``list_cases``)."""
    return overview.case_overview(app, actor, year, unit_code=unit_code)


@dataclass(frozen=True)
class Draft:
    kind: str  # samflow.inspection_reply
    template: str  # the document's page template (forms/templates/...)
    title: dict[str, str]
    data: dict[str, Any]
    digest: str

    def document(self) -> dict[str, Any]:
        return {"kind": self.kind, "format": 1, "digest": self.digest, "data": self.data}


def _content(s: Session, kind: str, case: ProcessCase, key: str, now: datetime) -> Draft:
    sub = subject_of(kind)
    ddef = sub.document(key)
    names = queries.org_snapshot(s, local_date(now), with_names=True).names
    view = process_views.case_view(s, case)
    base = process_views.document_base(s, view, sub, names, now)
    data = normalised(
        {"kind": f"samflow.{kind}_{key}", **registry().document(ddef.data)(s, view, base)}
    )
    title = {"sv": ddef.title.sv, "en": ddef.title.en}
    return Draft(f"samflow.{kind}_{key}", ddef.template, title, data, digest(data))


def preview_document(app: App, actor: Actor, kind: str, case_id: int, key: str) -> Draft:
    """The document as it stands now, complete or not; nothing is recorded."""
    now = app.clock.now()
    with app.read() as s:
        case = process_views.load_case(s, case_id, kind)
        require_visible(s, actor, case, local_date(now))
        return _content(s, kind, case, key, now)


def draw_up(app: App, actor: Actor, kind: str, case_id: int, key: str) -> Draft:
    """Draw up a document once its gates hold (every unmet reason named at once); recorded
    with the digest of its content, in the case's audit chain."""
    ddef = subject_of(kind).document(key)

    def work(tx: Tx) -> Draft:
        s = tx.session
        case = process_views.load_case(s, case_id, kind)
        cycles.load_cycle(s, case.cycle_id or 0, lock=True)
        org = queries.org_snapshot(s, local_date(tx.now))
        require_visible(s, actor, case, local_date(tx.now))  # 404 for what one may not see
        access.require_oversight(s, actor, [case.unit_id], org, local_date(tx.now))
        view = process_views.case_view(s, case)
        sub = subject_of(kind)
        unmet = [u for g in ddef.gates for u in registry().gate(g)(s, view, sub)]
        if unmet:
            raise Conflict(
                "; ".join(u.message_en for u in unmet), "; ".join(u.message_sv for u in unmet)
            )
        return _record_document(tx, actor, kind, case, key)

    return app.run(work)


def _record_document(tx: Tx, actor: Actor, kind: str, case: ProcessCase, key: str) -> Draft:
    """Record a document with the digest of its content, and its audit event."""
    s, sub = tx.session, subject_of(kind)
    s.flush()
    draft = _content(s, kind, case, key, tx.now)
    s.add(
        CaseDocument(
            case_id=case.id,
            key=key,
            digest=draft.digest,
            created_at=tx.now,
            created_by=actor.person_id,
        )
    )
    tx.record(
        cycles.chain(case.cycle_id or 0),
        f"{kind}.{key}_drafted",
        kind,
        case.id,
        actor,
        unit_id=case.unit_id,
        data={"digest": draft.digest, **_counts(sub, draft.data)},
    )
    return draft


def _counts(sub: SubjectDef, data: dict[str, Any]) -> dict[str, int]:
    return {sub.items.field: len(data.get(sub.items.field, []))} if sub.items else {}


def task_context(s: Session, task: Task) -> dict[str, Any]:
    """What a case's task page shows beside its form, by the template's context hook."""
    found = process_views.item_of(s, task)
    if found is None:
        return {}
    case, item = found
    hook = subject_of(case.kind).context
    return registry().context(hook)(s, task, case, item) if hook else {}


@dataclass(frozen=True)
class CaseDetail:
    """One case for its page: how far it has come, its fields, every task it has (with
    who holds or gave it) and the documents drawn up."""

    case_id: int
    kind: str
    title: dict[str, str]
    summary: CaseSummary
    data: dict[str, Any]
    tasks: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    document_keys: list[dict[str, Any]]  # the documents the process has (key, title)
    may_add: bool  # the case takes later items (an inspection's föreläggande)


def show_case(app: App, actor: Actor, kind: str, case_id: int) -> CaseDetail:
    """A case the person may see (its unit's oversight, or their own registration where
    the process says so); anyone else gets 404."""
    now = app.clock.now()
    sub = subject_of(kind)
    with app.read() as s:
        case = process_views.load_case(s, case_id, kind)
        require_visible(s, actor, case, local_date(now))
        unit = s.get(OrgUnit, case.unit_id)
        assert unit is not None
        first_doc = sub.documents[0].key if sub.documents else None
        view = process_views.case_view(s, case)
        summary = _summary(s, sub, view, unit, now, first_doc)
        template = templates.by_id(app, s, view.cycle.template_id) if view.cycle else None
        open_tasks = [t for t in view.tasks if t.status == "open"]
        waiting = facts.waiting_on(s, open_tasks, local_date(now))
        people = queries.person_names(s, [t.closed_by for t in view.tasks if t.closed_by])
        rows = []
        for t in view.tasks:
            if t.status not in ("open", "completed"):
                continue
            tdef = template.task(t.key) if template else None
            rows.append(
                {
                    "task_id": t.id,
                    "key": t.key,
                    "title_sv": tdef.title.sv if tdef else t.key,
                    "title_en": tdef.title.en if tdef else t.key,
                    "status": t.status,
                    "due": t.due_at,
                    "closed_at": t.closed_at,
                    "by": people.get(t.closed_by or 0, ("", ""))[0],
                    "waiting_on": waiting.get(t.id, ""),
                    "escalation_level": t.escalation_level,
                    "overdue": t.status == "open" and t.due_at < now,
                }
            )
        docs = [{"key": d.key, "at": d.created_at, "digest": d.digest} for d in view.documents]
        keys = [
            {"key": d.key, "title_sv": d.title.sv, "title_en": d.title.en} for d in sub.documents
        ]
        add = template.subject.items.additions if template and template.subject.items else None
        title = sub.title or (template.title if template else None)
        return CaseDetail(
            case.id,
            kind,
            {"sv": title.sv, "en": title.en} if title else {"sv": kind, "en": kind},
            summary,
            view.data,
            rows,
            docs,
            keys,
            add is not None,
        )
