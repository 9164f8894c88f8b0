"""Small pieces shared by the parts of an evidence package."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from engine.db.models import Task

#: person id -> {"ref": "person:7", "name": ..., "email": ...} (one shared dict per person)
Person = Callable[[int | None], dict[str, Any] | None]
#: "manager@12" -> {"role": ..., "unit": code, "unit_name": ...}
Where = Callable[[str | None], dict[str, Any] | None]
#: ("manager@12", "2027-03-16") -> the person who held that role that day (or None)
Holder = Callable[[str | None, str], dict[str, Any] | None]


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def signed(t: Task, person: Person) -> dict[str, Any]:
    return {
        "ref": f"task:{t.id}",
        "at": iso(t.closed_at),
        "by": person(t.closed_by),
        "on_behalf_of": person(t.on_behalf_of),
    }


def task_input(t: Task) -> dict[str, Any]:
    value = json.loads(t.data) if t.data else {}
    return value if isinstance(value, dict) else {}
