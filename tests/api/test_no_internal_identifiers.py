"""No internal identifier anywhere a person reads: every page every role reaches (in
Swedish and English), every mail the outbox sends and the audit page's CSV export (its
readable columns; the log's own, with event names and hashes, is ``columns=log`` of the
API, for programs). An
address like ``manager@2``, a subject like ``measure:7``, an event name like
``task.created``, a template key like ``sam-annual`` or an English key in a Swedish page
("Saknas: manager", "Nivå: unit") is a bug in the words, not data."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from engine.notify import notices as notify
from tests.api.conftest import Web

ROLES = ("m2@x.se", "dep@x.se", "so2@x.se", "hso@x.se", "hr@x.se", "dir@x.se")
EVENT_NAMES = (
    r"(task|stage|cycle|measure|risk|plan|org|unit|person|role|inspection|evidence|account"
    r"|token|job|audit|substitute)\.[a-z_]+"
)
IDENTIFIERS = re.compile(
    r"\b[a-z_]+@\d+\b"  # an address: manager@2, parent.manager@3
    r"|\b(task|measure|risk|cycle|unit|stage|person|item):\d+\b"  # a subject
    rf"|(?<![\w/.-]){EVENT_NAMES}\b(?![\w/-])"  # an event name
    r"|\bsam-annual\b|\bav-inspection\b"  # a template key
    r"|\b(optional step left open|returned to [a-z_]+:)"  # the engine's own English reasons
)
#: Words the Swedish pages must never show as they are (English keys of the engine).
ENGLISH_KEYS = re.compile(
    r">\s*(manager|safety_rep|chief_safety_rep|director|hr|unit|department|administration"
    r"|survey|analysis|action_plan|cooperation|follow_up|evaluation)\s*<"
    r"|\((survey|analysis|action_plan|cooperation|follow_up|evaluation)\)"
)
LINK = re.compile(r'href="(/[^"#]*)"')
NOT_PAGES = re.compile(r"\.(pdf|ics|json|xlsx)$|/file$|/files/|^/api/|^/static/|/logout$")


def _text(page: str) -> str:
    """What a person reads: the page without its tags, scripts and form tokens (attribute
    values that are read aloud, the labels, stay in)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    read = " ".join(re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + read)


def _found(where: str, text: str) -> list[str]:
    return [
        f"{where}: {m.group(0)!r} in …{text[max(0, m.start() - 60) : m.end() + 30]}…"
        for m in IDENTIFIERS.finditer(text)
    ]


def _crawl(client: object, start: str = "/inbox", limit: int = 40) -> dict[str, str]:
    """Every page reached from the inbox, one per kind of address, in each language."""
    seen_kinds: set[str] = set()
    pages: dict[str, str] = {}
    queue = [start]
    while queue and len(pages) < limit:
        address = queue.pop(0)
        kind = re.sub(r"\d+", "N", address.split("?")[0]) + ("?" if "?" in address else "")
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        reply = client.get(address)  # type: ignore[attr-defined]
        if reply.status_code != 200 or "text/html" not in reply.headers["content-type"]:
            continue
        pages[address] = reply.text
        for raw in LINK.findall(reply.text):
            link = html.unescape(raw)
            parts = urlsplit(link)
            if NOT_PAGES.search(parts.path) or re.search(r"(^|&)(lang|page)=", parts.query):
                continue
            queue.append(link)
    return pages


class Outbox:
    """Where the mails go: kept to be read (the delivery itself is tested with a real SMTP
    server in tests/flows/test_notify.py)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def close(self) -> None:
        pass


def test_no_page_mail_or_csv_shows_an_internal_identifier(hweb: Web) -> None:
    found: list[str] = []
    reached = 0
    for email in ROLES:
        client = hweb.browser(email)
        for lang in ("sv", "en"):
            client.get(f"/inbox?lang={lang}")  # the language cookie
            for address, page in _crawl(client).items():
                reached += 1
                text = _text(page)
                found += _found(f"{email} {lang} {address}", text)
            if email in ("m2@x.se", "hr@x.se"):  # who may export the log
                exported = client.get("/audit.csv", params={"unit": "U2", "lang": lang})
                assert exported.status_code == 200 and exported.text.count("\n") > 20
                found += _found(f"{email} {lang} /audit.csv", exported.text)
                if lang == "sv":
                    found += [
                        f"{email} {address}: English key {m.group(0)!r}"
                        for m in ENGLISH_KEYS.finditer(page)
                    ]
    outbox = Outbox()
    notify.send_pending(hweb.engine, outbox)
    notify.send_digest(hweb.engine, outbox)
    assert len(outbox.sent) >= 3, "the year sends mail"
    for message in outbox.sent:
        body = message.get_body(("plain",))
        assert body is not None
        found += _found(
            f"mail to {message['To']}: {message['Subject']}",
            f"{message['Subject']}\n{body.get_content()}",
        )
    assert reached >= 6 * 2 * 8, reached
    assert not found, "\n".join(found[:40])


def test_the_year_start_names_missing_roles_in_words(web: Web) -> None:
    """HR reads "Saknas: Chef", not "Saknas: manager"."""
    from engine.workflow.batch import jobs

    hr = web.org.actor("hr@x.se")
    job_id = jobs.create(web.engine, hr, "start_year", {"year": 2027, "root": None}, "prefect")
    jobs.begin(web.engine, job_id)
    gap = {"code": "U9", "name": "Enhet 9", "missing": ["manager", "parent.manager"]}
    jobs.finish(web.engine, job_id, {"year": 2027, "started": 0, "gaps": [gap]})
    client = web.browser("hr@x.se")
    sv = client.get(f"/jobs/{job_id}").text
    assert "<td>Chef, Chef för enheten ovanför</td>" in sv
    en = client.get(f"/jobs/{job_id}?lang=en").text
    assert "<td>Manager, Manager of the unit above</td>" in en
    assert not IDENTIFIERS.search(_text(sv)) and not ENGLISH_KEYS.search(sv)


def test_the_engines_own_reasons_read_as_words() -> None:
    from forms.render import reason_text

    assert reason_text("optional step left open at sign-off", "sv") == (
        "Frivilligt steg som var öppet när steget signerades"
    )
    assert reason_text("returned to action_plan: Fel risk", "en") == (
        "Sent back to an earlier stage: Fel risk"
    )
    assert reason_text("Kursen flyttad", "en") == "Kursen flyttad"
