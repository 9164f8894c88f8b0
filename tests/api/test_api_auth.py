"""Signing in to the API: tokens, sessions with CSRF, and the 401/403 answers."""

from __future__ import annotations

from tests.api.conftest import Web, csrf_of


def test_no_token_is_401_with_a_problem_document(web: Web) -> None:
    reply = web.anonymous().get("/api/inbox")
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    body = reply.json()
    assert body["code"] == "not_authenticated" and body["status"] == 401


def test_a_wrong_token_is_401(web: Web) -> None:
    client = web.anonymous()
    reply = client.get("/api/me", headers={"Authorization": "Bearer sf_nonsense"})
    assert reply.status_code == 401
    assert reply.json()["message"] == "okänd API-token"


def test_me_names_the_person_and_roles(web: Web) -> None:
    body = web.api("m1@x.se").get("/api/me").json()
    assert body["email"] == "m1@x.se" and body["via"] == "token" and body["admin"] is False
    assert body["roles"] == [{"role": "manager", "unit_id": web.org.units["U1"]}]
    assert web.api("hr@x.se").get("/api/me").json()["admin"] is True


def test_tokens_are_listed_created_and_revoked(web: Web) -> None:
    client = web.api("m1@x.se")
    created = client.post("/api/tokens", json={"name": "lönesystem", "days": 30})
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith("sf_") and token["name"] == "lönesystem"
    listed = client.get("/api/tokens").json()
    assert {t["id"] for t in listed} >= {token["id"]}
    assert all("token" not in t for t in listed)  # the secret is shown once only
    other = web.anonymous()
    other.headers["Authorization"] = f"Bearer {token['token']}"
    assert other.get("/api/me").status_code == 200
    assert client.delete(f"/api/tokens/{token['id']}").status_code == 200
    assert other.get("/api/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked(web: Web) -> None:
    mine = web.api("m1@x.se").post("/api/tokens", json={}).json()
    reply = web.api("m2@x.se").delete(f"/api/tokens/{mine['id']}")
    assert reply.status_code == 404


def test_token_days_are_checked(web: Web) -> None:
    reply = web.api("m1@x.se").post("/api/tokens", json={"days": 0})
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["path"] == "days"


def test_a_browser_session_calls_the_api_with_its_csrf_header(web: Web) -> None:
    client = web.browser("m1@x.se")
    assert client.get("/api/me").json()["via"] == "session"
    refused = client.post("/api/tokens", json={})
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    token = csrf_of(client.get("/account").text)
    assert client.post("/api/tokens", json={}, headers={"X-CSRF-Token": token}).status_code == 201


def test_openapi_and_docs_are_served(web: Web) -> None:
    client = web.anonymous()
    schema = client.get("/api/openapi.json").json()
    assert "/api/inbox" in schema["paths"]
    assert not any(p.startswith("/tasks") for p in schema["paths"])  # pages are not API
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert client.get("/api/docs").status_code == 200


def test_unknown_api_path_is_a_json_404(web: Web) -> None:
    reply = web.anonymous().get("/api/nothing-here")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_messages_follow_accept_language(web: Web) -> None:
    reply = web.anonymous().get("/api/inbox", headers={"Accept-Language": "en-GB"})
    assert reply.json()["message"].startswith("sign in")
