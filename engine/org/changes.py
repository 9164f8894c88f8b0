"""What an organisation import sets going besides itself, in its own transaction.

The organisation knows nothing of the capabilities above it (``engine.alloc`` holds a new
manager's open tasks until their task allocation is accepted), so they register here what
they do when an import gives units new managers: ``engine.catalog``, the one place where
hooks are registered, imported by name on first use (as the process registry does), so no
import circle. Each listener gets every new (unit, manager) pair of the transaction at once:
an import of a whole region is thousands of them, and a listener must not make that one
query per unit.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from engine.context import Actor, App, Tx
from engine.domain.clock import local_date
from engine.domain.workflow.states import Role

#: (app, tx, actor, [(unit id, person id)]) -> how many tasks it moved (the import reports it)
NewManagers = Callable[[App, Tx, Actor, list[tuple[int, int]]], int]
LISTENERS: dict[str, NewManagers] = {}
CATALOG = "engine.catalog"


def on_new_managers(key: str, fn: NewManagers) -> None:
    if key in LISTENERS:
        raise ValueError(f"new-manager listener {key!r} is already registered")
    LISTENERS[key] = fn


def new_managers(app: App, tx: Tx, actor: Actor, assigned: Iterable[dict[str, Any]]) -> int:
    """Role rows an import inserted (``role_assignment`` columns): the manager roles in force
    today are new managers of their units; every listener hears of them, in this
    transaction. A role starting later is not a manager yet (``samflow allocation sync``
    holds its tasks once it is)."""
    day = local_date(tx.now)
    pairs = sorted(
        {
            (r["unit_id"], r["person_id"])
            for r in assigned
            if r["role"] == Role.MANAGER.value
            and r["valid_from"] <= day
            and (r["valid_to"] is None or r["valid_to"] >= day)
        }
    )
    if not pairs:
        return 0
    importlib.import_module(CATALOG)
    return sum(fn(app, tx, actor, pairs) for fn in LISTENERS.values())
