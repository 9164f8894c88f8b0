"""The digest of an evidence package, and what differs between two versions of one.

A package is plain JSON data (``engine.evidence.package`` builds it). Its digest is the
SHA-256 of its canonical JSON, so it names the *content*, whatever the document around it
(HTML, PDF) looks like. Records in the data carry a ``ref`` (``"measure:12"``, ``"task:7"``,
``"event:cycle:3#17"``) named like the subjects of audit events; a difference can therefore
be traced to the audit events that explain it, or shown to have none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.domain.audit.chain import canonical_json

MAX_DIFFERENCES = 200


def normalised(data: dict[str, Any]) -> dict[str, Any]:
    """The data as JSON would give it back (dates as text, tuples as lists)."""
    value = json.loads(canonical_json(data))
    assert isinstance(value, dict)
    return value


def digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


@dataclass(frozen=True)
class Difference:
    """One place where the package and the database disagree."""

    path: tuple[str, ...]  # "unit:3", "cycle:5", "item:2", "measure:9", "what"
    kind: str  # changed | added | removed
    before: Any
    after: Any
    refs: tuple[str, ...] = ()  # records on the path (and the added/removed one)
    explained_by: tuple[str, ...] = ()  # later audit events touching one of them
    chain_moved: bool = False  # the record's audit chain has later events

    @property
    def where(self) -> str:
        return " › ".join(self.path)

    @property
    def verdict(self) -> str:
        """explained | possibly_explained | unexplained (changed outside samflow)."""
        if self.explained_by:
            return "explained"
        return "possibly_explained" if self.chain_moved else "unexplained"


@dataclass
class _Walk:
    out: list[Difference] = field(default_factory=list)
    total: int = 0

    def add(self, d: Difference) -> None:
        self.total += 1
        if len(self.out) < MAX_DIFFERENCES:
            self.out.append(d)


def diff(old: Any, new: Any) -> tuple[list[Difference], int]:
    """Differences from ``old`` to ``new`` (both normalised); at most MAX_DIFFERENCES listed,
    with the total count."""
    walk = _Walk()
    _diff(old, new, (), (), walk)
    return walk.out, walk.total


def _diff(old: Any, new: Any, path: tuple[str, ...], refs: tuple[str, ...], w: _Walk) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        ref = old.get("ref") or new.get("ref")
        if isinstance(ref, str) and (not refs or refs[-1] != ref):
            refs = (*refs, ref)
        for key in sorted(set(old) | set(new)):
            if key not in new:
                w.add(Difference((*path, key), "removed", old[key], None, refs))
            elif key not in old:
                w.add(Difference((*path, key), "added", None, new[key], refs))
            else:
                _diff(old[key], new[key], (*path, key), refs, w)
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_lists(old, new, path, refs, w)
        return
    if old != new:
        w.add(Difference(path, "changed", old, new, refs))


def _diff_lists(
    old: list[Any], new: list[Any], path: tuple[str, ...], refs: tuple[str, ...], w: _Walk
) -> None:
    if _keyed(old) and _keyed(new):
        before = {x["ref"]: x for x in old}
        after = {x["ref"]: x for x in new}
        for ref in [*before, *(r for r in after if r not in before)]:
            here = (*path, ref)
            if ref not in after:
                w.add(Difference(here, "removed", before[ref], None, (*refs, ref)))
            elif ref not in before:
                w.add(Difference(here, "added", None, after[ref], (*refs, ref)))
            else:
                _diff(before[ref], after[ref], here, (*refs, ref), w)
        return
    for i in range(max(len(old), len(new))):
        here = (*path, f"[{i}]")
        if i >= len(new):
            w.add(Difference(here, "removed", old[i], None, refs))
        elif i >= len(old):
            w.add(Difference(here, "added", None, new[i], refs))
        else:
            _diff(old[i], new[i], here, refs, w)


def _keyed(items: Sequence[Any]) -> bool:
    return bool(items) and all(isinstance(x, dict) and isinstance(x.get("ref"), str) for x in items)


@dataclass(frozen=True)
class LaterEvent:
    """An audit event recorded after the package was built."""

    chain: str
    seq: int
    action: str
    subject: str  # "measure:9"

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action} {self.subject}"


def attribute(
    differences: Iterable[Difference],
    later: Iterable[LaterEvent],
    chain_of: Mapping[str, str],
    audited: frozenset[str],
) -> list[Difference]:
    """Mark each difference with the later events about the record that changed, and
    whether the audit chain recording that record (``chain_of``: ref -> chain) moved on.

    The record is the innermost ref on the path of a kind audit events name as their
    subject (``audited``: a measure, not a row of its history). Only it counts: a later
    change to a unit does not explain an edited measure of that unit."""
    by_subject: dict[str, list[str]] = {}
    moved: set[str] = set()
    for e in later:
        by_subject.setdefault(e.subject, []).append(str(e))
        moved.add(e.chain)
    out = []
    for d in differences:
        record = next((r for r in reversed(d.refs) if r.split(":")[0] in audited), "")
        events = tuple(by_subject.get(record, ()))[:5]
        chain_moved = chain_of.get(record) in moved
        out.append(Difference(d.path, d.kind, d.before, d.after, d.refs, events, chain_moved))
    return out
