"""Mail text and calendar files, as plain functions (no server, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from forms.exports import ics
from forms.mail import Letter, MailTask, compose, render
from tests.flows.helpers import calendar_of, parse_ics, text_of

STAMP = datetime(2027, 1, 10, 8, tzinfo=UTC)


def task(**overrides: object) -> MailTask:
    values: dict[str, object] = {
        "task_id": 7,
        "title_sv": "Skyddsrond",
        "title_en": "Safety round",
        "stage_sv": "Kartläggning",
        "stage_en": "Survey",
        "unit_name": "Enhet 1",
        "year": 2027,
        "due_date": date(2027, 3, 31),
        "url": "https://sam.example.se/tasks/7",
    }
    return MailTask(**(values | overrides))  # type: ignore[arg-type]


def test_long_lines_fold_at_75_octets_never_inside_a_character() -> None:
    line = "SUMMARY:" + "Åtgärd för skyddsrond, ögonblick; " * 10
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1 and all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert ics.unfold(folded + "\r\n") == [line]


def test_text_values_are_escaped() -> None:
    assert ics.escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_calendar_has_one_all_day_event_per_task() -> None:
    letter = Letter("digest", "Maja", "m1@x.se", [task(), task(task_id=8)], "https://x/inbox")
    events = parse_ics(compose_calendar(letter))
    assert [e["UID"][1] for e in events] == ["samflow-task-7@x", "samflow-task-8@x"]
    assert events[0]["DTEND"] == ({"VALUE": "DATE"}, "20270401")
    assert events[0]["DTSTAMP"] == ({}, "20270110T080000Z")


def compose_calendar(letter: Letter) -> str:
    msg = compose(letter, sender="s@x", stamp=STAMP)
    assert len(calendar_of(msg)) == len(letter.tasks)
    part = next(msg.iter_attachments())
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes) and part.get_param("method") == "PUBLISH"
    return payload.decode("utf-8")


def test_english_first_when_the_organisation_writes_english() -> None:
    letter = Letter("created", "Maja", "m1@x.se", [task()], "https://x/inbox")
    msg = compose(letter, sender="s@x", stamp=STAMP, primary="en")
    assert msg["Subject"] == "New task: Safety round – Enhet 1, due 2027-03-31"
    text = text_of(msg)
    assert text.index("Hello Maja") < text.index("----- På svenska -----") < text.index("Hej")


def test_a_title_cannot_break_the_subject_line() -> None:
    letter = Letter("created", "M", "m@x.se", [task(title_sv="Rond\nBcc: evil@x")], "https://x")
    msg = compose(letter, sender="s@x", stamp=STAMP)
    assert "\n" not in msg["Subject"] and msg["Bcc"] is None


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown mail kind"):
        render(Letter("party", "M", "m@x.se", [task()], "https://x"), "sv")
