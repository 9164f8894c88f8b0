"""The form schemas as a tree of fields a page can render, read from the pydantic models.

A field's label, widget and choices come from its ``json_schema_extra`` (see
``forms.schemas.base.label``); its kind (text, number, date, yes/no, choice, rows of
sub-forms) from its type. Field names are the error paths the engine reports
(``items[0].measures[1].due_date``), so an error lands beside the field it is about.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from forms.schemas.base import Form

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split(path: str) -> list[str | int]:
    """'items[0].measures[1].what' -> ['items', 0, 'measures', 1, 'what']."""
    return [int(i) if i else str(n) for n, i in _PART.findall(path)]


@dataclass(frozen=True)
class Spec:
    """What kind of input one schema field is (independent of any value)."""

    name: str
    #: text textarea int float date bool tribool choice hidden rows strings, and by widget:
    #: lines (a list of texts, one per line) and measures (plan measures to tick)
    kind: str
    label_sv: str
    label_en: str
    required: bool
    optional: bool  # None is allowed
    choices: tuple[tuple[str, str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    widget: str = ""
    row: type[Form] | None = None  # for kind == "rows"
    min_rows: int = 0
    default: str = ""  # as an input shows it

    def label(self, lang: str) -> str:
        return self.label_sv if lang == "sv" else self.label_en


@dataclass
class Field:
    """One field with its value and error, ready for the template."""

    spec: Spec
    path: str
    value: Any
    error: str = ""
    rows: list[list[Field]] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return field_id(self.path)

    @property
    def text(self) -> str:
        """The value as an input shows it ("" for nothing)."""
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, list):
            return "\n".join(str(v) for v in self.value)
        return str(self.value)


def field_id(path: str) -> str:
    """The HTML id of the input for a path (an error summary links to it)."""
    return "f-" + path.replace("[", "-").replace("]", "").replace(".", "-")


def describe(model: type[BaseModel], path: str, lang: str) -> str:
    """A path in words: 'items[0].measures[1].responsible' -> 'Punkter 1 › Åtgärder 2 ›
    Ansvarig'."""
    words: list[str] = []
    current: type[BaseModel] | None = model
    for part in split(path):
        if isinstance(part, int):
            if words:
                words[-1] = f"{words[-1]} {part + 1}"
            continue
        spec = next((s for s in specs(current) if s.name == part), None) if current else None
        if spec is None:
            return path
        words.append(spec.label(lang))
        current = spec.row
    return " › ".join(words) or path


def specs(model: type[BaseModel]) -> list[Spec]:
    return [_spec(name, info) for name, info in model.model_fields.items()]


def _spec(name: str, info: FieldInfo) -> Spec:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    base, optional = _unwrap(info.annotation)
    bounds = _bounds(info, info.annotation)
    widget = str(extra.get("widget", ""))
    common: dict[str, Any] = {
        "name": name,
        "label_sv": str(extra.get("label_sv", name)),
        "label_en": str(extra.get("label_en", name)),
        "required": info.is_required(),
        "optional": optional,
        "widget": widget,
        "minimum": bounds[0],
        "maximum": bounds[1],
        "default": _default_text(info),
    }
    raw_choices = extra.get("choices")
    choices = raw_choices if isinstance(raw_choices, dict) else {}
    return Spec(kind=_kind(base, optional, widget), **common, **_extra_for(base, choices, info))


def _default_text(info: FieldInfo) -> str:
    default = info.get_default(call_default_factory=False)
    if info.is_required() or default is None or isinstance(default, list | dict):
        return ""
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)


def _kind(base: Any, optional: bool, widget: str) -> str:
    if widget in ("hidden", "textarea", "risk", "lines", "measures", "responsible"):
        return widget
    if get_origin(base) is Literal:
        return "choice"
    if get_origin(base) is list:
        inner = get_args(base)[0]
        return "rows" if isinstance(inner, type) and issubclass(inner, BaseModel) else "strings"
    if base is bool:
        return "tribool" if optional else "bool"
    if base is int:
        return "int"
    if base is float:
        return "float"
    if base is datetime:
        return "datetime"
    if base is time:
        return "time"
    if base is date:
        return "date"
    return "text"


def _extra_for(base: Any, choices: dict[str, Any], info: FieldInfo) -> dict[str, Any]:
    if get_origin(base) is Literal:
        return {
            "choices": tuple((str(v), *_pair(choices.get(str(v)), str(v))) for v in get_args(base))
        }
    if get_origin(base) is list:
        inner = get_args(base)[0]
        if isinstance(inner, type) and issubclass(inner, Form):
            least = next((m.min_length for m in info.metadata if hasattr(m, "min_length")), 0)
            return {"row": inner, "min_rows": int(least or 0)}
    return {}


def _pair(value: Any, fallback: str) -> tuple[str, str]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return str(value[0]), str(value[1])
    return fallback, fallback


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without Optional and Annotated, whether None is allowed)."""
    optional = False
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation, optional


def _bounds(info: FieldInfo, annotation: Any) -> tuple[float | None, float | None]:
    metadata = list(info.metadata)
    for arg in get_args(annotation):  # Optional[Annotated[int, Field(ge=1, le=4)]]
        if get_origin(arg) is Annotated:
            for meta in get_args(arg)[1:]:
                metadata += getattr(meta, "metadata", [meta])
    low = next((float(str(m.ge)) for m in metadata if isinstance(m, Ge)), None)
    high = next((float(str(m.le)) for m in metadata if isinstance(m, Le)), None)
    return low, high


def build(model: type[BaseModel], data: dict[str, Any], errors: dict[str, str]) -> list[Field]:
    """The fields of a form with the values in ``data`` and the errors by path."""
    return _build(model, data, errors, "")


def _build(
    model: type[BaseModel], data: dict[str, Any], errors: dict[str, str], prefix: str
) -> list[Field]:
    out = []
    for spec in specs(model):
        path = f"{prefix}.{spec.name}" if prefix else spec.name
        value = data.get(spec.name) if isinstance(data, dict) else None
        f = Field(spec, path, value, errors.get(path, ""))
        if spec.kind == "rows" and spec.row is not None:
            rows = value if isinstance(value, list) else []
            f.rows = [
                _build(spec.row, r if isinstance(r, dict) else {}, errors, f"{path}[{i}]")
                for i, r in enumerate(rows)
            ]
            f.row_errors = [
                errors[f"{path}[{i}]"] for i in range(len(rows)) if f"{path}[{i}]" in errors
            ]
        out.append(f)
    return out


def blank(model: type[BaseModel]) -> dict[str, Any]:
    """An empty row of a sub-form (with the least number of its own rows filled in)."""
    out: dict[str, Any] = {}
    for spec in specs(model):
        if spec.kind == "rows" and spec.row is not None:
            out[spec.name] = [blank(spec.row) for _ in range(max(1, spec.min_rows))]
        elif spec.kind not in ("hidden", "strings", "measures"):
            out[spec.name] = ""
    return out


def known_paths(fields: list[Field]) -> set[str]:
    """Every path a rendered form shows an error at (the rest go in the summary)."""
    out: set[str] = set()
    for f in fields:
        out.add(f.path)
        for i, row in enumerate(f.rows):
            out.add(f"{f.path}[{i}]")
            out |= known_paths(row)
    return out
