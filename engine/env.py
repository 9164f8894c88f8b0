"""Reading one setting's raw text from the environment: ``SAMFLOW_<NAME>``, or the file
named by ``SAMFLOW_<NAME>_FILE``. ``engine.settings.Settings.from_env`` reads every field
through this and validates them; a command that needs only the database URL (``samflow
inbox``) reads it here without loading the settings model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from engine.domain.errors import InvalidInput

PREFIX = "SAMFLOW_"
#: Files named by ``*_FILE`` variables larger than this are refused (a secret is short).
MAX_SECRET_FILE_BYTES = 64 * 1024


def raw_value(field: str, env: Mapping[str, str] | None = None) -> str | None:
    """The text of a setting as the environment gives it (None: not set)."""
    env = os.environ if env is None else env
    var = variable(field)
    if var in env:
        return env[var]
    if f"{var}_FILE" in env:
        return _read_secret_file(f"{var}_FILE", env[f"{var}_FILE"])
    return None


def variable(field: str) -> str:
    """The environment variable of a settings field: ``smtp_port`` -> ``SAMFLOW_SMTP_PORT``."""
    return f"{PREFIX}{field.upper()}"


def _read_secret_file(var: str, path: str) -> str:
    try:
        with Path(path).open("rb") as f:
            raw = f.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as e:
        raise InvalidInput.field(
            var,
            f"cannot read {path!r}: {e.strerror or e}",
            f"kan inte läsa {path!r}: {e.strerror or e}",
        ) from None
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise InvalidInput.field(
            var,
            f"{path!r} is larger than {MAX_SECRET_FILE_BYTES} bytes",
            f"{path!r} är större än {MAX_SECRET_FILE_BYTES} byte",
        )
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidInput.field(
            var, f"{path!r} is not UTF-8 text", f"{path!r} är inte UTF-8-text"
        ) from None
