"""The meeting page's own agenda form: the matter an item is about (a change, an incident,
a risk assessment, an annual follow-up) is chosen by what it is (its title, unit and
date), from the matters at or below the body's unit that the person may see, with those
already on the agenda marked; never by typing an internal number. A choice the page did
not offer (another unit's, one the person may not see, one that does not exist, one
already on the agenda, a value made up) is refused with a page that says why, in Swedish
and English; no number is repeated back. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.coop import agenda, bodies, changes, meetings
from engine.db.models import Cycle
from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import InvalidInput, NotFound
from engine.workflow.process import cases as processes
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.coop.test_changes import CHANGE
from tests.factories import Org

BODIES = """organ;enhet;typ;namn;epost;roll;organisation
FSG-ADM;ADM;fsg;FSG Förvaltningen;dir@x.se;chair;
LSG-U1;U1;lsg;LSG Enhet 1;m1@x.se;chair;
LSG-U1;U1;lsg;LSG Enhet 1;so1@x.se;safety_rep;Kommunal
"""
INCIDENT = {
    "unit": "U1",
    "kind": "accident",
    "occurred_on": "2027-01-09",
    "occurred_time": "14:30",
    "place": "Köket",
    "what": "Halkade på vått golv",
    "serious": False,
}


@pytest.fixture
def web(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(db_url, clock)
    yield w
    _close(w)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _incident(o: Org, email: str, data: dict[str, object]) -> int:
    opened = processes.open_case(
        o.app, o.actor(email), "incident", processes.parse_subject("incident", data)
    )
    return opened.case_id


def _options(page: str) -> dict[str, tuple[str, bool]]:
    found = re.findall(r'<option value="([^"]+)"( disabled| selected)?>([^<]*)</option>', page)
    return {v: (html.unescape(t), d == " disabled") for v, d, t in found}


def test_the_agenda_is_set_by_choosing_the_matter_by_what_it_is(web: Web) -> None:
    e, o, a = web.engine, web.org, web.org.actor
    bodies.import_bodies(e, a("hr@x.se"), BODIES)
    day = local_date(web.clock.now()) + timedelta(days=10)
    lsg = meetings.create_meeting(e, a("m1@x.se"), "LSG-U1", day)
    mine = changes.register(e, a("hr@x.se"), changes.parse_registration(CHANGE))
    other = changes.register(
        e,
        a("hr@x.se"),
        changes.parse_registration(
            {**CHANGE, "unit": "U2", "title": "Ny lokal i U2", "affected_units": ["U2"]}
        ),
    )
    slip = _incident(o, "m1@x.se", INCIDENT)
    elsewhere = _incident(o, "m2@x.se", {**INCIDENT, "unit": "U2", "what": "Fall i U2"})
    chair = web.browser("m1@x.se")
    listed = chair.get("/coop")  # the list of meetings (once a 500 whenever one existed)
    assert listed.status_code == 200 and f"/coop/meetings/{lsg}" in listed.text
    page = chair.get(f"/coop/meetings/{lsg}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Nummer" not in text and "nummer" not in text
    options = _options(page.text)
    # the unit's change and incident, its risk assessment and its annual cycle; not U2's
    kinds = sorted({v.split(":")[0] for v in options})
    assert kinds == ["annual_follow_up", "change", "incident", "other", "plan", "risk_assessment"]
    with e.read() as s:
        cycle = s.scalar(
            select(Cycle.id).where(Cycle.unit_id == o.units["U1"], Cycle.instance == "")
        )
    assert options[f"plan:{cycle}"] == ("Handlingsplan 2027 – Enhet 1 – 2027-01-10", False)
    assert options[f"change:{mine.change_id}"][0].startswith("Nytt schema i hemtjänsten – Enhet 1")
    assert options[f"incident:{slip}"][0].startswith("Halkade på vått golv – Enhet 1 – 2027-01-09")
    assert f"change:{other.change_id}" not in options and f"incident:{elsewhere}" not in options
    assert not any("Enhet 2" in t for t, _ in options.values())
    assert any(t.startswith("Årlig uppföljning 2027 – Enhet 1") for t, _ in options.values())
    labels = [t for t, _ in options.values()]
    assert "Riskbedömning av en förändring – Enhet 1 – senast" in " ".join(labels)
    for value, (label, _d) in options.items():  # no internal number in what is shown
        if ":" in value:
            assert value.split(":")[1] not in label.split(" – ")[0]
    done = chair.post(
        f"/coop/meetings/{lsg}/items",
        data={
            "csrf_token": csrf_of(page.text),
            "title": "Nytt schema",
            "subject": f"change:{mine.change_id}",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    (item,) = meetings.show_meeting(e, a("m1@x.se"), lsg).protocol["items"]
    assert (item["subject_type"], item["subject_id"]) == ("change", mine.change_id)
    again = chair.get(f"/coop/meetings/{lsg}")
    label, disabled = _options(again.text)[f"change:{mine.change_id}"]
    assert disabled and "redan på dagordningen, § 1" in label
    # refused choices: a page with the reason, never a 500, no number repeated back
    token = csrf_of(again.text)
    for subject, status, words in (
        (f"change:{other.change_id}", 422, "det valda ärendet (förändring) finns inte"),
        ("change:987654", 422, "det valda ärendet (förändring) finns inte"),
        (f"change:{mine.change_id}", 409, "står redan på mötets dagordning (§ 1)"),
        ("incident:x", 422, "välj ett ärende i listan"),
        ("bogus:1", 422, "välj ett ärende i listan"),
        (f"incident:{mine.change_id}", 422, "det valda ärendet (händelse) finns inte"),
    ):
        bad = chair.post(
            f"/coop/meetings/{lsg}/items",
            data={"csrf_token": token, "title": "X", "subject": subject},
        )
        assert bad.status_code == status, (subject, bad.text)
        shown = _text(bad.text)
        assert words in shown, (subject, shown)
        assert "987654" not in shown
    # HR sees U2's change, but it is not the unit body's to take up
    hr = web.browser("hr@x.se")
    hr_page = hr.get(f"/coop/meetings/{lsg}").text
    assert f"change:{other.change_id}" not in _options(hr_page)
    outside = hr.post(
        f"/coop/meetings/{lsg}/items",
        data={"csrf_token": csrf_of(hr_page), "title": "X", "subject": f"change:{other.change_id}"},
    )
    assert outside.status_code == 422
    assert "hör inte till organets enhet (Enhet 1)" in _text(outside.text)
    english = chair.post(
        f"/coop/meetings/{lsg}/items?lang=en",
        data={"csrf_token": token, "title": "X", "subject": "change:987654"},
    )
    assert english.status_code == 422
    assert "the chosen matter (change) does not exist" in _text(english.text)
    assert "Subject" in _text(english.text) and "Other – no matter linked" in english.text


def test_a_matter_the_person_may_not_see_is_neither_offered_nor_taken(web: Web) -> None:
    """The FSG's chair (the director) sees everything below the administration; the unit
    manager chairing the LSG does not see U2's matters even by a made-up choice, and an
    employee's own incident is not anyone else's to see unless they oversee the unit."""
    e, o, a = web.engine, web.org, web.org.actor
    bodies.import_bodies(e, a("hr@x.se"), BODIES)
    day = local_date(web.clock.now()) + timedelta(days=10)
    fsg = meetings.create_meeting(e, a("dir@x.se"), "FSG-ADM", day)
    lsg = meetings.create_meeting(e, a("m1@x.se"), "LSG-U1", day)
    u2 = _incident(o, "m2@x.se", {**INCIDENT, "unit": "U2", "what": "Fall i U2"})
    groups = {g.kind: g for g in meetings.agenda_choices(e, a("dir@x.se"), fsg)}
    assert f"incident:{u2}" in [c.value for c in groups["incident"].choices]
    assert not groups["incident"].more
    with pytest.raises(NotFound):  # not a member of the body: not even its meeting
        meetings.agenda_choices(e, a("m2@x.se"), fsg)
    assert meetings.agenda_choices(e, a("so1@x.se"), lsg) == []  # sees it, sets no agenda
    with pytest.raises(InvalidInput) as refused:
        meetings.add_item(e, a("m1@x.se"), lsg, "Fall", "incident", u2)
    assert "finns inte eller är inte ett du får se" in refused.value.sv
    assert str(u2) not in refused.value.sv and str(u2) not in refused.value.en
    # the bound: the newest are offered, and the page is told there are more
    for n in range(3):
        _incident(o, "m1@x.se", {**INCIDENT, "what": f"Händelse {n}"})
    with e.read() as s:
        _m, body, _st = meetings._meeting(s, a("m1@x.se"), lsg, local_date(e.clock.now()))
        small = {g.kind: g for g in agenda.choices(s, a("m1@x.se"), body, lsg, day, cap=2)}
    assert small["incident"].more and len(small["incident"].choices) == 2
    assert [c.title for c in small["incident"].choices] == ["Händelse 2", "Händelse 1"]
