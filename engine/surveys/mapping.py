"""A vendor file's column mapping, saved by key: next year's file imports in one step.

A mapping says how the file is laid out (``respondent``: one row per respondent; ``unit``:
one row per unit with its number of answers and each question's mean), which column holds
the unit's code, which the nine HME questions (``m1``…``g3``, see
``engine.domain.followup.surveys.QUESTIONS``), and the answers' scale (1–5 by default; a mean of an
aggregated file is on the same scale).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.context import Actor, App, Tx
from engine.db.models.followup.surveys import SurveyMapping
from engine.domain.errors import FieldError, InvalidInput, NotFound
from engine.domain.followup.surveys import QUESTIONS
from engine.surveys.common import require_top_admin

LAYOUTS = ("respondent", "unit")
KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
CHAIN = "surveys"


@dataclass(frozen=True)
class MappingSpec:
    key: str
    name: str
    layout: str
    unit_column: str
    columns: dict[str, str]  # question -> heading
    scale_low: int = 1
    scale_high: int = 5
    count_column: str = ""  # layout "unit": the number of answers
    invited_column: str = ""  # optional: how many were asked

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "layout": self.layout,
            "unit_column": self.unit_column,
            "count_column": self.count_column,
            "invited_column": self.invited_column,
            "columns": dict(self.columns),
            "scale_low": self.scale_low,
            "scale_high": self.scale_high,
        }

    def headings(self) -> list[str]:
        wanted = [self.unit_column, *self.columns.values()]
        if self.layout == "unit":
            wanted.append(self.count_column)
        return wanted


def _text(data: Mapping[str, Any], name: str, errors: list[FieldError], *, need: bool) -> str:
    value: object = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(name, "text expected", "text förväntas"))
        return ""
    value = value.strip()
    if need and not value:
        errors.append(FieldError(name, "required", "måste anges"))
    if len(value) > 200:
        errors.append(FieldError(name, "at most 200 characters", "högst 200 tecken"))
    return value


def parse_mapping(data: Mapping[str, Any]) -> MappingSpec:
    """A mapping from a form or JSON, every problem named by its field."""
    errors: list[FieldError] = []
    key = _text(data, "key", errors, need=True).lower()
    if key and not KEY.fullmatch(key):
        errors.append(
            FieldError(
                "key",
                "lower-case letters, digits, '.', '-' and '_' (at most 64)",
                "gemener, siffror, '.', '-' och '_' (högst 64)",
            )
        )
    name = _text(data, "name", errors, need=False) or key
    layout = _text(data, "layout", errors, need=True) or "respondent"
    if layout not in LAYOUTS:
        errors.append(
            FieldError("layout", "respondent or unit", "respondent (per svarande) eller unit")
        )
    unit_column = _text(data, "unit_column", errors, need=True)
    count_column = _text(data, "count_column", errors, need=layout == "unit")
    invited_column = _text(data, "invited_column", errors, need=False)
    raw = data.get("columns")
    columns: dict[str, str] = {}
    if not isinstance(raw, Mapping):
        errors.append(
            FieldError("columns", "the nine questions' columns", "de nio frågornas kolumner")
        )
    else:
        for q in QUESTIONS:
            columns[q] = _text(raw, q, errors, need=True)
        known = ", ".join(QUESTIONS)
        if unknown := sorted(map(str, set(raw) - set(QUESTIONS))):
            errors.append(
                FieldError(
                    "columns",
                    f"unknown questions {', '.join(unknown)} (known: {known})",
                    f"okända frågor {', '.join(unknown)} (finns: {known})",
                )
            )
        errors = [
            FieldError(f"columns.{e.path}", e.message_en, e.message_sv)
            if e.path in QUESTIONS
            else e
            for e in errors
        ]
    low, high = data.get("scale_low", 1), data.get("scale_high", 5)
    try:
        low, high = int(low), int(high)
    except (TypeError, ValueError):
        errors.append(FieldError("scale_low", "whole numbers", "heltal"))
        low, high = 1, 5
    if not (0 <= low < high <= 100):
        errors.append(FieldError("scale_high", "0 ≤ bottom < top ≤ 100", "0 ≤ botten < topp ≤ 100"))
    headings = [unit_column, *columns.values(), *([count_column] if layout == "unit" else [])]
    named = [h.casefold() for h in headings if h]
    if len(named) != len(set(named)):
        errors.append(
            FieldError("columns", "each column may be named once", "varje kolumn får anges en gång")
        )
    if errors:
        raise InvalidInput(errors)
    return MappingSpec(
        key, name, layout, unit_column, columns, low, high, count_column, invited_column
    )


def _spec(m: SurveyMapping) -> MappingSpec:
    return MappingSpec(
        m.key,
        m.name,
        m.layout,
        m.unit_column,
        json.loads(m.columns),
        m.scale_low,
        m.scale_high,
        m.count_column,
        m.invited_column,
    )


def save_mapping(app: App, actor: Actor, spec: MappingSpec) -> bool:
    """Save (or change) a mapping; True when it is new."""

    def work(tx: Tx) -> bool:
        s = tx.session
        require_top_admin(s, app, actor)
        found = s.scalar(select(SurveyMapping).where(SurveyMapping.key == spec.key))
        new = found is None
        if found is None:
            found = SurveyMapping(key=spec.key, created_at=tx.now, created_by=actor.person_id)
            s.add(found)
        found.name = spec.name
        found.layout = spec.layout
        found.unit_column = spec.unit_column
        found.count_column = spec.count_column
        found.invited_column = spec.invited_column
        found.columns = json.dumps(spec.columns, ensure_ascii=False)
        found.scale_low, found.scale_high = spec.scale_low, spec.scale_high
        found.updated_at = tx.now
        s.flush()
        tx.record(
            CHAIN,
            "survey.mapping_saved",
            "survey_mapping",
            found.id,
            actor,
            data={**spec.as_dict(), "new": new},
        )
        return new

    return app.run(work)


def list_mappings(app: App, actor: Actor) -> list[MappingSpec]:
    with app.read() as s:
        require_top_admin(s, app, actor)
        return [_spec(m) for m in s.scalars(select(SurveyMapping).order_by(SurveyMapping.key))]


def load_mapping(app: App, actor: Actor, key: str) -> MappingSpec:
    with app.read() as s:
        require_top_admin(s, app, actor)
        m = s.scalar(select(SurveyMapping).where(SurveyMapping.key == key))
        if m is None:
            raise NotFound("mapping", key)
        return _spec(m)


def all_specs(app: App) -> list[MappingSpec]:
    with app.read() as s:
        return [_spec(m) for m in s.scalars(select(SurveyMapping).order_by(SurveyMapping.key))]
