"""Named hooks of processes, by key: what a template may name beyond its stages and tasks.

A template is data; where a process needs code, it names a hook by key and the key is
looked up here. Thirteen kinds, each a small function with a docstring saying why:

=========  ===================================================  =============================
kind       signature                                            when
=========  ===================================================  =============================
check      (subject form, today) -> [FieldError]                before a case opens
item_due   (settings, subject form, item dict, today) -> date   an item names no due date
effect     (tx, actor, task, form) -> audit extras              after a task completes
gate       (session, case view, subject def) -> [Unmet]         before a document is recorded
document   (session, case view, base content) -> content        drawing up a document
context    (session, task, case, item) -> {name: value}         a task's page, beside its form
opened     (tx, actor, case, subject form) -> audit extras      a case opens (same transaction)
status     (session, case view, now) -> {name: value}           a case's lists and its page
form_check (tx, actor, task, form, on behalf) -> None           a task of that form completes,
                                                                before anything is written
form_done  (tx, actor, task, form, completion) -> audit extras  a task of that form completed
returned   (tx, actor, task, from address, to address) -> notes a task was returned upwards
sweep      (app) -> {name: count}                               every sweep, before its tasks
due        (tx, cycle id, task key) -> date                     a task whose ``due`` names the
                                                                hook is made (its due day)
=========  ===================================================  =============================

``check`` … ``status`` and ``due`` are named by a template; ``form_check`` and ``form_done`` are
keyed by a form, ``<form key>`` or ``<form key>:<name>`` (what completing *that form* does in
any process: the annual cycle's risk assessment records its risks and sends a manager's own
risk to the manager above, its action plan writes the plan); ``returned`` hooks all run on
every return; ``sweep`` steps all run at the start of every sweep. So the workflow
machinery calls into plans only through this registry.

The keys are registered in one place, ``engine.catalog``; a template
naming a key that is not there is refused when it is loaded, with the field's path. The
catalog imports the hooks, and hooks may use any use case, so it is imported by name on
first use (``registry()``), not at the top of this module: no import circle, and every
template is checked against the whole catalog.
Stage gates (pure rules over a stage's facts) are in ``engine.domain.workflow.gates``.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models import Task
from engine.db.models.workflow.process import CaseItem, ProcessCase
from engine.db.queries import TaskRef
from engine.domain.errors import FieldError, Unmet
from engine.domain.workflow.routing import Address
from engine.domain.workflow.template import CycleTemplate, SubjectDef
from engine.settings import Settings
from engine.workflow.process.views import CaseView
from forms.schemas.base import Form
from forms.schemas.registry import FORMS

Check = Callable[[Form, date], list[FieldError]]
ItemDue = Callable[[Settings, Form, dict[str, Any], date], date]
Effect = Callable[[Tx, Actor, TaskRef, Form], dict[str, Any]]
CaseGate = Callable[[Session, CaseView, SubjectDef], list[Unmet]]
Document = Callable[[Session, CaseView, dict[str, Any]], dict[str, Any]]
Context = Callable[[Session, Task, ProcessCase, CaseItem | None], dict[str, Any]]
Opened = Callable[[Tx, Actor, ProcessCase, Form], dict[str, Any]]
Status = Callable[[Session, CaseView, datetime], dict[str, Any]]


@dataclass
class Completion:
    """What a completed task's form hooks get beside the task: its template, for whom it
    was done, and the notes they leave for the person (in English, shown by the doors)."""

    app: App
    template: CycleTemplate
    on_behalf: int | None
    notes: list[str] = field(default_factory=list)


FormCheck = Callable[[Tx, Actor, TaskRef, Form, int | None], None]
FormDone = Callable[[Tx, Actor, TaskRef, Form, Completion], dict[str, Any]]
Returned = Callable[[Tx, Actor, TaskRef, Address | None, Address], list[str]]
#: A sweep step: opens the cases that are due by date (a yearly review, a training about
#: to lapse), each in its own transaction; returns what it did, counted.
SweepStep = Callable[[App], dict[str, int]]
#: A task's due day from the process's own data (a plan's first review at its rhythm).
Due = Callable[[Tx, int, str], date]
KINDS = (
    "check",
    "item_due",
    "effect",
    "gate",
    "document",
    "context",
    "opened",
    "status",
    "form_check",
    "form_done",
    "returned",
    "sweep",
    "due",
)


@dataclass
class Registry:
    hooks: dict[str, dict[str, Callable[..., Any]]] = field(
        default_factory=lambda: {k: {} for k in KINDS}
    )

    def add(self, kind: str, key: str, fn: Callable[..., Any]) -> None:
        """Register a hook; a key is registered once (two processes cannot share a key
        by accident)."""
        if kind not in self.hooks:
            raise ValueError(f"unknown kind of hook {kind!r} (known: {', '.join(KINDS)})")
        if key in self.hooks[kind]:
            raise ValueError(f"{kind} {key!r} is already registered")
        self.hooks[kind][key] = fn

    def get(self, kind: str, key: str) -> Callable[..., Any]:
        return self.hooks[kind][key]

    def check(self, key: str) -> Check:
        return typing.cast(Check, self.hooks["check"][key])

    def item_due(self, key: str) -> ItemDue:
        return typing.cast(ItemDue, self.hooks["item_due"][key])

    def effect(self, key: str) -> Effect:
        return typing.cast(Effect, self.hooks["effect"][key])

    def gate(self, key: str) -> CaseGate:
        return typing.cast(CaseGate, self.hooks["gate"][key])

    def document(self, key: str) -> Document:
        return typing.cast(Document, self.hooks["document"][key])

    def context(self, key: str) -> Context:
        return typing.cast(Context, self.hooks["context"][key])

    def opened(self, key: str) -> Opened:
        return typing.cast(Opened, self.hooks["opened"][key])

    def status(self, key: str) -> Status:
        return typing.cast(Status, self.hooks["status"][key])

    def due(self, key: str) -> Due:
        return typing.cast(Due, self.hooks["due"][key])

    def form_checks(self, form_key: str) -> list[FormCheck]:
        """Checks registered for a form, in the order registered (``key`` = form key, or
        ``form key:name`` for a second one)."""
        return [typing.cast(FormCheck, fn) for fn in self._of_form("form_check", form_key)]

    def form_done(self, form_key: str) -> list[FormDone]:
        return [typing.cast(FormDone, fn) for fn in self._of_form("form_done", form_key)]

    def _of_form(self, kind: str, form_key: str) -> list[Callable[..., Any]]:
        return [fn for key, fn in self.hooks[kind].items() if key.split(":", 1)[0] == form_key]

    def returned(self) -> list[Returned]:
        return [typing.cast(Returned, fn) for fn in self.hooks["returned"].values()]

    def sweep_steps(self) -> dict[str, SweepStep]:
        return {k: typing.cast(SweepStep, f) for k, f in sorted(self.hooks["sweep"].items())}

    def errors(self, template: CycleTemplate) -> list[FieldError]:
        """Every named hook the template uses that is not registered, and every subject
        field its form does not have: one error per field path."""
        out = [
            FieldError(
                path,
                f"unknown {kind} {key!r} (known: {', '.join(sorted(self.hooks[kind])) or '-'})",
                f"okänd {kind} {key!r}",
            )
            for path, kind, key in template.hook_keys()
            if key not in self.hooks[kind]
        ]
        return out + subject_errors(template.subject) + task_field_errors(template)


def task_field_errors(template: CycleTemplate) -> list[FieldError]:
    """The subject fields tasks name (``when``, ``due.subject_field``) are in its form."""
    model = FORMS.get(template.subject.form or "")
    if model is None:
        return []
    return [_no_field(p, f) for p, f in template.subject_fields() if f not in model.model_fields]


CATALOG = "engine.catalog"
REGISTRY = Registry()
_loading: list[bool] = []


def registry() -> Registry:
    """The registry with the catalog's hooks in it."""
    if not _loading:
        _loading.append(True)
        importlib.import_module(CATALOG)
    return REGISTRY


