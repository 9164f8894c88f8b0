"""The Jinja2 environment that renders samflow's pages: autoescaped, strict about undefined
names (a typo in a template fails the test that renders it, not silently in production),
Swedish first with English on request.

Templates write their texts in Swedish, ``{{ _("Inkorg") }}``, a count with ``ngettext``;
the English comes from the catalogue (``forms/i18n.py``, ``docs/i18n.md``). Data that is
itself in two languages (a template's stage titles, the engine's state labels) is shown
with ``pick(sv, en)`` or the label helpers. Dates and numbers are Babel's, per language.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from engine.domain.risk import level, matrix
from engine.domain.workflow.routing import parse as parse_role
from engine.domain.workflow.states import (
    CycleStatus,
    Labelled,
    MeasureStatus,
    Role,
    StageStatus,
    TaskStatus,
)
from forms import i18n
from forms.i18n import LANGS, N_
from forms.labels import label
from forms.wide_tables import WideTables

#: Audit actions in words (the log itself keeps the stable English names).
ACTIONS: dict[str, str] = {
    "cycle.started": N_("Cykeln startades"),
    "cycle.completed": N_("Cykeln avslutades"),
    "cycle.cancelled": N_("Cykeln avbröts"),
    "cycle.sent_back": N_("Skickades tillbaka till handlingsplanen"),
    "stage.activated": N_("Steget öppnades"),
    "stage.reopened": N_("Steget öppnades igen"),
    "stage.signed_off": N_("Steget signerades"),
    "task.created": N_("Uppgift skapades"),
    "task.completed": N_("Uppgift slutfördes"),
    "task.claimed": N_("Uppgift togs"),
    "task.released": N_("Uppgift lämnades tillbaka"),
    "task.delegated": N_("Uppgift lämnades över"),
    "task.returned": N_("Uppgift returnerades"),
    "task.cancelled": N_("Uppgift avbröts"),
    "task.due_extended": N_("Slutdatum flyttades"),
    "task.draft_saved": N_("Utkast sparades"),
    "task.reminded": N_("Påminnelse skickades"),
    "task.escalated": N_("Uppgift eskalerades"),
    "task.commented": N_("Kommentar skrevs"),
    "view.saved": N_("Vy sparades"),
    "view.removed": N_("Vy togs bort"),
    "risk.assessed": N_("Risk bedömdes"),
    "measure.created": N_("Åtgärd lades till"),
    "measure.updated": N_("Åtgärd ändrades"),
    "measure.start": N_("Åtgärden påbörjades"),
    "measure.finish": N_("Åtgärden genomfördes"),
    "measure.postpone": N_("Åtgärden sköts upp"),
    "measure.cancel": N_("Åtgärden ströks"),
    "measure.reassigned": N_("Åtgärd flyttades"),
    "attachment.added": N_("Bilaga lades till"),
    "plan.imported": N_("Handlingsplan importerades"),
    "inspection.registered": N_("Inspektion registrerades"),
    "inspection.reply_drafted": N_("Svaret till Arbetsmiljöverket upprättades"),
    "coop.body_created": N_("Samverkansorgan lades till"),
    "coop.member_added": N_("Ledamot lades till"),
    "coop.member_ended": N_("Ledamot avslutades"),
    "coop.meeting_created": N_("Samverkansmöte lades till"),
    "coop.item_added": N_("Punkt lades på dagordningen"),
    "coop.item_recorded": N_("Beslut protokollfördes"),
    "coop.mbl_requested": N_("MBL-förhandling begärdes"),
    "coop.mbl_ended": N_("MBL-förhandling avslutades"),
    "coop.protocol_signed": N_("Protokollet justerades"),
    "plan.established": N_("Handlingsplanen fastställdes"),
    "change.registered": N_("Förändring registrerades"),
    "change.decided": N_("Förändringen beslutades"),
    "inspection.decision_added": N_("Föreläggande eller förbud registrerades"),
    "incident.registered": N_("Händelse rapporterades"),
    "safety_request.registered": N_("Begäran från skyddsombud registrerades"),
    "safety_request.receipt_drafted": N_("Mottagningsbevis upprättades"),
    "safety_request.history_drafted": N_("Ärendets historik upprättades"),
    "manager_risk.registered": N_("Chefens arbetsmiljörisk registrerades"),
    "plan.item_from_case": N_("Punkt lades till i handlingsplanen från ett ärende"),
    "cycle.reopened": N_("Ärendet öppnades igen"),
    "unit.created": N_("Enhet lades till"),
    "unit.updated": N_("Enhet ändrades"),
    "person.created": N_("Person lades till"),
    "person.updated": N_("Person ändrades"),
    "role.assigned": N_("Roll tilldelades"),
    "role.updated": N_("Roll ändrades"),
    "role.ended": N_("Roll avslutades"),
    "substitute.set": N_("Ersättare angavs"),
    "substitute.ended": N_("Ersättning avslutades"),
    "allocation.offered": N_("Uppgiftsfördelning erbjöds och skrevs under"),
    "allocation.accepted": N_("Uppgiftsfördelning accepterades och skrevs under"),
    "allocation.returned": N_("Uppgiftsfördelning returnerades"),
    "allocation.superseded": N_("Uppgiftsfördelning ersattes av en ny"),
    "allocation.task_returned": N_("Fördelad uppgift returnerades"),
    "allocation.return_decided": N_("Beslut om returnering"),
    "allocation.tasks_held": N_("Uppgifter hålls av chefen ovanför tills fördelningen accepteras"),
    "allocation.tasks_released": N_("Hållna uppgifter gick till den nya chefen"),
    "task.held_for_allocation": N_("Uppgiften hålls av chefen ovanför"),
    "task.hold_released": N_("Uppgiften gick till den nya chefen"),
    "task.return_decided": N_("Beslut om returneringen"),
    "survey.mapping_saved": N_("Kolumnmappning för enkät sparades"),
    "survey.imported": N_("Medarbetarenkät importerades"),
    "survey.reimported": N_("Medarbetarenkät importerades igen och ersatte årets siffror"),
    "absence.imported": N_("Sjukfrånvaro importerades"),
    "roa.selection_confirmed": N_("Urval för riskorienterad genomgång bekräftades"),
    "roa_review.registered": N_("Riskorienterad genomgång startades"),
    "health.goal_set": N_("Hälsomål sattes"),
    "health.plan_saved": N_("Hälsoplan sparades"),
    "health.plan_followed_up": N_("Hälsoplan följdes upp"),
}


#: What an audit event or a chain is about, in words (the log keeps ``task:25``, ``cycle:4``).
SUBJECTS: dict[str, str] = {
    "allocation": N_("Uppgiftsfördelning"),
    "allocation_return": N_("Returnering"),
    "cycle": N_("Cykel"),
    "stage": N_("Steg"),
    "task": N_("Uppgift"),
    "measure": N_("Åtgärd"),
    "risk": N_("Risk"),
    "unit": N_("Enhet"),
    "person": N_("Person"),
    "manager": N_("Chef"),
    "substitute": N_("Ersättning"),
    "inspection": N_("Inspektion"),
    "change": N_("Förändring"),
    "body": N_("Samverkansorgan"),
    "meeting": N_("Samverkansmöte"),
    "agenda_item": N_("Dagordningspunkt"),
    "attachment": N_("Bilaga"),
    "template": N_("Mall"),
    "token": N_("API-token"),
    "job": N_("Körning"),
    "file": N_("Fil"),
    "org": N_("Organisationen"),
    "survey_import": N_("Enkätimport"),
    "survey_mapping": N_("Kolumnmappning"),
    "absence_import": N_("Frånvaroimport"),
    "roa_selection": N_("Riskorienterat urval"),
    "roa_review": N_("Riskorienterad genomgång"),
    "health_goal": N_("Hälsomål"),
    "health_plan": N_("Hälsoplan"),
}
#: The audit search's choices of action groups (``task.*``), before the single actions.
ACTION_GROUPS: dict[str, str] = {
    "cycle.*": N_("Alla cykelhändelser"),
    "stage.*": N_("Alla steghändelser"),
    "task.*": N_("Alla uppgiftshändelser"),
    "measure.*": N_("Alla åtgärdshändelser"),
    "inspection.*": N_("Alla inspektionshändelser"),
}


def environment(lang: str | None = None, *, reload: bool = True) -> Environment:
    """The pages' environment. With ``lang``, one language's: its constant texts are
    translated when a template is compiled (``i18n.constant_texts``), and its templates
    must be rendered with ``lang=lang``; without, every text is looked up as the page is
    rendered, in the language it is rendered with. ``reload`` off: a template is read and
    compiled once, its file not looked at again (``Settings.templates_reload``)."""
    env = Environment(
        loader=PackageLoader("forms", "templates"),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[WideTables],
        auto_reload=reload,
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
        action_text=_action_text,
        action_choices=_action_choices,
        subject_text=_subject_text,
        unit_level=lambda value, lang: label("unit_level", value, lang),
        stage_status=lambda v, lang: _enum_label(StageStatus, v, lang),
        measure_status=lambda v, lang: _enum_label(MeasureStatus, v, lang),
        role_expr_label=role_expr_label,
        reason_text=reason_text,
        main_menu=_main_menu,
    )
    i18n.install(env)
    env.filters.update(short=short_date)
    if lang is not None:
        env.code_generator_class = i18n.constant_texts(lang)
    return env


def environments(*, reload: bool = True) -> dict[str, Environment]:
    """One environment per language (``environment(lang)``): what ``api.rendering`` renders
    a page with, by the page's language."""
    return {lang: environment(lang, reload=reload) for lang in LANGS}


