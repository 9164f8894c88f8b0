"""What a page shows after a refused submission, the same on every form page: each
message beside its field, the problem summary at the top (``api.errors.problem``) with a
link from each error to the field it names, and the page's status (the error's, else 200).

    fields, no = form_fields(schema, data, exc, lang)
    return render(request, "x.html", status=no.status, fields=fields, problem=no.problem)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from api.errors import field_messages, problem
from engine.domain.errors import InvalidInput, SamflowError
from forms.fields import Field, build, describe, field_id, known_paths


@dataclass(frozen=True)
class Refused:
    """A refusal as a page shows it (nothing refused: no errors, no problem, 200)."""

    errors: dict[str, str]  # path -> message, for beside its field
    problem: dict[str, Any] | None  # the summary

    @property
    def status(self) -> int:
        return int(self.problem["status"]) if self.problem else 200


def refused(exc: SamflowError | None, lang: str) -> Refused:
    if exc is None:
        return Refused({}, None)
    errors = field_messages(exc, lang) if isinstance(exc, InvalidInput) else {}
    return Refused(errors, problem(exc, lang))


def link_fields(no: Refused, schema: type[BaseModel], fields: list[Field], lang: str) -> None:
    """Each error of the summary that names a field shown gets its anchor and label."""
    if no.problem is None:
        return
    known = known_paths(fields)
    for e in no.problem["errors"]:
        if e["path"] in known:
            e["anchor"], e["label"] = field_id(e["path"]), describe(schema, e["path"], lang)


def form_fields(
    schema: type[BaseModel], data: dict[str, Any], exc: SamflowError | None, lang: str
) -> tuple[list[Field], Refused]:
    """The form's fields with the person's input and each message beside its field, and
    the refusal with its summary linked to them."""
    no = refused(exc, lang)
    fields = build(schema, data, no.errors)
    link_fields(no, schema, fields, lang)
    return fields, no