def subject_errors(subject: SubjectDef) -> list[FieldError]:
    """The subject's form exists, and has the fields the subject names."""
    if subject.form is None:
        return []
    model = FORMS.get(subject.form)
    if model is None:
        known = ", ".join(sorted(FORMS))
        return [
            FieldError(
                "subject.form",
                f"unknown form {subject.form!r} (known: {known})",
                f"okänt formulär {subject.form!r}",
            )
        ]
    out = _missing(model, subject.field_names(), "subject")
    items = subject.items
    if items is not None:
        inner = _item_model(model, items.field)
        if inner is None:
            return [*out, _no_field("subject.items.field", items.field, "a list of entries")]
        named = [("text", items.text)] + [
            (k, v) for k, v in (("units", items.units), ("due", items.due)) if v
        ]
        out += _missing(inner, named, "subject.items")
        out += _missing(
            inner, [(f"csv_headers.{k}", v) for k, v in items.csv_headers.items()], "subject.items"
        )
        add = items.additions
        if add is not None:
            added = FORMS.get(add.form)
            if added is None:
                return [*out, _no_field("subject.items.additions.form", add.form, "a form")]
            named = [(f"audit[{i}]", f) for i, f in enumerate(add.audit)]
            out += _missing(added, named, "subject.items.additions")
            if _item_model(added, add.field) is None:
                out.append(_no_field("subject.items.additions.field", add.field, "a list"))
    return out


def _missing(model: type[BaseModel], named: list[tuple[str, str]], prefix: str) -> list[FieldError]:
    return [_no_field(f"{prefix}.{p}", f) for p, f in named if f not in model.model_fields]


def _no_field(path: str, name: str, what: str = "a field") -> FieldError:
    return FieldError(
        path, f"the form has no {name!r} ({what})", f"formuläret har inget fält {name!r}"
    )


def _item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    info = model.model_fields.get(name)
    if info is None or typing.get_origin(info.annotation) is not list:
        return None
    (inner,) = typing.get_args(info.annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
