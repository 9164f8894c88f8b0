"""The Swedish pages speak Swedish: no English text from the catalogue or the engine's labels,
no internal identifier (``manager@2``, ``measure:7``, ``task.completed``, ``unit`` as a
level, ``sam-annual v1``), and counts that agree with their number."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from engine.domain.workflow.states import CycleStatus, MeasureStatus, Role, StageStatus, TaskStatus
from scripts import i18n as catalogues
from tests.api.conftest import Web

#: Who sees what: each role of the organisation with history (tests/evidence/scenario.py).
PEOPLE = ("dir@x.se", "hr@x.se", "hso@x.se", "dep@x.se", "m1@x.se", "m2@x.se", "so2@x.se")
PAGES = (
    "/home",
    "/inbox",
    "/inbox?group=cycle&sort=cycle",
    "/org",
    "/org/substitutes",
    "/overview",
    "/reports",
    "/reports?kind=board",
    "/evidence",
    "/inspections",
    "/audit",
    "/year",
    "/org/import",
    "/account",
)
IDENTIFIERS = {
    "role@unit": re.compile(r"\b[a-z_]+@\d+\b"),
    "type:id": re.compile(r"\b(?:cycle|stage|task|measure|unit|person|inspection|risk):\d+\b"),
    "audit action": re.compile(
        r"\b(?:cycle|stage|task|measure|risk|unit|person|role|substitute|inspection|plan"
        r"|attachment)\.[a-z_]+\b"
    ),
    "template key": re.compile(r"\b(?:sam-annual|av-inspection)\b"),
    "level code": re.compile(r"(?:^|[·(,]\s*)(?:unit|department|administration)(?:\s*[·),]|$)"),
}


class _Words(HTMLParser):
    """What a person reads: text outside scripts, styles and code, and the labels read out."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "textarea"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.words.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "textarea"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.words.append(" ".join(data.split()))


def words(html: str) -> list[str]:
    parser = _Words()
    parser.feed(html)
    return parser.words


@pytest.fixture(scope="module")
def english_only() -> set[str]:
    """Texts that are English and not also Swedish: the catalogue's and the engine's."""
    sv, en = catalogues.read("sv"), catalogues.read("en")
    swedish: set[str] = set()
    for m in sv:
        swedish.update([m.id] if isinstance(m.id, str) else m.id)
    english: set[str] = set()
    for m in en:
        if m.id and "%" not in str(m.string):
            english.update([m.string] if isinstance(m.string, str) else m.string)
    for kind in (Role, TaskStatus, StageStatus, CycleStatus, MeasureStatus):
        swedish.update(x.sv for x in kind)
        english.update(x.en for x in kind)
    return {e for e in english if e and e not in swedish and len(e) > 3}


def problems(html: str, english_only: set[str]) -> list[str]:
    found = []
    for text in words(html):
        if text in english_only:
            found.append(f"English: {text!r}")
        for name, pattern in IDENTIFIERS.items():
            if m := pattern.search(text):
                found.append(f"{name}: {m[0]!r} in {text[:80]!r}")
    return found


def _pages_of(hweb: Web, email: str) -> list[str]:
    """The main pages, then this person's cycle and task pages (from the inbox links)."""
    client = hweb.browser(email)
    inbox = client.get("/inbox").text
    extra = sorted(set(re.findall(r'href="(/(?:tasks|cycles|org/units|inspections)/\d+)"', inbox)))
    cycles = {f"/cycles/{hweb.org.cycle_of(code)}" for code in ("U1", "U2")}
    found = []
    for path in (*PAGES, *sorted(cycles), *extra[:6]):
        page = client.get(path, params={"lang": "sv"})
        if page.status_code == 200 and page.headers["content-type"].startswith("text/html"):
            found.append((path, page.text))
    return [f"{path}\n{html}" for path, html in found]


@pytest.mark.parametrize("email", PEOPLE)
def test_swedish_pages_show_no_english_and_no_identifiers(
    hweb: Web, email: str, english_only: set[str]
) -> None:
    pages = _pages_of(hweb, email)
    assert len(pages) >= 5
    bad = []
    for page in pages:
        path, html = page.split("\n", 1)
        assert '<html lang="sv">' in html, path
        bad += [f"{email} {path}: {p}" for p in problems(html, english_only)]
    assert not bad, "\n".join(bad)


def test_the_check_finds_english_and_identifiers(english_only: set[str]) -> None:
    """The page test can fail: each kind of slip is caught."""
    assert "Inbox" in english_only and "Inkorg" not in english_only
    for html in (
        "<p>Inbox</p>",
        "<td>manager@2</td>",
        '<span class="hint">task.completed · measure:7</span>',
        "<p>Kod U1 · unit · 12 medarbetare</p>",
        "<p>Mall sam-annual v1</p>",
        '<a aria-label="Overdue only">x</a>',
    ):
        assert problems(html, english_only), html
    assert not problems("<p>Kod U1 · Enhet · 12 medarbetare, kl. 14:30</p>", english_only)
    assert not problems("<code>code,name,parent_code,level</code>", english_only)


def test_counts_on_the_pages_agree(hweb: Web) -> None:
    """The inbox and the overview say '1 försenad', '2 försenade', never '1 försenade'."""
    client = hweb.browser("hr@x.se")
    checked = 0
    for path in ("/home", "/inbox", "/overview"):
        html = client.get(path).text
        for n, word in re.findall(r"<strong>(\d+)</strong> (\w+)", html):
            plural = {"försenad": False, "försenade": True, "cykel": False, "cykler": True}
            if word in plural:
                assert plural[word] == (n != "1"), f"{path}: {n} {word}"
                checked += 1
    assert checked >= 2
