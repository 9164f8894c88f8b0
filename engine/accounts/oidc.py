"""Signing in through the organisation's identity provider: OpenID Connect, authorization
code flow with PKCE (RFC 7636, through Authlib) and an ID token checked with joserfc
(Authlib's JOSE library): signature against the provider's published keys, issuer,
audience, expiry, and the nonce of this very sign-in.

``begin`` records a sign-in under way (state, nonce, PKCE verifier; only the state's digest
is kept as the key) and gives the provider's authorization URL. ``finish`` takes the state
and code the provider sent the browser back with, deletes the record (a replayed answer
finds nothing), redeems the code, checks the ID token and opens a web session for the
person whose e-mail is in the configured claim. Every refusal says which check failed; an
unknown person is told to ask HR (the organisation import decides who may sign in).

With ``SAMFLOW_OIDC_ROLE_CLAIM`` and ``SAMFLOW_OIDC_ROLE_MAP`` the token's groups or app
roles decide which of the person's imported roles work (``apply_role_claims``; the rule is
in docs/signin.md): a mapped role the token does not claim is withheld until a sign-in
claims it; a claim never gives a role or a unit the organisation import does not. The
session keeps its ID token (``OidcSession``) so that signing out ends the provider's
session too, where the provider offers that (``logout_url``, RP-initiated logout).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete, select

from engine.accounts import throttle
from engine.accounts.signin import ACCOUNTS_CHAIN, NewSession, _open_session, digest
from engine.context import Actor, App, Tx
from engine.db.models import Person, RoleAssignment
from engine.db.models.people.accounts import OidcLogin
from engine.db.models.people.ops import OidcSession, RoleWithheld
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, NotAuthenticated, NotReady
from engine.domain.workflow.states import Role
from engine.settings import Settings

#: A sign-in must come back from the provider within this time.
LOGIN_MINUTES = 10
#: Clock difference allowed between samflow and the provider, in seconds.
LEEWAY_SECONDS = 60
#: How long the provider's discovery document and keys are kept before being read again.
METADATA_SECONDS = 3600
TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


_cache: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def enabled(app: App) -> bool:
    return bool(app.settings.oidc_issuer and app.settings.oidc_client_id)


def _refused(en: str, sv: str) -> NotAuthenticated:
    return NotAuthenticated(
        f"sign-in through the identity provider refused: {en}",
        f"inloggningen via identitetsleverantören nekades: {sv}",
    )


def _get_json(url: str) -> Any:
    try:
        reply = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
        reply.raise_for_status()
        return reply.json()
    except (httpx.HTTPError, ValueError) as e:
        raise NotReady(
            f"the identity provider does not answer ({url}: {type(e).__name__}); try again "
            "later or sign in with a password",
            f"identitetsleverantören svarar inte ({url}: {type(e).__name__}); försök igen "
            "senare eller logga in med lösenord",
        ) from None


def _cached(key: str, load: Any) -> Any:
    with _lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < METADATA_SECONDS:
            return hit[1]
    value = load()
    with _lock:
        _cache[key] = (time.monotonic(), value)
    return value


def provider(app: App) -> Provider:
    issuer = app.settings.oidc_issuer.rstrip("/")
    doc = _cached(
        f"discovery:{issuer}", lambda: _get_json(f"{issuer}/.well-known/openid-configuration")
    )
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise NotReady(
            f"the identity provider calls itself {doc.get('issuer')!r}, not {issuer!r} "
            "(SAMFLOW_OIDC_ISSUER)",
            f"identitetsleverantören kallar sig {doc.get('issuer')!r}, inte {issuer!r} "
            "(SAMFLOW_OIDC_ISSUER)",
        )
    return Provider(
        issuer=str(doc["issuer"]),
        authorization_endpoint=str(doc["authorization_endpoint"]),
        token_endpoint=str(doc["token_endpoint"]),
        jwks_uri=str(doc["jwks_uri"]),
        end_session_endpoint=doc.get("end_session_endpoint"),
    )


def redirect_uri(app: App) -> str:
    return app.settings.base_url.rstrip("/") + "/login/oidc/callback"


def begin(app: App, next_path: str) -> tuple[str, str]:
    """(state, the provider's authorization URL) for a new sign-in."""
    if app.settings.oidc_role_claim:
        role_map(app.settings)  # a bad map is named before anyone goes to the provider
    p = provider(app)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))

    def work(tx: Tx) -> None:
        old = tx.now - timedelta(minutes=LOGIN_MINUTES)
        tx.session.execute(delete(OidcLogin).where(OidcLogin.created_at < old))
        tx.session.add(
            OidcLogin(
                state_hash=digest(state),
                nonce=nonce,
                verifier=verifier,
                next_path=next_path[:500],
                created_at=tx.now,
            )
        )

    app.run(work)
    query = {
        "response_type": "code",
        "client_id": app.settings.oidc_client_id,
        "redirect_uri": redirect_uri(app),
        "scope": app.settings.oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return state, f"{p.authorization_endpoint}?{urlencode(query)}"


@dataclass(frozen=True)
class Finished:
    session: NewSession
    next_path: str


def finish(app: App, state: str, code: str, ip: str = "") -> Finished:
    if not state or not code:
        raise _refused("the answer carries no state or no code", "svaret saknar state eller kod")
    now = app.clock.now()

    def take(tx: Tx) -> OidcLogin | None:
        row = tx.session.get(OidcLogin, digest(state))
        if row is not None:
            tx.session.delete(row)  # used once, whatever happens next
        return row

    login = app.run(take)
    if login is None:
        raise _refused(
            "this sign-in is unknown or was already used (start again)",
            "inloggningen är okänd eller redan använd (börja om)",
        )
    if login.created_at < now - timedelta(minutes=LOGIN_MINUTES):
        raise _refused("the sign-in took too long (start again)", "inloggningen tog för lång tid")
    p = provider(app)
    tokens = _redeem(app, p, code, login.verifier)
    claims = _check_id_token(app, p, str(tokens.get("id_token", "")), login.nonce, now)
    person = person_of(app, claims)
    if app.settings.oidc_role_claim:
        apply_role_claims(app, person, claims)
    held = throttle.reserve(app, person.email, ip)
    opened = _open_session(app, person, ip, None, held)
    with app.db.write() as s:  # for signing out at the provider too (id_token_hint)
        s.add(OidcSession(token_hash=digest(opened.token), id_token=str(tokens["id_token"])))
    return Finished(opened, login.next_path)


def person_of(app: App, claims: dict[str, Any]) -> Person:
    """The imported person the ID token names: its ``oidc_person_claim`` matched against
    the person's e-mail or employee number (``oidc_person_field``); refused, saying which,
    when the claim is missing or nobody active has that value."""
    claim, by_number = (
        app.settings.oidc_person_claim,
        (app.settings.oidc_person_field == "employee_number"),
    )
    raw = claims.get(claim)
    value = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not value:
        raise _refused(
            f"the ID token has no {claim!r} claim", f"ID-token saknar anspråket {claim!r}"
        )
    with app.read() as s:
        if by_number:
            person = s.scalar(select(Person).where(Person.employee_number == value))
        else:
            value = value.lower()
            person = s.scalar(select(Person).where(Person.email == value))
    if person is not None and person.active:
        return person
    if by_number:
        raise NotAuthenticated(
            f"you signed in at the identity provider, but no person in samflow's organisation "
            f"has the employee number {value} (ask HR to import it with the person)",
            f"du loggade in hos identitetsleverantören, men ingen person i samflows "
            f"organisation har anställningsnummer {value} (be HR importera numret med "
            "personen)",
        )
    raise NotAuthenticated(
        f"{value} signed in at the identity provider but is not a person in samflow's "
        "organisation (ask HR to import them)",
        f"{value} loggade in hos identitetsleverantören men finns inte i samflows "
        "organisation (be HR importera personen)",
    )


# --- roles from the provider's groups or app roles ---------------------------------------
def role_map(settings: Settings) -> dict[str, frozenset[Role]]:
    """``SAMFLOW_OIDC_ROLE_MAP`` read: claim value -> samflow roles. Every role must be a
    samflow role; a bad entry is named."""
    out: dict[str, frozenset[Role]] = {}
    known = {r.value for r in Role}
    for entry in filter(None, (e.strip() for e in settings.oidc_role_map.split(";"))):
        value, sep, roles = entry.partition("=")
        names = [r.strip() for r in roles.split(",") if r.strip()]
        bad = [n for n in names if n not in known]
        if not sep or not value.strip() or not names or bad:
            raise InvalidInput.field(
                "SAMFLOW_OIDC_ROLE_MAP",
                f"{entry!r}: write claim-value=role[,role] with roles among "
                f"{', '.join(sorted(known))}",
                f"{entry!r}: skriv anspråksvärde=roll[,roll] med roller bland "
                f"{', '.join(sorted(known))}",
            )
        out[value.strip()] = out.get(value.strip(), frozenset()) | {Role(n) for n in names}
    return out


def _claim_values(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass(frozen=True)
class RoleClaims:
    claimed: frozenset[Role]  # what the token's values map to
    withheld: frozenset[Role]  # governed roles the token did not claim (held or not)
    held_withheld: frozenset[Role]  # of those, roles the import gives the person
    claimed_not_held: frozenset[Role]  # claimed, but the import gives none: nothing granted


def apply_role_claims(app: App, person: Person, claims: dict[str, Any]) -> RoleClaims:
    """Withhold the governed roles this token does not claim, restore those it claims; one
    audit event (``account.roles_from_provider``) in the same transaction."""
    mapping = role_map(app.settings)
    governed = frozenset().union(*mapping.values()) if mapping else frozenset()
    values = _claim_values(claims, app.settings.oidc_role_claim)
    claimed = frozenset().union(*(mapping.get(v, frozenset()) for v in values))
    withheld = governed - claimed

    def work(tx: Tx) -> RoleClaims:
        s = tx.session
        today = local_date(tx.now)
        held = frozenset(
            Role(r)
            for r in s.scalars(
                select(RoleAssignment.role).where(
                    RoleAssignment.person_id == person.id,
                    RoleAssignment.valid_from <= today,
                    (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= today),
                )
            )
        )
        before = frozenset(
            Role(r)
            for r in s.scalars(select(RoleWithheld.role).where(RoleWithheld.person_id == person.id))
        )
        s.execute(delete(RoleWithheld).where(RoleWithheld.person_id == person.id))
        for role in sorted(withheld):
            s.add(RoleWithheld(person_id=person.id, role=role.value, since=tx.now))
        out = RoleClaims(claimed, withheld, withheld & held, (claimed & governed) - held)
        tx.record(
            ACCOUNTS_CHAIN,
            "account.roles_from_provider",
            "person",
            person.id,
            Actor(person.id, person.email),
            data={
                "claim": app.settings.oidc_role_claim,
                "values": sorted(v for v in values if v in mapping),
                "other_values": len([v for v in values if v not in mapping]),
                "claimed": sorted(r.value for r in claimed),
                "withheld": sorted(r.value for r in out.held_withheld),
                "newly_withheld": sorted(r.value for r in (withheld & held) - before),
                "restored": sorted(r.value for r in before - withheld),
                "claimed_not_held": sorted(r.value for r in out.claimed_not_held),
            },
        )
        return out

    return app.run(work)


def _redeem(app: App, p: Provider, code: str, verifier: str) -> dict[str, Any]:
    secret = app.settings.oidc_client_secret
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(app),
        "client_id": app.settings.oidc_client_id,
        "code_verifier": verifier,
    }
    auth = (app.settings.oidc_client_id, secret.get_secret_value()) if secret else None
    try:
        reply = httpx.post(p.token_endpoint, data=form, auth=auth, timeout=TIMEOUT)
    except httpx.HTTPError as e:
        raise NotReady(
            f"the identity provider does not answer ({type(e).__name__})",
            f"identitetsleverantören svarar inte ({type(e).__name__})",
        ) from None
    if reply.status_code != 200:
        raise _refused(
            f"the provider refused the code (HTTP {reply.status_code})",
            f"leverantören godtog inte koden (HTTP {reply.status_code})",
        )
    body: dict[str, Any] = reply.json()
    return body


def _keys(p: Provider, *, fresh: bool = False) -> KeySet:
    key = f"jwks:{p.jwks_uri}"
    if fresh:
        with _lock:
            _cache.pop(key, None)
    return _cached(key, lambda: KeySet.import_key_set(_get_json(p.jwks_uri)))  # type: ignore[no-any-return]


def _check_id_token(app: App, p: Provider, id_token: str, nonce: str, now: Any) -> dict[str, Any]:
    if not id_token:
        raise _refused("the provider sent no ID token", "leverantören skickade inget ID-token")
    try:
        try:
            token = jwt.decode(id_token, _keys(p), algorithms=["RS256", "ES256", "PS256"])
        except JoseError:  # the provider may have rolled its keys: read them once more
            token = jwt.decode(
                id_token, _keys(p, fresh=True), algorithms=["RS256", "ES256", "PS256"]
            )
    except (JoseError, ValueError) as e:
        raise _refused(
            f"the ID token's signature does not hold ({type(e).__name__})",
            f"ID-tokens signatur håller inte ({type(e).__name__})",
        ) from None
    claims = token.claims
    registry = JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": p.issuer},
        aud={"essential": True, "value": app.settings.oidc_client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as e:
        what = {
            "iss": ("wrong issuer", "fel utfärdare"),
            "aud": ("not issued to samflow (audience)", "inte utfärdat till samflow (mottagare)"),
            "exp": ("the ID token has expired", "ID-token har gått ut"),
            "nonce": ("the nonce does not match this sign-in", "nonce stämmer inte"),
        }
        claim = str(getattr(e, "claim", "") or "")
        en, sv = what.get(claim, (str(e), str(e)))
        raise _refused(en, sv) from None
    return dict(claims)


def logout_url(app: App, session_token: str, after: str) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout):
    for a session opened through the provider, when the provider offers it
    (``end_session_endpoint``), with the session's ID token as ``id_token_hint``. A session
    opened with a password signs out here only."""
    if not enabled(app) or not session_token:
        return None
    with app.read() as s:
        id_token = s.scalar(
            select(OidcSession.id_token).where(OidcSession.token_hash == digest(session_token))
        )
    if id_token is None:
        return None
    try:
        p = provider(app)
    except NotReady:
        return None
    if not p.end_session_endpoint:
        return None
    query = {
        "id_token_hint": id_token,
        "client_id": app.settings.oidc_client_id,
        "post_logout_redirect_uri": after,
    }
    return f"{p.end_session_endpoint}?{urlencode(query)}"
