"""samflow's texts in Swedish and English: Babel message catalogues, and dates and numbers
the way each language writes them.

The message id is the Swedish text (Swedish is the product's first language); the English
catalogue ``forms/locale/en/LC_MESSAGES/messages.po`` translates it, and the Swedish one
(``forms/locale/sv/...``) holds the identity, so "every message has both languages" is a
test. Pages use ``{{ _("Inkorg") }}`` and ``{{ ngettext("%(num)d cykel", "%(num)d cykler",
n) }}`` through ``jinja2.ext.i18n``; Python uses :func:`tr` / :func:`ntr` with the language
first, and marks texts kept in tables with :func:`N_` (translated where shown).

The ``.po`` files are read directly (``babel.messages.pofile``) and compiled in memory the
first time a language is asked for: there is no compiled ``.mo`` to build, forget, or find
out of date, and a clone runs its tests as it is. Reading both catalogues takes about
40 ms, once per process. ``docs/i18n.md`` says how to add a text.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from jinja2 import Environment, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from engine.domain.clock import LOCAL_TZ, as_utc
from forms import messages

LANGS = ("sv", "en")
#: The Babel locale behind each language: Swedish as written in Sweden, British English
#: (day before month, like the Swedish date).
LOCALES = {"sv": "sv_SE", "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a text for the catalogue where it is kept (a table), translated where shown."""
    return message


def lang_or_sv(lang: str | None) -> str:
    return "en" if lang == "en" else "sv"


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    """The catalogue of ``lang``, read from its ``.po`` and compiled in memory once."""
    po = catalogue_path(lang_or_sv(lang)).read_bytes()
    compiled = messages.compile_mo(po, LOCALES[lang_or_sv(lang)])
    return Translations(io.BytesIO(compiled), domain=DOMAIN)


def tr(lang: str, message: str, **variables: Any) -> str:
    """``message`` (its Swedish text) in ``lang``; ``%(name)s`` filled from ``variables``."""
    text = str(translations(lang).gettext(message))
    return text % variables if variables else text


def ntr(lang: str, singular: str, plural: str, n: int, **variables: Any) -> str:
    """The form that agrees with ``n`` (``%(num)d`` is ``n``)."""
    text = str(translations(lang).ngettext(singular, plural, n))
    return text % {"num": n, **variables}


def ptr(lang: str, context: str, message: str) -> str:
    return str(translations(lang).pgettext(context, message))


# --- the Jinja2 side -----------------------------------------------------------------------


