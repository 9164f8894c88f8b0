"""The audit log's CSV for reading (what the audit page exports): time in Swedish local
time, people by name, the action as words in the reader's language, what it was about by
name, the unit's name and the reason given. No ids, chains, hashes or event names (those
are the log's own columns: ``samflow audit search --csv`` and ``/api/audit/csv?columns=log``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from engine.audit.search import csv_line
from engine.domain.clock import LOCAL_TZ, as_utc
from engine.views.audit_export import ReadableEvent
from forms import i18n
from forms.i18n import N_
from forms.render import ACTIONS, SUBJECTS, reason_text

COLUMNS = (
    N_("Tid"),
    N_("Vem"),
    N_("För"),
    N_("Händelse"),
    N_("Gäller"),
    N_("Enhet"),
    N_("Skäl eller kommentar"),
)


def lines(events: Iterable[ReadableEvent], lang: str) -> Iterator[str]:
    """The header, then one line per event (cells a spreadsheet would run as a formula are
    quoted with ')."""
    yield csv_line([i18n.tr(lang, c) for c in COLUMNS])
    system = i18n.tr(lang, "Systemet")
    for e in events:
        yield csv_line(
            [
                as_utc(e.at).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                e.actor_name or system,
                e.on_behalf_of,
                _action(e.action, lang),
                _subject(e, lang),
                e.unit_name,
                reason_text(e.reason, lang),
            ]
        )


def _action(action: str, lang: str) -> str:
    words = ACTIONS.get(action)
    return i18n.tr(lang, words) if words else i18n.tr(lang, "Annan händelse i loggen")


def _subject(e: ReadableEvent, lang: str) -> str:
    """``Uppgift: Medarbetarenkät``, ``Åtgärd: Taklyft``; the kind alone if it has no name."""
    noun = SUBJECTS.get(e.subject_kind)
    kind = i18n.tr(lang, noun) if noun else ""
    name = e.subject_sv if lang == "sv" else (e.subject_en or e.subject_sv)
    if kind and name:
        return f"{kind}: {name}"
    return kind or name
