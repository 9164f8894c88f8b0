"""Audit chains named in words: ``Hemtjänst Norr (HN), 2027`` rather than ``cycle:3``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit_store import chunks
from engine.db.models import Cycle, OrgUnit

#: Chains that are not a cycle's: (sv, en).
FIXED = {
    "org": (
        "organisationen (enheter, personer, roller)",
        "the organisation (units, people, roles)",
    ),
    "accounts": ("konton och inloggningar", "accounts and sign-ins"),
}


def chain_names(s: Session, chains: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each chain in words (sv, en), its key in brackets for whoever looks it up."""
    wanted = set(chains)
    out = {c: (f"{FIXED[c][0]} [{c}]", f"{FIXED[c][1]} [{c}]") for c in wanted if c in FIXED}
    ids = {int(c.split(":", 1)[1]): c for c in wanted if _cycle_id(c)}
    for batch in chunks(sorted(ids)):
        stmt = (
            select(Cycle.id, Cycle.year, Cycle.instance, OrgUnit.name, OrgUnit.code)
            .join(OrgUnit, OrgUnit.id == Cycle.unit_id)
            .where(Cycle.id.in_(batch))
        )
        for cid, year, instance, name, code in s.execute(stmt):
            key = ids[cid]
            sv = en = f"{name} ({code}), {year}"
            if instance.startswith("inspection:"):
                sv, en = f"{sv}, inspektion", f"{en}, inspection"
            out[key] = (f"{sv} [{key}]", f"{en} [{key}]")
    for c in wanted - out.keys():
        gone = _cycle_id(c)
        out[c] = (
            f"{c} (finns inte längre i databasen)" if gone else c,
            f"{c} (no longer in the database)" if gone else c,
        )
    return out


def _cycle_id(chain: str) -> bool:
    kind, _, rest = chain.partition(":")
    return kind == "cycle" and rest.isdigit()
