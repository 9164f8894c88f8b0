"""Convert ``t("sv", "en")`` pairs to catalogue texts and keep the catalogues up to date.

    python scripts/i18n.py            # convert any t("sv", "en") left, then update
    python scripts/i18n.py update     # extract every text, merge into the catalogues
    python scripts/i18n.py check      # exit 1 if a text lacks English or a t( pair is left

Re-runnable: run it after merging a branch that still writes ``t("Svenska", "English")`` in
a template and its pairs become ``_("Svenska")`` with the English in
``forms/locale/en/LC_MESSAGES/messages.po``. A pair whose Swedish text already has another
English translation is reported (and left as ``t(...)``) so that a person decides: the same
English, or a ``pgettext("context", ...)``.

The catalogues are written sorted by message and without source locations, so two branches
that add texts touch different lines and merge cleanly. ``docs/i18n.md`` has the how-to.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "forms" / "templates"
LOCALE_DIR = ROOT / "forms" / "locale"
LANGS = {"sv": "sv_SE", "en": "en_GB"}
#: Where texts are extracted from (relative to the repository), and how.
METHODS = [
    ("forms/templates/**.html", "jinja2.ext:babel_extract"),
    ("forms/**.py", "python"),
    ("api/**.py", "python"),
    ("cli/**.py", "python"),
]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "tr": (2,),
    "ntr": (2, 3),
    "ptr": ((2, "c"), 3),
    "n_": (1, 2),
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}

_STRING = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
PAIR = re.compile(rf"(?<![\w.])t\(\s*(?P<sv>{_STRING})\s*,\s*(?P<en>{_STRING})\s*\)")
ANY_T = re.compile(r"(?<![\w.])t\(")


@dataclass
class Conversion:
    pairs: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def as_text(literal: str) -> str:
    """A catalogue text from a template string literal: HTML-escaped (new-style gettext
    marks translations safe) and with ``%`` doubled (a text is a format string)."""
    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("%", "%%")


def as_literal(text: str, quote: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"{quote}{escaped}{quote}"


def template_files() -> Iterator[Path]:
    yield from sorted(TEMPLATES.rglob("*.html"))


def convert(known: dict[str, str]) -> Conversion:
    """Rewrite the literal ``t("sv", "en")`` pairs in the templates to ``_("sv")``."""
    out = Conversion()

    def replace(m: re.Match[str]) -> str:
        sv, en = as_text(m["sv"]), as_text(m["en"])
        had = known.get(sv) or out.pairs.get(sv)
        if had and had != en:
            out.conflicts.append(f"{sv!r}: {had!r} or {en!r}")
            return m[0]
        out.pairs[sv] = en
        quote = m["sv"][0]
        return f"_({as_literal(sv, quote)})"

    for path in template_files():
        text = path.read_text(encoding="utf-8")
        new = PAIR.sub(replace, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            out.files.append(path)
    return out


def leftover_pairs() -> list[str]:
    """Every ``t(`` call still in a template, as 'file:line'."""
    found = []
    for path in template_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ANY_T.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    return found


MessageId = str | tuple[str, ...]
Key = tuple[MessageId, str | None]


def extract() -> dict[Key, str]:
    """Every text the code and the templates use: (id, context) -> a place it is used."""
    found: dict[Key, str] = {}
    options = {pattern: JINJA_OPTIONS for pattern, method in METHODS if "jinja2" in method}
    for filename, lineno, raw, _comments, context in extract_from_dir(
        ROOT, METHODS, options, KEYWORDS
    ):
        message: MessageId = raw
        if isinstance(raw, tuple | list):
            message = tuple(m for m in raw if m) if len(raw) > 1 else raw[0]
        if message:
            found.setdefault((message, context), f"{filename}:{lineno}")
    return found


def collisions(used: dict[Key, str]) -> list[str]:
    """Texts used both alone and as the singular of a count: a catalogue holds one entry per
    id, so one of them needs other words or a ``pgettext`` context."""
    single = {(m, c): where for (m, c), where in used.items() if isinstance(m, str)}
    return [
        f"{where} and {single[(m[0], c)]}: {m[0]!r} is a count and a text"
        for (m, c), where in used.items()
        if isinstance(m, tuple) and (m[0], c) in single
    ]


def read(lang: str) -> Catalog:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalog(locale=LANGS[lang], domain="messages")
    with path.open("rb") as f:
        return read_po(f, locale=LANGS[lang], domain="messages")


def write(lang: str, catalog: Catalog) -> None:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, omit_header=False, sort_output=True)


#: Fixed dates in the header: a catalogue changes only when its texts do (clean merges).
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _new_catalog(lang: str) -> Catalog:
    catalog = Catalog(
        locale=LANGS[lang],
        domain="messages",
        header_comment=f"# samflow's texts, {'Swedish (identity)' if lang == 'sv' else 'English'}."
        "\n# Written by scripts/i18n.py; edit msgstr by hand, see docs/i18n.md.",
        project="samflow",
        version="1",
        copyright_holder="samflow",
        msgid_bugs_address="-",
        creation_date=_EPOCH,
        revision_date=_EPOCH,
        last_translator="samflow",
        language_team=f"samflow {lang}",
        fuzzy=False,
    )
    return catalog


def english(catalog: Catalog) -> dict[str, str]:
    return {
        m.id: m.string
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


def update(pairs: dict[str, str]) -> list[str]:
    """Write both catalogues for the texts in use; return those without English."""
    used = extract()
    clashes = collisions(used)
    if clashes:
        return clashes
    old_en = read("en")
    sv, en = _new_catalog("sv"), _new_catalog("en")
    missing = []
    for (msgid, context), where in sorted(used.items(), key=lambda kv: str(kv[0])):
        before = old_en.get(msgid, context)
        if isinstance(msgid, tuple):
            sv.add(msgid, list(msgid), context=context)
            plural = before is not None and isinstance(before.id, tuple | list)
            string = tuple(before.string) if before and plural else ("", "")
            if not all(string):
                missing.append(f"{where}: {msgid!r}")
            en.add(msgid, list(string), context=context)
        else:
            sv.add(msgid, msgid, context=context)
            kept = before.string if before and isinstance(before.string, str) else ""
            translated = kept or pairs.get(msgid, "")
            if not translated:
                missing.append(f"{where}: {msgid!r}")
            en.add(msgid, translated, context=context)
    write("sv", sv)
    write("en", en)
    return missing


#: The Python functions that translate (as ``f(...)`` or ``obj.f(...)``).
TRANSLATING = {"_", "n_", "tr", "ntr", "ptr", "gettext", "ngettext", "pgettext"}


def hidden_in_fstrings() -> list[str]:
    """Every translation call inside an f-string, as 'file:line': the extractor does not see
    into f-strings, so such a text would never reach the catalogue (and stay Swedish)."""
    found = []
    for pattern, method in METHODS:
        if method != "python":
            continue
        for path in sorted(ROOT.glob(pattern.replace("**.py", "**/*.py"))):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for part in ast.walk(node):
                    if isinstance(part, ast.Call):
                        f = part.func
                        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                        if name in TRANSLATING:
                            found.append(f"{path.relative_to(ROOT)}:{part.lineno}")
    return found


def python_pairs() -> list[str]:
    """Every ``c.t("sv", "en")`` of literal texts left on the command line, as 'file:line':
    ``Console.t`` is for data in two languages, texts belong in the catalogue."""
    found = []
    for path in sorted(ROOT.glob("cli/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "t"
                and len(node.args) == 2
                and all(
                    isinstance(a, ast.JoinedStr)
                    or (isinstance(a, ast.Constant) and isinstance(a.value, str))
                    for a in node.args
                )
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def main(argv: Iterable[str]) -> int:
    args = list(argv) or ["convert"]
    command = args[0]
    if command not in ("convert", "update", "check"):
        print(__doc__)
        return 2
    if command == "check":
        missing = [k for k, v in _without_english().items() if v]
        left = leftover_pairs()
        hidden = [f"{w}: a translated text inside an f-string" for w in hidden_in_fstrings()]
        hidden += [f"{w}: a t(sv, en) pair of texts (use c._)" for w in python_pairs()]
        for line in (*missing, *left, *hidden):
            print(line)
        return 1 if missing or left or hidden else 0
    pairs: dict[str, str] = {}
    if command == "convert":
        result = convert(english(read("en")))
        pairs = result.pairs
        print(f"converted {len(result.pairs)} texts in {len(result.files)} templates")
        for c in result.conflicts:
            print(f"conflict, left as t(...): {c}")
    missing = update(pairs)
    for m in missing:
        print(f"no English yet: {m}")
    left = leftover_pairs()
    for where in left:
        print(f"t( left (not a pair of literals; convert by hand): {where}")
    return 1 if missing else 0


def _without_english() -> dict[str, bool]:
    en = read("en")
    out = {}
    for (msgid, context), where in extract().items():
        m = en.get(msgid, context)
        ok = m is not None and (all(m.string) if isinstance(msgid, tuple) else bool(m.string))
        out[f"{where}: {msgid!r}"] = not ok
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
