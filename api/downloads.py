"""Documents as HTTP replies, and files as they are uploaded.

A document samflow made (an evidence package, a reply, a report) is either downloaded or
shown in the browser; shown, it carries a policy of its own: its styles are inline (it is
one self-contained file), and nothing in it may run or load anything.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from engine.domain.errors import InvalidInput

DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
MEDIA = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BINARY = {"type": "string", "format": "binary"}


def document(content: bytes | str, fmt: str, filename: str, *, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers=file_headers(filename, disposition),
    )


def file_headers(filename: str, disposition: str = "attachment") -> dict[str, str]:
    return {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "Content-Security-Policy": DOCUMENT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:40] or "x"


def content_doc(
    *formats: str, json_schema: dict[str, Any] | None = None, model: type[BaseModel] | None = None
) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` entry of a document in ``formats``. The JSON shape as a
    ``model`` is drawn into the spec's components (every reader of the spec, ReDoc too,
    resolves it); a ``json_schema`` is put inline as it is (keep it free of ``$defs``)."""
    content: dict[str, Any] = {}
    for fmt in formats:
        if fmt == "json":
            # (a model's schema FastAPI puts here, in the formats' order)
            content[MEDIA[fmt]] = {} if model else {"schema": json_schema or {"type": "object"}}
        elif fmt in ("pdf", "xlsx"):
            content[MEDIA[fmt]] = {"schema": BINARY}
        else:
            content[MEDIA[fmt].split(";")[0]] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {"description": "The document", "content": content}
    if model is not None:
        out["model"] = model
    return {200: out}


def read_upload(upload: Any, limit: int, field: str = "file") -> tuple[str, bytes]:
    """(filename, content) of an uploaded file, refusing none, empty or too large."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput.field(field, "choose a file", "välj en fil")
    content = upload.file.read(limit + 1)
    if not content:
        raise InvalidInput.field(field, "the file is empty", "filen är tom")
    if len(content) > limit:
        size = f"{limit // 1_000_000} MB" if limit >= 1_000_000 else f"{limit // 1000} kB"
        raise InvalidInput.field(
            field, f"the file is larger than {size}", f"filen är större än {size}"
        )
    return upload.filename, content
