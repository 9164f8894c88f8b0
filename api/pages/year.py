"""Pages for HR and the director: start the year (a background job with a progress bar
that refreshes itself without JavaScript), and the overview per department."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of
from api.errors import field_messages, problem
from api.rendering import redirect, render
from api.routers.jobs import launch
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, SamflowError
from engine.evidence import jobs as evidence_jobs
from engine.reports import overview
from engine.views import detail as views
from engine.workflow import jobs, templates, yearstart
from engine.workflow import org_import as org_import_job
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
) -> Response:
    lang = lang_of(request)
    prob = problem(exc, lang) if exc else None
    choices = [
        (key, templates.parse(text, key).title.get(lang))
        for key, text in templates.packaged().items()
    ]
    now = engine.clock.now()
    return render(
        request,
        "year.html",
        status=int(prob["status"]) if prob else 200,
        form=form or {},
        errors=field_messages(exc, lang) if isinstance(exc, InvalidInput) else {},
        problem=prob,
        default_year=str(now.year + 1 if now.month >= 10 else now.year),
        template_choices=choices,
        unit_choices=yearstart.unit_choices(engine, user.actor),
        recent=[j for j in jobs.recent(engine, "start_year") if _mine(j, user)],
        knowledge_gaps=yearstart.knowledge_gaps(engine, user.actor),
    )


def _mine(job: jobs.JobView, user: Principal) -> bool:
    return job.created_by == user.person_id


@router.post("/year/start")
def start(request: Request, engine: Engine, posted: PostedForm) -> Response:
    form = {n: posted.get(n).strip() for n in ("year", "template", "root")}
    try:
        if not form["year"].isdigit():
            raise InvalidInput.field("year", "give a year, e.g. 2027", "ange ett år, t.ex. 2027")
        job_id = launch(
            request,
            engine,
            posted.principal.actor,
            int(form["year"]),
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
