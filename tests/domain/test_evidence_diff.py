"""Comparing two versions of an evidence package, and tracing differences to audit events."""

from __future__ import annotations

from engine.domain.evidence import LaterEvent, attribute, diff, digest, normalised

AUDITED = frozenset({"unit", "measure", "task"})


def package(what: str = "Taklyft", extra: bool = False) -> dict[str, object]:
    history = [{"ref": "measure_event:1", "status": "planned"}]
    if extra:
        history.append({"ref": "measure_event:2", "status": "in_progress"})
    return {
        "units": [
            {
                "ref": "unit:1",
                "code": "U1",
                "measures": [
                    {"ref": "measure:7", "what": what, "history": history},
                    {"ref": "measure:8", "what": "Utbildning", "history": []},
                ],
            }
        ]
    }


def test_digest_ignores_key_order_but_not_content() -> None:
    a, b = {"x": 1, "y": [1, 2]}, {"y": [1, 2], "x": 1}
    assert digest(a) == digest(b) != digest({"x": 1, "y": [2, 1]})
    assert normalised({"d": (1, 2)}) == {"d": [1, 2]}


def test_records_are_matched_by_ref_not_position() -> None:
    old = package()
    new = package()
    new["units"][0]["measures"].reverse()  # type: ignore[index] - test data
    assert diff(old, new) == ([], 0)
    changes, total = diff(old, package("Inget", extra=True))
    assert total == 2
    assert [(c.path[-2:], c.kind) for c in changes] == [
        (("history", "measure_event:2"), "added"),
        (("measure:7", "what"), "changed"),
    ]


def test_only_events_about_the_changed_record_explain_it() -> None:
    changes, _ = diff(package(), package("Inget", extra=True))
    later = [
        LaterEvent("cycle:1", 9, "measure.start", "measure:7"),
        LaterEvent("org", 4, "unit.updated", "unit:1"),
    ]
    chains = {"unit:1": "org", "measure:7": "cycle:1", "measure_event:2": "cycle:1"}
    added, edited = attribute(changes, later, chains, AUDITED)
    assert added.verdict == "explained" and added.explained_by == (
        "cycle:1#9 measure.start measure:7",
    )
    assert edited.verdict == "explained"
    unexplained = attribute(changes, later[1:], chains, AUDITED)
    assert [d.verdict for d in unexplained] == ["unexplained", "unexplained"]
