"""Signing in and out of the pages: the form, wrong passwords, throttling, CSRF, cookies."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import PASSWORD, Web, csrf_of


def _try(web: Web, client: object, email: str, password: str) -> object:
    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/org"},
        follow_redirects=False,
    )


def test_pages_need_a_sign_in(web: Web) -> None:
    reply = web.anonymous().get("/inbox?stage=survey", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Finbox%3Fstage%3Dsurvey"


def test_sign_in_sets_a_safe_cookie_and_goes_where_asked(web: Web) -> None:
    web.browser("m1@x.se")  # sets the password
    client = web.anonymous()
    reply = _try(web, client, "M1@x.se ", PASSWORD)
    assert reply.status_code == 303 and reply.headers["location"] == "/org"  # type: ignore[attr-defined]
    cookie = reply.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "samflow_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; "auto" sets it under https
    assert "Maja Chef" in client.get("/inbox").text


def test_wrong_password_says_so_in_words_and_keeps_the_email(web: Web) -> None:
    web.browser("m1@x.se")
    reply = _try(web, web.anonymous(), "m1@x.se", "fel-lösenord")
    assert reply.status_code == 401  # type: ignore[attr-defined]
    assert "fel e-postadress eller lösenord" in reply.text  # type: ignore[attr-defined]
    assert 'value="m1@x.se"' in reply.text  # type: ignore[attr-defined]
    unknown = _try(web, web.anonymous(), "nobody@x.se", "whatever")
    assert unknown.status_code == 401  # type: ignore[attr-defined]


def test_repeated_failures_lock_the_account_for_that_address(web: Web) -> None:
    web.browser("m1@x.se")
    client = web.anonymous()
    for _ in range(5):
        assert _try(web, client, "m1@x.se", "fel").status_code == 401  # type: ignore[attr-defined]
    locked = _try(web, client, "m1@x.se", PASSWORD)
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "för många misslyckade inloggningar" in locked.text  # type: ignore[attr-defined]
    web.clock.advance(timedelta(minutes=16))
    assert _try(web, client, "m1@x.se", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_the_sign_in_form_needs_its_own_token(web: Web) -> None:
    client = web.anonymous()
    client.get("/login")
    reply = client.post(
        "/login", data={"csrf_token": "forged", "email": "m1@x.se", "password": "x"}
    )
    assert reply.status_code == 403


def test_every_form_needs_the_session_csrf_token(web: Web) -> None:
    client = web.browser("m1@x.se")
    reply = client.post("/logout", data={"csrf_token": "forged"})
    assert reply.status_code == 403 and "ladda om sidan" in reply.text
    assert client.get("/inbox").status_code == 200  # still signed in


def test_sign_out_ends_the_session(web: Web) -> None:
    client = web.browser("m1@x.se")
    token = csrf_of(client.get("/inbox").text)
    cookie = client.cookies.get("samflow_session")
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    other = web.anonymous()
    other.cookies.set("samflow_session", cookie or "")
    assert other.get("/inbox", follow_redirects=False).status_code == 303


def test_sessions_expire(web: Web) -> None:
    client = web.browser("m1@x.se")
    web.clock.advance(timedelta(hours=13))
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_changing_the_password_keeps_this_session_and_ends_others(web: Web) -> None:
    first = web.browser("m1@x.se")
    second = web.browser("m1@x.se", new=False)
    token = csrf_of(first.get("/account").text)
    wrong = first.post(
        "/account/password",
        data={"csrf_token": token, "current": "x", "password": "nytt-lösenord-1"},
    )
    assert wrong.status_code == 422 and "nuvarande lösenord stämmer inte" in wrong.text
    short = first.post(
        "/account/password", data={"csrf_token": token, "current": PASSWORD, "password": "kort"}
    )
    assert short.status_code == 422 and "minst 10 tecken" in short.text
    ok = first.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "password": "nytt-lösenord-1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert first.get("/inbox", follow_redirects=False).status_code == 200
    assert second.get("/inbox", follow_redirects=False).status_code == 303


def test_account_page_creates_and_revokes_tokens(web: Web) -> None:
    client = web.browser("m1@x.se")
    token = csrf_of(client.get("/account").text)
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "integration"})
    assert "visas bara nu" in page.text and "sf_" in page.text
    tokens = web.api("m1@x.se").get("/api/tokens").json()
    first = next(t for t in tokens if t["name"] == "integration")
    done = client.post(f"/account/tokens/{first['id']}/revoke", data={"csrf_token": token})
    assert "Token är återkallad" in done.text
