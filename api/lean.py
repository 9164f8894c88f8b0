"""A leaner way through FastAPI for the most frequent API requests (issue 14 §6).

FastAPI 0.150 solves a route's dependency graph on every request, inspecting each node
again (is it a generator, does it use scopes, which parameters it takes): for a completion
that was about a quarter of the server's CPU, more than the use case's own Python. The
routes of ``Lean`` (the inbox's and the task routes, the inbox and home pages) take a
shorter way when a request is of the ordinary kind, and FastAPI's own way otherwise:

- the route is checked once, when its handler is built: its parameters are only the
  request, ``ApiUser`` (or, on a page read by GET, ``PageUser``), ``Engine``, ids in the
  path and at most one JSON body (a pydantic model); anything else (a form, a query
  parameter, ``Lang``, …) keeps FastAPI's handler;
- per request: every id in the path a plain decimal in range, a bearer token (a page: a
  session cookie), and a body sent as ``application/json`` that parses and validates. Then
  the same functions FastAPI would call are called in the same order (``bearer``,
  ``api_principal``, or ``page_principal``, which looks the session up every time; the
  endpoint in a worker thread when it is not async) and its ``Response`` returned as it is.

Any other request (a bad id, a bad body, a session cookie, no sign-in, dependency
overrides) goes to FastAPI's handler unchanged, so every error keeps FastAPI's status,
body and order of checks: the lean way never answers an error of its own making. The
errors the endpoint itself raises go up to the same exception handlers either way. The
OpenAPI schema is built from the route as before (``Lean`` is an ``APIRoute``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

import fastapi.routing
from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import MAX_ID, SESSION_COOKIE, api_principal, bearer, get_engine, page_principal

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
#: An id as FastAPI's ``Id`` takes it without question (others go to FastAPI to be judged).
_ID = re.compile(r"[1-9][0-9]{0,18}")


class Plan:
    """What a lean call needs, read once from the route's dependency graph."""

    def __init__(
        self,
        call: Callable[..., Any],
        ids: list[str],
        body: tuple[str, type[BaseModel]] | None,
        request: str | None,
        user: str | None,
        engine: str | None,
        page_user: str | None = None,
    ) -> None:
        self.call = call
        self.is_async = inspect.iscoroutinefunction(call)
        self.ids = ids
        self.body = body
        self.request = request
        self.user = user
        self.engine = engine
        self.page_user = page_user


def plan_of(route: Any) -> Plan | None:
    """The plan of a route whose parameters are all of the kinds above, else None."""
    d = route.dependant
    if d.call is None or (route.body_field is not None and route._embed_body_fields):
        return None
    if d.query_params or d.header_params or d.cookie_params or len(d.body_params) > 1:
        return None
    if (
        d.websocket_param_name
        or d.http_connection_param_name
        or d.response_param_name
        or d.background_tasks_param_name
        or d.security_scopes_param_name
    ):
        return None
    returns = inspect.signature(d.call).return_annotation
    if returns not in (Response, "Response"):  # anything else FastAPI serialises itself
        return None
    ids = []
    for field in d.path_params:
        info = field.field_info
        bounds = {type(m).__name__: m for m in info.metadata}
        ge, le = bounds.get("Ge"), bounds.get("Le")
        if (
            info.annotation is not int
            or ge is None
            or le is None
            or ge.ge != 1
            or le.le != MAX_ID
            or field.alias != field.name
        ):
            return None
        ids.append(field.name)
    body = None
    if d.body_params:
        field = d.body_params[0]
        model = field.field_info.annotation
        if type(field.field_info).__name__ != "Body" or not (
            isinstance(model, type) and issubclass(model, BaseModel)
        ):
            return None
        body = (field.name, model)
    user = engine = page_user = None
    for sub in d.dependencies:
        if sub.call is api_principal and sub.name and user is None and sub.use_cache:
            user = sub.name
        elif sub.call is page_principal and sub.name and page_user is None and sub.use_cache:
            page_user = sub.name
        elif sub.call is get_engine and sub.name and engine is None:
            engine = sub.name
        else:
            return None
    if user is not None and page_user is not None:
        return None
    if page_user is not None and (body is not None or route.methods - {"GET", "HEAD"}):
        return None  # a page's change is a form with its CSRF token: FastAPI's way
    if body is not None and user is None:
        return None  # a change without a sign-in: not one of ours, FastAPI decides
    return Plan(d.call, ids, body, d.request_param_name, user, engine, page_user)


async def lean_call(plan: Plan, request: Request) -> Response | None:
    """The reply by the short way, or None when the request is for FastAPI to handle
    (nothing has been called then but reading the body, which the request keeps)."""
    if request.app.dependency_overrides:
        return None
    values: dict[str, Any] = {}
    params = request.path_params
    for name in plan.ids:
        text = params.get(name, "")
        if _ID.fullmatch(text) is None or int(text) > MAX_ID:
            return None
        values[name] = int(text)
    if plan.user is not None:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() != "bearer " or not auth[7:] or " " in auth[7:]:
            return None  # a session cookie, no sign-in, an odd header: FastAPI's way
    if plan.page_user is not None and not request.cookies.get(SESSION_COOKIE):
        return None  # not signed in: FastAPI's way (its NotAuthenticated, the sign-in page)
    if plan.body is not None:
        if request.headers.get("content-type") != "application/json":
            return None
        try:
            raw = await request.body()
        except HTTPException:
            raise
        except Exception as e:  # as FastAPI's handler answers it
            raise HTTPException(400, "There was an error parsing the body") from e
        if not raw:
            return None
        try:
            values[plan.body[0]] = plan.body[1].model_validate(json.loads(raw))
        except (ValueError, ValidationError, RecursionError):  # (JSONDecodeError: ValueError)
            return None  # FastAPI's way gives the reason (nesting too deep: its 400)
    if plan.request is not None:
        values[plan.request] = request
    if plan.user is not None:
        values[plan.user] = await api_principal(request, await bearer(request))
    if plan.page_user is not None:
        values[plan.page_user] = await page_principal(request, await get_engine(request))
    if plan.engine is not None:
        values[plan.engine] = await get_engine(request)
    if plan.is_async:
        reply = await plan.call(**values)
    else:
        reply = await run_in_threadpool(plan.call, **values)
    if not isinstance(reply, Response):
        raise TypeError(f"{plan.call.__qualname__} returned {type(reply).__name__}")
    return reply


class Lean(APIRoute):
    """An API route that takes the short way for ordinary requests (see the module)."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        route: Any = self
        context = getattr(fastapi.routing, "_effective_route_context_var", None)
        effective = context.get() if context is not None else None
        if effective is not None and getattr(effective, "original_route", None) is self:
            route = effective  # the route as included (its prefix, the app's dependencies)
        plan = plan_of(route)
        if plan is None:
            return standard
        found = plan

        async def handler(request: Request) -> Response:
            reply = await lean_call(found, request)
            return reply if reply is not None else await standard(request)

        return handler
