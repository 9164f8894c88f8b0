"""Checklist templates for safety rounds (skyddsrond), as data: one YAML file per
checklist in ``forms/checklists/`` (general, office, kitchen, home care ...). A new
checklist is a new file; nothing in code names a point.

    lists = checklists.all_checklists()        # key -> Checklist, sorted by key
    checklists.get("kitchen").point("floor").text("en")
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

HERE = Path(__file__).parent / "checklists"
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Titled(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sv: Text
    en: Text

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class Point(Titled):
    key: Key


class Checklist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: Key
    title: Titled
    points: tuple[Point, ...] = Field(min_length=1, max_length=200)

    @field_validator("points")
    @classmethod
    def _unique(cls, v: tuple[Point, ...]) -> tuple[Point, ...]:
        keys = [p.key for p in v]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"points named twice: {', '.join(dup)}")
        return v

    def point(self, key: str) -> Point | None:
        return next((p for p in self.points if p.key == key), None)


def parse(text: str, name: str) -> Checklist:
    """A checklist from its YAML; a bad file names its field (``points[2].sv``)."""
    data = yaml.safe_load(text)
    out = Checklist.model_validate(data)
    if out.key != name:
        raise ValueError(f"{name}.yaml: key {out.key!r} differs from the file name")
    return out


@functools.cache
def all_checklists() -> dict[str, Checklist]:
    lists = [parse(p.read_text(encoding="utf-8"), p.stem) for p in sorted(HERE.glob("*.yaml"))]
    return {c.key: c for c in lists}


def get(key: str) -> Checklist | None:
    return all_checklists().get(key)


def choices() -> dict[str, tuple[str, str]]:
    return {c.key: (c.title.sv, c.title.en) for c in all_checklists().values()}
