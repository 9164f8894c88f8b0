"""Checking an evidence package handed out earlier against the database.

The package's own basis (scope, year, time, audit chain positions) is used to build it
again; the two are compared record by record, and each difference is traced to the audit
events recorded since that explain it, or reported as made without any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.audit.checkpoint import Said
from engine.context import Actor, App
from engine.domain.errors import InvalidInput
from engine.domain.evidence import Difference, LaterEvent, attribute, diff, digest, normalised
from engine.evidence import anchor as audit_checkpoint_package
from engine.evidence.package import FORMATS, KIND, Scope, build
from engine.workflow.process import cases as processes
from forms.exports import documents

#: Kinds of record that audit events name as their subject (``measure:12``); a difference
#: in anything else (a row of a measure's history, a plan item) is traced to the nearest
#: of these around it.
AUDITED = frozenset(
    {"cycle", "stage", "task", "risk", "measure", "inspection", "unit", "person", "substitute"}
    | {"body", "meeting", "agenda_item"}  # cooperation (engine.coop)
    | {"policy_document", "policy_version", "training_record"}  # engine.policy
    | {"allocation", "allocation_return"}  # task allocation (engine.alloc)
    | {"safety_round", "round_finding"}  # safety rounds (engine.rounds)
)


@dataclass
class VerifyReport:
    #: The file is intact, the database gives the same data (and digest), the chains hold.
    matches: bool
    file_intact: bool  # the digest in the file is that of the data in the file
    recorded: str
    current: str
    basis: dict[str, Any]
    differences: list[Difference]
    total: int
    later: list[LaterEvent]
    broken_chains: list[dict[str, Any]]
    #: What the package's signed checkpoint shows (events removed or recomputed, a forged
    #: or missing checkpoint), and what could not be checked about it.
    anchor: list[Said] = field(default_factory=list)
    anchor_notes: list[Said] = field(default_factory=list)


def read_package(app: App, content: bytes) -> dict[str, Any]:
    """The data a package (PDF or HTML, made here) carries, or InvalidInput naming why
    there is none to compare: no samflow data in it, or more than
    ``SAMFLOW_MAX_VERIFY_DATA_BYTES`` once unpacked (stopped while unpacking)."""
    limit = app.settings.max_verify_data_bytes
    try:
        doc = documents.read_embedded(content, limit)
    except documents.EmbeddedTooLarge:
        size = f"{limit // 1_000_000} MB"
        raise InvalidInput.field(
            "file",
            f"the package's data unpacks to more than {size} "
            "(SAMFLOW_MAX_VERIFY_DATA_BYTES): verify a smaller part of the organisation",
            f"paketets data packas upp till mer än {size} "
            "(SAMFLOW_MAX_VERIFY_DATA_BYTES): kontrollera en mindre del av organisationen",
        ) from None
    if doc is None:
        raise InvalidInput.field(
            "file",
            "the file carries no samflow evidence data (an HTML or PDF package made by samflow)",
            "filen innehåller inga underlagsdata från samflow (ett HTML- eller PDF-paket "
            "gjort av samflow)",
        )
    return doc


def verify(app: App, actor: Actor, document: dict[str, Any]) -> VerifyReport:
    """Does a package handed out earlier still match the database? Names what differs."""
    data, recorded = _checked(document)
    basis = data["basis"]
    scope = Scope(basis["scope"], basis["code"], int(basis["year"]))
    now = build(app, actor, scope, basis=basis, fmt=int(document["format"]))
    differences, total = diff(normalised(data), normalised(now.data))
    audited = AUDITED | {x.kind for x in processes.evidence_subjects()}  # + case kinds
    differences = attribute(differences, now.later, now.chain_of, audited)
    broken = [c for c in now.data["audit"]["chains"] if not c["ok"]]
    intact = digest(data) == recorded
    anchored = audit_checkpoint_package.check(
        app, document.get("checkpoint"), list(basis["position"])
    )
    return VerifyReport(
        now.digest == recorded and intact and not broken and not anchored.findings,
        intact,
        recorded,
        now.digest,
        basis,
        differences,
        total,
        now.later,
        broken,
        anchored.findings,
        anchored.notes,
    )


def _checked(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if document.get("kind") != KIND or not isinstance(document.get("data"), dict):
        raise InvalidInput.field(
            "file", "not a samflow evidence package", "inte ett bevispaket från samflow"
        )
    if document.get("format") not in FORMATS or isinstance(document.get("format"), bool):
        raise InvalidInput.field(
            "file",
            f"package format {document.get('format')} is not supported",
            f"paketformat {document.get('format')} stöds inte",
        )
    if not _basis_ok(document["data"].get("basis")):
        raise InvalidInput.field(
            "file",
            "the package's basis (scope, year, time, chain positions) is missing or damaged",
            "paketets underlag (omfång, år, tidpunkt, kedjornas lägen) saknas eller är skadat",
        )
    return document["data"], str(document.get("digest", ""))


def _basis_ok(basis: Any) -> bool:
    """Whether a package read from a file names what ``build`` needs to build it again."""
    if not isinstance(basis, dict):
        return False
    try:
        as_of = datetime.fromisoformat(str(basis["as_of"]))
        positions = basis["position"]
        return (
            basis["scope"] in ("unit", "subtree")
            and 1900 < as_of.year < 2200
            and isinstance(basis["code"], str)
            and isinstance(basis["year"], int)
            and 1900 < basis["year"] < 2200
            and isinstance(basis["min_answers"], int)
            and isinstance(basis["template"], str)
            and isinstance(positions, dict)
            and all(
                isinstance(v, list) and len(v) == 2 and isinstance(v[0], int)
                for v in positions.values()
            )
        )
    except (KeyError, TypeError, ValueError):
        return False


def describe(d: Difference, data: dict[str, Any]) -> str:
    """Where a difference is, for reading: ``U1 · measure:9 › what`` or
    ``event:cycle:3#5 (task.completed) › data_sha256``."""
    units = {u["ref"]: u["code"] for u in data.get("units", [])}
    events = {e["ref"]: e["action"] for e in data.get("audit", {}).get("events", [])}
    refs = [p for p in d.path if ":" in p]
    unit = next((units[r] for r in refs if r in units), None)
    last = max((i for i, p in enumerate(d.path) if ":" in p), default=-1)
    head = d.path[last] if last >= 0 else ""
    if head in events:
        head = f"{head} ({events[head]})"
    tail = " › ".join(d.path[last + 1 :])
    text = " › ".join(x for x in (head, tail) if x) or d.where
    return f"{unit} · {text}" if unit else text
