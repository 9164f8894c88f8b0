"""Laid-out parts of evidence packages, kept by digest (``evidence_part``).

The document side (``forms.exports.evidence_docs``) names each unit's part by the SHA-256 of what it
shows; a part laid out once is fetched here by that key the next time, so a package of an
administration whose units did not change since is mostly assembly. Parts are derived data:
not audited, dropped when unused for ``KEEP``, and always laid out again when missing.

    store = parts.Store(app)
    found = store.get_many(keys)          # key -> (pdf, pages, anchors)
    store.put_many({key: (pdf, pages, anchors)})
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy import delete, select, update

from engine.context import App
from engine.db.audit_store import chunks
from engine.db.models.records.evidence import EvidencePart

#: A part nobody used for this long is dropped (it is laid out again if it is needed).
KEEP = timedelta(days=60)

Laid = tuple[bytes, int, dict[str, int]]  # PDF, pages, anchor id -> page index in the part


class Store:
    """The parts table as the document side's part store."""

    def __init__(self, app: App) -> None:
        self.app = app

    def get_many(self, keys: Sequence[str]) -> dict[str, Laid]:
        out: dict[str, Laid] = {}
        wanted = sorted(set(keys))
        with self.app.read() as s:
            for batch in chunks(wanted, 500):
                stmt = select(
                    EvidencePart.key, EvidencePart.content, EvidencePart.pages, EvidencePart.anchors
                ).where(EvidencePart.key.in_(batch))
                for key, content, pages, anchors in s.execute(stmt):
                    out[key] = (bytes(content), pages, json.loads(anchors))
        if out:
            now = self.app.clock.now()
            with self.app.db.write() as s:
                for batch in chunks(sorted(out), 500):
                    s.execute(
                        update(EvidencePart).where(EvidencePart.key.in_(batch)).values(used_at=now)
                    )
        return out

    def put_many(self, parts: Mapping[str, Laid]) -> None:
        if not parts:
            return
        now = self.app.clock.now()
        with self.app.db.write() as s:
            s.execute(delete(EvidencePart).where(EvidencePart.used_at < now - KEEP))
            have = set()
            for batch in chunks(sorted(parts), 500):
                have |= set(s.scalars(select(EvidencePart.key).where(EvidencePart.key.in_(batch))))
            s.add_all(
                EvidencePart(
                    key=key,
                    content=pdf,
                    pages=pages,
                    anchors=json.dumps(anchors, sort_keys=True),
                    created_at=now,
                    used_at=now,
                )
                for key, (pdf, pages, anchors) in sorted(parts.items())
                if key not in have
            )
