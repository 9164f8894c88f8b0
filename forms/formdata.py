"""From posted HTML form fields to the nested input a form schema validates, and back.

Field names are paths (``items[0].measures[1].what``). Empty inputs of non-text fields are
left out, so the schema's default applies or it reports the field as missing (an empty
number box is "must be given", not "not a number"). Rows that were left completely blank
are dropped when the form is submitted. "Add row" and "remove row" are submit buttons
(``_action=add:items[0].measures``), so editing a plan needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from forms.fields import Spec, blank, specs, split

MAX_INDEX = 500
CONTROL = ("_action", "_version", "csrf_token")


def unflatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Posted (name, value) pairs as nested dicts and lists. The last value of a repeated
    name wins (a checkbox after its hidden "false")."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        if name in CONTROL:
            continue
        parts = split(name)
        if not parts or not isinstance(parts[0], str):
            continue
        if any(isinstance(p, int) and p > MAX_INDEX for p in parts):
            continue
        _put(root, parts, value)
    shaped: dict[str, Any] = _lists(root)
    return shaped


def _put(node: dict[Any, Any], parts: list[str | int], value: str) -> None:
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Dicts keyed by row numbers become lists, in row order."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_lists(node[k]) for k in sorted(node)]
    return {k: _lists(v) for k, v in node.items() if isinstance(k, str)}


def clean(model: type[BaseModel], data: Any, *, drop_blank: bool = True) -> Any:
    """Shape raw form input for the schema: leave out empty non-text inputs, read yes/no,
    drop blank rows (on submit)."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for spec in specs(model):
        if spec.name not in data:
            continue
        value = _value(spec, data[spec.name], drop_blank)
        if value is not _SKIP:
            out[spec.name] = value
    return out


_SKIP = object()


def _value(spec: Spec, raw: Any, drop_blank: bool) -> Any:
    if spec.kind == "rows" and spec.row is not None:
        rows = raw if isinstance(raw, list) else []
        shaped = [clean(spec.row, r, drop_blank=drop_blank) for r in rows]
        return [r for r in shaped if not (drop_blank and is_blank(r))]
    if spec.kind == "strings":
        return [str(x) for x in raw] if isinstance(raw, list) else _SKIP
    if spec.kind == "lines":  # one per line of a text box
        lines = raw if isinstance(raw, list) else str(raw).splitlines()
        return [str(x).strip() for x in lines if str(x).strip()]
    if spec.kind == "measures":  # the ticked boxes
        return [str(x) for x in raw if str(x).strip()] if isinstance(raw, list) else _SKIP
    if isinstance(raw, dict | list):
        return raw  # the schema says what is wrong with it
    text = str(raw).strip()
    if spec.kind in ("bool", "tribool"):
        return {"true": True, "false": False}.get(text, _SKIP)
    if spec.kind in ("text", "textarea"):
        return text
    if spec.kind == "float":
        text = text.replace(",", ".").replace(" ", "")  # Swedish decimal comma
    return text if text else _SKIP


def is_blank(row: Any) -> bool:
    """Nothing typed in the row (hidden ids and empty sub-rows do not count)."""
    if isinstance(row, list):
        return all(is_blank(r) for r in row)
    if isinstance(row, dict):
        return all(is_blank(v) for k, v in row.items() if k != "id")
    return row in ("", None)


def apply_row_action(model: type[BaseModel], data: dict[str, Any], action: str) -> dict[str, Any]:
    """``add:<path to a list>`` appends an empty row; ``remove:<path to a row>`` removes
    it. Unknown or bad paths change nothing."""
    verb, _, path = action.partition(":")
    parts = split(path)
    if verb == "add":
        holder, row_model = _walk(model, data, parts)
        if isinstance(holder, list) and row_model is not None:
            holder.append(blank(row_model))
    elif verb == "remove" and parts and isinstance(parts[-1], int):
        holder, _ = _walk(model, data, parts[:-1])
        if isinstance(holder, list) and 0 <= parts[-1] < len(holder):
            holder.pop(parts[-1])
    return data


def _walk(
    model: type[BaseModel], data: Any, parts: list[str | int]
) -> tuple[Any, type[BaseModel] | None]:
    """The list at ``parts`` (created if missing) and the model of its rows."""
    node, current = data, model
    row_model: type[BaseModel] | None = None
    for i, part in enumerate(parts):
        if isinstance(part, str):
            spec = next((s for s in specs(current) if s.name == part), None)
            if spec is None or spec.row is None or not isinstance(node, dict):
                return None, None
            if not isinstance(node.get(part), list):
                node[part] = []
            node, row_model = node[part], spec.row
            current = spec.row
        else:
            if not isinstance(node, list) or not 0 <= part < len(node):
                return None, None
            node = node[part]
            if i == len(parts) - 1:
                return None, None
    return node, row_model
