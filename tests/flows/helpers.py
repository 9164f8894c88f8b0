"""Helpers for the flow tests: a bigger organisation, reading .ics attachments."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.org import admin as org
from tests.factories import Org


def build_units(app: App, n: int) -> Org:
    """An administration with one department and ``n`` units, each with a manager and a
    safety representative (m<i>@x.se, so<i>@x.se); HR and a director at the top."""
    units = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,5"]
    units.append("DEP,Avdelningen,ADM,department,4")
    people = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@x.se,Dora Direktör,director,ADM,2020-01-01,",
        "hr@x.se,Hugo HR,hr,ADM,2020-01-01,",
        "hso@x.se,Hilda Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,",
        "dep@x.se,Dag Avdelningschef,manager,DEP,2020-01-01,",
    ]
    for i in range(1, n + 1):
        units.append(f"U{i},Enhet {i},DEP,unit,10")
        people.append(f"m{i}@x.se,Chef {i},manager,U{i},2020-01-01,")
        people.append(f"so{i}@x.se,Skyddsombud {i},safety_rep,U{i},2020-01-01,")
    org.import_org(app, Actor.system("test"), "\n".join(units) + "\n", "\n".join(people) + "\n")
    with app.read() as s:
        return Org(app, queries.pairs(s, select(OrgUnit.code, OrgUnit.id)))


def parse_ics(text: str) -> list[dict[str, Any]]:
    """A strict little RFC 5545 reader: CRLF lines of at most 75 octets, folds, nesting,
    required properties. Returns the VEVENTs as {name: (params, value)}."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    raw = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in raw)
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[str] = []
    events: list[dict[str, Any]] = []
    for line in lines:
        name, _, value = line.partition(":")
        prop, *params = name.split(";")
        if prop == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif prop == "END":
            assert stack.pop() == value
        elif stack and stack[-1] == "VEVENT":
            events[-1][prop] = (dict(p.split("=", 1) for p in params), value)
        else:
            assert stack == ["VCALENDAR"], line
    assert stack == []
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    for e in events:
        assert {"UID", "DTSTAMP", "DTSTART"} <= set(e)
    return events


def calendar_of(msg: EmailMessage) -> list[dict[str, Any]]:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return parse_ics(payload.decode("utf-8"))


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content
