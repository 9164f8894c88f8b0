"""The plan form's responsible is picked, not typed (issue 13): a <select> with a group
for roles, positions, groups and people of the unit and above, no JavaScript needed; what
is posted is still checked by the server (a name that is none of them is refused beside
the field, the input kept)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

from engine.context import Actor
from engine.org import positions
from engine.views import cycle as cycle_views
from tests.api.conftest import Web, csrf_of
from tests.factories import RISKS, SAFETY_ROUND, SURVEY

POSITIONS = "\n".join(
    [
        "kind,name,unit_code,email,valid_from,valid_to,convener",
        "befattning,HR-chef,ADM,hr@x.se,2020-01-01,,",
        "ledningsgrupp,Ledningsgruppen,DEP,,,,",
        "",
    ]
)
FIELD = "items[0].measures[0].responsible"


class _Select(HTMLParser):
    """The optgroups of the responsible's <select>: label -> [(value, text, selected)]."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.inside, self.group = name, False, ""
        self.groups: dict[str, list[tuple[str, str, bool]]] = {}
        self.option: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select" and a.get("name") == self.name:
            self.inside = True
        elif self.inside and tag == "optgroup":
            self.group = a.get("label") or ""
        elif self.inside and tag == "option":
            self.option = (a.get("value") or "", "selected" in a)

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            value, selected = self.option
            self.groups.setdefault(self.group, []).append((value, data.strip(), selected))
            self.option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.inside = False
        elif tag == "optgroup":
            self.group = ""


def _picker(page: str) -> dict[str, list[tuple[str, str, bool]]]:
    p = _Select(FIELD)
    p.feed(page)
    return p.groups


def _post(web: Web, url: str, pairs: list[tuple[str, str]]) -> object:
    client = web.browser("m1@x.se")
    token = csrf_of(client.get("/inbox").text)
    body = urlencode([("csrf_token", token), *pairs])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(url, content=body, headers=headers, follow_redirects=False)


def test_the_plan_form_picks_a_role_position_group_or_person(web: Web) -> None:
    positions.import_positions(web.engine, Actor.system("test"), POSITIONS)
    o, cycle = web.org, web.org.cycle_of("U1")
    o.complete("m1@x.se", "employee_survey", SURVEY, cycle)
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND, cycle)
    o.sign_off("m1@x.se", cycle, "survey")
    o.complete("m1@x.se", "risk_assessment", RISKS, cycle)
    o.sign_off("m1@x.se", cycle, "analysis")
    task = o.task("m1@x.se", "action_plan", cycle).task_id
    page = web.browser("m1@x.se").get(f"/tasks/{task}").text
    groups = _picker(page)
    assert [v for v, _, _ in groups["Roll (den som har rollen)"]][:2] == ["manager", "safety_rep"]
    assert ("manager", "Chef", False) in groups["Roll (den som har rollen)"]
    assert [v for v, _, _ in groups["Befattning"]] == ["HR-chef"]
    assert [v for v, _, _ in groups["Grupp"]] == ["Ledningsgruppen"]
    people = {v: text for v, text, _ in groups["Person"]}
    assert people["m1@x.se"] == "Maja Chef" and people["dep@x.se"] == "Dag Avdelningschef"
    assert "m2@x.se" not in people  # another unit's manager is not offered
    assert not re.search(r"<fieldset[^>]*>\s*<fieldset", page)  # flat
    version = re.search(r'name="_version" value="(\d+)"', page)
    assert version
    base = [
        ("_action", "complete"),
        ("_version", version.group(1)),
        ("participants", "Chef och skyddsombud"),
        ("items[0].area", "Tunga lyft"),
        ("items[0].measures[0].what", "Taklyft"),
        ("items[0].measures[0].due_date", "2027-09-30"),
    ]
    # posted by hand: a name that is nobody is refused beside the field, kept as written
    bad = _post(web, f"/tasks/{task}", [*base, (FIELD, "Kalle")])
    assert bad.status_code == 422  # type: ignore[attr-defined]
    shown = bad.text  # type: ignore[attr-defined]
    assert "varken en person (e-post), en roll eller en befattning" in shown
    kept = _picker(shown)[""]
    assert ("Kalle", "Kalle (som det skrevs)", True) in kept
    # the position picked from the list
    done = _post(web, f"/tasks/{task}", [*base, (FIELD, "HR-chef")])
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    measure = cycle_views.cycle_view(web.engine, cycle).plan[0].measures[0]
    assert measure.responsible == "HR-chef"


def test_a_written_role_word_selects_its_role(web: Web) -> None:
    from engine.views.responsible import ResponsibleChoices

    rc = ResponsibleChoices(
        [("manager", "Chef", "Manager")], [("m1@x.se", "Maja Chef")], ["HR-chef"], ["LG"]
    )
    assert rc.value_of("Enhetschef") == "manager" and rc.value_of("M1@X.se") == "m1@x.se"
    assert rc.value_of("hr-chef ") == "HR-chef" and rc.value_of("Kalle") == ""
    assert rc.value_of("skyddsombud") == ""  # a role nobody holds here is not a choice
