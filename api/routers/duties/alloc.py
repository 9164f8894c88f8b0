"""API: task allocation (uppgiftsfördelning, AFS 2023:1 9 §). The manager above offers a
unit's manager a written allocation (the board, recorded by HR, the top manager); the
manager accepts and signs it or returns it naming what is lacking; a return of an
allocated task goes to the allocator, who decides; the chain from the board to every
first-line manager, as JSON, CSV, PDF or HTML. What a person may not see answers 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import content_doc, document
from api.schemas import reply
from api.schemas.alloc import (
    AllocationOut,
    AnsweredOut,
    AnswerIn,
    ChainOut,
    ChainRowOut,
    DecidedOut,
    DecideIn,
    MineOut,
    OfferedOut,
    OfferIn,
    ReturnedOut,
    SamTaskOut,
    SyncIn,
    SyncOut,
)
from api.schemas.docs import DocLang
from engine.alloc import allocations, holds, returns
from forms.exports import case_docs

router = APIRouter(tags=["task allocation"])
Key = Annotated[str, Path(min_length=1, max_length=64)]
Root = Annotated[str, Query(max_length=64)]
CHAIN_DOC = content_doc("json", "csv", "xlsx", "pdf", "html")


@router.get("/allocations/tasks", response_model=list[SamTaskOut])
def sam_tasks(user: ApiUser) -> Response:
    """The SAM tasks an allocation may name, and the process tasks that are cases of each."""
    return reply(
        [SamTaskOut(key=t.key, sv=t.sv, en=t.en, covers=list(t.covers))
         for t in allocations.catalogue().values()]
    )  # fmt: skip


@router.get("/allocations", response_model=MineOut)
def mine(user: ApiUser, engine: Engine) -> Response:
    """Allocations offered to you, and those you made (not superseded)."""
    found = allocations.list_mine(engine, user.actor)
    return reply(
        MineOut(
            mine=[AllocationOut.model_validate(v) for v in found["mine"]],
            made=[AllocationOut.model_validate(v) for v in found["made"]],
        )
    )


@router.post("/allocations", response_model=OfferedOut, status_code=201)
def offer(body: OfferIn, user: ApiUser, engine: Engine) -> Response:
    """Offer a unit's manager a written allocation (the manager above; for the top unit HR
    or a director records the board's decision). The unit's earlier one is superseded."""
    data = allocations.offer_from(body.model_dump())
    out = allocations.offer(engine, user.actor, data)
    return reply(OfferedOut(id=out.id, superseded=list(out.superseded), held=out.held), 201)


@router.get("/allocations/chain", response_model=ChainOut, responses=CHAIN_DOC)
def chain(
    user: ApiUser,
    engine: Engine,
    root: Root = "",
    format: Literal["json", "csv", "xlsx", "pdf", "html"] = "json",
    lang: DocLang = "sv",
) -> Response:
    """The chain from the board down to every first-line manager, of the units you oversee."""
    found = allocations.show_chain(engine, user.actor, root or None)
    if format == "csv":
        return document(allocations.chain_csv(found, lang), "csv", "fordelning.csv", download=True)
    if format == "xlsx":
        sheet = allocations.chain_xlsx(found, lang)
        return document(sheet, "xlsx", "fordelning.xlsx", download=True)
    if format in ("pdf", "html"):
        doc = allocations.chain_document(found, engine.clock.now())
        tpl, title = allocations.CHAIN_TEMPLATE, allocations.CHAIN_TITLE
        content = (
            case_docs.pdf(doc, tpl, title, lang)
            if format == "pdf"
            else case_docs.html(doc, tpl, title, lang)
        )
        return document(content, format, f"fordelning.{format}", download=False)
    rows = [ChainRowOut.model_validate(r) for r in found.rows]
    return reply(ChainOut(board=found.board, rows=rows))


@router.post("/allocations/sync", response_model=SyncOut)
def sync(body: SyncIn, user: ApiUser, engine: Engine) -> Response:
    """HR: hold the open tasks of new managers without an accepted allocation with the
    manager above (after an organisation change)."""
    return reply(SyncOut(held=holds.sync(engine, user.actor, body.root or None)))


@router.get("/allocations/{allocation_id}", response_model=AllocationOut)
def show(allocation_id: Id, user: ApiUser, engine: Engine) -> Response:
    """One allocation: its signed text, both signatures, its returns and their outcome."""
    return reply(AllocationOut.model_validate(allocations.show(engine, user.actor, allocation_id)))


@router.post("/allocations/{allocation_id}/accept", response_model=AnsweredOut)
def accept(allocation_id: Id, user: ApiUser, engine: Engine) -> Response:
    """The manager accepts and signs it; tasks held for them come to them."""
    out = allocations.accept(engine, user.actor, allocation_id)
    return reply(AnsweredOut(id=out.id, state=out.state, released=out.released))


@router.post("/allocations/{allocation_id}/return", response_model=AnsweredOut)
def return_offer(allocation_id: Id, body: AnswerIn, user: ApiUser, engine: Engine) -> Response:
    """The manager returns the offered allocation, naming what is lacking."""
    out = allocations.return_offer(engine, user.actor, allocation_id, body.lacking, body.reason)
    return reply(AnsweredOut(id=out.id, state=out.state))


@router.post("/allocations/{allocation_id}/items/{key}/return", response_model=ReturnedOut)
def return_item(
    allocation_id: Id, key: Key, body: AnswerIn, user: ApiUser, engine: Engine
) -> Response:
    """Return an allocated task: its open cases go to the allocator with the reason."""
    out = returns.return_item(engine, user.actor, allocation_id, key, body.lacking, body.reason)
    return reply(_returned(out))


@router.post("/allocations/returns/{return_id}/decide", response_model=DecidedOut)
def decide(return_id: Id, body: DecideIn, user: ApiUser, engine: Engine) -> Response:
    """The allocator decides a return: resources given, taken back, or allocated elsewhere."""
    out = returns.decide(engine, user.actor, return_id, body.outcome, body.note, body.to)
    return reply(DecidedOut(return_id=out.return_id, outcome=out.outcome, moved=out.moved))


def _returned(out: returns.ReturnedOut) -> ReturnedOut:
    return ReturnedOut(
        return_id=out.return_id,
        allocation_id=out.allocation_id,
        tasks=[(a, b) for a, b in out.tasks],
        notes=list(out.notes),
    )