#: How many menus an environment keeps (a path is part of the key, and paths are many).
MENUS_KEPT = 512


@pass_context
def _main_menu(ctx: Context, path: str, admin: bool, oversees: bool) -> Markup:
    """The main menu (``_nav.html``): the same for every page of one path, language and
    pair of rights, so rendered once and kept on the environment (a few hundred at most)."""
    env = ctx.environment
    lang = ctx.get("lang") or "sv"
    key = (lang, path, bool(admin), bool(oversees))
    kept: dict[tuple[str, str, bool, bool], Markup] | None = getattr(env, "samflow_menus", None)
    if kept is None:
        kept = {}
        env.samflow_menus = kept  # type: ignore[attr-defined]
    menu = kept.get(key)
    if menu is None:
        if len(kept) >= MENUS_KEPT:
            kept.clear()
        tpl = env.get_template("_nav.html")
        menu = kept[key] = Markup(tpl.render(lang=lang, path=path, admin=admin, oversees=oversees))
    return menu


@pass_context
def _t(ctx: Context, sv: str, en: str) -> str:
    """The old ``t("Svenska", "English")``, kept only so that a branch written before the
    catalogues renders after a merge; ``scripts/i18n.py`` converts what is left and
    ``tests/test_i18n.py`` fails while any remains."""
    return en if ctx.get("lang") == "en" else sv


