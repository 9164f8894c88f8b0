"""Cycle templates: versioned, validated documents describing a SAM cycle.

A template is YAML read with a safe loader that knows only ``true``/``false`` as booleans
(YAML 1.1 would turn ``no``, ``on`` and ``NO`` (Norway!) into booleans). It is validated into
frozen pydantic models; a bad template is refused with the path of every bad field.
A running cycle keeps the version it started with: the text of each version used is stored.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from datetime import date as _date
from functools import lru_cache
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.domain.clock import end_of_local_day
from engine.domain.errors import FieldError, TemplateInvalid
from engine.domain.validation import bilingual, field_errors
from engine.domain.workflow.escalation import EscalationStep, Ladder
from engine.domain.workflow.routing import MEASURE_RESPONSIBLE, RoleExpr, parse

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class DueRule(Frozen):
    """Exactly one of: a calendar date of the cycle year (``MM-DD``, with a year offset),
    a number of days after the stage starts, or a date field of the measure."""

    date: str | None = None
    year_offset: int = Field(default=0, ge=0, le=2)
    days_after_start: int | None = Field(default=None, ge=0, le=730)
    measure_field: Literal["follow_up_date", "due_date"] | None = None
    #: A per-item task of a case (an inspection's requirement) is due at its item's date.
    item_due: bool | None = None
    #: A case's task due at a date field of its subject (a request's reply-by date).
    subject_field: Key | None = None
    #: A task due at the day a named ``due`` hook gives (a plan's first review, at the
    #: plan's own rhythm); the hook is resolved where tasks are made.
    hook: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @field_validator("date")
    @classmethod
    def _month_day(cls, v: str | None) -> str | None:
        if v is not None and not _MONTH_DAY.match(v):
            raise ValueError(
                bilingual("must be MM-DD, e.g. 03-31", "måste vara MM-DD, t.ex. 03-31")
            )
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> DueRule:
        given = [
            x
            for x in (
                self.date,
                self.days_after_start,
                self.measure_field,
                self.item_due or None,
                self.subject_field,
                self.hook,
            )
            if x is not None
        ]
        if len(given) != 1:
            raise ValueError(
                bilingual(
                    "give exactly one of date, days_after_start, measure_field, item_due, "
                    "subject_field, hook",
                    "ange exakt ett av date, days_after_start, measure_field, item_due, "
                    "subject_field, hook",
                )
            )
        return self

    def due_at(
        self,
        year: int,
        stage_started: datetime,
        measure_dates: dict[str, _date] | None = None,
    ) -> datetime:
        if self.date is not None:
            month, day = (int(x) for x in self.date.split("-"))
            return end_of_local_day(_safe_date(year + self.year_offset, month, day))
        if self.days_after_start is not None:
            return stage_started + timedelta(days=self.days_after_start)
        if self.item_due:
            return end_of_local_day(_date_of(measure_dates, "item_due"))
        if self.subject_field is not None:
            return end_of_local_day(_date_of(measure_dates, self.subject_field))
        if self.hook is not None:
            raise ValueError(f"the due hook {self.hook} gives this date")
        assert self.measure_field is not None
        if not measure_dates or measure_dates.get(self.measure_field) is None:
            raise ValueError(f"measure has no {self.measure_field}")
        return end_of_local_day(measure_dates[self.measure_field])


def _date_of(dates: dict[str, _date] | None, key: str) -> _date:
    if not dates or dates.get(key) is None:
        raise ValueError(f"no {key} given")
    return dates[key]


def _safe_date(year: int, month: int, day: int) -> date:
    """02-29 in a year that has none is 02-28."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


class StepDef(Frozen):
    after_days: int = Field(ge=0, le=365)
    to: str

    @field_validator("to")
    @classmethod
    def _role(cls, v: str) -> str:
        if not isinstance(parse(v), RoleExpr):
            raise ValueError(bilingual("escalation goes to a role", "eskalering går till en roll"))
        return v


