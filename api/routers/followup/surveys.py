"""API: employee surveys (HME), absence figures and the risk-oriented selection (ROA).

HR or a director at the top of the organisation imports the files and keeps the column
mappings; anyone who sees a unit sees its (suppressed) figures; the ROA proposal and the
selection are HR's. See docs/surveys.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine
from api.downloads import read_upload
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.surveys import (
    AbsenceImportOut,
    FiguresOut,
    FlagOut,
    FollowUpIn,
    GoalIn,
    GoalOut,
    HealthYearOut,
    IdOut,
    MappingIn,
    MappingOut,
    PeriodOut,
    PlanIn,
    PlanOut,
    ProgressOut,
    ProposalOut,
    SavedOut,
    SelectedOut,
    SelectionIn,
    SelectionOut,
    SurveyImportOut,
    UnitAbsenceOut,
    UnitFiguresOut,
    YearResultsOut,
)
from engine.surveys import absence, health, imports, mapping, results, roa

router = APIRouter(tags=["surveys"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Root = Annotated[str | None, Query(min_length=1, max_length=64)]
Key = Annotated[str, Path(min_length=1, max_length=64)]


def _figures(f: results.Figures) -> FiguresOut:
    return FiguresOut.model_validate(f)


def year_out(found: results.YearResults) -> YearResultsOut:
    return YearResultsOut(
        year=found.year,
        survey_name=found.survey_name,
        imported_at=found.imported_at,
        min_answers=found.min_answers,
        respondents=found.respondents,
        units=[
            UnitFiguresOut(
                code=u.code,
                name=u.name,
                depth=u.depth,
                now=_figures(u.now),
                last=_figures(u.last) if u.last is not None else None,
                change={k: u.change(k) for k in ("motivation", "leadership", "governance", "hme")},
                low=u.low,
            )
            for u in found.units
        ],
    )


@router.get("/surveys/mappings", response_model=list[MappingOut])
def list_mappings(user: ApiUser, engine: Engine) -> Response:
    """The saved column mappings (one per vendor file)."""
    return reply([MappingOut.model_validate(m) for m in mapping.list_mappings(engine, user.actor)])


@router.put("/surveys/mappings/{key}", response_model=SavedOut)
def save_mapping(key: Key, body: MappingIn, user: ApiUser, engine: Engine) -> Response:
    """Save a vendor file's mapping: the unit column, the nine questions' columns
    (``m1``…``g3``), the scale, and for a file per unit its answer-count column."""
    spec = mapping.parse_mapping({"key": key, **body.model_dump()})
    new = mapping.save_mapping(engine, user.actor, spec)
    return reply(SavedOut(key=spec.key, new=new))


@router.post("/surveys/import", response_model=SurveyImportOut, dependencies=MULTIPART)
def import_survey(
    file: Annotated[UploadFile, File(description="the vendor's export, CSV or XLSX")],
    user: ApiUser,
    engine: Engine,
    year: Annotated[int, Form(ge=2000, le=2100)],
    mapping_key: Annotated[str, Form(max_length=64, alias="mapping")] = "",
    survey_name: Annotated[str, Form(max_length=200)] = "",
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Import the year's survey: every unit's indices up the tree, suppressed below the
    minimum (and wherever subtraction would reveal a smaller group). ``mapping`` may be
    left out when exactly one saved mapping fits the file's headings. Importing a year
    again replaces its figures. Bad cells: 422 naming each as file:line: column."""
    name, content = read_upload(file, engine.settings.survey_max_bytes)
    out = imports.import_survey(
        engine,
        user.actor,
        year=year,
        filename=name,
        content=content,
        mapping=mapping_key or None,
        survey_name=survey_name,
        dry_run=dry_run,
    )
    return reply(SurveyImportOut.model_validate(out))


@router.get("/surveys/{year}", response_model=YearResultsOut)
def survey_results(year: Year, user: ApiUser, engine: Engine, root: Root = None) -> Response:
    """The year's figures of every unit you see (or from ``root`` down), with last year's."""
    return reply(year_out(results.year_results(engine, user.actor, year, root)))


