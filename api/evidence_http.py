"""The evidence package over HTTP, for the JSON API and the pages alike: build and send it
(HTML, PDF, or its data as JSON), or read an uploaded package and check it."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from api.downloads import document
from api.evidence_job import filename
from engine.context import Actor, App
from engine.domain.errors import InvalidInput
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.evidence import parts
from engine.evidence import verify as evidence_verify
from forms import i18n
from forms.exports import evidence_docs


def package(
    engine: App,
    actor: Actor,
    scope: evidence.Scope,
    lang: str,
    fmt: str,
    *,
    download: bool,
    reference: str = "",
) -> Response:
    """The package now. A subtree's PDF above ``evidence_direct_units`` units is refused
    here: it is made by a job (``evidence_jobs.request``)."""
    if fmt == "pdf" and scope.kind == "subtree":
        units = evidence_jobs.check(engine, actor, scope)
        if units > engine.settings.evidence_direct_units:
            raise InvalidInput.field(
                "format",
                f"a package of {units} units is made as a background job "
                "(POST /api/evidence/jobs, or the evidence page)",
                f"ett paket med {units} enheter görs som ett bakgrundsjobb "
                "(POST /api/evidence/jobs, eller sidan Underlag)",
            )
    reference = evidence_jobs.reference_of(reference)
    built = evidence.build(engine, actor, scope)
    doc = built.document(actor.label, reference)
    content: bytes | str
    if fmt == "json":
        content = json.dumps(doc, ensure_ascii=False)
    elif fmt == "html":
        content = evidence_docs.evidence_html(doc, lang)
    else:
        content = evidence_docs.evidence_pdf(doc, lang, workers=1, store=parts.Store(engine))
    return document(content, fmt, filename(scope, fmt), download=download)


def verify(
    engine: App, actor: Actor, content: bytes
) -> tuple[evidence_verify.VerifyReport, dict[str, Any]]:
    """The verdict on an uploaded package, and the package's own data (for naming where
    the differences are)."""
    doc = evidence_verify.read_package(engine, content)
    return evidence_verify.verify(engine, actor, doc), doc["data"]


def verdict(r: evidence_verify.VerifyReport, lang: str) -> str:
    """The verdict in words: matches, or what is wrong (the file, rows, the chains)."""
    if r.matches:
        return i18n.tr(lang, "Paketet stämmer med databasen: inget har ändrats sedan det skapades.")
    parts = []
    if not r.file_intact:
        parts.append(
            i18n.tr(lang, "filen själv är ändrad (kontrollsumman stämmer inte med dess data)")
        )
    unexplained = sum(1 for d in r.differences if d.verdict == "unexplained")
    if r.total:
        parts.append(
            i18n.ntr(
                lang,
                "%(num)d uppgift skiljer sig, varav %(unexplained)d ändrad utan någon "
                "händelse i revisionsloggen",
                "%(num)d uppgifter skiljer sig, varav %(unexplained)d ändrade utan någon "
                "händelse i revisionsloggen",
                r.total,
                unexplained=unexplained,
            )
        )
    if r.broken_chains:
        parts.append(
            i18n.ntr(
                lang,
                "revisionsloggens hashkedja är bruten (%(num)d kedja)",
                "revisionsloggens hashkedja är bruten (%(num)d kedjor)",
                len(r.broken_chains),
            )
        )
    if r.anchor:
        first = r.anchor[0].text(lang)
        more = f" (+{len(r.anchor) - 1})" if len(r.anchor) > 1 else ""
        parts.append(
            i18n.tr(lang, "den signerade kontrollpunkten visar: %(what)s", what=first + more)
        )
    head = i18n.tr(lang, "Paketet stämmer INTE med databasen: ")
    return head + "; ".join(parts) + "."
