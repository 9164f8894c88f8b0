"""Safety rounds: plan one, record findings (with photos) while it goes on, take a
finding into the unit's action plan as a risk with a measure in one step, review the
open findings of earlier rounds, and the round as its page shows it.

    out = rounds.plan(app, manager, {"unit": "U1", "checklist": "kitchen", ...})
    f = rounds.add_finding(app, rep, out.case_id, {...}, [Photo("a.jpg", jpeg_bytes)])
    rounds.to_plan(app, manager, f.id, {"measure": {"what": ..., "responsible": "manager",
                                                    "due_date": "2027-06-01"}})
    rounds.review(app, manager, next_round, f.id, {"outcome": "resolved"})
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import plan_links
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Task
from engine.db.models.duties.rounds import RoundFinding, RoundFindingPhoto, RoundFindingReview
from engine.db.models.people.accounts import Attachment
from engine.db.models.workflow.process import ProcessCase
from engine.domain import risk
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unmet
from engine.org import access
from engine.plans import plan as plans
from engine.workflow import attachments, cycles, open_points
from engine.workflow.process import cases as processes
from engine.workflow.process.cases import CaseDetail, Opened
from engine.workflow.process.views import case_data, load_case
from forms import checklists
from forms.schemas.duties.rounds import FindingReview, FindingToPlan
from forms.schemas.duties.rounds import RoundFinding as FindingForm
from forms.schemas.registry import validate

KIND = "safety_round"
LEAD, TAKE_PART = "lead_round", "take_part"
STAGE = "round"

#: Photo formats taken, by their first bytes (the type the browser claims is not trusted).
_MAGIC = (
    ("image/jpeg", 0, b"\xff\xd8\xff"),
    ("image/png", 0, b"\x89PNG\r\n\x1a\n"),
    ("image/webp", 8, b"WEBP"),
    ("image/heic", 4, b"ftypheic"),
    ("image/heic", 4, b"ftypheix"),
    ("image/heic", 4, b"ftypmif1"),
)


@dataclass(frozen=True)
class Photo:
    filename: str
    content: bytes


def photo_type(content: bytes) -> str | None:
    """The image type from the file's first bytes (JPEG, PNG, WebP, HEIC), else None."""
    for kind, at, magic in _MAGIC:
        if content[at : at + len(magic)] == magic and (
            kind != "image/webp" or content[:4] == b"RIFF"
        ):
            return kind
    return None


def check_photos(app: App, photos: Sequence[Photo]) -> list[tuple[Photo, str]]:
    """Every photo within the limits, or every problem named (``photos[1]``), before any
    work is done: how many, how large, and that each is an image."""
    most, largest = app.settings.round_photos_max, app.settings.round_photo_max_bytes
    if len(photos) > most:
        raise InvalidInput.field(
            "photos", f"at most {most} photos per finding", f"högst {most} foton per iakttagelse"
        )
    errors = []
    out = []
    for i, p in enumerate(photos):
        kind = photo_type(p.content[:16])
        if not p.content:
            errors.append((f"photos[{i}]", "the file is empty", "filen är tom"))
        elif len(p.content) > largest:
            errors.append(
                (
                    f"photos[{i}]",
                    f"the photo is larger than {largest // 1_000_000} MB",
                    f"fotot är större än {largest // 1_000_000} MB",
                )
            )
        elif kind is None:
            errors.append(
                (
                    f"photos[{i}]",
                    "not a photo (JPEG, PNG, WebP or HEIC)",
                    "inte ett foto (JPEG, PNG, WebP eller HEIC)",
                )
            )
        else:
            out.append((p, kind))
    if errors:
        from engine.domain.errors import FieldError

        raise InvalidInput([FieldError(path, en, sv) for path, en, sv in errors])
    return out


def plan(app: App, actor: Actor, data: Mapping[str, Any]) -> Opened:
    """A round at a unit on a checklist: the manager's and the safety representative's
    tasks are made at once."""
    subject = processes.parse_subject(KIND, data)
    return processes.open_case(app, actor, KIND, subject)


def _case(s: Session, actor: Actor, case_id: int, day: date) -> ProcessCase:
    case = load_case(s, case_id, KIND)
    processes.require_visible(s, actor, case, day)  # 404 for what one may not see
    return case


def _tasks(s: Session, case: ProcessCase) -> dict[str, Task]:
    """The round's latest lead and take-part tasks (open or completed)."""
    out: dict[str, Task] = {}
    for t in s.scalars(
        select(Task)
        .where(Task.cycle_id == case.cycle_id, Task.status.in_(("open", "completed")))
        .order_by(Task.id)
    ):
        out[t.key] = t
    return out