@pass_context
def _action_text(ctx: Context, action: str) -> str:
    """An audit action in words; the stable name itself if it has none."""
    text = ACTIONS.get(action)
    return i18n.tr(ctx.get("lang") or "sv", text) if text else action


@pass_context
def _action_choices(ctx: Context) -> list[tuple[str, str]]:
    """(code, words) for the audit search: the groups, then every action by its words."""
    lang = ctx.get("lang") or "sv"
    groups = [(code, i18n.tr(lang, text)) for code, text in ACTION_GROUPS.items()]
    single = sorted(((k, i18n.tr(lang, v)) for k, v in ACTIONS.items()), key=lambda kv: kv[1])
    return groups + single


@pass_context
def _subject_text(ctx: Context, ref: str | None) -> str:
    """``task:25`` as 'Uppgift 25', ``org`` as 'Organisationen'; an unknown kind as 'nr 25'."""
    if not ref:
        return ""
    kind, _, number = ref.partition(":")
    noun = SUBJECTS.get(kind)
    lang = ctx.get("lang") or "sv"
    words = i18n.tr(lang, noun) if noun else i18n.tr(lang, "nr")
    return f"{words} {number}".strip()


@pass_context
def _label(ctx: Context, obj: Any) -> str:
    """The label of a field spec (or anything with ``label(lang)``)."""
    return str(obj.label(ctx.get("lang", "sv")))


def role_expr_label(expr: str | None, lang: str) -> str:
    """A role a template routes to, in words: "Chef", "Chef (enheten ovanför)"; anything
    else (a person's e-mail, a name) as it is."""
    if not expr:
        return ""
    try:
        parsed = parse_role(expr)
    except ValueError:
        return expr
    if isinstance(parsed, str):  # measure.responsible
        return i18n.tr(lang, "Ansvarig för åtgärden")
    name = parsed.role.label(lang)
    if not parsed.from_parent:
        return name
    return i18n.tr(lang, "%(role)s för enheten ovanför", role=name)


#: Reasons the engine itself writes on the tasks it closes (engine.workflow.cycles).
SYSTEM_REASONS = {
    "optional step left open at sign-off": N_(
        "Frivilligt steg som var öppet när steget signerades"
    ),
}
_RETURNED_TO = re.compile(r"^returned to [a-z_]+: (?P<reason>.*)$", re.S)


def reason_text(reason: str | None, lang: str) -> str:
    """A task's reason as people read it: the engine's own reasons in the page's language
    (a person's reason as they wrote it)."""
    if not reason:
        return ""
    if reason in SYSTEM_REASONS:
        return i18n.tr(lang, SYSTEM_REASONS[reason])
    back = _RETURNED_TO.match(reason)
    if back:
        return i18n.tr(
            lang, "Skickat tillbaka till ett tidigare steg: %(reason)s", reason=back["reason"]
        )
    return reason


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


def short_date(value: date | datetime | str | None) -> str:
    """'2027-03-15': the Swedish numeric date (SS-ISO 8601)."""
    if isinstance(value, str) and len(value) <= 10:
        return value or "–"
    return i18n.iso_day(value)


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
