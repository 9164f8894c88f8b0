"""E-mails about tasks: rendered from Jinja2 templates, Swedish first, English below.

A template ``templates/mail/<kind>.<lang>.txt`` renders to its subject (the first line) and
its body (the rest). A mail carries the body in the organisation's language and then in the
other one; a language whose template is missing is left out, English being the fallback.
Due dates travel as an .ics attachment (``forms.exports.ics``) so they land in the calendar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import cache
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from forms.exports import ics

KINDS = ("created", "reminded", "escalated", "digest")
LANGS = ("sv", "en")
SEPARATOR = {"sv": "På svenska", "en": "In English"}


@dataclass(frozen=True)
class MailTask:
    """What a mail says about one task."""

    task_id: int
    title_sv: str
    title_en: str
    stage_sv: str
    stage_en: str
    unit_name: str
    year: int
    due_date: date
    url: str
    version: int = 1
    escalated: bool = False
    level: int = 0
    overdue_days: int = 0

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def stage(self, lang: str) -> str:
        return self.stage_sv if lang == "sv" else self.stage_en


@dataclass(frozen=True)
class Letter:
    """Everything needed to write one mail to one person."""

    kind: str
    to_name: str
    to_email: str
    tasks: Sequence[MailTask]
    inbox_url: str
    week: str = ""
    more: int = 0  # tasks left out of a long digest


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("forms", "templates/mail"),
        autoescape=False,  # plain text; nothing here is ever shown as HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(letter: Letter, lang: str) -> tuple[str, str] | None:
    """(subject, body) in one language, or None when that language has no template."""
    if letter.kind not in KINDS:
        raise ValueError(f"unknown mail kind {letter.kind!r}")
    try:
        template = environment().get_template(f"{letter.kind}.{lang}.txt")
    except TemplateNotFound:
        return None
    text = template.render(letter=letter, tasks=letter.tasks, lang=lang)
    subject, _, body = text.partition("\n")
    return _one_line(subject), body.strip("\n") + "\n"


def compose(letter: Letter, *, sender: str, stamp: datetime, primary: str = "sv") -> EmailMessage:
    """The whole message: text in both languages and the calendar of due dates."""
    order = [primary, *(lang for lang in (*LANGS, "en") if lang != primary)]
    parts = [(lang, r) for lang in dict.fromkeys(order) if (r := render(letter, lang))]
    if not parts:
        raise ValueError(f"no template for mail kind {letter.kind!r}")
    subject = parts[0][1][0]
    body = parts[0][1][1]
    for lang, (_, text) in parts[1:]:
        body += f"\n----- {SEPARATOR[lang]} -----\n\n{text}"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((letter.to_name, letter.to_email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(stamp)
    msg["Message-ID"] = make_msgid("samflow", domain=_host(letter.inbox_url))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body, charset="utf-8")
    if letter.tasks:
        msg.add_attachment(
            calendar_of(letter, stamp, primary).encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="samflow.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    return msg


def calendar_of(letter: Letter, stamp: datetime, lang: str) -> str:
    host = _host(letter.inbox_url)
    events = [
        ics.DueEvent(
            uid=f"samflow-task-{t.task_id}@{host}",
            day=t.due_date,
            summary=f"{t.title(lang)} – {t.unit_name}",
            description=f"{t.stage(lang)} {t.year}. {t.url}",
            url=t.url,
            sequence=t.version,
        )
        for t in letter.tasks
    ]
    return ics.calendar(events, stamp=stamp)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "localhost"


def _one_line(text: str) -> str:
    """Headers never carry a newline (no header injection from names or titles)."""
    return re.sub(r"\s+", " ", text).strip()
