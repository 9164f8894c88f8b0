"""Ending credentials from the account page and the API: a password change revokes API
tokens (the box is ticked by default), "sign out everywhere" ends every session."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, Web, csrf_of

NEW = "ett-nytt-lösenord"


def _bearer(web: Web, secret: str) -> int:
    client = web.anonymous()
    return client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def _new_token(web: Web) -> str:
    secret: str = web.api("m1@x.se").post("/api/tokens", json={"name": "lön"}).json()["token"]
    return secret


def test_the_password_form_revokes_api_tokens_unless_unticked(web: Web) -> None:
    """Reproducer: an API token kept working after its owner changed the password."""
    client = web.browser("m1@x.se")
    page = client.get("/account").text
    assert 'name="revoke_tokens" value="true" checked' in page
    secret = _new_token(web)
    form = {"csrf_token": csrf_of(page), "current": PASSWORD, "password": NEW}
    done = client.post("/account/password", data=form, follow_redirects=False)
    assert done.status_code == 303 and _bearer(web, secret) == 401
    kept = _new_token(web)
    unticked = {"csrf_token": csrf_of(page), "current": NEW, "password": PASSWORD}
    # an unticked box sends only the hidden "false" before it
    client.post("/account/password", data={**unticked, "revoke_tokens": "false"})
    assert _bearer(web, kept) == 200
    assert client.get("/inbox", follow_redirects=False).status_code == 200  # this one stays


def test_sign_out_everywhere_ends_this_and_every_other_session(web: Web) -> None:
    here = web.browser("m1@x.se")
    elsewhere = web.browser("m1@x.se", new=False)
    secret = _new_token(web)
    token = csrf_of(here.get("/account").text)
    out = here.post(
        "/account/sign-out-everywhere", data={"csrf_token": token}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    for client in (here, elsewhere):
        assert client.get("/inbox", follow_redirects=False).status_code == 303
    assert _bearer(web, secret) == 401


def test_the_api_changes_the_password_and_revokes_the_other_tokens(web: Web) -> None:
    web.browser("m1@x.se")  # sets the password
    caller = web.api("m1@x.se")
    other = _new_token(web)
    reply = caller.post("/api/me/password", json={"current": PASSWORD, "password": NEW})
    assert reply.status_code == 200
    assert reply.json() == {"sessions_ended": 1, "tokens_revoked": 2}  # _new_token's too
    assert caller.get("/api/me").status_code == 200  # the calling token stays
    assert _bearer(web, other) == 401
    wrong = caller.post("/api/me/password", json={"current": "fel", "password": PASSWORD})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "current"


def test_the_api_refuses_guessing_the_current_password(web: Web) -> None:
    web.browser("m1@x.se")
    caller = web.api("m1@x.se")
    for _ in range(5):
        body = {"current": "gissning", "password": NEW}
        assert caller.post("/api/me/password", json=body).status_code == 422
    refused = caller.post("/api/me/password", json={"current": PASSWORD, "password": NEW})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "900"


def test_the_api_signs_out_everywhere(web: Web) -> None:
    browser = web.browser("m1@x.se")
    caller = web.api("m1@x.se")
    reply = caller.post("/api/me/sign-out-everywhere", json={"revoke_tokens": False})
    assert reply.json() == {"sessions_ended": 1, "tokens_revoked": 0}
    assert browser.get("/inbox", follow_redirects=False).status_code == 303
    assert caller.get("/api/me").status_code == 200
    assert caller.post("/api/me/sign-out-everywhere", json={}).json()["tokens_revoked"] == 1
    assert caller.get("/api/me").status_code == 401