def _require_open_part(tx: Tx, actor: Actor, case: ProcessCase) -> tuple[Task, int | None]:
    """The round is going on and the person leads it or takes part in it (holds the open
    lead or take-part task)."""
    tasks = _tasks(tx.session, case)
    open_ = [t for t in (tasks.get(LEAD), tasks.get(TAKE_PART)) if t and t.status == "open"]
    if not open_:
        raise Conflict(
            "the round is done: findings are recorded while it goes on",
            "ronden är klar: iakttagelser registreras medan den pågår",
        )
    auth = access.authority(tx, actor)
    for t in open_:
        ok, on_behalf = access.holds(auth, t)
        if ok:
            return tasks.get(LEAD) or t, on_behalf
    raise NotPermitted(
        "only the manager leading the round and the safety representative taking part may",
        "bara chefen som leder ronden och skyddsombudet som deltar får göra detta",
    )


@dataclass(frozen=True)
class FindingInfo:
    id: int
    number: int
    status: str
    photos: int


def add_finding(
    app: App, actor: Actor, case_id: int, data: Mapping[str, Any], photos: Sequence[Photo] = ()
) -> FindingInfo:
    """A finding of the round: checklist point (of the round's checklist), place, what,
    probability and consequence, and its photos; one audit event with each photo's
    SHA-256. Limits and the form are checked before anything is written."""
    form = validate("round_finding", dict(data))
    assert isinstance(form, FindingForm)
    checked = check_photos(app, photos)
    day = local_date(app.clock.now())

    def work(tx: Tx) -> FindingInfo:
        s = tx.session
        case = _case(s, actor, case_id, day)
        listed = checklists.get(str(case_data(case)["checklist"]))
        if form.point and (listed is None or listed.point(form.point) is None):
            raise InvalidInput.field(
                "point",
                "not a point of the round's checklist",
                "inte en punkt i rondens checklista",
            )
        lead, on_behalf = _require_open_part(tx, actor, case)
        number = 1 + (
            s.scalar(select(func.max(RoundFinding.number)).where(RoundFinding.case_id == case.id))
            or 0
        )
        row = RoundFinding(
            case_id=case.id,
            unit_id=case.unit_id,
            number=number,
            point=form.point,
            place=form.place,
            description=form.description,
            probability=form.probability,
            consequence=form.consequence,
            status="open",
            action_item_id=None,
            created_by=actor.person_id,
            created_at=tx.now,
        )
        s.add(row)
        s.flush()
        shas = []
        for p, kind in checked:
            sha = hashlib.sha256(p.content).hexdigest()
            att = Attachment(
                task_id=lead.id,
                filename=attachments.clean_name(p.filename),
                content_type=kind,
                size=len(p.content),
                sha256=sha,
                content=p.content,
                note=f"Iakttagelse {number}",
                uploaded_by=actor.person_id,
                created_at=tx.now,
            )
            s.add(att)
            s.flush()
            s.add(RoundFindingPhoto(finding_id=row.id, attachment_id=att.id))
            shas.append(sha)
        level = risk.level(form.probability, form.consequence)
        tx.record(
            cycles.chain(lead.cycle_id),
            "safety_round.finding_added",
            "round_finding",
            row.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=case.unit_id,
            data={
                "number": number,
                "point": form.point,
                "place": form.place,
                "risk": level.key,
                "photos": shas,
            },
        )
        return FindingInfo(row.id, number, "open", len(shas))

    return app.run(work)


def _finding(
    s: Session, actor: Actor, finding_id: int, day: date
) -> tuple[RoundFinding, ProcessCase]:
    f = s.get(RoundFinding, finding_id)
    if f is None:
        raise NotFound("finding", finding_id)
    try:
        case = _case(s, actor, f.case_id, day)
    except NotFound:
        raise NotFound("finding", finding_id) from None
    return f, case