class LadderDef(Frozen):
    reminders_days_before: tuple[int, ...] = ()
    escalation: tuple[StepDef, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> LadderDef:
        if list(self.reminders_days_before) != sorted(self.reminders_days_before, reverse=True):
            raise ValueError(
                bilingual(
                    "reminders_days_before must be largest first",
                    "reminders_days_before ska vara i fallande ordning",
                )
            )
        afters = [s.after_days for s in self.escalation]
        if afters != sorted(afters) or len(set(afters)) != len(afters):
            raise ValueError(
                bilingual(
                    "escalation steps must have rising after_days",
                    "eskaleringsstegen ska ha stigande after_days",
                )
            )
        return self

    def ladder(self) -> Ladder:
        return _ladder(self)


@lru_cache(maxsize=256)
def _ladder(definition: LadderDef) -> Ladder:
    """The runtime ladder of a definition (cached: the sweep asks for it per task)."""
    steps = []
    for s in definition.escalation:
        expr = parse(s.to)
        assert isinstance(expr, RoleExpr)
        steps.append(EscalationStep(timedelta(days=s.after_days), expr))
    reminders = tuple(timedelta(days=d) for d in definition.reminders_days_before)
    return Ladder(reminders, tuple(steps))


class TaskDef(Frozen):
    key: Key
    title: Text
    description: Text | None = None
    role: str
    form: Key
    required: bool = True
    due: DueRule
    ladder: LadderDef | None = None
    per_measure: bool = False
    #: One task per item of the case and responsible unit, made when the case opens (the
    #: role is resolved at each item's unit), not when the stage opens.
    per_item: bool = False
    #: Named effects (``engine.catalog``) run after the task completes.
    effects: tuple[str, ...] = ()
    #: A case's task made only when this boolean field of its subject is true (a serious
    #: incident's report to Arbetsmiljöverket).
    when: Key | None = None

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        parse(v)
        return v

    @model_validator(mode="after")
    def _measure_routing(self) -> TaskDef:
        if (self.role == MEASURE_RESPONSIBLE) != self.per_measure:
            raise ValueError(
                bilingual(
                    "role measure.responsible goes with per_measure: true, and only with it",
                    "rollen measure.responsible hör ihop med per_measure: true",
                )
            )
        if self.per_measure and self.due.measure_field is None:
            raise ValueError(
                bilingual(
                    "a per-measure task is due at a measure date",
                    "en uppgift per åtgärd förfaller på ett datum i åtgärden",
                )
            )
        if self.per_item != bool(self.due.item_due) or (self.per_item and self.per_measure):
            raise ValueError(
                bilingual(
                    "per_item: true goes with due: {item_due: true}, and only with it",
                    "per_item: true hör ihop med due: {item_due: true}",
                )
            )
        if not self.per_measure and self.due.measure_field is not None:
            raise ValueError(
                bilingual(
                    "measure_field only for per_measure tasks",
                    "measure_field bara för uppgifter per åtgärd",
                )
            )
        return self


class StageDef(Frozen):
    key: Key
    title: Text
    description: Text | None = None
    tasks: tuple[TaskDef, ...]
    gates: tuple[str, ...] = ("required_tasks_done",)
    sign_off: str = "manager"
    on_reject_back_to: Key | None = None

    @field_validator("sign_off")
    @classmethod
    def _role(cls, v: str) -> str:
        if not isinstance(parse(v), RoleExpr):
            raise ValueError(bilingual("sign_off is a role", "sign_off är en roll"))
        return v

    @field_validator("gates")
    @classmethod
    def _known_gates(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from engine.domain.workflow.gates import GATES

        for name in v:
            if name not in GATES:
                raise ValueError(
                    bilingual(
                        f"unknown gate {name!r} (known: {', '.join(sorted(GATES))})",
                        f"okänd grind {name!r}",
                    )
                )
        return v


UNIT_YEAR = "unit_year"


class AdditionsDef(Frozen):
    """Items a case takes later (an inspection's föreläggande or förbud): a form whose list
    field has the items' fields; its other fields go with each item it adds."""

    form: Key  # the form schema of one addition
    field: Key  # its list field of items (their fields as the subject's items)
    kind: Key  # what an addition is called in events: <subject kind>.<kind>_added
    audit: tuple[Key, ...] = ()  # fields of the addition written into its audit event


class ItemsDef(Frozen):
    """A case's items (an inspection's requirements, a meeting's agenda): a list field of
    the subject's form, one task per item and responsible unit."""

    field: Key  # the list field of the subject form
    kind: Key  # refs and audit: requirement:<id>
    title: Text  # what the items are called, plural: krav / requirements
    text: Key = "text"  # item field with its text
    task: Key  # the per_item task each item gets, at each responsible unit
    units: Key | None = None  # item field with unit codes (default: the subject's unit)
    due: Key | None = None  # item field with its due date (default: the item_due effect)
    csv_headers: dict[str, Key] = Field(default_factory=dict)  # CSV column -> item field
    additions: AdditionsDef | None = None  # items the case takes later


class DocumentDef(Frozen):
    """A document drawn up from a case (a reply letter, a receipt, a protocol)."""

    key: Key
    title: Text
    template: str = Field(pattern=r"^[a-z0-9_/-]+\.html$")  # under forms/templates
    data: str  # named document hook: the document's content
    gates: tuple[str, ...] = ()  # named case gates that must hold before it is recorded
    #: Drawn up and recorded when the case opens, in the same transaction (a receipt).
    on_open: bool = False


class RegistrantsDef(Frozen):
    """Who may open a case: a holder of one of these roles at the case's unit (``unit``)
    or at it or a unit above it (``line``). ``own_cases``: whoever opened a case sees it
    (and only it) even without oversight of the unit (an employee's own incident)."""

    roles: tuple[str, ...] = ("hr", "director")
    scope: Literal["line", "unit"] = "line"
    own_cases: bool = False

    @field_validator("roles")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from engine.domain.workflow.states import Role

        known = {r.value for r in Role}
        bad = [r for r in v if r not in known]
        if bad or not v:
            raise ValueError(
                bilingual(
                    f"unknown roles {bad} (known: {', '.join(sorted(known))})",
                    f"okända roller {bad}",
                )
            )
        return v


class EvidenceDef(Frozen):
    """The case's section in the evidence package: the subject fields it shows."""

    section: Key
    fields: tuple[Key, ...] = ()


class SubjectDef(Frozen):
    """What one instance of the process is about. ``unit_year`` (the default): a unit's
    year, one per unit and year. Any other kind is a *case* (an inspection, an incident, a
    request), any number a year, registered with the fields of the ``form`` schema."""

    kind: Key = UNIT_YEAR
    title: Text | None = None
    form: Key | None = None  # the form schema of its fields
    unit: Key = "unit"  # field with the code of the unit it belongs to (routing, visibility)
    unit_title: Text = Text(sv="ärendets enhet", en="the case's unit")  # in refusals
    date: Key | None = None  # field dating it: the cycle's year, lists by year
    reference: Key | None = None  # field naming it to people (a diarienummer)
    deadline: Key | None = None
    audit: tuple[Key, ...] = ()  # fields written into the opening audit event
    checks: tuple[str, ...] = ()  # named checks before it opens (each returns field errors)
    item_due: str | None = None  # named effect: an item's due date when it gives none
    items: ItemsDef | None = None
    documents: tuple[DocumentDef, ...] = ()
    context: str | None = None  # named hook: what a task's page shows about its case
    evidence: EvidenceDef | None = None
    registrants: RegistrantsDef = RegistrantsDef()
    on_open: tuple[str, ...] = ()  # named hooks run when it opens, in its transaction
    status: str | None = None  # named hook: what a case's lists and page show of its state

    @model_validator(mode="after")
    def _case_fields(self) -> SubjectDef:
        if self.kind != UNIT_YEAR and (self.form is None or self.date is None):
            raise ValueError(
                bilingual(
                    "a case subject names its form and its date field",
                    "ett ärende anger sitt formulär och sitt datumfält",
                )
            )
        return self

    def is_case(self) -> bool:
        return self.kind != UNIT_YEAR

    def field_names(self) -> list[tuple[str, str]]:
        """(path, field) of every subject field named, to check against its form."""
        named = [("unit", self.unit)] + [
            (k, v)
            for k, v in (
                ("date", self.date),
                ("reference", self.reference),
                ("deadline", self.deadline),
            )
            if v
        ]
        named += [(f"audit[{i}]", f) for i, f in enumerate(self.audit)]
        ev = self.evidence.fields if self.evidence else ()
        return named + [(f"evidence.fields[{i}]", f) for i, f in enumerate(ev)]

    def hook_keys(self) -> list[tuple[str, str, str]]:
        out = [(f"subject.checks[{i}]", "check", k) for i, k in enumerate(self.checks)]
        if self.item_due:
            out.append(("subject.item_due", "item_due", self.item_due))
        if self.context:
            out.append(("subject.context", "context", self.context))
        if self.status:
            out.append(("subject.status", "status", self.status))
        out += [(f"subject.on_open[{i}]", "opened", k) for i, k in enumerate(self.on_open)]
        for i, d in enumerate(self.documents):
            out.append((f"subject.documents[{i}].data", "document", d.data))
            out += [
                (f"subject.documents[{i}].gates[{j}]", "gate", g) for j, g in enumerate(d.gates)
            ]
        return out

    def document(self, key: str) -> DocumentDef:
        for d in self.documents:
            if d.key == key:
                return d
        raise KeyError(key)


class CycleTemplate(Frozen):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    ladder: LadderDef
    subject: SubjectDef = SubjectDef()
    stages: tuple[StageDef, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CycleTemplate:
        stage_keys = [s.key for s in self.stages]
        if len(set(stage_keys)) != len(stage_keys):
            raise ValueError(bilingual("stage keys must be unique", "stegnycklar måste vara unika"))
        task_keys = [t.key for s in self.stages for t in s.tasks]
        if len(set(task_keys)) != len(task_keys):
            raise ValueError(
                bilingual("task keys must be unique", "uppgiftsnycklar måste vara unika")
            )
        items = self.subject.items
        per_item = [t.key for s in self.stages for t in s.tasks if t.per_item]
        if per_item != ([items.task] if items else []):
            raise ValueError(
                bilingual(
                    "subject.items.task must name the one per_item task (and only a case "
                    "with items has one)",
                    "subject.items.task ska ange den enda uppgiften med per_item",
                )
            )
        by_subject = [t.key for s in self.stages for t in s.tasks if t.when or t.due.subject_field]
        if by_subject and not self.subject.is_case():
            raise ValueError(
                bilingual(
                    f"tasks {by_subject}: when and due.subject_field need a case subject",
                    f"uppgifterna {by_subject}: when och due.subject_field kräver ett ärende",
                )
            )
        for i, stage in enumerate(self.stages):
            back = stage.on_reject_back_to
            if back is not None and back not in stage_keys[:i]:
                raise ValueError(
                    bilingual(
                        f"stages[{i}].on_reject_back_to must name an earlier stage",
                        f"stages[{i}].on_reject_back_to måste vara ett tidigare steg",
                    )
                )
        return self

    # --- lookups -----------------------------------------------------------------------
    def stage(self, key: str) -> StageDef:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)

    def task(self, key: str) -> TaskDef:
        for s in self.stages:
            for t in s.tasks:
                if t.key == key:
                    return t
        raise KeyError(key)

    def ladder_for(self, task_key: str) -> Ladder:
        t = self.task(task_key)
        return (t.ladder or self.ladder).ladder()

    def earlier_deadline(self, stage_key: str, year: int) -> datetime | None:
        """The latest calendar deadline of the stages before ``stage_key`` in ``year``'s
        cycle: a deadline counted in days after a stage opens never falls before it (a
        plan drawn up early does not make its approval due before the plan itself)."""
        keys = [s.key for s in self.stages]
        dates = [
            t.due.due_at(year, datetime.min.replace(tzinfo=UTC))  # a date: no start needed
            for st in self.stages[: keys.index(stage_key)]
            for t in st.tasks
            if t.due.date is not None
        ]
        return max(dates, default=None)

    def due_at(
        self,
        stage_key: str,
        due: DueRule,
        year: int,
        stage_started: datetime,
        measure_dates: dict[str, _date] | None = None,
    ) -> datetime:
        """When a task of ``stage_key`` is due (:meth:`DueRule.due_at`, a deadline in days
        after the stage opens kept no earlier than :meth:`earlier_deadline`)."""
        at = due.due_at(year, stage_started, measure_dates)
        if due.days_after_start is None:
            return at
        floor = self.earlier_deadline(stage_key, year)
        return max(at, floor) if floor is not None else at

    def next_stage(self, key: str) -> StageDef | None:
        keys = [s.key for s in self.stages]
        i = keys.index(key)
        return self.stages[i + 1] if i + 1 < len(keys) else None

    def roles_needed(self) -> set[str]:
        """Role expressions the cycle routes to (checked before a unit is started)."""
        out = {
            t.role
            for s in self.stages
            for t in s.tasks
            if t.role != MEASURE_RESPONSIBLE and not t.per_item
        }
        return out | {s.sign_off for s in self.stages}

    def subject_fields(self) -> list[tuple[str, str]]:
        """(path, subject field) each task names: its ``when`` and ``due.subject_field``."""
        out = []
        for i, st in enumerate(self.stages):
            for j, t in enumerate(st.tasks):
                if t.when:
                    out.append((f"stages[{i}].tasks[{j}].when", t.when))
                if t.due.subject_field:
                    out.append((f"stages[{i}].tasks[{j}].due.subject_field", t.due.subject_field))
        return out

    def hook_keys(self) -> list[tuple[str, str, str]]:
        """(field path, kind of hook, key) of every named effect, gate, document and
        context hook the template names (checked against the registry when it is loaded)."""
        out = [
            (f"stages[{i}].tasks[{j}].effects[{k}]", "effect", key)
            for i, st in enumerate(self.stages)
            for j, t in enumerate(st.tasks)
            for k, key in enumerate(t.effects)
        ]
        out += [
            (f"stages[{i}].tasks[{j}].due.hook", "due", t.due.hook)
            for i, st in enumerate(self.stages)
            for j, t in enumerate(st.tasks)
            if t.due.hook is not None
        ]
        return out + self.subject.hook_keys()


class _NoYesNoLoader(yaml.SafeLoader):
    """SafeLoader that treats only true/false as booleans (not yes/no/on/off), and takes no
    alias: ``*a`` repeats what ``&a`` names without copying it, so nine lines of them
    name a thousand million texts that every later walk (validation, the control-character
    check) would visit one by one. No template or case file needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name) is not accepted here; write the value out", mark
            )
        return super().compose_node(parent, index)


_NoYesNoLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_NoYesNoLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_NoYesNoLoader)


def parse_template(text: str, source: str = "template") -> CycleTemplate:
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise TemplateInvalid(
            [FieldError(where, f"not valid YAML: {exc}", f"inte giltig YAML: {exc}")],
            context=source,
        ) from None
    if not isinstance(doc, dict):
        raise TemplateInvalid(
            [FieldError("", "a template is a mapping", "en mall är en mappning")], context=source
        )
    try:
        return CycleTemplate.model_validate(doc)
    except ValidationError as exc:
        raise TemplateInvalid(field_errors(exc), context=source) from None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