@router.post("/absence/import", response_model=AbsenceImportOut, dependencies=MULTIPART)
def import_absence(
    file: Annotated[UploadFile, File(description="enhet;period;korttid;långtid;antal anställda")],
    user: ApiUser,
    engine: Engine,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Sick leave per unit and period from the HR system (per cent; short-term: < 14 days)."""
    name, content = read_upload(file, engine.settings.survey_max_bytes)
    out = absence.import_absence(
        engine, user.actor, filename=name, content=content, dry_run=dry_run
    )
    return reply(AbsenceImportOut.model_validate(out))


@router.get("/absence/{year}", response_model=list[UnitAbsenceOut])
def absence_figures(year: Year, user: ApiUser, engine: Engine, root: Root = None) -> Response:
    """Each unit you see: its periods, the year's figures and last year's (units with too
    few employees: ``hidden``, no figures)."""
    got = absence.year_absence(engine, user.actor, year, root)
    return reply(
        [
            UnitAbsenceOut(
                code=u.code,
                name=u.name,
                depth=u.depth,
                hidden=u.hidden,
                periods=[PeriodOut.model_validate(p) for p in u.periods],
                short_term=u.short_term,
                long_term=u.long_term,
                last_short_term=u.last_short_term,
                last_long_term=u.last_long_term,
            )
            for u in got
        ]
    )


@router.get("/roa/{year}/proposals", response_model=list[ProposalOut])
def roa_proposals(year: Year, user: ApiUser, engine: Engine) -> Response:
    """The units the ROA rule proposes for a risk-oriented review (docs/surveys.md)."""
    return reply(
        [
            ProposalOut(
                code=p.code,
                name=p.name,
                flags=[FlagOut.model_validate(f) for f in p.flags],
                selected=p.selected,
            )
            for p in roa.propose(engine, user.actor, year)
        ]
    )


@router.post("/roa/{year}/selection", response_model=SelectionOut, status_code=201)
def confirm_selection(year: Year, body: SelectionIn, user: ApiUser, engine: Engine) -> Response:
    """Confirm the selection: each unit gets a review case (all of them, or none)."""
    done = roa.confirm(engine, user.actor, year, body.units, body.note)
    return reply(SelectionOut(selection_id=done.selection_id, cases=done.cases), 201)


@router.get("/roa/{year}/selection", response_model=list[SelectedOut])
def roa_selection(year: Year, user: ApiUser, engine: Engine) -> Response:
    return reply([SelectedOut.model_validate(x) for x in roa.selection(engine, user.actor, year)])


# --- health goals and plans ---------------------------------------------------------------
@router.get("/health/{year}", response_model=HealthYearOut)
def health_year(year: Year, user: ApiUser, engine: Engine, root: Root = None) -> Response:
    """The year's health goals, the plans of the units you see, and progress up the tree
    (per unit and goal: local goals planned, ongoing, done, and how many reached it)."""
    got = health.health_year(engine, user.actor, year, root)
    return reply(
        HealthYearOut(
            year=got.year,
            goals=[GoalOut.model_validate(g) for g in got.goals],
            plans=[PlanOut.model_validate(p) for p in got.plans],
            progress={
                u: {g: ProgressOut.model_validate(p) for g, p in by.items()}
                for u, by in got.progress.items()
            },
            units_without_plan=got.units_without_plan,
        )
    )


@router.put("/health/{year}/goals/{code}", response_model=IdOut)
def set_goal(year: Year, code: Key, body: GoalIn, user: ApiUser, engine: Engine) -> Response:
    """Set one of the year's health goals (HR or a director at the top)."""
    new = health.set_goal(
        engine, user.actor, year, code, body.title, body.measure, body.target, body.direction
    )
    return reply(IdOut(id=new))


@router.put("/health/{year}/plans/{unit}", response_model=IdOut)
def save_plan(year: Year, unit: Key, body: PlanIn, user: ApiUser, engine: Engine) -> Response:
    """The unit's health plan: two health factors (``SAMFLOW_HEALTH_FACTORS``), its
    challenges, local goals each serving a goal of the year (by its code)."""
    factors, challenges, local = health.parse_plan(
        engine.settings.health_factors, body.model_dump()
    )
    return reply(IdOut(id=health.save_plan(engine, user.actor, unit, year, factors, challenges,
                                           local)))  # fmt: skip


@router.post("/health/{year}/plans/{unit}/follow-ups", response_model=IdOut, status_code=201)
def follow_up(year: Year, unit: Key, body: FollowUpIn, user: ApiUser, engine: Engine) -> Response:
    """A department head's follow-up of the unit's plan."""
    return reply(IdOut(id=health.follow_up(engine, user.actor, unit, year, body.comment)), 201)
