"""The texts of the command line: the same catalogues as the pages (``forms/locale``), read
without Babel or Jinja2 when a command starts.

The message id is the Swedish text, so Swedish needs no catalogue at all (the standard
library's ``NullTranslations`` returns the id, and its plural rule, singular for 1, is
Swedish's). English is the ``.po`` compiled once into a ``.mo`` in the user's cache
directory, named by the ``.po``'s digest (a changed catalogue is a new file, never a stale
one), and read with ``gettext.GNUTranslations``: about a millisecond, where reading the
``.po`` with Babel costs a tenth of a second of every command. Without a writable cache the
catalogue is compiled in memory each time, and the command is only slower.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "samflow"


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of ``lang`` ("sv": the identity)."""
    if lang != "en":
        return gettext.NullTranslations()
    raw = (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_bytes()
    mo = cache_dir() / f"messages-en-{hashlib.sha256(raw).hexdigest()[:20]}.mo"
    try:
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    except Exception:
        pass
    data = compile_mo(raw)
    try:
        import tempfile

        mo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, mo)  # whole or not at all: a reader never sees half a file
    except OSError:
        pass
    return gettext.GNUTranslations(io.BytesIO(data))


def compile_mo(po: bytes, locale: str = "en_GB") -> bytes:
    """A ``.po`` catalogue compiled to ``.mo`` bytes (Babel, imported only when needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out = io.BytesIO()
    write_mo(out, read_po(io.BytesIO(po), locale=locale, domain="messages"))
    return out.getvalue()
