"""Shared bits of the form schemas."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import JsonDict  # type: ignore[attr-defined]

from engine.domain.validation import bilingual, without_control
from engine.domain.workflow.routing import role_from_text

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Scale = Annotated[int, Field(ge=1, le=4)]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Form(BaseModel):
    """A task form. Fields carry sv/en labels in their ``json_schema_extra``; the page
    renderer and the JSON schema both read them from there."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title_sv: ClassVar[str] = ""
    title_en: ClassVar[str] = ""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control(cls, value: Any) -> Any:
        return without_control(value)


def label(sv: str, en: str, **extra: Any) -> JsonDict:
    """Field labels (and widget hints, choices) for the page renderer and the JSON schema."""
    return {"label_sv": sv, "label_en": en, **extra}


def check_responsible(value: str) -> str:
    """A measure's responsible is a person (e-mail), a role word ('Enhetschef'), or a
    position or group as the organisation names it ('HR-chef', 'Ledningsgruppen'; resolved,
    or refused listing those that exist, when the plan is written)."""
    text = value.strip()
    if EMAIL.match(text) or role_from_text(text) is not None or 0 < len(text) <= 128:
        return text
    raise ValueError(
        bilingual(
            "name a person by e-mail, a role or a position (at most 128 characters)",
            "ange en person med e-post, en roll eller en befattning (högst 128 tecken)",
        )
    )
