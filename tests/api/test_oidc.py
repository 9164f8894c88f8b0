"""Signing in through an OpenID Connect provider (a real one on 127.0.0.1, tests/oidc_provider.py):
the whole redirect dance with PKCE, and each refusal: wrong issuer, wrong audience, an
expired token, a token not signed by the provider's key, a wrong or replayed nonce, an
answer this browser did not ask for, and a person samflow does not know. Signing out ends
the provider's session too (RP-initiated logout with the ID token as hint) for a session
opened there. Group claims decide which imported roles work, never adding one. In headless
Chromium too."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from engine.accounts import oidc
from engine.db.models import AuditEvent, Person
from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, make_web
from tests.factories import people_csv, units_csv
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://testserver"


@pytest.fixture
def idp(clock: FrozenClock) -> Iterator[Provider]:
    with running() as provider:
        provider.now = lambda: clock.now().timestamp()
        provider.redirect_uris.add(f"{BASE}/login/oidc/callback")
        yield provider


def oidc_web(url: str, clock: FrozenClock, idp: Provider, base: str = BASE) -> Web:
    return make_web(
        url,
        clock,
        oidc_issuer=idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        base_url=base,
    )


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock, idp: Provider) -> Iterator[Web]:
    w = oidc_web(sqlite_url, clock, idp)
    yield w
    _close(w)


def at_provider(client: TestClient, email: str) -> str:
    """Start the sign-in, sign in at the provider as ``email``; the callback URL it sends
    the browser back to."""
    start = client.get("/login/oidc?next=/account", follow_redirects=False)
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    form = httpx.get(authorize)
    assert form.status_code == 200 and "Sign in" in form.text
    fields = {k: v[0] for k, v in query.items()} | {"login": email}
    back = httpx.post(authorize.split("?")[0], data=fields, follow_redirects=False)
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith(f"{BASE}/login/oidc/callback?")
    return location.removeprefix(BASE)


def test_sign_in_through_the_provider(web: Web) -> None:
    client = web.anonymous()
    page = client.get("/login")
    assert "Logga in med organisationens konto" in page.text
    callback = at_provider(client, "m1@x.se")
    done = client.get(callback, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    account = client.get("/account")
    assert account.status_code == 200 and "m1@x.se" in account.text
    # the same answer again (a replay): the sign-in it belonged to is gone
    again = web.anonymous()
    again.cookies.set("samflow_oidc", parse_qs(urlsplit(callback).query)["state"][0])
    replay = again.get(callback, follow_redirects=False)
    assert replay.status_code == 401 and "already used" in replay.text.replace(
        "redan använd", "already used"
    )


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("iss", "fel utfärdare"),
        ("aud", "inte utfärdat till samflow"),
        ("exp", "ID-token har gått ut"),
        ("nonce", "nonce stämmer inte"),
        ("key", "signatur håller inte"),
    ],
)
def test_a_bad_id_token_is_refused_with_its_reason(
    web: Web, idp: Provider, fault: str, said: str
) -> None:
    idp.fault = fault
    client = web.anonymous()
    reply = client.get(at_provider(client, "m1@x.se"), follow_redirects=False)
    assert reply.status_code == 401, reply.text
    assert said in reply.text
    assert "Traceback" not in reply.text
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


def test_an_unknown_person_is_told_to_ask_hr(web: Web) -> None:
    client = web.anonymous()
    reply = client.get(at_provider(client, "stranger@x.se"), follow_redirects=False)
    assert reply.status_code == 401 and "be HR importera personen" in reply.text


def test_an_answer_this_browser_did_not_ask_for_is_refused(web: Web) -> None:
    client = web.anonymous()
    callback = at_provider(client, "m1@x.se")
    other = web.anonymous()  # login CSRF: someone else's answer pushed into this browser
    reply = other.get(callback, follow_redirects=False)
    assert reply.status_code == 403 and "begärdes inte av den här webbläsaren" in reply.text
    # the rightful browser can still finish: nothing was used up
    assert client.get(callback, follow_redirects=False).status_code == 303


def test_sign_out_also_ends_the_provider_session(web: Web, idp: Provider) -> None:
    client = web.anonymous()
    client.get(at_provider(client, "m1@x.se"), follow_redirects=False)
    page = client.get("/account")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith(f"{idp.url}/logout?")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Flogin" in out.headers["location"]
    assert "id_token_hint=" in out.headers["location"]
    back = httpx.get(out.headers["location"], follow_redirects=False)  # the browser goes there
    assert back.status_code == 302 and back.headers["location"] == f"{BASE}/login"
    # the provider checked the hint: the ID token it issued for this sign-in
    assert idp.logged_out == [(CLIENT_ID, "sub-m1@x.se")]
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


def test_a_password_session_signs_out_here_only(web: Web, idp: Provider) -> None:
    client = web.browser("m1@x.se")
    csrf = client.get("/account").text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert idp.logged_out == []


def test_without_an_end_session_endpoint_sign_out_stays_here(web: Web, idp: Provider) -> None:
    idp.offers_logout = False
    oidc._cache.clear()  # the discovery document is read again
    client = web.anonymous()
    client.get(at_provider(client, "m1@x.se"), follow_redirects=False)
    csrf = client.get("/account").text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


# --- roles from the provider's groups ------------------------------------------------------
ROLES = {"oidc_role_claim": "groups", "oidc_role_map": "SAM-HR=hr;SAM-Ledning=director,hr"}


@pytest.fixture
def roles_web(sqlite_url: str, clock: FrozenClock, idp: Provider) -> Iterator[Web]:
    w = make_web(
        sqlite_url,
        clock,
        oidc_issuer=idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        base_url=BASE,
        **ROLES,
    )
    yield w
    _close(w)


def sign_in(web: Web, idp: Provider, email: str, groups: list[str]) -> TestClient:
    idp.claims_for[email] = {"groups": groups}
    client = web.anonymous()
    done = client.get(at_provider(client, email), follow_redirects=False)
    assert done.status_code == 303, done.text
    return client


def may_administer(web: Web, email: str) -> bool:
    """The organisation import (a dry run) is for HR and directors only; an API token acts
    with the same rights as the person's sessions."""
    body = {"units_csv": units_csv(), "people_csv": people_csv(), "dry_run": True}
    got = web.api(email).post("/api/org/import", json=body)
    assert got.status_code in (200, 403, 404), got.text
    return got.status_code == 200


