"""The organisation as plain data: the unit tree, who holds which role, span of control."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from statistics import median

from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role

DEFAULT_SPAN_THRESHOLD = 40


@dataclass
class OrgSnapshot:
    """The unit tree and the current role holders, loaded once for bulk work.

    Implements ``routing.OrgView``.
    """

    parents: dict[int, int | None]
    holders: dict[Address, list[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    _children: dict[int | None, list[int]] | None = None
    #: Where a role expression routes at a unit, worked out once per snapshot (a year start
    #: asks it tens of thousands of times; the snapshot does not change).
    routes: dict[tuple[str, int], Address | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def parent_of(self, unit_id: int) -> int | None:
        return self.parents.get(unit_id)

    #: The units where each role has a holder, built from ``holders`` on first use (a year
    #: start asks tens of thousands of times; an Address built and hashed each time was
    #: most of routing's cost).
    _held: dict[Role, frozenset[int]] | None = field(default=None, repr=False, compare=False)

    def has_holder(self, role: Role, unit_id: int) -> bool:
        held = self._held
        if held is None:
            units: dict[Role, set[int]] = defaultdict(set)
            for address, people in self.holders.items():
                if people:
                    units[address.role].add(address.unit_id)
            held = self._held = {r: frozenset(u) for r, u in units.items()}
        found = held.get(role)
        return found is not None and unit_id in found

    def holders_of(self, address: Address) -> list[int]:
        return self.holders.get(address, [])

    def children(self, unit_id: int | None) -> list[int]:
        if self._children is None:
            kids: dict[int | None, list[int]] = defaultdict(list)
            for unit, parent in self.parents.items():
                kids[parent].append(unit)
            self._children = dict(kids)
        return self._children.get(unit_id, [])

    def subtree(self, root: int | None) -> list[int]:
        """Units under ``root`` (itself included) in depth-first order; None = everything."""
        out: list[int] = []
        stack = [root] if root is not None else sorted(self.children(None), reverse=True)
        while stack:
            unit = stack.pop()
            assert unit is not None
            out.append(unit)
            stack.extend(sorted(self.children(unit), reverse=True))
        return out

    def ancestors(self, unit_id: int) -> Iterator[int]:
        seen = {unit_id}
        parent = self.parents.get(unit_id)
        while parent is not None and parent not in seen:
            yield parent
            seen.add(parent)
            parent = self.parents.get(parent)


def find_cycle(parents: Mapping[str, str | None]) -> list[str] | None:
    """A loop in a parent map (codes), if any: a unit cannot be its own ancestor."""
    state: dict[str, int] = {}
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parents.get(node)
        if node is not None and state.get(node) == 1:
            return [*path[path.index(node) :], node]
        for n in path:
            state[n] = 2
    return None


@dataclass(frozen=True)
class ManagerSpan:
    person_id: int
    units: int
    employees: int


@dataclass(frozen=True)
class SpanOfControl:
    """Employees per manager: "median 40 per unit manager, N managers above 40"."""

    managers: list[ManagerSpan]
    threshold: int

    @property
    def median(self) -> float | None:
        return median(m.employees for m in self.managers) if self.managers else None

    @property
    def above_threshold(self) -> list[ManagerSpan]:
        return [m for m in self.managers if m.employees > self.threshold]


def span_of_control(
    manager_units: Iterable[tuple[int, int, int]], threshold: int = DEFAULT_SPAN_THRESHOLD
) -> SpanOfControl:
    """``(person_id, unit_id, headcount)`` per manager assignment -> span per manager."""
    units: dict[int, set[int]] = defaultdict(set)
    heads: dict[int, int] = defaultdict(int)
    for person, unit, headcount in manager_units:
        if unit not in units[person]:
            units[person].add(unit)
            heads[person] += headcount
    spans = [ManagerSpan(p, len(units[p]), heads[p]) for p in sorted(units)]
    spans.sort(key=lambda m: (-m.employees, m.person_id))
    return SpanOfControl(spans, threshold)
