"""The evidence package's format number: the safety rounds section made it format 2. A
package built before (format 1: no ``safety_rounds``, no rounds' chains in its basis) is
rebuilt in its own format when verified, so it verifies clean instead of showing the
section as an added difference; a format not known is refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.context import App
from engine.domain.errors import InvalidInput
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from tests.factories import build_org
from tests.rounds.test_rounds_evidence import SYSTEM, _two_rounds

SCOPE = evidence.Scope("unit", "U1", 2027)


def test_a_package_verifies_against_its_own_format(app: App) -> None:
    o = build_org(app)
    o.start()
    got = _two_rounds(o)
    new = evidence.build(app, SYSTEM, SCOPE)
    old = evidence.build(app, SYSTEM, SCOPE, fmt=1)
    assert (new.document()["format"], old.document()["format"]) == (2, 1)
    assert new.data["format"] == 2 and old.data["format"] == 1
    # format 1 is the package as it was before the rounds section: that section and the
    # rounds' chains are what format 2 adds
    assert set(new.data) - set(old.data) == {"safety_rounds"}
    rounds_chains = {f"cycle:{x.cycle_id}" for x in (got["first"], got["second"])}
    added = set(new.data["basis"]["position"]) - set(old.data["basis"]["position"])
    assert added == rounds_chains
    for doc in (old.document(), new.document()):
        report = evidence_verify.verify(app, SYSTEM, doc)
        assert report.matches and report.differences == [], (doc["format"], report.differences)
    # what the bump mends: a format-1 package rebuilt as the current format shows the
    # rounds as an added difference
    claimed = {**old.document(), "format": evidence.FORMAT}
    report = evidence_verify.verify(app, SYSTEM, claimed)
    assert not report.matches
    assert any("safety_rounds" in d.path for d in report.differences)


def test_an_unknown_format_is_refused(app: App) -> None:
    build_org(app)
    doc = evidence.build(app, SYSTEM, SCOPE).document()
    for fmt in (3, 0, True, "2"):
        with pytest.raises(InvalidInput) as refused:
            evidence_verify.verify(app, SYSTEM, {**doc, "format": fmt})
        assert "stöds inte" in refused.value.sv and "not supported" in refused.value.en
    with pytest.raises(InvalidInput):
        evidence.build(app, SYSTEM, SCOPE, fmt=3)