def to_plan(app: App, actor: Actor, finding_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The finding becomes a risk (its probability × consequence) with one measure in the
    action plan of the round's unit and year, in one step, linked back to the round; the
    round's manager (or the line above) does it."""
    form = validate("finding_to_plan", dict(data))
    assert isinstance(form, FindingToPlan)
    day = local_date(app.clock.now())

    def work(tx: Tx) -> dict[str, Any]:
        s = tx.session
        f, case = _finding(s, actor, finding_id, day)
        if f.status != "open":
            raise Conflict(
                "the finding is already in the plan or resolved",
                "iakttagelsen finns redan i planen eller är åtgärdad",
            )
        lead = _tasks(s, case).get(LEAD)
        org = queries.ancestry_snapshot(s, [case.unit_id], day)
        auth = access.authority(tx, actor)
        ok, on_behalf = access.holder_or_line(
            auth, org, case.unit_id, [access.task_address(lead)] if lead else []
        )
        if not ok and actor.person_id is not None:
            raise NotPermitted(
                "only the unit's manager (or the line above) may put it in the plan",
                "bara enhetens chef (eller chefen ovanför) får föra in den i planen",
            )
        cycle = plan_links.annual_plan(s, case.unit_id, case.opened_on.year)
        who = plans.resolve_responsible(
            tx, form.measure.responsible, case.unit_id, org, "measure.responsible"
        )
        place = f" ({f.place})" if f.place else ""
        added = plan_links.add_item(
            tx,
            actor,
            case,
            cycle,
            area=f"Skyddsrond {case.opened_on.isoformat()}: {f.description}{place}"[:300],
            current_state=f.description,
            measures=[(form.measure, who)],
            probability=f.probability,
            consequence=f.consequence,
            task_id=lead.id if lead else None,
        )
        f.status, f.action_item_id = "in_plan", added.item_id
        tx.record(
            cycles.chain(case.cycle_id or 0),
            "safety_round.finding_to_plan",
            "round_finding",
            f.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=case.unit_id,
            data={"number": f.number, "plan": f"cycle:{cycle.id}", "item": added.item_number},
        )
        return {"plan_cycle_id": cycle.id, "item": added.item_number, "measures": added.measure_ids}

    return app.run(work)


def review(app: App, actor: Actor, case_id: int, finding_id: int, data: Mapping[str, Any]) -> None:
    """An open finding of an earlier round at the unit, looked at in this round (by whoever
    leads it or takes part): resolved closes it; remains keeps it open for the next."""
    form = validate("finding_review", dict(data))
    assert isinstance(form, FindingReview)
    day = local_date(app.clock.now())

    def work(tx: Tx) -> None:
        s = tx.session
        case = _case(s, actor, case_id, day)
        _, on_behalf = _require_open_part(tx, actor, case)
        earlier = {f.id: f for f, _ in open_points.earlier_open(s, case)}
        f = earlier.get(finding_id)
        if f is None:
            raise InvalidInput.field(
                "finding",
                "not an open finding of an earlier round at this unit",
                "inte en öppen iakttagelse från en tidigare rond vid enheten",
            )
        if finding_id in open_points.reviewed_in(s, case.id):
            raise Conflict("already reviewed in this round", "redan genomgången i denna rond")
        s.add(
            RoundFindingReview(
                finding_id=f.id,
                case_id=case.id,
                outcome=form.outcome,
                note=form.note,
                reviewed_by=actor.person_id,
                reviewed_at=tx.now,
            )
        )
        if form.outcome == "resolved":
            f.status = "resolved"
        tx.record(
            cycles.chain(case.cycle_id or 0),
            "safety_round.finding_reviewed",
            "round_finding",
            f.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=case.unit_id,
            data={"outcome": form.outcome, "round": f"safety_round:{f.case_id}"},
        )

    app.run(work)


@dataclass(frozen=True)
class FindingRow:
    id: int
    number: int
    point: str
    point_sv: str
    point_en: str
    place: str
    description: str
    probability: int
    consequence: int
    level: risk.RiskLevel
    status: str
    photos: list[int]  # attachment ids
    in_plan_item: int | None
    round_on: date | None = None  # an earlier round's date
    reviewed: str = ""  # this round's review of an earlier finding: resolved | remains


@dataclass(frozen=True)
class RoundDetail:
    detail: CaseDetail
    checklist: checklists.Checklist | None
    findings: list[FindingRow]
    earlier: list[FindingRow]  # open findings of earlier rounds, with this round's review
    unmet: list[Unmet]
    may_record: bool  # the person leads or takes part, and the round goes on
    may_plan: bool  # the unit's manager or the line above: findings into the plan
    lead_task: int | None
    part_task: int | None
    plan_links: list[dict[str, Any]]


def _rows(
    s: Session, found: Sequence[RoundFinding], listed: checklists.Checklist | None
) -> list[FindingRow]:
    photos: dict[int, list[int]] = {}
    ids = [f.id for f in found]
    if ids:
        for fid, aid in s.execute(
            select(RoundFindingPhoto.finding_id, RoundFindingPhoto.attachment_id)
            .where(RoundFindingPhoto.finding_id.in_(ids))
            .order_by(RoundFindingPhoto.id)
        ):
            photos.setdefault(fid, []).append(aid)
    out = []
    for f in found:
        p = listed.point(f.point) if listed and f.point else None
        out.append(
            FindingRow(
                f.id,
                f.number,
                f.point,
                p.sv if p else "",
                p.en if p else "",
                f.place,
                f.description,
                f.probability,
                f.consequence,
                risk.level(f.probability, f.consequence),
                f.status,
                photos.get(f.id, []),
                f.action_item_id,
            )
        )
    return out


def show(app: App, actor: Actor, case_id: int) -> RoundDetail:
    """The round for its page (404 for whoever may not see its unit)."""
    detail = processes.show_case(app, actor, KIND, case_id)
    day = local_date(app.clock.now())
    with app.read() as s:
        case = load_case(s, case_id, KIND)
        listed = checklists.get(str(case_data(case)["checklist"]))
        mine = list(
            s.scalars(
                select(RoundFinding)
                .where(RoundFinding.case_id == case.id)
                .order_by(RoundFinding.number)
            )
        )
        earlier_pairs = open_points.earlier_open(s, case)
        done = open_points.reviewed_in(s, case.id)
        # findings an earlier round had open that this round resolved stay in the list
        resolved_here = [
            (f, c)
            for f, c in s.execute(
                select(RoundFinding, ProcessCase)
                .join(RoundFindingReview, RoundFindingReview.finding_id == RoundFinding.id)
                .join(ProcessCase, ProcessCase.id == RoundFinding.case_id)
                .where(RoundFindingReview.case_id == case.id, RoundFinding.status == "resolved")
            )
        ]
        pairs = sorted([*earlier_pairs, *resolved_here], key=lambda p: (p[0].case_id, p[0].number))
        rows = _rows(s, [f for f, _ in pairs], None)
        dates = {f.id: c.opened_on for f, c in pairs}
        earlier = [
            FindingRow(
                **{
                    **r.__dict__,
                    "round_on": dates[r.id],
                    "reviewed": done[r.id].outcome if r.id in done else "",
                }
            )
            for r in rows
        ]
        tasks = _tasks(s, case)
        lead, part = tasks.get(LEAD), tasks.get(TAKE_PART)
        may, may_plan = actor.person_id is None, actor.person_id is None
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            may = any(t and t.status == "open" and access.holds(auth, t)[0] for t in (lead, part))
            org = queries.ancestry_snapshot(s, [case.unit_id], day)
            addresses = [access.task_address(lead)] if lead else []
            may_plan = access.holder_or_line(auth, org, case.unit_id, addresses)[0]
        links = plan_links.links_of(s, case.id)
        findings = _rows(s, mine, listed)
    unmet: list[Unmet] = []
    if case.cycle_id is not None and detail.summary.status != "closed":
        unmet = cycles.unmet_for(app, case.cycle_id, STAGE)
    return RoundDetail(
        detail,
        listed,
        findings,
        earlier,
        unmet,
        may,
        may_plan,
        lead.id if lead else None,
        part.id if part else None,
        links,
    )


def close(app: App, actor: Actor, case_id: int) -> cycles.SignOffResult:
    """Sign the round off (the manager): refused with every unmet reason, each earlier
    open finding not yet reviewed named on its own."""
    with app.read() as s:
        case = _case(s, actor, case_id, local_date(app.clock.now()))
    assert case.cycle_id is not None
    return cycles.sign_off_stage(app, actor, case.cycle_id, STAGE)


def photo(app: App, actor: Actor, attachment_id: int) -> tuple[attachments.AttachmentInfo, bytes]:
    """A finding's photo, for whoever may see the round (404 otherwise)."""
    with app.read() as s:
        linked = s.scalar(
            select(RoundFindingPhoto.id).where(RoundFindingPhoto.attachment_id == attachment_id)
        )
    if linked is None:
        raise NotFound("photo", attachment_id)
    return attachments.fetch(app, actor, attachment_id)


def list_rounds(
    app: App, actor: Actor, *, unit_code: str | None = None, year: int | None = None
) -> list[Any]:
    return processes.list_cases(app, actor, KIND, unit_code=unit_code, year=year)
