"""The Jinja2 environment that renders samflow's pages: autoescaped, strict about undefined
names (a typo in a template fails the test that renders it, not silently in production),
Swedish first with English on request.

Templates write their texts in both languages, ``{{ t("Inkorg", "Inbox") }}``, so a page and
its translation are read and changed together. Dates are shown the Swedish way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from engine.domain.clock import LOCAL_TZ, as_utc
from engine.domain.risk import level, matrix
from engine.domain.states import (
    CycleStatus,
    Labelled,
    MeasureStatus,
    Role,
    StageStatus,
    TaskStatus,
)

MONTHS = {
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "en": "January February March April May June July August September October November December",
}
LANGS = ("sv", "en")
#: Audit actions in words (the log itself keeps the stable English names).
ACTIONS = {
    "cycle.started": ("Cykeln startades", "Cycle started"),
    "cycle.completed": ("Cykeln avslutades", "Cycle completed"),
    "cycle.cancelled": ("Cykeln avbröts", "Cycle cancelled"),
    "cycle.sent_back": ("Skickades tillbaka till handlingsplanen", "Sent back to the plan"),
    "stage.activated": ("Steget öppnades", "Stage opened"),
    "stage.reopened": ("Steget öppnades igen", "Stage reopened"),
    "stage.signed_off": ("Steget signerades", "Stage signed off"),
    "task.created": ("Uppgift skapades", "Task created"),
    "task.completed": ("Uppgift slutfördes", "Task completed"),
    "task.claimed": ("Uppgift togs", "Task claimed"),
    "task.released": ("Uppgift lämnades tillbaka", "Task released"),
    "task.delegated": ("Uppgift lämnades över", "Task handed over"),
    "task.returned": ("Uppgift returnerades", "Task returned"),
    "task.cancelled": ("Uppgift avbröts", "Task cancelled"),
    "task.due_extended": ("Slutdatum flyttades", "Deadline moved"),
    "task.draft_saved": ("Utkast sparades", "Draft saved"),
    "task.reminded": ("Påminnelse skickades", "Reminder sent"),
    "task.escalated": ("Uppgift eskalerades", "Task escalated"),
    "risk.assessed": ("Risk bedömdes", "Risk assessed"),
    "measure.created": ("Åtgärd lades till", "Measure added"),
    "measure.updated": ("Åtgärd ändrades", "Measure changed"),
    "measure.start": ("Åtgärden påbörjades", "Measure started"),
    "measure.finish": ("Åtgärden genomfördes", "Measure done"),
    "measure.postpone": ("Åtgärden sköts upp", "Measure postponed"),
    "measure.cancel": ("Åtgärden ströks", "Measure cancelled"),
    "measure.reassigned": ("Åtgärd flyttades", "Measure reassigned"),
    "attachment.added": ("Bilaga lades till", "Attachment added"),
    "plan.imported": ("Handlingsplan importerades", "Action plan imported"),
    "inspection.registered": ("Inspektion registrerades", "Inspection registered"),
    "inspection.reply_drafted": ("Svaret till Arbetsmiljöverket upprättades", "Reply drawn up"),
    "unit.created": ("Enhet lades till", "Unit added"),
    "unit.updated": ("Enhet ändrades", "Unit changed"),
    "person.created": ("Person lades till", "Person added"),
    "person.updated": ("Person ändrades", "Person changed"),
    "role.assigned": ("Roll tilldelades", "Role assigned"),
    "role.updated": ("Roll ändrades", "Role changed"),
    "role.ended": ("Roll avslutades", "Role ended"),
    "substitute.set": ("Ersättare angavs", "Substitute set"),
    "substitute.ended": ("Ersättning avslutades", "Substitution ended"),
}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("forms", "templates"),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=_t,
        label=_label,
        risk_level=_risk_level,
        risk_matrix=risk_cells,
        risk_label=_risk_label,
        role_label=lambda role, lang: _enum_label(Role, role, lang),
        task_status=lambda v, lang: _enum_label(TaskStatus, v, lang),
        cycle_status=lambda v, lang: _enum_label(CycleStatus, v, lang),
        action_text=lambda action: ACTIONS.get(action, (action, action)),
        stage_status=lambda v, lang: _enum_label(StageStatus, v, lang),
        measure_status=lambda v, lang: _enum_label(MeasureStatus, v, lang),
    )
    env.filters.update(day=_day, short=short_date, when=_when, number=_number)
    return env


@pass_context
def _t(ctx: Context, sv: str, en: str) -> str:
    return en if ctx.get("lang") == "en" else sv


@pass_context
def _label(ctx: Context, obj: Any) -> str:
    """The label of a field spec (or anything with ``label(lang)``)."""
    return str(obj.label(ctx.get("lang", "sv")))


def _enum_label(kind: type[Labelled], value: str | None, lang: str) -> str:
    if value is None:
        return ""
    try:
        return kind(value).label(lang)
    except ValueError:
        return value


def _risk_level(probability: int, consequence: int, lang: str) -> tuple[str, str]:
    """(css key, label) of a risk."""
    try:
        lvl = level(int(probability), int(consequence))
    except (TypeError, ValueError):
        return "", ""
    return lvl.key, lvl.label(lang)


def _risk_label(key: str | None, lang: str) -> str:
    from engine.domain.risk import HIGH, LOW, MEDIUM, VERY_HIGH

    for lvl in (LOW, MEDIUM, HIGH, VERY_HIGH):
        if lvl.key == key:
            return lvl.label(lang)
    return key or ""


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        return as_utc(value).astimezone(LOCAL_TZ)
    return value


@pass_context
def _day(ctx: Context, value: date | datetime | None) -> str:
    """'15 mars 2027' (sv) / '15 March 2027' (en)."""
    if value is None:
        return "–"
    d = _local(value)
    months = MONTHS["en" if ctx.get("lang") == "en" else "sv"].split()
    return f"{d.day} {months[d.month - 1]} {d.year}"


def short_date(value: date | datetime | str | None) -> str:
    """'2027-03-15': the Swedish numeric date (SS-ISO 8601)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        if len(value) <= 10:
            return value
        try:  # an instant as JSON gives it back (documents' data): its Swedish date
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        return short_date(instant)
    d = _local(value)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


