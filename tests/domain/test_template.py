from importlib import resources

import pytest

from engine.domain.errors import TemplateInvalid
from engine.domain.workflow.template import load_yaml, parse_template

TEXT = resources.files("engine.cycle_templates").joinpath("sam-annual.yaml").read_text("utf-8")


def test_shipped_template_is_valid() -> None:
    t = parse_template(TEXT)
    assert [s.key for s in t.stages] == [
        "survey",
        "analysis",
        "action_plan",
        "cooperation",
        "follow_up",
        "evaluation",
    ]
    assert t.stage("cooperation").on_reject_back_to == "action_plan"
    assert t.task("measure_follow_up").per_measure


def test_yes_and_no_are_not_booleans() -> None:
    assert load_yaml("a: no\nb: yes\nc: true\nd: NO") == {
        "a": "no",
        "b": "yes",
        "c": True,
        "d": "NO",
    }


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("after_days: 14", "after_days: -1"), "ladder.escalation[1].after_days"),
        (('date: "03-31"', 'date: "31-03"'), "stages[0].tasks[1].due.date"),
        (
            (
                "role: manager\n        form: safety_round",
                "role: chef\n        form: safety_round",
            ),
            "stages[0].tasks[1].role",
        ),
        (("on_reject_back_to: action_plan", "on_reject_back_to: evaluation"), "stages[3]"),
        (
            (
                "gates: [required_tasks_done]\n\n  - key: analysis",
                "gates: [no_such_gate]\n\n  - key: analysis",
            ),
            "stages[0].gates",
        ),
    ],
)
def test_bad_template_names_the_field(change: tuple[str, str], path: str) -> None:
    assert change[0] in TEXT
    with pytest.raises(TemplateInvalid) as err:
        parse_template(TEXT.replace(change[0], change[1], 1))
    assert any(e.path.startswith(path) or path in e.message_en for e in err.value.errors), [
        e.render("en") for e in err.value.errors
    ]


def test_unknown_field_is_refused() -> None:
    with pytest.raises(TemplateInvalid) as err:
        parse_template(TEXT.replace("version: 2", "version: 2\nversoin: 2"))
    assert err.value.errors[0].path == "versoin"


def test_not_yaml() -> None:
    with pytest.raises(TemplateInvalid, match="YAML"):
        parse_template("key: [unclosed")
