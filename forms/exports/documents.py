"""Printable documents: the Jinja2 environment (autoescape, StrictUndefined, sv/en), PDF
output with WeasyPrint, and the machine-readable data carried inside each document.

Large documents are laid out in parts (WeasyPrint keeps a whole layout in memory and its
time grows with the number of boxes), each part written to PDF and the parts joined with
pypdf, page numbers running on. The data a document was made from travels with it: as a
``<script type="application/json">`` in the HTML and as an attached file in the PDF, so a
copy handed out can later be checked against the database.
"""

from __future__ import annotations

import gc
import io
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from forms import i18n
from forms.labels import label

DATA_ID = "samflow-data"
ATTACHMENT = "samflow-data.json"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("forms", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    env.filters.update(
        day=i18n.iso_day,  # documents give numeric dates and times, the same in both languages
        when=i18n.iso_when,
        label=_label,
        yesno=_yesno,
        num=env.filters["number"],
        short=_short,
        css_string=_css_string,
        event_label=_event_label,
    )
    env.globals["t"] = _t
    from forms.render import role_expr_label  # a role by name, never its key

    env.globals["role_expr_label"] = role_expr_label
    from forms.exports import report_charts  # SVG charts with their text alternative

    env.globals["bars"] = report_charts.bars
    return env


def render(template: str, lang: str = "sv", **context: Any) -> str:
    """Render a document template in Swedish (default) or English."""
    return environment().get_template(template).render(lang=_lang(lang), **context)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "sv"


@pass_context
def _t(ctx: Context, sv: str, en: str) -> str:
    """The old pair, kept only for branches merged after the catalogues (see forms.render)."""
    return sv if ctx["lang"] == "sv" else en


@pass_context
def _event_label(ctx: Context, action: str) -> str:
    """An audit action in words (the audit pages' labels); the name itself if it has none."""
    from forms.render import ACTIONS

    text = ACTIONS.get(action)
    return i18n.tr(_lang(ctx["lang"]), text) if text else action


@pass_context
def _label(ctx: Context, value: object, kind: str) -> str:
    return label(kind, value, ctx["lang"])


@pass_context
def _yesno(ctx: Context, value: object) -> str:
    if value is None:
        return "–"
    yes, no = i18n.tr(ctx["lang"], "Ja"), i18n.tr(ctx["lang"], "Nej")
    return yes if value else no


def _css_string(value: object) -> Markup:
    """A CSS string literal (page headers and footers), safe inside ``<style>``."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", " ").replace("\n", " ")
    return Markup(f'"{text}"')


def _short(value: object, n: int = 12) -> str:
    return str(value)[:n] if value else "–"


# --- data carried inside documents ---------------------------------------------------------
def embedded_json(document: Mapping[str, Any]) -> Markup:
    """JSON that is safe inside ``<script>``: ``<``, ``>`` and ``&`` are escaped, so the
    text is still the same JSON."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


_SCRIPT = re.compile(
    rb'<script type="application/json" id="' + DATA_ID.encode() + rb'">(.*?)</script>', re.S
)


#: What an attached data file may unpack to by default: the data of a unit's part is about
#: 40 kB, so this is a package of some 6,000 units (SAMFLOW_MAX_VERIFY_DATA_BYTES).
MAX_EMBEDDED_BYTES = 250_000_000


class EmbeddedTooLarge(ValueError):
    """The attached data unpacks to more than the limit the reader was given."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def read_embedded(content: bytes, max_bytes: int = MAX_EMBEDDED_BYTES) -> dict[str, Any] | None:
    """The data inside an HTML or PDF document made here; None if it has none (or the file
    is no document at all); EmbeddedTooLarge when a PDF's attached data unpacks to more
    than ``max_bytes``: pypdf's own limit (75 MB, a package of ~1,900 units) is raised or
    lowered to it, so a region's package is read and a bomb is stopped while unpacking."""
    if content.startswith(b"%PDF"):
        raw = _pdf_attachment(content, max_bytes)
    else:
        match = _SCRIPT.search(content)
        raw = match.group(1) if match else None
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _pdf_attachment(content: bytes, max_bytes: int) -> bytes | None:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(
            zlib_maximum_output_length=max_bytes,
            maximum_declared_stream_length=max(max_bytes, len(content)),
        ):
            found = PdfReader(io.BytesIO(content)).attachments.get(ATTACHMENT)
            return bytes(found[0]) if found else None
    except LimitReachedError as exc:
        if "while decompressing" in str(exc):  # our limit on unpacking (pypdf's words)
            raise EmbeddedTooLarge(max_bytes) from None
        return None  # one of pypdf's other limits (a loop, too many objects): not ours
    except Exception:  # any failure of a parser of a stranger's file: not one of ours
        return None


# --- PDF ------------------------------------------------------------------------------------
def pdf(
    parts: Iterable[str],
    *,
    data: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
    workers: int = 1,
) -> bytes:
    """Lay out each HTML part with WeasyPrint (in ``workers`` processes when more than
    one), join them, number the pages ("12 / 850"), attach ``data`` and set metadata."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for chunk in _laid_out(parts, workers):
        writer.append(PdfReader(io.BytesIO(chunk)))
    number_pages(writer)
    if data is not None:
        _attach(writer, ATTACHMENT, json.dumps(data, ensure_ascii=False).encode())
    meta = {f"/{k}": v for k, v in (metadata or {}).items()}
    writer.add_metadata({"/Producer": "samflow", **meta})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _attach(writer: Any, name: str, content: bytes) -> None:
    """Attach a file, its stream compressed (pypdf stores attachments as they are: the data
    of 500 units is 16 MB of JSON, about 2 MB deflated)."""
    from pypdf.generic import NameObject

    spec = writer.add_attachment(name, content).pdf_object
    ref = spec["/EF"].raw_get("/F")
    compressed = ref.get_object().flate_encode()
    compressed[NameObject("/Type")] = NameObject("/EmbeddedFile")
    compressed.indirect_reference = ref
    writer._objects[ref.idnum - 1] = compressed


def _laid_out(parts: Iterable[str], workers: int) -> Iterator[bytes]:
    if workers <= 1:
        yield from map(_render_part, parts)
        return
    import gc
    import multiprocessing

    # fork: the workers start at once and share the parent's memory. gc.freeze() keeps the
    # collector in the workers from touching (and so copying) every object they inherited;
    # the parent loads WeasyPrint's modules but lays nothing out (no Pango or fontconfig
    # state is inherited).
    import weasyprint  # noqa: F401 - loaded once here, shared by the workers

    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=8) as pool:
            yield from pool.imap(_render_part, parts)
    finally:
        gc.unfreeze()


def _render_part(html: str) -> bytes:
    from weasyprint import HTML

    with layout_gc():
        result: bytes = HTML(string=html).write_pdf()
    return result


#: Allocations between two runs of the cyclic collector's youngest generation while a
#: document is laid out (Python's default is 700).
LAYOUT_GC_THRESHOLD = 200_000


class _Collector:
    """The raised threshold, shared by nested or concurrent layouts of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved = gc.get_threshold()


_COLLECTOR = _Collector()


@contextmanager
def layout_gc() -> Iterator[None]:
    """Lay out with the cyclic collector run less often. WeasyPrint makes millions of
    short-lived objects (boxes, styles, Pango layouts), and with the default threshold the
    collector walks the young generations thousands of times per document; the objects
    are freed by reference counting anyway. The thresholds are the process's, so nested
    or concurrent layouts (threads of the web server) share one raised setting and the
    last one out restores it."""
    c = _COLLECTOR
    with c.lock:
        if c.depth == 0:
            c.saved = gc.get_threshold()
            gc.set_threshold(max(c.saved[0], LAYOUT_GC_THRESHOLD), *c.saved[1:])
        c.depth += 1
    try:
        yield
    finally:
        with c.lock:
            c.depth -= 1
            if c.depth == 0:
                gc.set_threshold(*c.saved)


def number_pages(writer: Any) -> None:
    """Stamp "n / total" at the foot of every page (the parts are laid out apart, so the
    layout cannot number them itself). Each page's own content is wrapped in q/Q first so
    the stamp is drawn in the page's default coordinates."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )

    def stream(text: str) -> Any:
        s = DecodedStreamObject()
        s.set_data(text.encode("latin-1"))
        return writer._add_object(s)

    save, restore = stream("q"), stream("Q")
    total = len(writer.pages)
    for n, page in enumerate(writer.pages, start=1):
        resources = page["/Resources"].get_object()
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts.get_object()[NameObject("/FSamflowPage")] = font
        label = f"{n} / {total}"
        x = float(page.mediabox.width) - 40 - 3.9 * len(label)
        stamp = stream(f"BT /FSamflowPage 7 Tf 0.33 g {x:.1f} 24 Td ({label}) Tj ET")
        contents = page.get("/Contents")
        own = contents.get_object() if contents is not None else None
        items = list(own) if isinstance(own, ArrayObject) else [contents] if contents else []
        page[NameObject("/Contents")] = ArrayObject([save, *items, restore, stamp])
