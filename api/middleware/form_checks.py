"""No control character in a parsed form's field names, texts and files' names.

``api.middleware.control_chars`` refuses them in a path, a query string and an urlencoded
form before any route runs; a multipart form is parsed by its route, so it is checked here
once it is: by the pages' ``api.deps.read_form`` and, for the API's routes that take files,
by the ``MULTIPART`` dependency (``tests/api/test_control_chars.py`` checks that every such
route has it). What the files hold is checked by what reads them: the importers name the
line and column of a control character.
"""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from engine.domain.errors import InvalidInput
from engine.domain.validation import CONTROL_EN, CONTROL_SV, first_with_control


def refuse_in_form(form: FormData) -> None:
    """InvalidInput naming the first field of a parsed form whose name or text, or whose
    file's name, carries a control character."""
    named = first_with_control(
        (name, (value.filename or "") if isinstance(value, UploadFile) else value)
        for name, value in form.multi_items()
    )
    if named is not None:
        raise InvalidInput.field(named, CONTROL_EN, CONTROL_SV)


def is_multipart(request: Request) -> bool:
    """Whether the body is a multipart form (an urlencoded one the middleware checked)."""
    kind = request.headers.get("content-type", "")
    return kind.split(";", 1)[0].strip().lower() == "multipart/form-data"


async def multipart_fields(request: Request) -> None:
    """The API's multipart forms checked as ``refuse_in_form`` says. The route's form
    parameters were parsed before its dependencies are solved, so this reads the form
    Starlette already holds; a request that is no multipart form is not read."""
    if is_multipart(request):
        refuse_in_form(await request.form())


#: ``dependencies=`` of every API route that takes a multipart form (a test checks that)
MULTIPART = [Depends(multipart_fields)]
