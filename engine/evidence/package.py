"""Evidence packages for Arbetsmiljöverket: one unit and year, or a whole administration.

A package is plain data (the shape is in ``evidence_cycle`` / ``evidence_units``), read in
one consistent snapshot, with the audit chains it rests on and where they stood then (its
*basis*: scope, year, time, chain positions). Its digest is the SHA-256 of the canonical
JSON of that data. ``verify`` rebuilds the data from the database on the same basis and
names what differs; each difference is traced to the audit events recorded since that
explain it, or reported as changed without any (made outside samflow).

    built = build(app, actor, Scope("unit", "U1", 2027))   # .data, .digest, .document()
    report = evidence_verify.verify(app, actor, built.document())  # .matches, .differences
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.domain.audit.chain import StoredEvent
from engine.domain.clock import as_utc, local_date
from engine.domain.errors import InvalidInput
from engine.domain.evidence import LaterEvent, digest
from engine.domain.workflow.template import SubjectDef
from engine.evidence import anchor as audit_checkpoint_package
from engine.evidence import audit
from engine.evidence.common import Holder, Person, Where, iso
from engine.evidence.load import Bundle, load, load_people
from engine.evidence.sections import units
from engine.evidence.sections.alloc import load_alloc
from engine.evidence.sections.alloc import section as alloc_section
from engine.evidence.sections.cases import Cases, load_cases, sections
from engine.evidence.sections.coop import CoopRows, load_coop
from engine.evidence.sections.coop import section as coop_section
from engine.evidence.sections.cycle import cycle_section
from engine.evidence.sections.policy import PolicyRows, load_policy
from engine.evidence.sections.policy import section as policy_section
from engine.evidence.sections.rounds import load_rounds
from engine.evidence.sections.rounds import section as rounds_section
from engine.org import access
from engine.workflow import templates
from engine.workflow.process import cases as processes

KIND = "samflow.evidence"
#: The package's format. 2: the ``safety_rounds`` section (and the rounds' chains in the
#: basis) was added; a format-1 package — built before it — is rebuilt as format 1 when
#: verified, so it verifies clean against its own format (``FORMATS``). A change to what a
#: package holds bumps this, and ``build`` keeps building each older format it names.
FORMAT = 2
FORMATS = (1, 2)
ORG_CHAIN = "org"
#: Records whose changes the organisation's chain records, wherever they appear.
ORG_RECORDS = frozenset({"unit", "person", "role", "substitute"})


@dataclass(frozen=True)
class Scope:
    """``unit``: one unit; ``subtree``: a unit and everything under it (an administration)."""

    kind: str
    code: str
    year: int


@dataclass
class Built:
    data: dict[str, Any]
    digest: str
    later: list[LaterEvent] = field(default_factory=list)
    chain_of: dict[str, str] = field(default_factory=dict)
    #: The signed checkpoint of every chain written with the package (outside ``data``:
    #: not part of the digest, nor of what ``verify`` rebuilds); None without the anchor.
    checkpoint: dict[str, Any] | None = None

    def document(self, built_by: str = "", reference: str = "") -> dict[str, Any]:
        """What is embedded in the HTML and attached to the PDF. ``reference``: the
        *diarienummer* the package was ordered under (printed on the cover; outside the
        data, so not part of the digest)."""
        doc = {
            "kind": KIND,
            "format": self.data.get("format", FORMAT),
            "digest": self.digest,
            "built_by": built_by,
            "data": self.data,
        }
        if reference:
            doc["reference"] = reference
        if self.checkpoint is not None:
            doc["checkpoint"] = self.checkpoint
        return doc


def build(
    app: App,
    actor: Actor,
    scope: Scope,
    *,
    basis: dict[str, Any] | None = None,
    fmt: int = FORMAT,
) -> Built:
    """The package for ``scope``; with ``basis`` (an earlier package's), as it was then;
    ``fmt``: in that format (an earlier package's, to verify it; see ``FORMAT``)."""
    if scope.kind not in ("unit", "subtree"):
        raise InvalidInput.field("scope", "unit or subtree", "enhet eller delträd")
    if fmt not in FORMATS:
        raise InvalidInput.field(
            "format", f"package format {fmt} is not supported", f"paketformat {fmt} stöds inte"
        )
    as_of = as_utc(datetime.fromisoformat(basis["as_of"])) if basis else app.clock.now()
    min_answers = int(basis["min_answers"]) if basis else app.settings.min_survey_answers
    with app.read() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        org = queries.org_snapshot(s, local_date(as_of))
        root = queries.unit_by_code(s, scope.code)
        access.require_oversight(s, actor, [root.id], org, local_date(app.clock.now()))
        scope_ids = [root.id] if scope.kind == "unit" else org.subtree(root.id)
        ancestors = list(reversed(list(org.ancestors(root.id))))
        template_key = basis["template"] if basis else app.settings.default_template
        b = load(s, scope_ids, ancestors, scope.year, template_key)
        subjects = processes.evidence_subjects()
        cs = load_cases(s, [x.kind for x in subjects], scope_ids, scope.year)
        # the plans established: the units' annual plans and the plans in their own right
        own_plans = {
            c.cycle_id: c.unit_id for c in cs.cases if c.kind == "action_plan" and c.cycle_id
        }
        co = load_coop(s, scope_ids, scope.year, [*(c.id for c in b.cycles.values()), *own_plans])
        top = ancestors[0] if ancestors else root.id
        po = load_policy(s, scope_ids, ancestors, as_of, local_date(as_of), top)
        al = load_alloc(s, scope_ids, ancestors)
        ro = load_rounds(s, scope_ids, scope.year, as_of) if fmt >= 2 else None
        chains = [*_chains(b, cs), *co.chains(), *po.chains(), *al.chains()]
        chains += ro.chains() if ro is not None else []
        position = (
            {k: (int(v[0]), str(v[1])) for k, v in basis["position"].items()}
            if basis
            else audit.current_heads(s, chains)
        )
        sl = audit.read(s, chains, position)
        data = _assemble(app, s, b, sl, scope, root, scope_ids, ancestors, as_of, min_answers)
        data |= _cases(app, s, b, cs, subjects, scope_ids)
        data["cooperation"] = _cooperation(app, s, b, co, own_plans)
        data["policy"] = _policy(app, s, b, po, local_date(as_of))
        load_people(s, b, al.people())
        data["allocation"] = alloc_section(
            al, _person_fn(b), queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
        )
        if ro is not None:
            load_people(s, b, ro.people())
            data["safety_rounds"] = rounds_section(
                ro, _person_fn(b), queries.pairs(s, select(OrgUnit.id, OrgUnit.code)),
                queries.pairs(s, select(OrgUnit.id, OrgUnit.name)),
            )  # fmt: skip
        data["format"] = fmt
        data["basis"]["template"] = template_key
    # The data is JSON-native as built (text dates, lists), so it is not copied through
    # JSON here: 500 units are ~100 MB of dicts. ``verify`` compares normalised copies.
    kinds = frozenset(x.kind for x in subjects)
    # A new package is anchored after its snapshot: the checkpoint covers its positions.
    checkpoint = None if basis else audit_checkpoint_package.for_package(app)
    return Built(data, digest(data), sl.later, dict(_chain_refs(data, kinds)), checkpoint)


def _chains(b: Bundle, cs: Cases) -> list[str]:
    cycles = [f"cycle:{c.id}" for c in b.cycles.values()]
    return [*dict.fromkeys([*cycles, *cs.chains()]), ORG_CHAIN]


def _assemble(
    app: App,
    s: Session,
    b: Bundle,
    sl: audit.AuditSlice,
    scope: Scope,
    root: OrgUnit,
    scope_ids: list[int],
    ancestors: list[int],
    as_of: datetime,
    min_answers: int,
) -> dict[str, Any]:
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    names = queries.pairs(s, select(OrgUnit.id, OrgUnit.name))
    load_people(s, b, _people_ids(b, sl))
    person = _person_fn(b)
    where = _where_fn(codes, names)
    holder = _holder_fn(b, person)
    sections = []
    for unit_id in scope_ids:
        head = units.unit_head(b, b.units[unit_id], person)
        c = b.cycles.get(unit_id)
        head["cycle"] = (
            cycle_section(b, c, sl, person, where, holder, as_of, min_answers) if c else None
        )
        sections.append(head)
    refs = {f"unit:{u}" for u in scope_ids} | _person_refs(sections)
    return {
        "kind": KIND,
        "format": FORMAT,
        "basis": {
            "scope": scope.kind,
            "code": scope.code,
            "year": scope.year,
            "as_of": iso(as_of),
            "min_answers": min_answers,
            "position": {k: [v[0], v[1]] for k, v in sorted(sl.position.items())},
        },
        "root": {
            "ref": f"unit:{root.id}",
            "code": root.code,
            "name": root.name,
            "level": root.level,
        },
        "organisation": _organisation(b, root, ancestors),
        "above": units.above(b, ancestors, person),
        "units": sections,
        "substitutes": units.substitutes(b, person),
        "overview": [units.overview_row(u) for u in sections],
        "audit": {
            "chains": [{"ref": f"chain:{k}", **v} for k, v in sl.checks.items()],
            "events": _events(sl, codes, set(scope_ids), refs, _about_fn(b, where, holder)),
        },
    }


def _organisation(b: Bundle, root: OrgUnit, ancestors: list[int]) -> dict[str, Any]:
    """The employer the package is about: the top of the tree above the scope."""
    top = b.units[ancestors[0]] if ancestors else root
    return {"ref": f"unit:{top.id}", "code": top.code, "name": top.name}


def _cases(
    app: App, s: Session, b: Bundle, cs: Cases, subjects: list[SubjectDef], scope_ids: list[int]
) -> dict[str, Any]:
    """The sections of cases (inspections ...), and titles of every template version run."""
    load_people(s, b, (x for t in cs.all_tasks() for x in (t.closed_by, t.on_behalf_of)))
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    out: dict[str, Any] = dict(sections(cs, subjects, set(scope_ids), _person_fn(b), codes))
    return out | {"titles": _titles(app, s, b, cs)}


def _cooperation(
    app: App, s: Session, b: Bundle, co: CoopRows, own_plans: dict[int, int]
) -> dict[str, Any]:
    """Bodies, meetings and protocols, and the plans established at them."""
    load_people(s, b, co.people())
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    cycle_units = {c.id: c.unit_id for c in b.cycles.values()} | own_plans
    kinds = app.settings.coop_body_kinds
    return coop_section(co, _person_fn(b), codes, kinds, cycle_units)


def _policy(app: App, s: Session, b: Bundle, po: PolicyRows, day: date) -> dict[str, Any]:
    """The policy and routines with their versions, acknowledgements and reviews, and the
    training records of managers and safety representatives
    (``engine.evidence.sections.policy``)."""
    load_people(s, b, po.people())
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    return policy_section(po, _person_fn(b), codes, app.settings, day)


def _events(
    sl: audit.AuditSlice,
    codes: dict[int, str],
    scope_ids: set[int],
    refs: set[str],
    about: Callable[[StoredEvent], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Every event of the cycles; of the organisation's chain, those about the scope."""
    out = []
    for chain, events in sl.events.items():
        for e in events:
            if chain == ORG_CHAIN and not (
                e.unit_id in scope_ids or f"{e.subject_type}:{e.subject_id}" in refs
            ):
                continue
            out.append(audit.event_record(e, codes) | about(e))
    return out


def _about_fn(b: Bundle, where: Where, holder: Holder) -> Callable[[StoredEvent], dict[str, Any]]:
    """What an event is about, for a reader: the person who acted, the task (its key, the
    measure it follows: a ref, named where it is printed), the measure or risk (refs), and
    where a task went and who held that role that day. (The audit log itself keeps ids.)"""
    tasks = {t.id: t for ts in b.tasks.values() for t in ts}
    numbers = {m.id for ms in b.measures.values() for m in ms}
    risks = {r.id for rs in b.risks.values() for r in rs}

    def about(e: StoredEvent) -> dict[str, Any]:
        sid = int(e.subject_id) if e.subject_id.isdigit() else 0
        actor = b.people.get(e.actor_id or 0)
        out: dict[str, Any] = {"actor_name": actor[0] if actor else None}
        behalf = b.people.get(e.on_behalf_of_id or 0)
        if behalf:
            out["on_behalf_of_name"] = behalf[0]
        data = audit.data_of(e)
        if e.subject_type == "task" and sid in tasks:
            t = tasks[sid]
            out["task_key"] = t.key
            if t.measure_id in numbers:
                out["measure"] = f"measure:{t.measure_id}"
        elif e.subject_type == "measure" and sid in numbers:
            out["measure"] = f"measure:{sid}"
        elif e.subject_type == "risk" and sid in risks:
            out["risk"] = f"risk:{sid}"
        elif e.subject_type == "stage" and isinstance(data.get("stage"), str):
            out["stage_key"] = data["stage"]
        to = data.get("to")
        if isinstance(to, str) and "@" in to:
            day = local_date(as_utc(datetime.fromisoformat(e.at_text))).isoformat()
            out["to"] = where(to)
            out["to_holder"] = holder(to, day)
        return out

    return about


def _people_ids(b: Bundle, sl: audit.AuditSlice) -> Iterator[int | None]:
    for rows in b.roles.values():
        yield from (r.person_id for r in rows)
    for x in b.substitutes:
        yield from (x.person_id, x.for_person_id)
    for ts in b.tasks.values():
        for t in ts:
            yield from (t.closed_by, t.on_behalf_of, t.assignee_id)
    for sts in b.stages.values():
        yield from (st.signed_off_by for st in sts)
    for ms in b.measures.values():
        yield from (m.responsible_person_id for m in ms)
    for es in b.measure_events.values():
        yield from (x for e in es for x in (e.actor_id, e.on_behalf_of_id))
    for evs in sl.events.values():
        yield from (x for e in evs for x in (e.actor_id, e.on_behalf_of_id))


def _person_fn(b: Bundle) -> Callable[[int | None], dict[str, Any] | None]:
    """A person as the package names them; one shared dict per person."""
    seen: dict[int, dict[str, Any]] = {}

    def person(pid: int | None) -> dict[str, Any] | None:
        if pid is None:
            return None
        if pid not in seen:
            name, email = b.people.get(pid, ("?", ""))
            seen[pid] = {"ref": f"person:{pid}", "name": name, "email": email}
        return seen[pid]

    return person


def _holder_fn(b: Bundle, person: Person) -> Holder:
    """Who held ``role@unit`` on a day (the first of several; None if nobody or unknown)."""

    def holder(address: str | None, day: str) -> dict[str, Any] | None:
        if not address or "@" not in address:
            return None
        role, _, unit = address.partition("@")
        when = date.fromisoformat(day)
        for ra in b.roles.get(int(unit), []) if unit.isdigit() else []:
            if (
                ra.role == role
                and ra.valid_from <= when
                and (ra.valid_to is None or when <= ra.valid_to)
            ):
                return person(ra.person_id)
        return None

    return holder


def _where_fn(
    codes: dict[int, str], names: dict[int, str]
) -> Callable[[str | None], dict[str, Any] | None]:
    """``"manager@12"`` -> the role and the unit's code and name."""

    seen: dict[str, dict[str, Any]] = {}

    def where(address: str | None) -> dict[str, Any] | None:
        if not address or "@" not in address:
            return None
        if address not in seen:
            role, _, unit = address.partition("@")
            uid = int(unit) if unit.isdigit() else -1
            seen[address] = {
                "role": role,
                "unit": codes.get(uid, unit),
                "unit_name": names.get(uid, ""),
            }
        return seen[address]

    return where


def _person_refs(sections: list[dict[str, Any]]) -> set[str]:
    return {r["person"]["ref"] for u in sections for r in u["roles"] if r["person"]}


def _titles(app: App, s: Session, b: Bundle, cs: Cases) -> dict[str, dict[str, list[str]]]:
    """Task and stage titles of the template versions the cycles ran (stored, immutable)."""
    ids = {c.template_id for c in [*b.cycles.values(), *cs.cycles.values()]}
    out: dict[str, dict[str, list[str]]] = {"tasks": {}, "stages": {}}
    for tid in sorted(ids):
        t = templates.by_id(app, s, tid)
        for st in t.stages:
            out["stages"][st.key] = [st.title.sv, st.title.en]
            for td in st.tasks:
                out["tasks"][td.key] = [td.title.sv, td.title.en]
    return out


def _chain_refs(
    data: Any, kinds: frozenset[str], chain: str = ORG_CHAIN
) -> Iterator[tuple[str, str]]:
    """Every ref in the data and the audit chain that records changes to it."""
    if isinstance(data, dict):
        ref = data.get("ref")
        if isinstance(ref, str) and ref.startswith("cycle:"):
            chain = ref
        elif isinstance(data.get("cycle"), str) and ref and ref.split(":")[0] in kinds:
            chain = data["cycle"]
        elif isinstance(data.get("chain"), str) and data["chain"].startswith(
            ("coop:", "policy:", "knowledge:", "alloc:", "cycle:")
        ):
            chain = data["chain"]  # a cooperation body's, a document's, a unit's training,
            # its allocations' own chain, or a safety round's (or its measure's plan's) cycle
        if isinstance(ref, str):
            yield ref, ORG_CHAIN if ref.split(":")[0] in ORG_RECORDS else chain
        for key, value in data.items():
            if key != "audit":
                yield from _chain_refs(value, kinds, chain)
    elif isinstance(data, list):
        for value in data:
            yield from _chain_refs(value, kinds, chain)
