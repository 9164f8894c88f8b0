"""Task allocation's rules (AFS 2023:1 9 § and Bilaga 1), without I/O.

An allocation is offered by the manager above (the board for the top of the tree), then
accepted by the manager, both signing the same text; or returned by the manager, naming
what is lacking. The next allocation of the unit supersedes it. A return of an allocated
task (or one case of it) names what is lacking (authority, resources or knowledge) and is
decided by the allocator: resources given (it goes back), taken back, or allocated
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.domain.errors import Conflict, FieldError

OFFERED, ACCEPTED, RETURNED, SUPERSEDED = "offered", "accepted", "returned", "superseded"
STATES = (OFFERED, ACCEPTED, RETURNED, SUPERSEDED)
#: state -> action -> next state
MOVES: dict[str, dict[str, str]] = {
    OFFERED: {"accept": ACCEPTED, "return": RETURNED, "supersede": SUPERSEDED},
    ACCEPTED: {"supersede": SUPERSEDED},
    RETURNED: {"supersede": SUPERSEDED},
    SUPERSEDED: {},
}
#: What a manager may say they lack (9 §: authority, resources, knowledge).
LACKING = ("authority", "resources", "knowledge")
#: What the allocator decides on a return.
OUTCOMES = ("resources", "taken_back", "elsewhere")
MAX_ITEMS = 30
MAX_TEXT = 2000
MAX_REASON = 4000

_STATE_SV = {
    OFFERED: "erbjuden",
    ACCEPTED: "accepterad",
    RETURNED: "returnerad",
    SUPERSEDED: "ersatt",
}


def next_state(state: str, action: str) -> str:
    """The state after ``action``, or a refusal naming the state it is in."""
    nxt = MOVES.get(state, {}).get(action)
    if nxt is None:
        raise Conflict(
            f"the allocation is {state}: it cannot be {action}ed",
            f"fördelningen är {_STATE_SV.get(state, state)}: det går inte längre",
        )
    return nxt


def lacking_errors(lacking: Iterable[str], reason: str, path: str = "lacking") -> list[FieldError]:
    """A return names at least one of authority, resources, knowledge, and says why."""
    given = list(lacking)
    out = []
    unknown = [x for x in given if x not in LACKING]
    if unknown or not given:
        out.append(
            FieldError(
                path,
                "name what is lacking: authority, resources and/or knowledge",
                "ange vad som saknas: befogenheter, resurser och/eller kunskaper",
            )
        )
    if not reason.strip():
        out.append(
            FieldError(
                "reason",
                "a return needs a written reason",
                "en returnering behöver ett skriftligt skäl",
            )
        )
    elif len(reason) > MAX_REASON:
        out.append(
            FieldError("reason", f"at most {MAX_REASON} characters", f"högst {MAX_REASON} tecken")
        )
    return out


def joined(lacking: Iterable[str]) -> str:
    """The lacking list as stored: in the order of ``LACKING``, no repeats."""
    have = set(lacking)
    return ",".join(x for x in LACKING if x in have)
