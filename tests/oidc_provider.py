"""A real OpenID Connect provider for the tests, on 127.0.0.1: discovery, an authorization
endpoint with a sign-in form, a token endpoint that checks the client's secret and the PKCE
verifier (Authlib's S256), ID tokens signed RS256 with joserfc, published keys, and an
end-session endpoint that checks the ``id_token_hint`` it is sent (``offers_logout=False``:
a provider without one). ``claims_for`` adds claims (groups, roles) to a person's ID
tokens. ``Provider.fault`` makes the next ID tokens wrong in one named way
(issuer, audience, expiry, nonce, signing key), so each refusal of samflow is tested against
tokens that really come over the wire.
"""

from __future__ import annotations

import base64
import html
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "samflow-test"
CLIENT_SECRET = "test-client-secret-1234"


@dataclass
class Provider:
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    other_key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    redirect_uris: set[str] = field(default_factory=set)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    fault: str = ""  # "", "iss", "aud", "exp", "nonce", "key"
    #: (client_id, subject of the id_token_hint) of each RP-initiated logout.
    logged_out: list[tuple[str, str]] = field(default_factory=list)
    offers_logout: bool = True
    claims_for: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The provider's clock: the tests give it the app's frozen clock, as if both were set
    #: by the same time server.
    now: Callable[[], float] = time.time  # noqa: TID251 (another system's clock)

    def id_token(self, email: str, nonce: str) -> str:
        now = int(self.now())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": f"sub-{email}",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": email,
        } | self.claims_for.get(email, {})
        if self.fault == "iss":
            claims["iss"] = "https://evil.example"
        elif self.fault == "aud":
            claims["aud"] = "another-client"
        elif self.fault == "exp":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.fault == "nonce":
            claims["nonce"] = "not-the-nonce"
        signer = self.other_key if self.fault == "key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, KeySet([signer]))

    # --- endpoints ------------------------------------------------------------------------
    def discovery(self, request: Request) -> Response:
        doc = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        if not self.offers_logout:
            del doc["end_session_endpoint"]
        return JSONResponse(doc)

    def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        q = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") not in self.redirect_uris:
            return HTMLResponse("unknown client or redirect_uri", status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return HTMLResponse("PKCE (S256) required", status_code=400)
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in q.items()
            )
            page = (
                "<!doctype html><html lang='en'><title>Test IdP</title><main><h1>Test IdP</h1>"
                f"<form method='post' action='/authorize'>{hidden}"
                "<label for='login'>Username</label><input id='login' name='login'>"
                "<button type='submit'>Sign in</button></form></main></html>"
            )
            return HTMLResponse(page)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "email": q.get("login", ""),
            "nonce": q.get("nonce", ""),
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
        }
        target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        return RedirectResponse(target, status_code=302)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)  # a code is used once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        if create_s256_code_challenge(verifier) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        token = self.id_token(grant["email"], grant["nonce"])
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "id_token": token})

    def logout(self, request: Request) -> Response:
        """RP-initiated logout: the hint must be an ID token this provider issued to the
        client (its signature and audience; it may have expired)."""
        if not self.offers_logout:
            return HTMLResponse("not found", status_code=404)
        q = request.query_params
        try:
            hint = jwt.decode(q.get("id_token_hint", ""), KeySet([self.key]))
        except Exception:
            return HTMLResponse("bad id_token_hint", status_code=400)
        if hint.claims.get("aud") != CLIENT_ID or q.get("client_id") != CLIENT_ID:
            return HTMLResponse("id_token_hint not issued to this client", status_code=400)
        self.logged_out.append((q.get("client_id", ""), str(hint.claims.get("sub"))))
        after = q.get("post_logout_redirect_uri", "")
        return RedirectResponse(after or "/", status_code=302)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/logout", self.logout),
            ]
        )


@contextmanager
def running() -> Iterator[Provider]:
    provider = Provider()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    provider.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test OIDC provider did not start"
        time.sleep(0.05)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
