"""Pages for HR and the director: start the year (a background job with a progress bar
that refreshes itself without JavaScript), and the overview per department."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of
from api.errors import field_messages, problem
from api.rendering import redirect, render
from api.routers.workflow.jobs import launch
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, SamflowError
from engine.evidence import jobs as evidence_jobs
from engine.reports import overview
from engine.views import detail as views
from engine.workflow import yearstart
from engine.workflow.batch import jobs
from engine.workflow.batch import org_import as org_import_job
from forms.charts import stacked

router = APIRouter()


@router.get("/year")
def year_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _year(request, engine, user)


def _year(
    request: Request,
    engine: Engine,
    user: Principal,
    form: dict[str, str] | None = None,
    exc: SamflowError | None = None,
    preview: yearstart.StartPreview | None = None,
    changed: bool = False,
) -> Response:
    lang = lang_of(request)
    prob = problem(exc, lang) if exc else None
    default = engine.settings.default_template
    choices = sorted(
        ((key, t.title.get(lang)) for key, t in yearstart.year_templates().items()),
        key=lambda kt: (kt[0] != default, kt[1]),
    )
    now = engine.clock.now()
    return render(
        request,
        "year.html",
        status=int(prob["status"]) if prob else (409 if changed else 200),
        form=form or {},
        preview=preview,
        changed=changed,
        shown=PREVIEW_ROWS,
        errors=field_messages(exc, lang) if isinstance(exc, InvalidInput) else {},
        problem=prob,
        default_year=str(now.year + 1 if now.month >= 10 else now.year),
        template_choices=choices,
        default_template=default,
        unit_choices=yearstart.unit_choices(engine, user.actor),
        recent=[j for j in jobs.recent(engine, "start_year") if _mine(j, user)],
        knowledge_gaps=yearstart.knowledge_gaps(engine, user.actor),
    )


def _mine(job: jobs.JobView, user: Principal) -> bool:
    return job.created_by == user.person_id


#: Rows of each list the preview shows (the counts say how many in all).
PREVIEW_ROWS = 50


def _asked_year(form: dict[str, str]) -> int:
    if not form["year"].isdigit() or len(form["year"]) > 4:
        raise InvalidInput.field("year", "give a year, e.g. 2027", "ange ett år, t.ex. 2027")
    return int(form["year"])


@router.get("/year/preview")
def preview_page(
    request: Request, engine: Engine, user: PageUser, year: str = "", template: str = "",
    root: str = "",
) -> Response:  # fmt: skip
    """What "Starta" would do (a dry run): the units that start, those held back for a
    missing manager or safety representative (with where to fix it), those already running;
    then the confirmation."""
    form = {"year": year.strip()[:8], "template": template.strip()[:64], "root": root.strip()[:64]}
    try:
        shown = yearstart.preview_start(
            engine, user.actor, _asked_year(form), form["template"], form["root"]
        )
    except SamflowError as exc:
        return _year(request, engine, user, form, exc)
    return _year(request, engine, user, form, preview=shown)


@router.post("/year/start")
def start(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Start after the preview: ``confirm`` is how many units the person saw would start.
    Without it, or if the organisation changed since (another start, a new manager), the
    preview is shown (again) and nothing starts."""
    form = {n: posted.get(n).strip() for n in ("year", "template", "root")}
    try:
        seen = posted.get("confirm").strip()
        shown = yearstart.preview_start(
            engine, posted.principal.actor, _asked_year(form), form["template"], form["root"]
        )
        if not shown.to_start or seen != str(len(shown.to_start)):
            return _year(request, engine, posted.principal, form, preview=shown, changed=bool(seen))
        job_id = launch(
            request,
            engine,
            posted.principal.actor,
            shown.year,
            form["template"],
            form["root"],
        )
    except SamflowError as exc:
        return _year(request, engine, posted.principal, form, exc)
    return redirect(f"/jobs/{job_id}")


#: Jobs of other kinds have pages of their own (``job.html`` shows starting the year).
JOB_PAGES = {evidence_jobs.KIND: "/evidence/jobs/{}", org_import_job.KIND: "/org/import/jobs/{}"}


@router.get("/jobs/{job_id}")
def job_page(request: Request, engine: Engine, user: PageUser, job_id: Id) -> Response:
    job = views.job(engine, user.actor, job_id)
    if job.kind in JOB_PAGES:
        return redirect(JOB_PAGES[job.kind].format(job.id))
    return render(request, "job.html", job=job)


@router.get("/overview")
def overview_page(
    request: Request, engine: Engine, user: PageUser, year: str = "", root: str = ""
) -> Response:
    now = engine.clock.now()
    chosen = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else now.year
    o = overview.department_overview(engine, user.actor, chosen, as_id(root))
    lang = lang_of(request)
    names = {k: (sv if lang == "sv" else en) for k, sv, en in o.stages}
    chart = stacked(
        [(r.name, r.stages, r.overdue, r.escalated) for r in o.rows], [k for k, _, _ in o.stages]
    )
    from engine.cases import incidents
    from engine.workflow.process import cases as processes

    kinds = processes.case_overview(engine, user.actor, chosen)  # issue 10: the cases too
    latency = incidents.latency(engine, user.actor, chosen)
    return render(
        request,
        "overview.html",
        o=o,
        chart=chart,
        stage_names=names,
        kinds=kinds,
        latency=latency,
    )
