"""Issue 15 §1: a person matched by employee number as well as e-mail. The organisation
import carries the number (a column with Swedish or English headings; unique where given);
``SAMFLOW_OIDC_PERSON_FIELD=employee_number`` matches the ID token's claim against it,
through the real OIDC provider on 127.0.0.1 (tests/oidc_provider.py); an unknown number is
refused with a page saying so. The number is shown where people are administered only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.context import Actor
from engine.db.models import AuditEvent, Person
from engine.domain.clock import FrozenClock
from engine.domain.errors import ImportInvalid
from engine.org import admin as org
from tests.api.conftest import Web, _close
from tests.api.test_oidc import at_provider, idp  # noqa: F401 (the provider fixture)
from tests.factories import people_csv, units_csv
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

NUMBERS = {"dir@x.se": "A-100", "m1@x.se": "10042", "so1@x.se": "10077"}


def with_numbers(heading: str = "anställningsnummer", numbers: dict[str, str] = NUMBERS) -> str:
    lines = people_csv().splitlines()
    out = [lines[0] + f",{heading}"]
    for line in lines[1:]:
        out.append(line + "," + numbers.get(line.split(",")[0], ""))
    return "\n".join(out) + "\n"


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock, idp: Provider) -> Iterator[Web]:  # noqa: F811
    from tests.api.conftest import make_web

    w = make_web(
        sqlite_url,
        clock,
        oidc_issuer=idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        base_url="http://testserver",
        oidc_person_claim="employeeid",
        oidc_person_field="employee_number",
    )
    report = org.import_org(w.engine, Actor.system("test"), units_csv(), with_numbers())
    assert report.people_updated == ["dir@x.se", "m1@x.se", "so1@x.se"]
    yield w
    _close(w)


def test_a_person_is_found_by_employee_number(web: Web, idp: Provider) -> None:  # noqa: F811
    # the provider's e-mail is not samflow's: only the number matches
    idp.claims_for["maja.private@example.org"] = {"employeeid": "10042"}
    client = web.anonymous()
    done = client.get(at_provider(client, "maja.private@example.org"), follow_redirects=False)
    assert done.status_code == 303, done.text
    account = client.get("/account")
    assert account.status_code == 200 and "m1@x.se" in account.text


def test_an_unknown_employee_number_is_refused_with_a_clear_page(
    web: Web,
    idp: Provider,  # noqa: F811
) -> None:
    idp.claims_for["m1@x.se"] = {"employeeid": "99999"}  # the e-mail is known, the number not
    client = web.anonymous()
    reply = client.get(at_provider(client, "m1@x.se"), follow_redirects=False)
    assert reply.status_code == 401, reply.text
    assert "anställningsnummer 99999" in reply.text and "be HR" in reply.text
    assert "Traceback" not in reply.text
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


def test_a_token_without_the_claim_is_refused(web: Web) -> None:
    client = web.anonymous()
    reply = client.get(at_provider(client, "m1@x.se"), follow_redirects=False)
    assert reply.status_code == 401 and "employeeid" in reply.text


def test_the_import_reads_the_number_under_its_synonyms_and_keeps_it_unique(
    web: Web,
) -> None:
    eng, system = web.engine, Actor.system("test")
    for heading in ("Anst.nr", "Employee Number", "employee_number", "ANSTNR"):
        r = org.import_org(eng, system, units_csv(), with_numbers(heading))
        assert r.changes == 0, heading  # the same numbers under another heading
    with eng.read() as s:
        got = dict(s.execute(select(Person.email, Person.employee_number)).tuples().all())
        audited = s.scalars(
            select(AuditEvent.data).where(AuditEvent.action == "person.updated")
        ).all()
    assert {e: got[e] for e in NUMBERS} == NUMBERS and got["hr@x.se"] is None
    assert any("10042" in (d or "") for d in audited)
    # two people with one number, in the file
    with pytest.raises(ImportInvalid) as twice:
        org.import_org(
            eng, system, units_csv(), with_numbers(numbers={**NUMBERS, "hr@x.se": "10042"})
        )
    assert [(e.field, "10042" in e.message_sv) for e in twice.value.rows] == [
        ("employee_number", True)
    ]
    # a number samflow has for someone else
    with pytest.raises(ImportInvalid) as taken:
        org.import_org(eng, system, units_csv(), with_numbers(numbers={"hr@x.se": "10042"}))
    assert "tillhör m1@x.se" in taken.value.rows[0].message_sv
    # an empty cell keeps the number
    kept = org.import_org(eng, system, units_csv(), people_csv())
    assert kept.changes == 0


def test_the_number_is_shown_to_the_administrator_only(web: Web) -> None:
    unit = web.org.units["U1"]
    hr = web.browser("hr@x.se").get(f"/org/units/{unit}")
    assert hr.status_code == 200 and "10042" in hr.text and "Anställningsnummer" in hr.text
    manager = web.browser("m1@x.se").get(f"/org/units/{unit}")
    assert manager.status_code == 200 and "10042" not in manager.text
    rep = web.browser("so1@x.se").get(f"/org/units/{unit}")
    assert "10077" not in rep.text
