"""Cycle templates: the packaged YAML files, and the versions stored in the database.

Starting a cycle stores the text of the template version it uses (once per version); a
running cycle always reads its own version back from the database, so a newer file on disk
never changes a cycle under way. Changing a template's text without bumping its version is
refused.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import App, Tx
from engine.db.models import CycleTemplateRow
from engine.db.unit import Unit
from engine.domain.errors import FieldError, NotFound, TemplateInvalid
from engine.domain.workflow.template import CycleTemplate, digest, parse_template
from engine.workflow.process import registry as process_registry
from forms.schemas.registry import FORMS

_INSTALLED: dict[str, str] = {}
#: A key that can name a shipped file (nothing that walks out of the package).
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def packaged() -> dict[str, str]:
    """Template key -> YAML text of the templates shipped with samflow, and of those a
    plug-in installed (``install``)."""
    return _shipped() | _INSTALLED


def _shipped() -> dict[str, str]:
    out = {}
    for entry in resources.files("engine.cycle_templates").iterdir():
        if entry.name.endswith(".yaml"):
            text = entry.read_text(encoding="utf-8")
            out[parse(text, entry.name).key] = text
    return out


def install(text: str, source: str = "template") -> CycleTemplate:
    """Add a process defined outside the package (its form schemas registered first, in
    ``forms.schemas.registry``); validated like a packaged one. A key is installed once."""
    template = parse(text, source)
    if template.key in _shipped() or _INSTALLED.get(template.key, text) != text:
        en = f"a template {template.key} is already there"
        sv = f"en mall {template.key} finns redan"
        raise TemplateInvalid([FieldError("key", en, sv)], context=source)
    _INSTALLED[template.key] = text
    return template


def parse(text: str, source: str = "template") -> CycleTemplate:
    """The validated template (cached by text: a version's text never changes; the source
    only names the text in errors, so a text valid once is not parsed again under another
    name)."""
    hit = _VALID.get(text)
    if hit is not None:
        return hit
    template = _parse(text, source)
    if len(_VALID) >= 64:
        _VALID.clear()
    _VALID[text] = template
    return template


_VALID: dict[str, CycleTemplate] = {}


@lru_cache(maxsize=64)
def _parse(text: str, source: str) -> CycleTemplate:
    template = parse_template(text, source)
    bad = [
        FieldError(
            f"stages[{i}].tasks[{j}].form",
            f"unknown form {t.form!r} (known: {', '.join(sorted(FORMS))})",
            f"okänt formulär {t.form!r}",
        )
        for i, s in enumerate(template.stages)
        for j, t in enumerate(s.tasks)
        if t.form not in FORMS
    ]
    bad += process_registry.registry().errors(template)
    if bad:
        raise TemplateInvalid(bad, context=source)
    return template


def load_file(path: Path) -> tuple[CycleTemplate, str]:
    text = path.read_text(encoding="utf-8")
    return parse(text, str(path)), text


def ensure_stored(tx: Tx, text: str) -> tuple[CycleTemplateRow, CycleTemplate]:
    """The stored row for this template version, storing it the first time it is used."""
    template = parse(text)
    row = tx.session.scalar(
        select(CycleTemplateRow).where(
            CycleTemplateRow.key == template.key, CycleTemplateRow.version == template.version
        )
    )
    if row is None:
        row = CycleTemplateRow(
            key=template.key,
            version=template.version,
            title_sv=template.title.sv,
            title_en=template.title.en,
            body=text,
            digest=digest(text),
            created_at=tx.now,
        )
        tx.session.add(row)
        tx.session.flush()
    elif row.digest != digest(text):
        raise TemplateInvalid(
            [
                FieldError(
                    "version",
                    f"template {template.key} version {template.version} is already in use "
                    "with different content; raise its version number",
                    f"mallen {template.key} version {template.version} används redan med annat "
                    "innehåll; höj versionsnumret",
                )
            ]
        )
    return row, template


def by_id(app: App, session: Session | Unit, template_id: int) -> CycleTemplate:
    """The parsed template of a stored version (cached: versions never change)."""
    key = ("template", template_id)
    cached = app.cache.get(key)
    if cached is None:
        if isinstance(session, Unit):
            session = session.session
        row = session.get(CycleTemplateRow, template_id)
        if row is None:
            raise NotFound("template", template_id)
        cached = app.cache[key] = parse(row.body, f"{row.key} v{row.version}")
    assert isinstance(cached, CycleTemplate)
    return cached


def text_for(key: str, path: Path | None = None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    if key not in _INSTALLED and _KEY.fullmatch(key):  # a shipped file is named by its key
        entry = resources.files("engine.cycle_templates").joinpath(f"{key}.yaml")
        if entry.is_file():
            text = entry.read_text(encoding="utf-8")
            if parse(text, entry.name).key == key:
                return text
    texts = packaged()
    if key not in texts:
        raise NotFound("template", key)
    return texts[key]