@pass_context
def _when(ctx: Context, value: datetime | None) -> str:
    """'2027-03-15 kl. 14:30' (sv) / '2027-03-15 14:30' (en), Swedish time."""
    if value is None:
        return "–"
    local = as_utc(value).astimezone(LOCAL_TZ)
    sep = " " if ctx.get("lang") == "en" else " kl. "
    return f"{short_date(local)}{sep}{local:%H:%M}"


@pass_context
def _number(ctx: Context, value: float | int | None, digits: int = 1) -> str:
    """Decimal comma in Swedish: 72,5."""
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return text if ctx.get("lang") == "en" else text.replace(".", ",")


def risk_cells(risks: list[tuple[int, int, str]]) -> list[list[dict[str, Any]]]:
    """The 4×4 matrix (consequence 4→1 down, probability 1→4 across) with the numbers of
    the risks in each cell. ``risks``: (probability, consequence, label) per risk."""
    rows = []
    for r, row in enumerate(matrix()):
        consequence = 4 - r
        cells = []
        for c, lvl in enumerate(row):
            probability = c + 1
            here = [x for p, q, x in risks if (p, q) == (probability, consequence)]
            cells.append(
                {
                    "level": lvl.key,
                    "sv": lvl.sv,
                    "en": lvl.en,
                    "risks": here,
                    "p": probability,
                    "c": consequence,
                }
            )
        rows.append(cells)
    return rows


def pick_lang(*candidates: str | None) -> str:
    """The first supported language asked for; Swedish when none is."""
    for c in candidates:
        if c:
            code = c.strip().lower()[:2]
            if code in LANGS:
                return code
    return "sv"
