"""Pages: inspections by Arbetsmiljöverket. The list with how far each has come;
registering one (a form with a row per requirement, or a YAML/JSON/CSV file); one
inspection with each requirement and who holds it; the reply, previewed and downloaded."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.downloads import read_upload
from api.errors import field_messages, problem
from api.rendering import redirect, render
from api.routers.duties.inspections import detail, register_upload, reply_document
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, SamflowError
from engine.inspections import cases as inspections
from engine.views.oversight import unit_choices
from forms.i18n import N_, tr

router = APIRouter()
HEAD = ("unit", "inspected_on", "reply_by", "reference", "inspector", "note")
MAX_ROWS = 100
ROW = re.compile(r"^requirements\[(\d{1,3})\]\.(text|units|due)$")


@router.get("/inspections")
def inspections_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _page(request, engine, user)


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    form: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    prob = problem(exc, lang) if exc else None
    for e in prob["errors"] if prob else []:
        e["anchor"], e["label"] = _where(e["path"], lang)
    return render(
        request,
        "inspections.html",
        status=int(prob["status"]) if prob else 200,
        rows=inspections.list_inspections(engine, user.actor),
        admin_units=unit_choices(engine, user.actor, admin_only=True),
        form=form or {"requirements": [{}, {}]},
        errors=_errors(exc, lang),
        problem=prob,
    )


@router.post("/inspections")
def register(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Register from the form; "add a requirement" is a submit button of its own."""
    form = _form(posted)
    if posted.get("_action") == "add":
        form["requirements"].append({})
        return _page(request, engine, posted.principal, form)
    form["requirements"] = [r for r in form["requirements"] if _filled(r)] or [{}]
    try:
        reg = inspections.parse_registration(_registration(form))
        out = inspections.register(engine, posted.principal.actor, reg)
    except SamflowError as exc:
        return _page(request, engine, posted.principal, form, exc)
    return redirect(f"/inspections/{out.inspection_id}", done="inspection_registered")


@router.post("/inspections/file")
def register_file(request: Request, engine: Engine, posted: PostedForm) -> Response:
    form = _form(posted)
    try:
        name, content = read_upload(posted.form.get("file"), engine.settings.max_upload_bytes)
        overrides = {k: form[k] for k in HEAD if form[k]}
        out = register_upload(engine, posted.principal.actor, name, content, overrides)
    except SamflowError as exc:
        return _page(request, engine, posted.principal, form, exc)
    return redirect(f"/inspections/{out.inspection_id}", done="inspection_registered")


def _form(posted: PostedForm) -> dict[str, Any]:
    """The posted fields as the form shows them again (rows in order)."""
    form: dict[str, Any] = {k: posted.get(k).strip() for k in HEAD}
    rows: dict[int, dict[str, str]] = {}
    for key, value in posted.form.multi_items():
        match = ROW.match(key)
        if match and isinstance(value, str) and int(match.group(1)) < MAX_ROWS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    form["requirements"] = [rows[i] for i in sorted(rows)] or [{}]
    return form


def _registration(form: dict[str, Any]) -> dict[str, Any]:
    """What the use case reads: empty fields left out (so "missing" is said of them),
    blank requirement rows dropped, unit codes split on spaces and commas."""
    out: dict[str, Any] = {k: form[k] for k in HEAD if form[k]}
    out["requirements"] = [
        {
            "text": r.get("text", ""),
            "units": [u for u in re.split(r"[\s,;|]+", r.get("units", "")) if u],
            **({"due": r["due"]} if r.get("due") else {}),
        }
        for r in form["requirements"]
        if _filled(r)
    ]
    return out


LABELS = {
    "unit": N_("Inspekterad enhet"),
    "inspected_on": N_("Inspektionsdatum"),
    "reply_by": N_("Svar senast"),
    "reference": N_("Diarienummer"),
    "inspector": N_("Inspektör"),
    "note": N_("Anteckning"),
    "requirements": N_("Krav"),
    "file": N_("Fil"),
    "text": N_("kravet"),
    "units": N_("ansvariga enheter"),
    "due": N_("klart senast"),
}
FIELD = re.compile(r"^requirements\[(\d+)\]\.(text|units|due)")


def _where(path: str, lang: str) -> tuple[str, str]:
    """(the id of the field an error is about, its label), for the summary's links."""
    if m := FIELD.match(path):
        n, name = int(m.group(1)), m.group(2)
        words = tr(lang, "Krav %(n)s, %(field)s", n=n + 1, field=tr(lang, LABELS[name]))
        return f"req-{n}-{name}", words
    if path in LABELS:
        where = "req-0-text" if path == "requirements" else f"insp-{path}"
        return where, tr(lang, LABELS[path])
    return "", ""


def _filled(row: dict[str, str]) -> bool:
    return any(row.get(k) for k in ("text", "units", "due"))


def _errors(exc: SamflowError | None, lang: str) -> dict[str, str]:
    """Messages by field; one about a requirement's n-th unit goes beside its units."""
    if not isinstance(exc, InvalidInput):
        return {}
    out = field_messages(exc, lang)
    for path, message in list(out.items()):
        if m := re.match(r"^(requirements\[\d+\]\.units)\[\d+\]$", path):
            out.setdefault(m.group(1), message)
    return out


@router.get("/inspections/{inspection_id}")
def inspection_page(
    request: Request, engine: Engine, user: PageUser, inspection_id: Id
) -> Response:
    return _inspection(request, engine, user, inspection_id)


def _inspection(
    request: Request,
    engine: Engine,
    user: Principal,
    inspection_id: int,
    exc: SamflowError | None = None,
) -> Response:
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "inspection.html",
        status=int(prob["status"]) if prob else 200,
        i=detail(engine, user.actor, inspection_id),
        problem=prob,
    )


@router.get("/inspections/{inspection_id}/reply")
def preview(
    engine: Engine, user: PageUser, inspection_id: Id, format: str = "pdf", lang: str = "sv"
) -> Response:
    """The reply so far, as a file (nothing recorded)."""
    draft = inspections.preview_reply(engine, user.actor, inspection_id)
    fmt = format if format in ("pdf", "html") else "pdf"
    return reply_document(draft, _lang(lang), fmt, download=True, preview=True)


@router.post("/inspections/{inspection_id}/reply")
def draft(request: Request, engine: Engine, posted: PostedForm, inspection_id: Id) -> Response:
    """Draw up the reply (recorded with its digest) and download it; while a requirement
    is open, the page says which."""
    fmt = posted.get("format") if posted.get("format") in ("pdf", "html") else "pdf"
    try:
        d = inspections.draft_reply(engine, posted.principal.actor, inspection_id)
    except SamflowError as exc:
        if exc.category in ("not_found", "forbidden"):
            raise
        return _inspection(request, engine, posted.principal, inspection_id, exc)
    return reply_document(d, _lang(posted.get("lang")), fmt, download=True, preview=False)


def _lang(text: str) -> str:
    return "en" if text == "en" else "sv"
