"""The evidence package as HTML and PDF (PDF/A-3b).

Takes the package document (``engine.evidence.package.Built.document()``: digest and
data) and nothing else, so what is printed is exactly what the digest covers. The reader
sees names, roles and sentences; the ids stay in the attached data.

A unit's package is one document: a cover (organisation, unit, period, *diarienummer*,
digest), the table of contents, the sections flowing on without forced page breaks, the
audit trail as sentences and the verification instructions in an appendix. An
administration's package is assembled from parts laid out apart: the overview, one part per
unit, the appendix, and the cover with the table of contents (laid out last: it knows where
every part begins). A unit's part is named by the SHA-256 of what it shows (its data, the
language, these templates), so a ``PartStore`` hands back a part laid out earlier for the
same content and only changed units are laid out again.

The cover is written by WeasyPrint as PDF/A-3b with the package's data attached through
WeasyPrint's own attachments (``samflow-data.json``, relationship *Data*; in an assembled
package the file's content is put in at the join, see ``_put_data``); the other parts'
pages are appended to it with qpdf (pikepdf), which keeps the cover's catalogue (XMP
metadata, output intent, embedded files).

    html = evidence_html(doc, "sv")          # a page, or a file to hand over
    pdf = evidence_pdf(doc, "en", store=s)   # bytes of a PDF/A-3b with the data attached
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import threading
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

from markupsafe import Markup

from forms import i18n
from forms.exports import documents
from forms.labels import label
from forms.schemas.evaluation import CHECKLIST

TEMPLATE = "evidence/package.html"
UNITS_PER_PART = 25  # (kept for the setting; each unit is a part of its own now)
PDF_VARIANT = "pdf/a-3b"
#: Bump when what a part shows changes in a way the templates' text does not (code here).
PART_FORMAT = "2"

#: What the overview part shows (it is kept by digest like a unit's part).

#: (pdf, pages, anchor id -> page index inside the part)
Laid = tuple[bytes, int, dict[str, int]]


class PartStore(Protocol):
    """Where laid-out unit parts are kept by key (``engine.evidence.parts.Store``)."""

    def get_many(self, keys: Sequence[str]) -> Mapping[str, Laid]: ...

    def put_many(self, parts: Mapping[str, Laid]) -> None: ...


# --- text: names, dates and sentences ---------------------------------------------------
def d(value: object) -> Markup:
    """A date (``2027-03-16``) that is never broken across lines."""
    text = i18n.iso_day(value)
    return Markup('<span class="d">%s</span>') % text


def dt(value: object) -> Markup:
    """A date and time that is never broken across lines."""
    text = i18n.iso_when(value)
    return Markup('<span class="d">%s</span>') % text


def role_at(lang: str, where: Mapping[str, Any] | None) -> str:
    """``chef för Äldreomsorg`` (the role in lower case, the unit's name)."""
    if not where:
        return "–"
    role = label("role", where.get("role"), lang)
    unit = where.get("unit_name") or where.get("unit") or ""
    return i18n.tr(lang, "%(role)s för %(unit)s", role=role.lower(), unit=unit)


def holder_at(lang: str, where: Mapping[str, Any] | None, person: Mapping[str, Any] | None) -> str:
    """``Karl Ek, chef för Äldreomsorg``, or the role alone when nobody held it."""
    at = role_at(lang, where)
    return f"{person['name']}, {at}" if person else at


def task_title(titles: Mapping[str, Any], lang: str, key: str | None) -> str:
    pair = titles["tasks"].get(key) if key else None
    if pair:
        return str(pair[0] if lang == "sv" else pair[1])
    return i18n.tr(lang, "uppgift")


def stage_title(titles: Mapping[str, Any], lang: str, key: str | None) -> str:
    pair = titles["stages"].get(key) if key else None
    if pair:
        return str(pair[0] if lang == "sv" else pair[1])
    return i18n.tr(lang, "steg")


def escalation_line(lang: str, e: Mapping[str, Any]) -> str:
    """``2027-03-16 eskalerades till Karl Ek, chef för Äldreomsorg, 1 dag efter sista dag``"""
    day = str(e["at"])[:10]
    to = holder_at(lang, e.get("to"), e.get("holder"))
    late = e.get("days_late")
    if late is None or late < 1:
        return i18n.tr(lang, "%(day)s eskalerades till %(to)s", day=day, to=to)
    after = i18n.ntr(lang, "%(num)d dag efter sista dag", "%(num)d dagar efter sista dag", late)
    return i18n.tr(lang, "%(day)s eskalerades till %(to)s, %(after)s", day=day, to=to, after=after)


_REASONS = {"optional step left open at sign-off": i18n.N_("frivilligt steg öppet vid signering")}


def event_line(
    lang: str, e: Mapping[str, Any], titles: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    """An audit event as a sentence: who did what to which task, measure or stage."""
    data_action = str(e["action"])
    who = e.get("actor_name") or i18n.tr(lang, "systemet")
    if e.get("on_behalf_of_name"):
        who = i18n.tr(lang, "%(who)s för %(whom)s", who=who, whom=e["on_behalf_of_name"])
    what = _subject(lang, e, titles, names)
    to = holder_at(lang, e.get("to"), e.get("to_holder")) if e.get("to") else ""
    kind = data_action.split(".", maxsplit=1)[0]
    if data_action == "task.escalated":
        text = i18n.tr(lang, "%(what)s eskalerades till %(to)s", what=what, to=to or "–")
    elif data_action == "task.returned":
        text = i18n.tr(lang, "%(who)s returnerade %(what)s till %(to)s", who=who, what=what, to=to)
    elif data_action == "task.reminded":
        text = i18n.tr(lang, "påminnelse skickades om %(what)s", what=what)
    elif data_action == "task.created":
        text = i18n.tr(lang, "%(what)s skapades", what=what)
    elif data_action == "task.cancelled":
        text = i18n.tr(lang, "%(what)s avbröts", what=what)
    elif data_action == "cycle.started":
        text = i18n.tr(lang, "årscykeln startades av %(who)s", who=who)
    elif kind in ("task", "stage", "measure", "risk") and data_action in ACTION_PAST:
        verb = i18n.tr(lang, ACTION_PAST[data_action])
        text = i18n.tr(lang, "%(who)s %(verb)s %(what)s", who=who, verb=verb, what=what)
    else:
        from forms.render import ACTIONS

        action = ACTIONS.get(data_action)
        head = i18n.tr(lang, action) if action else i18n.tr(lang, "händelse i loggen")
        text = i18n.tr(lang, "%(action)s (%(who)s)", action=head, who=who)
    return text[:1].upper() + text[1:]


#: Actions told as "<who> <verb> <what>" (the verb in the past tense).
ACTION_PAST: dict[str, str] = {
    "task.completed": i18n.N_("slutförde"),
    "task.claimed": i18n.N_("tog"),
    "task.released": i18n.N_("lämnade tillbaka"),
    "task.delegated": i18n.N_("lämnade över"),
    "task.due_extended": i18n.N_("flyttade slutdatum för"),
    "task.draft_saved": i18n.N_("sparade ett utkast av"),
    "stage.activated": i18n.N_("öppnade"),
    "stage.reopened": i18n.N_("öppnade igen"),
    "stage.signed_off": i18n.N_("signerade"),
    "risk.assessed": i18n.N_("bedömde"),
    "measure.created": i18n.N_("lade till"),
    "measure.updated": i18n.N_("ändrade"),
    "measure.start": i18n.N_("påbörjade"),
    "measure.finish": i18n.N_("genomförde"),
    "measure.postpone": i18n.N_("sköt upp"),
    "measure.cancel": i18n.N_("strök"),
    "measure.reassigned": i18n.N_("flyttade"),
}


def _subject(
    lang: str, e: Mapping[str, Any], titles: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    kind = str(e.get("subject", "")).split(":")[0]
    if e.get("task_key") or kind == "task":
        title = task_title(titles, lang, e.get("task_key"))
        if e.get("measure") in names:
            return i18n.tr(
                lang, "uppgiften ”%(title)s” (åtgärd %(m)s)", title=title, m=names[e["measure"]]
            )
        return i18n.tr(lang, "uppgiften ”%(title)s”", title=title)
    if e.get("measure") in names:
        return i18n.tr(lang, "åtgärd %(m)s", m=names[e["measure"]])
    if e.get("risk") in names:
        return i18n.tr(lang, "risken ”%(r)s”", r=names[e["risk"]])
    if kind == "stage":
        return i18n.tr(lang, "steget ”%(s)s”", s=stage_title(titles, lang, e.get("stage_key")))
    return i18n.tr(lang, "posten")


def reason_text(lang: str, reason: object) -> str:
    text = str(reason or "")
    return i18n.tr(lang, _REASONS[text]) if text in _REASONS else text


# --- context ------------------------------------------------------------------------------
def _context(doc: Mapping[str, Any], lang: str, events: bool | None) -> dict[str, Any]:
    data = doc["data"]
    unit_scope = data["basis"]["scope"] == "unit"
    names = _names(data)
    title = (
        i18n.tr(lang, "Underlag SAM") + f" {data['basis']['year']} – "
        f"{data['root']['code']} {data['root']['name']}"
    )
    return {
        "data": data,
        "digest": doc["digest"],
        "built_by": doc.get("built_by", ""),
        "reference": doc.get("reference", ""),
        "titles": data["titles"],
        "checklist": CHECKLIST,
        "full": unit_scope,
        "events": unit_scope if events is None else events,
        "title": title,
        "footer": title,
        "measure_names": names,
        "esc_line": lambda e: escalation_line(lang, e),
        "ev_line": lambda e: event_line(lang, e, data["titles"], names),
        "holder_at": lambda w, p: holder_at(lang, w, p),
        "reason_text": lambda r: reason_text(lang, r),
        "organisation": data.get("organisation") or data["root"],
        "d": d,
        "dt": dt,
    }


def _names(data: Mapping[str, Any]) -> dict[str, str]:
    """``measure:7`` -> ``1.2 Taklyft i två rum``, ``risk:3`` -> its description (how the
    printed package names what a task or event is about)."""
    out = {}
    for u in data["units"]:
        c = u.get("cycle") or {}
        for it in (c.get("plan") or {}).get("items", []):
            for m in it["measures"]:
                out[m["ref"]] = f"{m['number']} {m['what']}"
        for r in (c.get("risk_assessment") or {}).get("risks", []):
            out[r["ref"]] = r["description"]
    return out


def _render(context: dict[str, Any], lang: str, **parts: Any) -> str:
    flags = {
        "show_cover": False,
        "show_front": False,
        "units": [],
        "show_audit": False,
        "embed": None,
        "toc": None,
        "part_footer": None,
        "inline_css": True,
    }
    return documents.render(TEMPLATE, lang, **context, **(flags | parts))


def _printed(context: dict[str, Any], lang: str, **parts: Any) -> str:
    """HTML to lay out as PDF: without the print stylesheet, which is parsed once per
    layout process and handed to WeasyPrint (``_tools``)."""
    return _render(context, lang, inline_css=False, **parts)


def evidence_html(doc: Mapping[str, Any], lang: str = "sv", *, events: bool | None = None) -> str:
    """The whole package as one HTML page, its data embedded for ``evidence verify``."""
    context = _context(doc, lang, events)
    return _render(
        context,
        lang,
        show_cover=True,
        show_front=True,
        units=doc["data"]["units"],
        show_audit=True,
        embed=documents.embedded_json(doc),
        toc=_unit_toc(doc["data"], lang) if context["full"] else _html_toc(doc["data"], lang),
    )


# --- PDF ------------------------------------------------------------------------------------
def evidence_pdf(
    doc: Mapping[str, Any],
    lang: str = "sv",
    *,
    events: bool | None = None,
    units_per_part: int = UNITS_PER_PART,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
    store: PartStore | None = None,
) -> bytes:
    """The package as PDF/A-3b with its data attached. A unit's package is one document;
    an administration's is assembled from parts (``workers`` processes lay out the units'
    parts not found in ``store``). ``progress(done, total, "pdf")`` hears of each part."""
    del units_per_part  # each unit is a part of its own, reused by digest
    context = _context(doc, lang, events)
    data = doc["data"]
    attachment = json.dumps(doc, ensure_ascii=False).encode()
    if context["full"]:
        if progress is not None:
            progress(0, 1, "pdf")
        html = _printed(
            context,
            lang,
            show_cover=True,
            show_front=True,
            units=data["units"],
            show_audit=True,
            toc=_unit_toc(data, lang),
        )
        out = _write(html, attachment)
        if progress is not None:
            progress(1, 1, "pdf")
        return out
    return _assembled(doc, context, lang, attachment, workers, progress, store)


def _assembled(
    doc: Mapping[str, Any],
    context: dict[str, Any],
    lang: str,
    attachment: bytes,
    workers: int,
    progress: Callable[[int, int, str], None] | None,
    store: PartStore | None,
) -> bytes:
    data = doc["data"]
    units = data["units"]
    # the units' parts, and last the overview (it shows nothing of the time or digest)
    keys = _part_keys(context, lang, [*units, _front_shows(data)])
    found = dict(store.get_many(keys)) if store is not None else {}
    total = len(units) + 3
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total, "pdf")

    if progress is not None:
        progress(0, total, "pdf")
    appendix = _printed(context, lang, show_audit=True, part_footer=i18n.tr(lang, "Bilagor"))
    todo = [i for i, k in enumerate(keys[:-1]) if k not in found]
    front_key = keys[-1]
    front = (
        _printed(context, lang, show_front=True, part_footer=i18n.tr(lang, "Översikt"))
        if front_key not in found
        else None
    )
    unit_todo = list(todo)
    if front is not None:
        todo.append(len(keys) - 1)

    def jobs() -> Iterator[str]:
        """The HTML of each part in the order laid out, made as the workers take them
        (the templates run in this process while the workers lay out)."""
        yield appendix
        for i in unit_todo:
            u = units[i]
            yield _printed(context, lang, units=[u], part_footer=f"{u['code']} {u['name']}")
        if front is not None:
            yield front

    # With nothing but the appendix to lay out (every part kept), it is laid out here: a
    # pool would fork for one job and its worker load the fonts and styles the cover then
    # loads again in this process.
    laid: list[Laid] = []
    for result in _laid_out(jobs(), min(workers, len(todo) + 1)):
        laid.append(result)
        tick()
        if len(laid) > 1:
            found[keys[todo[len(laid) - 2]]] = result
    for _ in range(len(keys) - len(todo)):
        tick()
    if store is not None and todo:
        store.put_many({keys[i]: found[keys[i]] for i in todo})
    appendix_part = laid[0]
    ordered = [found[front_key], *(found[k] for k in keys[:-1]), appendix_part]
    # The body's pages are numbered from 1 after the cover (PDF page labels: the cover is
    # i, ii, ...), so the contents need not know how long they are themselves.
    toc = _assembled_toc(data, lang, ordered)
    cover = _printed(context, lang, show_cover=True, toc=toc, part_footer=context["title"])
    cover_pdf, cover_pages = _write_counted(cover, _LATER)  # the data: put in by _join
    tick()
    titles = [i18n.tr(lang, "Översikt per enhet"), *(t["title"] for t in toc[1:-2])]
    titles.append(i18n.tr(lang, "Bilagor"))
    return _join(
        cover_pdf,
        cover_pages,
        [(t, p[0], p[1]) for t, p in zip(titles, ordered, strict=True)],
        attachment,
    )


def _part_keys(
    context: Mapping[str, Any], lang: str, units: Sequence[Mapping[str, Any]]
) -> list[str]:
    """What each unit's part shows, as a key: its data, the titles it names, the language,
    the templates and this module's version (what they share is hashed once)."""
    h = hashlib.sha256()
    h.update(f"{PART_FORMAT}|{_templates_version()}|{lang}|{context['full']}|".encode())
    h.update(json.dumps(context["titles"], sort_keys=True, ensure_ascii=False).encode())
    out = []
    for unit in units:
        each = h.copy()
        each.update(json.dumps(unit, sort_keys=True, ensure_ascii=False).encode())
        out.append(each.hexdigest())
    return out


#: What of the package's basis the overview shows: the scope (a unit's or a subtree's
#: wording) and what its figures were counted under. Not the time it was built nor the
#: chains' positions: they move with every build and would lay the overview out anew each
#: time although it shows neither.
_FRONT_BASIS = ("scope", "code", "year", "min_answers", "template")


def _front_shows(data: Mapping[str, Any]) -> dict[str, Any]:
    """The front part's share of the data, as its key: everything but the units' own parts,
    the audit trail (printed in the appendix, laid out each time) and the basis's time and
    positions, so a section added to the front (changes, cooperation, policy, rounds ...)
    can never be served stale."""
    out = {k: v for k, v in data.items() if k not in ("units", "audit", "basis")}
    basis = data["basis"]
    out["basis"] = {k: basis[k] for k in _FRONT_BASIS if k in basis}
    return out


@cache
def _templates_version() -> str:
    h = hashlib.sha256()
    root = files("forms") / "templates" / "evidence"
    for name in sorted(p.name for p in root.iterdir()):
        h.update(name.encode() + b"\0" + (root / name).read_bytes())
    return h.hexdigest()[:16]


def _unit_toc(data: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """A unit's package: each section, its page found by the layout (target-counter)."""
    u = data["units"][0] if data["units"] else None
    out = [{"title": i18n.tr(lang, "Ansvar och ställföreträdare"), "href": "front"}]
    if u is not None:
        out += [{"title": t, "href": f"{u['ref']}-s{n}"} for n, t in enumerate(_sections(lang), 1)]
    out += [
        {"title": i18n.tr(lang, "Bilaga A. Händelselogg"), "href": "audit"},
        {"title": i18n.tr(lang, "Bilaga B. Så kontrolleras paketet"), "href": "verify"},
    ]
    return out


def _html_toc(data: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    out = [{"title": i18n.tr(lang, "Översikt per enhet"), "href": "front"}]
    out += [{"title": f"{u['code']} {u['name']}", "href": u["ref"]} for u in data["units"]]
    out += [
        {"title": i18n.tr(lang, "Bilaga A. Händelselogg"), "href": "audit"},
        {"title": i18n.tr(lang, "Bilaga B. Så kontrolleras paketet"), "href": "verify"},
    ]
    return out


def _assembled_toc(
    data: Mapping[str, Any], lang: str, ordered: Sequence[Laid]
) -> list[dict[str, Any]]:
    """An administration's contents with the page each part begins on (the body's pages
    counted from 1 after the cover)."""
    titles = [
        i18n.tr(lang, "Översikt per enhet"),
        *(f"{u['code']} {u['name']}" for u in data["units"]),
    ]
    out, page = [], 1
    for title, part in zip(titles, ordered, strict=False):
        out.append({"title": title, "page": page})
        page += part[1]
    appendix = ordered[-1]
    out.append({"title": i18n.tr(lang, "Bilaga A. Händelselogg"), "page": page})
    out.append(
        {
            "title": i18n.tr(lang, "Bilaga B. Så kontrolleras paketet"),
            "page": page + appendix[2].get("verify", 0),
        }
    )
    return out


def _sections(lang: str) -> list[str]:
    return [
        i18n.tr(lang, "Uppgiftsfördelning"),
        i18n.tr(lang, "Kartläggning"),
        i18n.tr(lang, "Riskbedömning"),
        i18n.tr(lang, "Handlingsplan"),
        i18n.tr(lang, "Samverkan och godkännande"),
        i18n.tr(lang, "Uppföljning av åtgärder"),
        i18n.tr(lang, "Årlig uppföljning"),
        i18n.tr(lang, "Eskaleringar och ändrade slutdatum"),
        i18n.tr(lang, "Uppgifter"),
    ]


class _Tools(threading.local):
    """A layout process's (and thread's) fonts and print stylesheet, made once."""

    pid = 0
    fonts: Any = None
    css: Any = None


_TOOLS = _Tools()


def _tools() -> tuple[Any, Any]:
    """The FontConfiguration and the parsed ``print.css`` of this process and thread.
    WeasyPrint makes a FontConfiguration (fontconfig, Pango's font map) for each document
    it is not handed one, and parses a document's ``<style>`` each time: with a part per
    unit both were redone for each of hundreds of parts. Kept per process (a forked worker makes its
    own: Pango's state is not carried across fork) and per thread (Pango's font map is not
    shared between threads)."""
    t = _TOOLS
    if t.pid != os.getpid():
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        css = (files("forms") / "templates" / "evidence" / "print.css").read_text("utf-8")
        t.fonts, t.css = fonts, CSS(string=css, font_config=fonts)
        t.pid = os.getpid()
    return t.fonts, t.css


def _document(html: str) -> Any:
    """``html`` (made by ``_printed``) rendered with the print stylesheet. WeasyPrint takes
    it as the user's stylesheet: above its own defaults as the page's ``<style>`` was (no
    rule is ``!important``), below the page's remaining ``<style>`` (its footer), which
    sets nothing else; each page draws the same (``test_evidence_pdfa``)."""
    from weasyprint import HTML

    fonts, css = _tools()
    return HTML(string=html).render(font_config=fonts, stylesheets=[css])


def _write(html: str, attachment: bytes) -> bytes:
    return _write_counted(html, attachment)[0]


def _write_counted(html: str, attachment: bytes) -> tuple[bytes, int]:
    """One document as PDF/A-3b, the package's data attached by WeasyPrint itself."""
    from weasyprint import Attachment

    data = Attachment(
        string=attachment,
        name=documents.ATTACHMENT,
        description="samflow evidence package data (canonical JSON, see the digest)",
        relationship="Data",
    )
    with documents.layout_gc(), _icc_quiet():
        document = _document(html)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=[data])
        pages = len(document.pages)
        del document
        gc.collect()  # the profile's file is closed here, inside the filter
    assert pdf is not None
    return bytes(pdf), pages


def _laid_out(parts: Iterator[str], workers: int) -> Iterator[Laid]:
    # What exists now (the package's data: ~100 MB for 500 units, and WeasyPrint's modules,
    # loaded here once and shared by the workers) is moved out of the collector's sight, so
    # the full collection after each part walks only that part. (WeasyPrint loaded after
    # the freeze cost each part ~20 ms of walking its modules' 40,000 objects.)
    import weasyprint  # noqa: F401

    gc.collect()
    gc.freeze()
    try:
        if workers <= 1:
            yield from map(_lay_out, parts)
            return
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=64) as pool:
            yield from pool.imap(_lay_out, parts, chunksize=4)
    finally:
        gc.unfreeze()


def _lay_out(html: str) -> Laid:
    """A part as PDF (fonts embedded, the same PDF/A variant as the cover), its page count
    and the page each of its anchors is on."""
    with documents.layout_gc(), _icc_quiet():
        document = _document(html)
        anchors: dict[str, int] = {}
        for n, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, n)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
        pages = len(document.pages)
        del document
        gc.collect()  # the profile's file is closed here, inside the filter
    assert pdf is not None
    return bytes(pdf), pages, anchors


@contextmanager
def _icc_quiet() -> Iterator[None]:
    """WeasyPrint 70 opens its sRGB profile (the PDF/A output intent) for Pillow and
    never closes it: that one ResourceWarning is not ours to raise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
        yield


def _join(
    cover: bytes, cover_pages: int, parts: Sequence[tuple[str, bytes, int]], data: bytes
) -> bytes:
    """The cover (PDF/A-3b, data attached) with every part's pages appended and a bookmark
    per part; the cover's catalogue (metadata, output intent, attachments) is kept as
    WeasyPrint wrote it. Page labels: the cover i, ii, ..., the body 1, 2, ...

    Joined with qpdf (pikepdf): reading 500 parts' object streams and copying their pages
    in Python (pypdf) was half of an assembled package's time. ``data`` goes into the
    file attached to the cover (``_put_data``)."""
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(cover)) as pdf:
        _put_data(pdf, data)
        starts = []
        for _title, content, _pages in parts:
            starts.append(len(pdf.pages))
            with pikepdf.open(io.BytesIO(content)) as part:
                pdf.pages.extend(part.pages)
        with pdf.open_outline() as outline:
            outline.root.extend(
                pikepdf.OutlineItem(title, first)
                for (title, _c, _p), first in zip(parts, starts, strict=True)
            )
        pdf.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array(
                [
                    0,
                    pikepdf.Dictionary(S=pikepdf.Name.r),
                    cover_pages,
                    pikepdf.Dictionary(S=pikepdf.Name.D, St=1),
                ]
            )
        )
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


#: What the cover's attached file holds as WeasyPrint writes it (``_put_data`` fills it).
_LATER = b"{}"


def _put_data(pdf: Any, data: bytes) -> None:
    """The package's data as the content of the file WeasyPrint attached to the cover
    (``samflow-data.json``: its file specification, relationship and place in the PDF/A
    catalogue stay WeasyPrint's), with its size and MD5 checksum. WeasyPrint compresses an
    attachment at zlib's level 9, and again to hash the file for its identifier: for 500
    units' 19 MB of JSON 2 × 1 s of every package's cover, laid out after all the parts.
    Here it is compressed once, at level 6 (2.3 MB rather than 2.15)."""
    import pikepdf

    names = pdf.Root.Names.EmbeddedFiles.Names
    spec = next(names[i + 1] for i in range(0, len(names), 2) if names[i] == documents.ATTACHMENT)
    stream = spec.EF.F
    assert stream.read_bytes() == _LATER
    stream.write(zlib.compress(data, 6), filter=pikepdf.Name.FlateDecode)
    stream.Params.Size = len(data)
    stream.Params.CheckSum = pikepdf.String(hashlib.md5(data, usedforsecurity=False).digest())
