"""Survey files the tests share: a vendor's per-respondent export and its mapping."""

from __future__ import annotations

from collections.abc import Iterable

from engine.context import App
from engine.surveys import mapping
from tests.factories import Org, build_org

HEADINGS = ["Enhet", *[f"Fråga {i}" for i in range(1, 10)]]
MAPPING = {
    "key": "enkatfabriken",
    "name": "Enkätfabriken",
    "layout": "respondent",
    "unit_column": "Enhet",
    "columns": {
        q: f"Fråga {i}"
        for i, q in enumerate(("m1", "m2", "m3", "l1", "l2", "l3", "g1", "g2", "g3"), start=1)
    },
    "scale_low": 1,
    "scale_high": 5,
}


def respondent_csv(rows: Iterable[tuple[str, list[int | str]]]) -> bytes:
    lines = [";".join(HEADINGS)]
    lines += [";".join([unit, *map(str, answers)]) for unit, answers in rows]
    return ("\n".join(lines) + "\n").encode()


def answers(unit: str, count: int, values: list[int]) -> list[tuple[str, list[int | str]]]:
    return [(unit, list(values)) for _ in range(count)]


def build(app: App) -> Org:
    o = build_org(app)
    mapping.save_mapping(app, o.actor("hr@x.se"), mapping.parse_mapping(MAPPING))
    return o
