"""A unit's safety rounds, through the use cases: shared by the round tests."""

from __future__ import annotations

from typing import Any

from engine.rounds import rounds
from tests.factories import Org

#: A tiny JPEG (its first bytes are what the type check reads).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
PLAN = {"unit": "U1", "checklist": "kitchen", "planned_on": "2027-01-10", "area": "Köket"}
FLOOR = {
    "point": "floor",
    "place": "Vid diskmaskinen",
    "description": "Vått och halt golv",
    "probability": 3,
    "consequence": 3,
}
KNIVES = {
    "point": "knives",
    "place": "Bänken",
    "description": "Knivar ligger löst",
    "probability": 2,
    "consequence": 2,
}
PROTOCOL = {
    "done_on": "2027-01-10",
    "participants": "Maja Chef, Sven Skyddsombud",
    "answers": [
        {"point": "floor", "answer": "finding"},
        {"point": "knives", "answer": "finding"},
        {"point": "heat", "answer": "ok"},
    ],
}


def open_round(o: Org, **over: Any) -> rounds.Opened:
    return rounds.plan(o.app, o.actor("m1@x.se"), {**PLAN, **over})


def finish(o: Org, out: rounds.Opened, protocol: dict[str, Any] | None = None) -> None:
    """Both tasks done (the manager's protocol, the representative's part)."""
    o.complete("m1@x.se", "lead_round", protocol or PROTOCOL, out.cycle_id)
    o.complete("so1@x.se", "take_part", {"took_part": True}, out.cycle_id)