def install(env: Environment) -> None:
    """``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``{% trans %}`` in ``env``, in the
    language of the context being rendered (its ``lang``). New-style gettext: a text is a
    format string (a literal ``%`` is written ``%%``), its variables are autoescaped."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_ctx_gettext,
        ngettext=_ctx_ngettext,
        pgettext=_ctx_pgettext,
        npgettext=_ctx_npgettext,
        newstyle=True,
    )
    env.globals["pick"] = _pick
    env.filters.update(
        day=_day, when=_when, number=_number, pct=_pct, iso_day=_iso_day, iso_when=iso_when
    )


def _lang(ctx: Context) -> str:
    return lang_or_sv(ctx.get("lang"))


@pass_context
def _ctx_gettext(ctx: Context, message: str) -> str:
    return translations(_lang(ctx)).gettext(message)


@pass_context
def _ctx_ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(ctx)).ngettext(singular, plural, n)


@pass_context
def _ctx_pgettext(ctx: Context, context: str, message: str) -> str:
    return str(translations(_lang(ctx)).pgettext(context, message))


@pass_context
def _ctx_npgettext(ctx: Context, context: str, singular: str, plural: str, n: int) -> str:
    return translations(_lang(ctx)).npgettext(context, singular, plural, n)


@pass_context
def _pick(ctx: Context, sv: str | None, en: str | None) -> str:
    """One of a pair that is data in both languages (a template's stage title, an error
    reason from the engine), not a text of the page: those go through ``_``."""
    return (en if _lang(ctx) == "en" else sv) or sv or en or ""


# --- texts translated when a template is compiled -----------------------------------------
#: The names whose calls ``Folded`` translates; a template that binds one of them itself
#: (a loop variable ``_``, a macro argument, ``{% set %}``, an import) is compiled as written.
GETTEXT_NAMES = ("_", "gettext", "pgettext")


def constant_texts(lang: str) -> type[CodeGenerator]:
    """A code generator for the pages of one language: each ``_("…")``, ``gettext("…")``
    and ``pgettext("…", "…")`` whose arguments are constants and that has no variables is
    translated once, when the template is compiled, into the text the call would give at
    run time (``Markup`` where autoescaping is on), which Jinja then writes as part of the
    template's literal output. A page of that environment must be rendered with
    ``lang=lang`` (``api.rendering`` picks the environment by the page's language); other
    calls (variables, ``ngettext``, a text in a variable) stay calls, as before."""
    return type(f"ConstantTexts_{lang}", (ConstantTexts,), {"lang": lang_or_sv(lang)})


class ConstantTexts(CodeGenerator):
    lang = "sv"

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        if not _binds_gettext(node):
            Folded(translations(self.lang), self.environment).visit(node)
        super().visit_Template(node, frame)


def _binds_gettext(node: nodes.Template) -> bool:
    names = set(GETTEXT_NAMES)
    for n in node.find_all((nodes.Name, nodes.Macro, nodes.Import, nodes.FromImport)):
        if isinstance(n, nodes.Name) and n.ctx != "load" and n.name in names:
            return True
        if isinstance(n, nodes.Macro) and n.name in names:
            return True
        if isinstance(n, nodes.Import) and n.target in names:
            return True
        if isinstance(n, nodes.FromImport) and any(
            (x[1] if isinstance(x, tuple) else x) in names for x in n.names
        ):
            return True
    return False


class Folded(NodeTransformer):
    """Replaces the constant gettext calls of a template (see ``constant_texts``)."""

    def __init__(self, catalogue: Translations, environment: Environment) -> None:
        self.catalogue = catalogue
        self.environment = environment

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)
        text = self._text(node)
        if text is None:
            return node
        folded = nodes.MarkSafeIfAutoescape(nodes.Const(text, lineno=node.lineno))
        folded.set_lineno(node.lineno)
        folded.set_environment(self.environment)
        return folded

    def _text(self, node: nodes.Call) -> str | None:
        """What the call gives at run time, the same with autoescaping on or off; else None."""
        fn = node.node
        if not isinstance(fn, nodes.Name) or fn.ctx != "load" or fn.name not in GETTEXT_NAMES:
            return None
        if node.kwargs or node.dyn_args is not None or node.dyn_kwargs is not None:
            return None
        args = [a.value for a in node.args if isinstance(a, nodes.Const)]
        if len(args) != len(node.args) or not all(isinstance(a, str) for a in args):
            return None
        variables: dict[str, str] = {}
        if fn.name == "pgettext":
            if len(args) != 2:
                return None
            variables["context"] = args[0]  # as jinja2.ext's new-style pgettext
            raw = str(self.catalogue.pgettext(args[0], args[1]))
        elif len(args) == 1:
            raw = self.catalogue.gettext(args[0])
        else:
            return None
        try:
            plain, escaped = raw % variables, Markup(raw) % variables
        except (KeyError, TypeError, ValueError):
            return None  # a text that needs variables: left for the run time to refuse
        return plain if plain == str(escaped) else None


# --- dates and numbers ---------------------------------------------------------------------


def local(value: date | datetime) -> date | datetime:
    """An instant in Swedish time (the organisations are Swedish); a date as it is."""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(LOCAL_TZ)
    return value


def parse(value: object) -> date | datetime | None:
    """A date or an instant, also as JSON gives them back (documents' data)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def day(value: object, lang: str) -> str:
    """'15 mars 2027' (sv) / '15 March 2027' (en)."""
    parsed = parse(value)
    if parsed is None:
        return "–"
    d = local(parsed)
    return format_date(d, "long", locale=LOCALES[lang_or_sv(lang)])


def iso_day(value: object) -> str:
    """'2027-03-15': the Swedish numeric date (SS-ISO 8601), the same in both languages."""
    try:
        parsed = parse(value)
    except ValueError:
        return str(value)
    if parsed is None:
        return "–"
    d = local(parsed)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def when(value: object, lang: str) -> str:
    """'2027-03-15 kl. 14:30' (sv) / '2027-03-15 14:30' (en), Swedish time."""
    parsed = parse(value)
    if parsed is None:
        return "–"
    if not isinstance(parsed, datetime):
        return iso_day(parsed)
    moment = as_utc(parsed).astimezone(LOCAL_TZ)
    clock = format_time(moment, "HH:mm", locale=LOCALES[lang_or_sv(lang)])
    return tr(lang, "%(day)s kl. %(time)s", day=iso_day(moment), time=clock)


def number(value: object, lang: str, digits: int = 1) -> str:
    """'72,5' (sv) / '72.5' (en); a whole number without decimals, thousands grouped."""
    if value is None or value == "":
        return "–"
    amount = float(str(value))
    pattern = "#,##0" if amount.is_integer() else "#,##0." + "0" * digits
    return format_decimal(amount, pattern, locale=LOCALES[lang_or_sv(lang)])


def pct(value: object, lang: str, digits: int = 0) -> str:
    """A share (0.425) as '43 %' (sv) / '43%' (en)."""
    if value is None or value == "":
        return "–"
    locale = Locale.parse(LOCALES[lang_or_sv(lang)])
    pattern = locale.percent_formats[None].pattern  # '#,##0 %' (sv), '#,##0%' (en)
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits)
    return format_percent(float(str(value)), pattern, locale=locale)


@pass_context
def _day(ctx: Context, value: object) -> str:
    return day(value, _lang(ctx))


@pass_context
def _when(ctx: Context, value: object) -> str:
    return when(value, _lang(ctx))


@pass_context
def _number(ctx: Context, value: object, digits: int = 1) -> str:
    return number(value, _lang(ctx), digits)


@pass_context
def _pct(ctx: Context, value: object, digits: int = 0) -> str:
    return pct(value, _lang(ctx), digits)


def _iso_day(value: object) -> str:
    return iso_day(value)


def iso_when(value: object) -> str:
    """An instant in Swedish time to the minute, the same in both languages (documents)."""
    parsed = parse(value)
    if parsed is None:
        return "–"
    if not isinstance(parsed, datetime):
        return iso_day(parsed)
    return local(parsed).strftime("%Y-%m-%d %H:%M")
