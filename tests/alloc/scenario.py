"""The allocation chain the tests share: the board to the director (ADM), the director to
the department's manager (DEP), the department's manager to the unit managers (U1, U2)."""

from __future__ import annotations

from engine.alloc import allocations
from engine.alloc.allocations import ItemIn, OfferIn
from tests.factories import Org

ITEMS = (
    ItemIn(
        "investigation",
        "Beslutar om undersökningar och skyddsronder",
        "Fyra timmar i veckan, budget 20 000 kr",
        "Arbetsmiljöutbildning (BAM)",
    ),
    ItemIn(
        "measures",
        "Beslutar om åtgärder upp till 50 000 kr",
        "Budget 50 000 kr",
        "Kunskap om AFS 2023:1",
    ),
)
BOARD = {"board": "Socialnämnden", "board_decision": "SN 2027-01-05 § 4"}


def offer(o: Org, by: str, unit: str, **kw: object) -> int:
    data = OfferIn(unit=unit, items=kw.pop("items", ITEMS), **kw)  # type: ignore[arg-type]
    return allocations.offer(o.app, o.actor(by), data).id


def whole_chain(o: Org) -> dict[str, int]:
    """Every unit's allocation offered and accepted; unit code -> allocation id."""
    out = {
        "ADM": offer(o, "hr@x.se", "ADM", **BOARD),
        "DEP": offer(o, "dir@x.se", "DEP"),
        "U1": offer(o, "dep@x.se", "U1", substitute="dep@x.se"),
        "U2": offer(o, "dep@x.se", "U2"),
    }
    for unit, who in (
        ("ADM", "dir@x.se"),
        ("DEP", "dep@x.se"),
        ("U1", "m1@x.se"),
        ("U2", "m2@x.se"),
    ):
        allocations.accept(o.app, o.actor(who), out[unit])
    return out
