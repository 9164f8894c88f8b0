"""Turn pydantic validation errors into FieldErrors that name the path, in sv and en."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from engine.domain.errors import FieldError

_SV: dict[str, str] = {
    "missing": "måste anges",
    "extra_forbidden": "okänt fält",
    "string_too_short": "får inte vara tomt",
    "string_too_long": "är för långt",
    "int_parsing": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "float_parsing": "måste vara ett tal",
    "bool_parsing": "måste vara ja eller nej",
    "bool_type": "måste vara ja eller nej",
    "date_from_datetime_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_type": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "greater_than_equal": "är för litet",
    "less_than_equal": "är för stort",
    "greater_than": "är för litet",
    "less_than": "är för stort",
    "literal_error": "har ett otillåtet värde",
    "enum": "har ett otillåtet värde",
    "list_type": "måste vara en lista",
    "dict_type": "måste vara ett objekt",
    "model_type": "måste vara ett objekt",
    "too_short": "har för få rader",
    "too_long": "har för många rader",
    "string_type": "måste vara text",
    "string_pattern_mismatch": "har fel format",
}


def path_of(loc: Sequence[int | str]) -> str:
    """('items', 0, 'measures', 1, 'due') -> 'items[0].measures[1].due'. A name the
    sender made up (an unknown key) is shown with its control characters as ``?``, so the
    error can always be written back (``CONTROL``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = shown_name(str(part), 200)
            out += f".{name}" if out else name
    return out


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    errors: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not _is_union_tag(p)]
        path = path_of(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        en, sv = _messages(err)
        if en.startswith("@"):
            # A model-level rule naming the field it is about: "@comment: why | varför".
            field, _, en = en[1:].partition(": ")
            sv = sv[1:].partition(": ")[2] if sv.startswith("@") else sv
            path = f"{path}.{field}" if path else field
        errors.append(FieldError(path, en, sv))
    return errors


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _messages(err: Any) -> tuple[str, str]:
    ctx = err.get("ctx") or {}
    if err["type"] == "value_error" and "error" in ctx:
        # Our own validators raise ValueError("english | svenska").
        text = str(ctx["error"])
        en, _, sv = text.partition(" | ")
        return en, sv or en
    en = str(err["msg"])
    sv = _SV.get(err["type"], en)
    if err["type"] in ("greater_than_equal", "greater_than") and "ge" in ctx:
        sv = f"måste vara minst {ctx['ge']}"
    if err["type"] in ("greater_than_equal", "greater_than") and "gt" in ctx:
        sv = f"måste vara större än {ctx['gt']}"
    if err["type"] in ("less_than_equal", "less_than") and "le" in ctx:
        sv = f"får vara högst {ctx['le']}"
    return en, sv


def bilingual(en: str, sv: str, field: str = "") -> str:
    """The text a validator raises as ValueError so both languages survive pydantic.

    ``field`` names the field a model-level rule is about, so the message lands beside it.
    """
    if field:
        return f"@{field}: {en} | @{field}: {sv}"
    return f"{en} | {sv}"


#: What no text a person writes carries: the C0 control characters but tab, line feed and
#: carriage return, and DEL; and a lone surrogate (JSON's ``"\ud800"`` decodes to one),
#: which is no character and cannot be written as UTF-8. PostgreSQL refuses NUL in a text
#: and in ``jsonb``, and no driver can send a surrogate, so either let in would stop a
#: write, or a later read of everyone's cases, with a server error.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
CONTROL_EN, CONTROL_SV = "contains a control character", "innehåller ett styrtecken"
CONTROL_MESSAGE = bilingual(CONTROL_EN, CONTROL_SV)


def shown_name(name: str, limit: int = 100) -> str:
    """A name the sender chose (a form's field, a JSON key), fit to be written back in an
    error: each control character shown as ``?``, at most ``limit`` characters."""
    return CONTROL.sub("?", name)[:limit]


def first_with_control(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The shown name of the first (name, text) pair where either carries a control
    character; None when none does."""
    for name, text in pairs:
        if CONTROL.search(name) or CONTROL.search(text):
            return shown_name(name)
    return None


def control_in(text: str) -> tuple[str, str] | None:
    """Where ``text`` (a cell of an imported file, a file's name) carries a control
    character: the message in English and Swedish, naming the character; else None."""
    found = CONTROL.search(text)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    return f"{CONTROL_EN} ({code}); remove it", f"{CONTROL_SV} ({code}); ta bort det"


def without_control(value: Any) -> Any:
    """``value`` unchanged, or ValueError (both languages) where a text in it, a key of a
    mapping included, carries a control character (``CONTROL``)."""
    if isinstance(value, str):
        if CONTROL.search(value):
            raise ValueError(CONTROL_MESSAGE)
    elif isinstance(value, dict):
        for k, v in value.items():
            without_control(k)
            without_control(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            without_control(v)
    return value
