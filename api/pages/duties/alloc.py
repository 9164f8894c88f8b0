"""Pages: task allocation (uppgiftsfördelning). Your allocations (accept and sign, or return
naming what is lacking; return one of its tasks), those you made and the returns waiting for
your decision; a new allocation to the manager of a unit below you (the board's, recorded by
HR, for the top); one allocation with its signed text, returns and outcomes, and the ones it
superseded; the chain from the board to every first-line manager, printable and as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.downloads import document
from api.errors import problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.alloc import allocations, returns
from engine.domain.errors import InvalidInput, SamflowError
from forms.exports import case_docs
from forms.labels import words

router = APIRouter()
WORDS = {k: words(k) for k in ("alloc_state", "alloc_lacking", "alloc_outcome")}


def _ctx() -> dict[str, Any]:
    return {"words": WORDS, "catalogue": allocations.catalogue()}


@router.get("/allocations")
def allocations_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _list(request, engine, user)


def _list(
    request: Request, engine: Engine, user: Principal, exc: SamflowError | None = None
) -> Response:
    prob = problem(exc, lang_of(request)) if exc else None
    found = allocations.list_mine(engine, user.actor)
    return render(
        request,
        "allocations.html",
        status=int(prob["status"]) if prob else 200,
        mine=found["mine"],
        made=found["made"],
        units=allocations.allocatable(engine, user.actor),
        problem=prob,
        **_ctx(),
    )


@router.get("/allocations/new")
def new_page(request: Request, engine: Engine, user: PageUser, unit: str = "") -> Response:
    return _new(request, engine, user, unit[:64])


def _new(
    request: Request,
    engine: Engine,
    user: Principal,
    code: str,
    exc: SamflowError | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    units = allocations.allocatable(engine, user.actor)
    chosen = next((u for u in units if u.code == code), None)
    if chosen is None:
        return _list(
            request, engine, user,
            exc or InvalidInput.field("unit", "choose a unit you allocate to",
                                      "välj en enhet du fördelar till"),
        )  # fmt: skip
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "allocation_new.html",
        status=int(prob["status"]) if prob else 200,
        unit=chosen,
        posted=posted or {},
        board_default=engine.settings.allocation_board,
        problem=prob,
        **_ctx(),
    )


@router.post("/allocations")
def offer(request: Request, engine: Engine, posted: PostedForm) -> Response:
    form = {k: posted.get(k) for k in posted.form}
    code = posted.get("unit")
    items = [
        {
            "key": key,
            "authority": posted.get(f"{key}.authority"),
            "resources": posted.get(f"{key}.resources"),
            "knowledge": posted.get(f"{key}.knowledge"),
        }
        for key in allocations.catalogue()
        if posted.get(f"{key}.on")
    ]
    data = {
        "unit": code,
        "items": items,
        **{f: posted.get(f) for f in ("manager", "substitute", "board", "board_decision", "note")},
    }
    try:
        new = allocations.offer(engine, posted.principal.actor, allocations.offer_from(data))
    except SamflowError as exc:
        return _new(request, engine, posted.principal, code, exc, form)
    return redirect(f"/allocations/{new.id}", done="allocation_offered")


@router.get("/allocations/chain")
def chain_page(request: Request, engine: Engine, user: PageUser) -> Response:
    found = allocations.show_chain(engine, user.actor)
    return render(request, "allocation_chain.html", chain=found, **_ctx())


@router.get("/allocations/chain.{fmt}")
def chain_export(request: Request, engine: Engine, user: PageUser, fmt: str) -> Response:
    """The chain to print (PDF with its data attached, HTML) or as CSV or XLSX."""
    if fmt not in ("pdf", "html", "csv", "xlsx"):
        raise InvalidInput.field("format", "pdf, html, csv or xlsx", "pdf, html, csv eller xlsx")
    found = allocations.show_chain(engine, user.actor)
    lang = lang_of(request)
    if fmt == "csv":
        return document(allocations.chain_csv(found, lang), "csv", "fordelning.csv", download=True)
    if fmt == "xlsx":
        sheet = allocations.chain_xlsx(found, lang)
        return document(sheet, "xlsx", "fordelning.xlsx", download=True)
    doc = allocations.chain_document(found, engine.clock.now())
    tpl, title = allocations.CHAIN_TEMPLATE, allocations.CHAIN_TITLE
    content = case_docs.pdf(doc, tpl, title, lang) if fmt == "pdf" else case_docs.html(
        doc, tpl, title, lang)  # fmt: skip
    return document(content, fmt, f"fordelning.{fmt}", download=False)


@router.get("/allocations/{allocation_id}")
def allocation_page(
    request: Request, engine: Engine, user: PageUser, allocation_id: Id
) -> Response:
    return _one(request, engine, user, allocation_id)


def _one(
    request: Request,
    engine: Engine,
    user: Principal,
    allocation_id: int,
    exc: SamflowError | None = None,
) -> Response:
    view = allocations.show(engine, user.actor, allocation_id)
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "allocation.html",
        status=int(prob["status"]) if prob else 200,
        a=view,
        problem=prob,
        **_ctx(),
    )


def _act(
    request: Request, engine: Engine, posted: PostedForm, allocation_id: int, work: Any, done: str
) -> Response:
    allocations.show(engine, posted.principal.actor, allocation_id)  # 404 first
    try:
        work()
    except SamflowError as exc:
        return _one(request, engine, posted.principal, allocation_id, exc)
    return redirect(f"/allocations/{allocation_id}", done=done)


def _lacking(posted: PostedForm) -> list[str]:
    return [k for k in ("authority", "resources", "knowledge") if posted.get(f"lacking.{k}")]


@router.post("/allocations/{allocation_id}/accept")
def accept(request: Request, engine: Engine, posted: PostedForm, allocation_id: Id) -> Response:
    actor = posted.principal.actor
    return _act(
        request, engine, posted, allocation_id,
        lambda: allocations.accept(engine, actor, allocation_id), "allocation_accepted",
    )  # fmt: skip


@router.post("/allocations/{allocation_id}/return")
def return_offer(
    request: Request, engine: Engine, posted: PostedForm, allocation_id: Id
) -> Response:
    actor, reason, lacking = posted.principal.actor, posted.get("reason"), _lacking(posted)
    return _act(
        request, engine, posted, allocation_id,
        lambda: allocations.return_offer(engine, actor, allocation_id, lacking, reason),
        "allocation_returned",
    )  # fmt: skip


@router.post("/allocations/{allocation_id}/items/return")
def return_item(
    request: Request, engine: Engine, posted: PostedForm, allocation_id: Id
) -> Response:
    actor, reason, lacking = posted.principal.actor, posted.get("reason"), _lacking(posted)
    key = posted.get("item")
    return _act(
        request, engine, posted, allocation_id,
        lambda: returns.return_item(engine, actor, allocation_id, key, lacking, reason),
        "task_returned",
    )  # fmt: skip


@router.post("/allocations/{allocation_id}/returns/{return_id}/decide")
def decide(
    request: Request, engine: Engine, posted: PostedForm, allocation_id: Id, return_id: Id
) -> Response:
    actor = posted.principal.actor
    return _act(
        request, engine, posted, allocation_id,
        lambda: returns.decide(engine, actor, return_id, posted.get("outcome"),
                               posted.get("note"), posted.get("to")),
        "return_decided",
    )  # fmt: skip
