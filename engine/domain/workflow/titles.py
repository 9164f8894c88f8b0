"""The titles of a stored template's stages and tasks, read without validating the whole
template (``engine.domain.workflow.template`` does that, with pydantic, when a version is stored).
Read models that only show names — ``samflow inbox`` — use this to start quickly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The templates' YAML rules (``engine.domain.workflow.template``): only true/false are
    booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass(frozen=True)
class Title:
    sv: str
    en: str


@dataclass(frozen=True)
class Titled:
    key: str
    title: Title


@dataclass(frozen=True)
class TemplateTitles:
    stages: dict[str, Titled]
    tasks: dict[str, Titled]

    def stage(self, key: str) -> Titled:
        return self.stages[key]

    def task(self, key: str) -> Titled:
        return self.tasks[key]


def _titled(d: dict[str, Any]) -> Titled:
    t = d["title"]
    return Titled(str(d["key"]), Title(str(t["sv"]), str(t["en"])))


def titles(text: str) -> TemplateTitles:
    """Stage and task titles of a template already stored (so known to be valid)."""
    doc = yaml.load(text, Loader=_Loader)
    stages = list(doc.get("stages") or [])
    return TemplateTitles(
        {s["key"]: _titled(s) for s in stages},
        {t["key"]: _titled(t) for s in stages for t in s.get("tasks") or []},
    )