def role_events(web: Web, email: str) -> list[dict[str, Any]]:
    with web.engine.read() as s:
        person = s.scalar(select(Person.id).where(Person.email == email))
        rows = s.scalars(
            select(AuditEvent.data).where(
                AuditEvent.action == "account.roles_from_provider",
                AuditEvent.subject_id == str(person),
            )
        )
        return [json.loads(d) for d in rows]


def test_group_claims_decide_which_imported_roles_work_and_never_add_one(
    roles_web: Web, idp: Provider
) -> None:
    web = roles_web
    assert may_administer(web, "hr@x.se")  # the import alone, before any sign-in there
    sign_in(web, idp, "hr@x.se", ["SAM-HR", "0b1c-unmapped"])
    assert may_administer(web, "hr@x.se")
    # HR has left the group at the provider: the imported HR role is withheld, everywhere
    sign_in(web, idp, "hr@x.se", [])
    assert not may_administer(web, "hr@x.se")
    # a group that maps to roles the import does not give grants nothing
    sign_in(web, idp, "m1@x.se", ["SAM-Ledning"])
    assert not may_administer(web, "m1@x.se")
    # back in the group: the role works again
    sign_in(web, idp, "hr@x.se", ["SAM-HR"])
    assert may_administer(web, "hr@x.se")
    first, second, third = role_events(web, "hr@x.se")
    assert first["values"] == ["SAM-HR"] and first["other_values"] == 1
    assert first["withheld"] == [] and first["claimed"] == ["hr"]
    assert second["withheld"] == ["hr"] and second["newly_withheld"] == ["hr"]
    assert third["restored"] == ["hr"] and third["withheld"] == []
    [m1] = role_events(web, "m1@x.se")
    assert m1["claimed_not_held"] == ["director", "hr"] and m1["claimed"] == ["director", "hr"]
    assert m1["withheld"] == []  # nothing of what the import gives m1 is governed


def test_a_bad_role_map_is_named_before_going_to_the_provider(
    sqlite_url: str, clock: FrozenClock, idp: Provider
) -> None:
    web = make_web(
        sqlite_url,
        clock,
        oidc_issuer=idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        base_url=BASE,
        oidc_role_claim="groups",
        oidc_role_map="SAM-HR=boss",
    )
    try:
        got = web.anonymous().get("/login/oidc", follow_redirects=False)
        assert got.status_code == 422 and "SAMFLOW_OIDC_ROLE_MAP" in got.text
        assert "Traceback" not in got.text
    finally:
        _close(web)
