"""Move the flat ``engine/services`` modules into capability packages, and rewrite every
reference to them. Re-runnable and idempotent: run it again on a tree that other branches
have changed since, and it moves what is still in the old place, rewrites imports and dotted
strings in every file git knows of (new files included), and leaves the rest alone.

    python scripts/restructure.py          # apply
    python scripts/restructure.py --check  # say what would change; exit 1 if anything would
    python scripts/restructure.py --skip README.md  # leave a file's references alone

What it does, in order:
1. creates each capability package (``__init__.py`` with its docstring) if it is missing;
2. ``git mv`` each mapped module that still exists to its new place (a module that no longer
   exists is skipped; a module whose new place is taken by another file is a CONFLICT: it is
   left where it is, and the script exits 1);
3. rewrites, in every tracked or new file: ``from engine.services import a, b as c``
   (one line per new module, the local names kept), dotted names ``engine.services.a[.x]``
   (imports, ``mock.patch`` strings, docs, pyproject) and paths ``engine/services/a.py``;
4. regenerates ``packages = [...]`` in pyproject.toml from the packages in the tree;
5. deletes ``engine/services`` once it holds nothing but ``__init__.py``, else prints every
   module there that MOVES does not cover (add it to MOVES and run again; exit 1 till then);
6. runs ``ruff check --select I --fix`` and ``ruff format`` on the files it changed, and
   names every line it made longer than 100 characters (ruff format wraps code, not a
   docstring or a comment: wrap those by hand);
7. counts the modules of every package folder (``__init__.py`` not counted; Alembic's
   revisions are data, not counted): a folder with more than ``LIMIT`` is CROWDED, and the
   script names its modules that neither MOVES nor STAY covers (a module another branch
   added: give it a place in MOVES and run again; exit 1 till then); so it does for a
   module at the top of a GROUPED folder (``api/routers/x.py``: which of the five groups?).

A module moved twice (``engine.db.models_coop`` -> ``engine.db.models.coop`` ->
``engine.db.models.duties.coop``) is followed to its last place, so old names in a file
merged later still land where the module is now. A moved module's relative imports
(``from . import x``) are made absolute before it moves, so they keep naming the same module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD = "engine.services"

# Capability packages and what each owns (the package docstring).
PACKAGES: dict[str, str] = {
    "engine.org": (
        "The organisation: units, people, role holders and substitutes, and who may do and\n"
        "see what in it (rights are checked against the units they touch).\n\n"
        "Imports only engine.context, engine.db and engine.domain: every other capability\n"
        "reads the organisation, the organisation reads none of them."
    ),
    "engine.accounts": (
        "Signing in: local accounts (argon2), web sessions, API tokens, throttling of failed\n"
        "sign-ins.\n\nKnows no workflow, plan or evidence."
    ),
    "engine.audit": (
        "The audit log as people use it: verifying the hash chains, reading them back,\n"
        "searching them by unit, person, action and time.\n\n"
        "Writing to the log is engine.db.audit_store, inside every use case's transaction."
    ),
    "engine.workflow": (
        "Running processes: cycle templates and their stored versions, cycles and stages,\n"
        "making and routing tasks, what a person does to a task, the facts the gates judge,\n"
        "the sweep (reminders, escalations), background jobs, task attachments.\n\n"
        "Reads the organisation; never imports plans, evidence, inspections, reports, notify\n"
        "or views (import-linter checks it)."
    ),
    "engine.plans": (
        "The action plan (handlingsplan, 13 §): risks, items, measures and their dated\n"
        "history, importing last year's plan, and what completing a plan task writes.\n\n"
        "Reads workflow and the organisation; workflow does not read plans: what completing\n"
        "a plan task writes is registered by form in engine.catalog (plans.effects)."
    ),
    "engine.evidence": (
        "Evidence packages for Arbetsmiljöverket: loading, assembling, the audit chains they\n"
        "rest on, making them in the background and verifying a package handed out earlier.\n\n"
        "Reads workflow, plans and the organisation; nothing below imports evidence."
    ),
    "engine.inspections": (
        "Inspections by Arbetsmiljöverket: registering the krav (from a form or a file),\n"
        "routing them as tasks, and the reply.\n\nReads workflow and evidence."
    ),
    "engine.reports": (
        "Organisation-wide reports: the year per department, the board's status report,\n"
        "the annual follow-up, and the scope they read.\n\n"
        "Reads workflow, plans and the organisation; independent of evidence and notify."
    ),
    "engine.notify": (
        "Mail: what to tell whom (new tasks, reminders, escalations, the weekly digest),\n"
        "sending each notification exactly once, and the SMTP mailer.\n\n"
        "Reads workflow and the organisation; nothing but the doors and the demo imports it."
    ),
    "engine.workflow.process": (
        "Processes as data: a template names its subject (a unit's year, an inspection case,\n"
        "an incident ...), its items, documents and the named hooks it uses; this package opens\n"
        "cases, keeps their items and documents, and checks hook names against the registry.\n\n"
        "Every hook is registered in one place, ``engine.catalog``; see docs/processes.md."
    ),
    "engine.domain.audit": (
        "The audit log's pure rules: the canonical form and hash chain of events, the signed\n"
        "checkpoints that anchor a chain outside the database, and the keys that sign them."
    ),
    "engine.domain.workflow": (
        "The workflow's pure rules: the template model, task and stage states and the moves\n"
        "between them, role routing, the reminder and escalation ladder, and the stage gates."
    ),
    "engine.domain.imports": (
        "Reading the files people bring: the organisation file and last year's action plan,\n"
        "row by row, with every error named by file, line and field."
    ),
    "engine.views": (
        "What a person sees on a page or in the command line: the inbox, a task with its\n"
        "form, a cycle with its plan, what the oversight pages offer, a job's files; each\n"
        "checked against the person's scope.\n\n"
        "Reads workflow, audit and the organisation; writes nothing but job files."
    ),
    # issue 9, item 1: no folder with more than LIMIT modules. Subpackages of a capability:
    "engine.workflow.batch": (
        "Long work in the background: the jobs a person starts and watches, the queue that\n"
        "decides how many run and in what order, the files a job keeps, recovering from a\n"
        "process that died mid-way, and the large organisation import applied in batches.\n\n"
        "Part of the workflow: reads the organisation, never plans or evidence. What each kind\n"
        "of job runs is named in engine.background."
    ),
    "engine.evidence.sections": (
        "The sections of an evidence package, one module per capability it shows: the unit's\n"
        "yearly cycle and its history (cycle, log), who held which role (units), the cases\n"
        "(an inspection, an incident, a request), cooperation, policy and knowledge, and the\n"
        "written task allocation.\n\n"
        "Read by engine.evidence.package; each reads the tables of its capability."
    ),
    "engine.domain.followup": (
        "Pure rules of the follow-up work: the HME indices of a survey and the suppression\n"
        "that keeps small groups unreadable (hme, surveys), health goals (health), the\n"
        "risk-oriented selection from absence figures (roa), and the shape of a report's\n"
        "section (sections).\n\n"
        "No database, no I/O: engine.surveys and engine.reports call them."
    ),
    "api.middleware": (
        "What wraps every request before a handler sees it: body limits decided before a byte\n"
        "is read, 405 with an Allow header, the proxies to believe, the security headers, and\n"
        "the operator's health, readiness and metrics with a request id."
    ),
    "forms.exports": (
        "Documents people take away: the Jinja2 environment for print and PDF/A-3b, and the\n"
        "documents drawn from it (the evidence package, the action plan, a case's letters,\n"
        "the annual follow-up and the board report with their charts), the audit log's CSV\n"
        "and calendar files (iCalendar)."
    ),
    "forms.schemas.duties": (
        "The forms of the SAM duties beyond the annual cycle, one module per process kind:\n"
        "incidents, requests and a manager's own risk (cases), change assessments (change),\n"
        "inspections, policy review and training renewal (policy), safety rounds (rounds).\n\n"
        "Registered by key in forms.schemas.registry like every form."
    ),
    # the doors and the tables, grouped the same way (see GROUPS below)
    **{
        f"{door}.{group}": f"{what}\n\n{doc}"
        for door, what_of in (
            ("cli", "The command line's commands for {}."),
            ("api.routers", "The JSON API for {}."),
            ("api.pages", "The pages for {}."),
            ("engine.db.models", "The tables of {}."),
        )
        for group, (subject, doc) in {
            "people": (
                "the organisation and signing in",
                "Units, people, role holders, positions and groups; accounts, sessions, tokens\n"
                "and what the identity provider says (engine.org, engine.accounts).",
            ),
            "workflow": (
                "the annual cycle and every process's tasks",
                "Cycles and stages, the inbox, tasks and their forms, the year's start and\n"
                "background jobs, mail about tasks (engine.workflow, engine.notify).",
            ),
            "duties": (
                "the SAM duties beyond the cycle",
                "Task allocation (alloc), incidents, requests and a manager's own risk (cases),\n"
                "cooperation and change assessments (coop), inspections by Arbetsmiljöverket,\n"
                "policy, routines and knowledge (policy), safety rounds (rounds): each a process\n"
                "on the shared workflow (engine.alloc, engine.cases, engine.coop,\n"
                "engine.inspections, engine.policy, engine.rounds).",
            ),
            "followup": (
                "finding out and following up",
                "Surveys and their indices, absence and the ROA selection, the action plan and\n"
                "its import, the organisation-wide reports, the roll-up of the annual follow-up,\n"
                "the year's overview (engine.surveys, engine.plans, engine.reports).",
            ),
            "records": (
                "what can be shown afterwards",
                "The audit log (verify, read, search, export) and evidence packages for\n"
                "Arbetsmiljöverket (engine.audit, engine.evidence).",
            ),
        }.items()
        for what in [what_of.format(subject)]
    },
}

#: The groups of the doors (cli/, api/routers/, api/pages/) and of the tables
#: (engine/db/models/), the same five everywhere.
GROUPS = ("people", "workflow", "duties", "followup", "records")

#: At most this many modules in one package folder (``__init__.py`` not counted).
LIMIT = 12

#: Modules that stay where they are, in the folders this map regroups: with MOVES they
#: cover every module of those folders, so a module a branch adds there is named.
STAY: dict[str, tuple[str, ...]] = {
    "cli": ("admin", "common", "console", "main"),
    "api": (
        *("app", "deps", "docs_assets", "downloads", "errors", "evidence_http"),
        *("evidence_job", "launcher", "prefect_launcher", "rendering"),
    ),
    "api.routers": (),
    "api.pages": (),
    "engine.db.models": (),
    "forms": (
        *("charts", "checklists", "fields", "formdata", "i18n", "labels", "mail"),
        *("messages", "render", "wide_tables"),
    ),
    "forms.schemas": (
        *("approval", "base", "evaluation", "followup", "plan", "plan_header"),
        *("registry", "risk", "roa", "rollup", "survey"),
    ),
    "engine.workflow": (
        *("allocation_gate", "attachments", "conversation", "cycles", "facts"),
        *("open_points", "sweeps", "taskgen", "tasks", "templates", "yearstart"),
    ),
    "engine.evidence": (
        *("anchor", "audit", "common", "jobs", "layout_job", "load", "package"),
        *("parts", "verify"),
    ),
}
#: Folders whose modules all live in one of GROUPS (but the door's own modules in STAY).
GROUPED = ("cli", "api.routers", "api.pages", "engine.db.models")
#: Folders whose Python files are data, not modules: Alembic's revisions, one per change.
NOT_COUNTED = ("engine/db/migrations/versions",)

# old module -> new module. Keep every entry, also after the move: the script uses the map
# to rewrite references in files added later (and skips a module that no longer exists).
MOVES: dict[str, str] = {
    # the tables, one module per capability (engine.db.models itself: the core tables)
    "engine.db.models_accounts": "engine.db.models.accounts",
    "engine.db.models_cases": "engine.db.models.cases",
    "engine.db.models_coop": "engine.db.models.coop",
    "engine.db.models_evidence": "engine.db.models.evidence",
    "engine.db.models_files": "engine.db.models.files",
    "engine.db.models_inbox": "engine.db.models.inbox",
    "engine.db.models_notify": "engine.db.models.notify",
    "engine.db.models_org": "engine.db.models.org",
    "engine.db.models_plans": "engine.db.models.plans",
    "engine.db.models_positions": "engine.db.models.positions",
    "engine.db.models_process": "engine.db.models.process",
    "engine.db.models_policy": "engine.db.models.policy",
    "engine.db.models_audit": "engine.db.models.audit",
    "engine.db.models_ops": "engine.db.models.ops",
    "engine.db.models_alloc": "engine.db.models.alloc",
    "engine.db.models_rollup": "engine.db.models.rollup",
    "engine.db.models_rounds": "engine.db.models.rounds",
    "engine.db.models_surveys": "engine.db.models.surveys",
    # the transaction every use case runs in
    "engine.services.context": "engine.context",
    # organisation and rights
    "engine.services.access": "engine.org.access",
    "engine.services.visibility": "engine.org.visibility",
    "engine.services.org": "engine.org.admin",
    "engine.services.orgview": "engine.org.view",
    # signing in
    "engine.services.accounts": "engine.accounts.signin",
    "engine.services.throttle": "engine.accounts.throttle",
    "engine.services.tokens": "engine.accounts.tokens",
    # audit log
    "engine.services.audit": "engine.audit.log",
    "engine.services.audit_search": "engine.audit.search",
    # workflow
    "engine.services.templates": "engine.workflow.templates",
    "engine.services.cycles": "engine.workflow.cycles",
    "engine.services.tasks": "engine.workflow.tasks",
    "engine.services.taskgen": "engine.workflow.taskgen",
    "engine.services.facts": "engine.workflow.facts",
    "engine.services.sweeps": "engine.workflow.sweeps",
    "engine.services.attachments": "engine.workflow.attachments",
    "engine.services.jobs": "engine.workflow.jobs",
    "engine.services.yearstart": "engine.workflow.yearstart",
    # the action plan
    "engine.services.plans": "engine.plans.plan",
    "engine.services.plan_import": "engine.plans.importer",
    "engine.services.effects": "engine.plans.effects",
    # evidence
    "engine.services.evidence": "engine.evidence.package",
    "engine.services.evidence_audit": "engine.evidence.audit",
    "engine.services.evidence_common": "engine.evidence.common",
    "engine.services.evidence_cycle": "engine.evidence.cycle",
    "engine.services.evidence_jobs": "engine.evidence.jobs",
    "engine.services.evidence_load": "engine.evidence.load",
    "engine.services.evidence_log": "engine.evidence.log",
    "engine.services.evidence_units": "engine.evidence.units",
    "engine.services.evidence_verify": "engine.evidence.verify",
    # inspections
    "engine.services.inspections": "engine.inspections.cases",
    "engine.services.inspection_reply": "engine.inspections.reply",
    "engine.services.inspection_files": "engine.inspections.files",
    # reports
    "engine.services.overview": "engine.reports.overview",
    "engine.services.board_report": "engine.reports.board",
    "engine.services.followup_report": "engine.reports.followup",
    "engine.services.report_scope": "engine.reports.scope",
    # notifications
    "engine.services.notify": "engine.notify.notices",
    "engine.services.delivery": "engine.notify.delivery",
    "engine.services.mailer": "engine.notify.mailer",
    # read models for pages and the command line
    "engine.services.reports": "engine.views.inbox",
    "engine.services.views": "engine.views.detail",
    "engine.services.inspection_views": "engine.views.requirement",
    "engine.services.oversight": "engine.views.oversight",
    "engine.services.job_files": "engine.views.job_files",
    # built only through the use cases: above them all
    "engine.services.demo": "engine.demo",
    # added by the security and process work of issues 8 and 9
    "engine.services.org_rights": "engine.org.rights",
    "engine.services.org_authorize": "engine.org.authorize",
    "engine.services.org_pending": "engine.org.pending",
    "engine.services.audit_checkpoint": "engine.audit.checkpoint",
    "engine.services.audit_names": "engine.audit.names",
    "engine.services.checkpoint_files": "engine.audit.checkpoint_files",
    "engine.services.audit_checkpoint_package": "engine.evidence.anchor",
    "engine.services.recovery": "engine.workflow.recovery",
    "engine.services.job_queue": "engine.workflow.job_queue",
    "engine.services.org_import_job": "engine.workflow.org_import",
    "engine.services.sheets": "engine.plans.sheets",
    "engine.services.process_registry": "engine.workflow.process.registry",
    "engine.services.processes": "engine.workflow.process.cases",
    "engine.services.process_views": "engine.workflow.process.views",
    "engine.services.process_files": "engine.workflow.process.files",
    "engine.services.process_catalog": "engine.catalog",
    "engine.services.evidence_cases": "engine.evidence.cases",
    "engine.services.inspection_hooks": "engine.inspections.hooks",
    # engine/domain grouped by what the rules are about (issue 9)
    "engine.domain.audit": "engine.domain.audit.chain",
    "engine.domain.audit_anchor": "engine.domain.audit.anchor",
    "engine.domain.audit_keys": "engine.domain.audit.keys",
    "engine.domain.template": "engine.domain.workflow.template",
    "engine.domain.states": "engine.domain.workflow.states",
    "engine.domain.machine": "engine.domain.workflow.machine",
    "engine.domain.routing": "engine.domain.workflow.routing",
    "engine.domain.escalation": "engine.domain.workflow.escalation",
    "engine.domain.gates": "engine.domain.workflow.gates",
    "engine.domain.orgimport": "engine.domain.imports.org",
    "engine.domain.planimport": "engine.domain.imports.plan",
    "engine.domain.titles": "engine.domain.workflow.titles",
    "engine.domain.positions": "engine.domain.imports.positions",
    # issue 9, item 1: no folder with more than LIMIT modules (GROUPS: the same in every door)
    # the command line (cli/main.py, common.py, console.py, admin.py stay: the door itself)
    "cli.org": "cli.people.org",
    "cli.cycles": "cli.workflow.cycles",
    "cli.tasks": "cli.workflow.tasks",
    "cli.alloc": "cli.duties.alloc",
    "cli.cases": "cli.duties.cases",
    "cli.coop": "cli.duties.coop",
    "cli.inspections": "cli.duties.inspections",
    "cli.policy": "cli.duties.policy",
    "cli.rounds": "cli.duties.rounds",
    "cli.plans": "cli.followup.plans",
    "cli.reports": "cli.followup.reports",
    "cli.rollup": "cli.followup.rollup",
    "cli.surveys": "cli.followup.surveys",
    "cli.audit": "cli.records.audit",
    "cli.evidence": "cli.records.evidence",
    # the JSON API (api/app.py's API_ROUTERS keeps the local names the imports bind)
    "api.routers.account": "api.routers.people.account",
    "api.routers.org": "api.routers.people.org",
    "api.routers.cycles": "api.routers.workflow.cycles",
    "api.routers.inbox": "api.routers.workflow.inbox",
    "api.routers.jobs": "api.routers.workflow.jobs",
    "api.routers.tasks": "api.routers.workflow.tasks",
    "api.routers.alloc": "api.routers.duties.alloc",
    "api.routers.cases": "api.routers.duties.cases",
    "api.routers.coop": "api.routers.duties.coop",
    "api.routers.inspections": "api.routers.duties.inspections",
    "api.routers.policy": "api.routers.duties.policy",
    "api.routers.rounds": "api.routers.duties.rounds",
    "api.routers.overview": "api.routers.followup.overview",
    "api.routers.plan_import": "api.routers.followup.plan_import",
    "api.routers.plans": "api.routers.followup.plans",
    "api.routers.reports": "api.routers.followup.reports",
    "api.routers.rollup": "api.routers.followup.rollup",
    "api.routers.surveys": "api.routers.followup.surveys",
    "api.routers.audit": "api.routers.records.audit",
    "api.routers.evidence": "api.routers.records.evidence",
    # the pages (api/app.py's PAGE_ROUTERS)
    "api.pages.auth": "api.pages.people.auth",
    "api.pages.org": "api.pages.people.org",
    "api.pages.cycles": "api.pages.workflow.cycles",
    "api.pages.inbox": "api.pages.workflow.inbox",
    "api.pages.tasks": "api.pages.workflow.tasks",
    "api.pages.year": "api.pages.workflow.year",
    "api.pages.alloc": "api.pages.duties.alloc",
    "api.pages.cases": "api.pages.duties.cases",
    "api.pages.coop": "api.pages.duties.coop",
    "api.pages.inspections": "api.pages.duties.inspections",
    "api.pages.policy": "api.pages.duties.policy",
    "api.pages.rounds": "api.pages.duties.rounds",
    "api.pages.plans": "api.pages.followup.plans",
    "api.pages.reports": "api.pages.followup.reports",
    "api.pages.rollup": "api.pages.followup.rollup",
    "api.pages.surveys": "api.pages.followup.surveys",
    "api.pages.audit": "api.pages.records.audit",
    "api.pages.evidence": "api.pages.records.evidence",
    # the tables (engine/db/models/__init__.py: the core tables; engine/db/all_models.py)
    "engine.db.models.accounts": "engine.db.models.people.accounts",
    "engine.db.models.ops": "engine.db.models.people.ops",
    "engine.db.models.org": "engine.db.models.people.org",
    "engine.db.models.positions": "engine.db.models.people.positions",
    "engine.db.models.files": "engine.db.models.workflow.files",
    "engine.db.models.inbox": "engine.db.models.workflow.inbox",
    "engine.db.models.notify": "engine.db.models.workflow.notify",
    "engine.db.models.process": "engine.db.models.workflow.process",
    "engine.db.models.alloc": "engine.db.models.duties.alloc",
    "engine.db.models.cases": "engine.db.models.duties.cases",
    "engine.db.models.coop": "engine.db.models.duties.coop",
    "engine.db.models.policy": "engine.db.models.duties.policy",
    "engine.db.models.rounds": "engine.db.models.duties.rounds",
    "engine.db.models.plans": "engine.db.models.followup.plans",
    "engine.db.models.rollup": "engine.db.models.followup.rollup",
    "engine.db.models.surveys": "engine.db.models.followup.surveys",
    "engine.db.models.audit": "engine.db.models.records.audit",
    "engine.db.models.evidence": "engine.db.models.records.evidence",
    # the web app's wrapping of every request
    "api.http_methods": "api.middleware.http_methods",
    "api.limits": "api.middleware.limits",
    "api.observability": "api.middleware.observability",
    "api.proxies": "api.middleware.proxies",
    "api.security_headers": "api.middleware.security_headers",
    # the pages' shared refusal preamble (every group's forms use it)
    "api.pages.refused": "api.refused",
    # the pure rules of the follow-up work
    "engine.domain.hme": "engine.domain.followup.hme",
    "engine.domain.health": "engine.domain.followup.health",
    "engine.domain.roa": "engine.domain.followup.roa",
    "engine.domain.surveys": "engine.domain.followup.surveys",
    "engine.domain.sections": "engine.domain.followup.sections",
    # the safety rounds' section of the package, beside the others
    "engine.evidence.rounds": "engine.evidence.sections.rounds",
    # documents people take away
    "forms.documents": "forms.exports.documents",
    "forms.case_docs": "forms.exports.case_docs",
    "forms.evidence_docs": "forms.exports.evidence_docs",
    "forms.plan_docs": "forms.exports.plan_docs",
    "forms.report_docs": "forms.exports.report_docs",
    "forms.report_charts": "forms.exports.report_charts",
    "forms.audit_csv": "forms.exports.audit_csv",
    "forms.ics": "forms.exports.ics",
    # the forms of the duties beyond the cycle
    "forms.schemas.cases": "forms.schemas.duties.cases",
    "forms.schemas.change": "forms.schemas.duties.change",
    "forms.schemas.inspection": "forms.schemas.duties.inspection",
    "forms.schemas.policy": "forms.schemas.duties.policy",
    "forms.schemas.rounds": "forms.schemas.duties.rounds",
    # the workflow's background work
    "engine.workflow.jobs": "engine.workflow.batch.jobs",
    "engine.workflow.job_queue": "engine.workflow.batch.job_queue",
    "engine.workflow.job_store": "engine.workflow.batch.job_store",
    "engine.workflow.recovery": "engine.workflow.batch.recovery",
    "engine.workflow.org_import": "engine.workflow.batch.org_import",
    # the evidence package's sections
    "engine.evidence.alloc": "engine.evidence.sections.alloc",
    "engine.evidence.cases": "engine.evidence.sections.cases",
    "engine.evidence.coop": "engine.evidence.sections.coop",
    "engine.evidence.cycle": "engine.evidence.sections.cycle",
    "engine.evidence.log": "engine.evidence.sections.log",
    "engine.evidence.policy": "engine.evidence.sections.policy",
    "engine.evidence.units": "engine.evidence.sections.units",
}

TEXT_SUFFIXES = {
    ".py",
    ".pyi",
    ".toml",
    ".md",
    ".rst",
    ".txt",
    ".cfg",
    ".ini",
    ".yaml",
    ".yml",
    ".json",
    ".sh",
    ".mako",
    ".html",
    ".j2",
    "",
}
# the script and its tests name old modules on purpose
SKIP = {"scripts/restructure.py", "tests/test_restructure.py"}

#: The packages modules were moved out of (engine.services is gone; engine.domain keeps the
#: modules that are not grouped).
PARENTS = sorted({old.rsplit(".", 1)[0] for old in MOVES})
# longest first: ``api.routers.tasks`` is the module tasks of api.routers, not routers of api
_LONGEST = sorted(PARENTS, key=lambda p: (-len(p), p))
_PARENT = "|".join(re.escape(p) for p in _LONGEST)
_PARENT_PATH = "|".join(re.escape(p.replace(".", "/")) for p in _LONGEST)


def final(module: str) -> str:
    """Where a module is now: MOVES followed to its last place (a module moved twice)."""
    seen = {module}
    while module in MOVES:
        module = MOVES[module]
        if module in seen:
            raise SystemExit(f"MOVES has a loop through {module}")
        seen.add(module)
    return module


def target_of(module: str) -> str | None:
    return final(module) if module in MOVES else None


#: The last places only: a module's intermediate place (engine.db.models.coop, itself moved
#: on) is an old name to rewrite, not a new one to leave alone.
NEW_MODULES = {final(new) for new in MOVES.values()}

FROM_IMPORT = re.compile(
    rf"^(?P<indent>[ \t]*)from (?P<parent>{_PARENT}) import "
    r"(?:\((?P<paren>[^)]*)\)|(?P<plain>[^\n#]*?))(?P<comment>[ \t]*#[^\n]*)?$",
    re.MULTILINE,
)
DOTTED = re.compile(
    rf"(?<![\w.])(?P<parent>{_PARENT})\.(?P<name>[A-Za-z_]\w*)(?P<next>\.\w+)?"
    r"(?P<imp>[ \t]+import[ \t]+\(?\s*(?P<first>\w+))?"
)
PATHS = re.compile(rf"(?<![\w/])(?P<parent>{_PARENT_PATH})/(?P<name>[A-Za-z_]\w*)\.py\b")


def path_of(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


PLANNED: set[str] = set()  # new modules a --check run would create


def ready(module: str | None) -> bool:
    """References are rewritten only to a module that is there (or, with --check, would be)."""
    return module is not None and (module in PLANNED or path_of(module).exists())


def package_dir(package: str) -> Path:
    return ROOT.joinpath(*package.split("."))


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, check=check)


def in_git() -> bool:
    return run("git", "rev-parse", "--is-inside-work-tree", check=False).returncode == 0


def files() -> list[Path]:
    """Every file git tracks plus new ones it does not ignore (so files other branches
    added are rewritten too)."""
    if in_git():
        out = run("git", "ls-files", "--cached", "--others", "--exclude-standard").stdout
        names = sorted(set(out.splitlines()))
    else:
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()]
    return [
        ROOT / n
        for n in names
        if n not in SKIP
        and (ROOT / n).is_file()
        and Path(n).suffix in TEXT_SUFFIXES
        and not n.startswith((".venv/", ".git/"))
    ]


# --- 1. packages ------------------------------------------------------------------------
def make_packages(dry: bool) -> list[str]:
    made = []
    for package, doc in PACKAGES.items():
        init = package_dir(package) / "__init__.py"
        if not init.exists():
            made.append(str(init.relative_to(ROOT)))
            if not dry:
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text(f'"""{doc}\n"""\n', encoding="utf-8")
                if in_git():
                    run("git", "add", str(init))
    return made


# --- 2. moves ---------------------------------------------------------------------------
def move_modules(dry: bool) -> tuple[list[str], list[str], list[str]]:
    moved, gone, conflicts = [], [], []
    git = in_git()
    for old in MOVES:
        new = final(old)
        src, dst = path_of(old), path_of(new)
        if not src.exists():
            if not dst.exists():
                gone.append(old)
            continue
        if dst.exists():
            conflicts.append(
                f"{old} -> {new}: both {src.relative_to(ROOT)} and "
                f"{dst.relative_to(ROOT)} exist; merge them by hand"
            )
            continue
        moved.append(f"{old} -> {new}")
        PLANNED.add(new)
        if dry:
            continue
        absolute = absolutize(src.read_text(encoding="utf-8"), old.rsplit(".", 1)[0])
        if absolute is not None:
            src.write_text(absolute, encoding="utf-8")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if git:
            run("git", "mv", str(src), str(dst))
        else:
            shutil.move(src, dst)
    return moved, gone, conflicts


RELATIVE = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<dots>\.+)(?P<rest>[\w.]*) import ", re.MULTILINE
)


def absolutize(text: str, package: str) -> str | None:
    """``from . import x`` / ``from ..y import z`` in a module of ``package`` made absolute
    (None if it has none): a relative import would name another module once moved."""

    def one(m: re.Match[str]) -> str:
        parts = package.split(".")
        up = len(m["dots"]) - 1
        if up >= len(parts):
            return m[0]  # beyond the top: leave it to fail loudly where it is
        base = ".".join(parts[: len(parts) - up])
        name = f"{base}.{m['rest']}" if m["rest"] else base
        return f"{m['indent']}from {name} import "

    new = RELATIVE.sub(one, text)
    return None if new == text else new


def package_of(f: Path) -> str | None:
    """The dotted package a Python file is in (None outside the packages)."""
    if f.suffix != ".py" or not (f.parent / "__init__.py").exists():
        return None
    return ".".join(f.parent.relative_to(ROOT).parts)


# --- 3. references ----------------------------------------------------------------------
def _split_names(text: str) -> list[str]:
    text = re.sub(r"#[^\n]*", "", text).replace("\\\n", " ")
    return [n.strip() for n in text.replace("\n", " ").split(",") if n.strip()]


def _rewrite_from(m: re.Match[str]) -> str:
    indent = m["indent"]
    names = _split_names(m["paren"] if m["paren"] is not None else m["plain"])
    plain: dict[str, list[str]] = {}
    aliased: list[str] = []
    kept: list[str] = []
    for item in names:
        name, _, alias = (p.strip() for p in item.partition(" as "))
        target = target_of(f"{m['parent']}.{name}")
        if target is None or not ready(target):
            kept.append(item)
            continue
        package, module = target.rsplit(".", 1)
        local = alias or name
        if local == module:
            plain.setdefault(package, []).append(module)
        else:
            aliased.append(f"from {package} import {module} as {local}")
    if not plain and not aliased:  # nothing here moved: the statement stays as written
        return m[0]
    lines = [f"from {p} import {', '.join(mods)}" for p, mods in plain.items()] + aliased
    if kept:
        lines.insert(0, f"from {m['parent']} import {', '.join(kept)}")
    comment = m["comment"] or ""  # a noqa for E402 must stay on every statement
    return "\n".join(indent + line + comment for line in lines)


def _rewrite_dotted(m: re.Match[str]) -> str:
    module = f"{m['parent']}.{m['name']}"
    following = m["next"] or ""
    if module + following in NEW_MODULES:  # already the new name (engine.domain.audit.chain)
        return m[0]
    if m["first"] and f"{module}.{m['first']}" in NEW_MODULES:
        return m[0]  # from engine.domain.audit import anchor: the new package's module
    target = target_of(module)
    if target is None or not ready(target):
        return m[0]
    return target + following + (m["imp"] or "")


def _rewrite_path(m: re.Match[str]) -> str:
    target = target_of(f"{m['parent'].replace('/', '.')}.{m['name']}")
    if target is None or not ready(target):
        return m[0]
    return "/".join(target.split(".")) + ".py"


def rewrite(text: str) -> str:
    text = FROM_IMPORT.sub(_rewrite_from, text)
    text = DOTTED.sub(_rewrite_dotted, text)
    return PATHS.sub(_rewrite_path, text)


#: Lines a rewrite made longer than ruff allows (ruff format wraps code, not docstrings or
#: comments): printed, to be wrapped by hand.
LINE_LENGTH = 100
LONG: list[str] = []


def longer_lines(f: Path, old: str, new: str) -> list[str]:
    if f.suffix != ".py":
        return []
    before = set(old.splitlines())
    return [
        f"{f.relative_to(ROOT)}:{n}: {len(line)} characters"
        for n, line in enumerate(new.splitlines(), 1)
        if len(line) > LINE_LENGTH
        and line not in before
        and not line.lstrip().startswith(("from ", "import "))  # ruff format wraps those
    ]


def rewrite_files(dry: bool, skip: set[str]) -> list[Path]:
    changed = []
    for f in files():
        if str(f.relative_to(ROOT)) in skip:
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if package_of(f) in PARENTS:  # a module beside moved ones: no relative imports
            text_abs = absolutize(text, package_of(f) or "")
            if text_abs is not None:
                if not dry:
                    f.write_text(text_abs, encoding="utf-8")
                changed.append(f)
                text = text_abs
        if not any(p in text or p.replace(".", "/") in text for p in PARENTS):
            continue
        listed = PACKAGES_LIST.search(text) if f.name == "pyproject.toml" else None
        if listed:  # the package list names packages, not old modules: step 4 writes it
            new = rewrite(text[: listed.start()]) + listed[0] + rewrite(text[listed.end() :])
        else:
            new = rewrite(text)
        if new != text:
            LONG.extend(longer_lines(f, text, new))
            if f not in changed:
                changed.append(f)
            if not dry:
                f.write_text(new, encoding="utf-8")
    return changed


# --- 4. pyproject's package list -----------------------------------------------------------
PACKAGES_LIST = re.compile(r"^packages = \[\n(?P<body>(?:[^\]]*\n)*?)\]\n", re.MULTILINE)


def package_list(tops: list[str]) -> str:
    rows = []
    for top in tops:
        found = sorted(
            ".".join(p.parent.relative_to(ROOT).parts)
            for p in (ROOT / top).rglob("__init__.py")
            if "__pycache__" not in p.parts
        )
        found = sorted(found, key=lambda n: (n.count(".") > 0, n))
        row: list[str] = []
        for name in found:
            piece = f'"{name}",'
            if row and len("    " + " ".join([*row, piece])) > 96:
                rows.append("    " + " ".join(row))
                row = []
            row.append(piece)
        rows.append("    " + " ".join(row))
    return "packages = [\n" + "\n".join(rows) + "\n]\n"


def rewrite_pyproject(dry: bool) -> bool:
    f = ROOT / "pyproject.toml"
    text = f.read_text(encoding="utf-8")
    m = PACKAGES_LIST.search(text)
    if m is None:
        return False
    tops = list(dict.fromkeys(n.split(".")[0] for n in re.findall(r'"([\w.]+)"', m["body"])))
    new = text[: m.start()] + package_list(tops) + text[m.end() :]
    if new != text and not dry:
        f.write_text(new, encoding="utf-8")
    return new != text


# --- 5. what is left in the old folder ----------------------------------------------------
def leftovers(dry: bool) -> list[str]:
    folder = package_dir(OLD)
    if not folder.exists():
        return []
    left = sorted(p.stem for p in folder.glob("*.py") if p.name != "__init__.py")
    if not left and not dry:
        if in_git():
            run("git", "rm", "-q", "-r", "--cached", "--ignore-unmatch", str(folder))
        shutil.rmtree(folder)
    return [f"{OLD}.{n}" for n in left if f"{OLD}.{n}" not in MOVES]


# --- 7. crowded folders ---------------------------------------------------------------------
def modules_in(folder: Path) -> list[str]:
    """The modules of a package folder: its ``*.py`` but ``__init__.py``."""
    return sorted(p.stem for p in folder.glob("*.py") if p.name != "__init__.py")


def crowded(root: Path, tops: Sequence[str], moved: Sequence[str] = ()) -> list[str]:
    """Every package folder under ``tops`` with more than LIMIT modules, and its modules
    MOVES and STAY do not cover; every module at the top of a GROUPED folder that is in no
    group; ``moved`` (``old -> new`` lines): counted as if made (--check)."""
    folders: dict[str, set[str]] = {}
    for top in tops:
        for init in (root / top).rglob("__init__.py"):
            folder = init.parent
            rel = "/".join(folder.relative_to(root).parts)
            if "__pycache__" in folder.parts or rel in NOT_COUNTED:
                continue
            package = rel.replace("/", ".")
            folders[package] = {f"{package}.{m}" for m in modules_in(folder)}
    for line in moved:
        old, new = line.split(" -> ")
        folders.get(old.rsplit(".", 1)[0], set()).discard(old)
        folders.setdefault(new.rsplit(".", 1)[0], set()).add(new)
    covered = set(MOVES) | NEW_MODULES | {f"{p}.{m}" for p, ms in STAY.items() for m in ms}
    out = []
    for package, mods in sorted(folders.items()):
        if package in GROUPED:
            out += [
                f"{m.replace('.', '/')}.py is in no group; give it one of {', '.join(GROUPS)}"
                for m in sorted(mods - covered)
            ]
        if len(mods) <= LIMIT:
            continue
        free = sorted(m.rsplit(".", 1)[1] for m in mods if m not in covered)
        out.append(
            f"{package.replace('.', '/')}/ holds {len(mods)} modules (at most {LIMIT}); "
            f"not in MOVES or STAY: {', '.join(free) or '(none: regroup the map)'}"
        )
    return out


def tops_listed() -> list[str]:
    """The top-level packages pyproject.toml lists (engine, forms, api, flows, cli)."""
    body = _listed_packages()
    return list(dict.fromkeys(n.split(".")[0] for n in re.findall(r'"([\w.]+)"', body)))


def _listed_packages() -> str:
    m = PACKAGES_LIST.search((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return m["body"] if m else '"engine", "api", "flows", "forms", "cli"'


# --- 6. import order ----------------------------------------------------------------------
def ruff(paths: list[Path]) -> None:
    py = [str(p) for p in paths if p.suffix == ".py" and p.exists()]
    if not py:
        return
    exe = ROOT / ".venv" / "bin" / "ruff"
    cmd = str(exe) if exe.exists() else shutil.which("ruff")
    if cmd is None:
        print("NO RUFF   import order and format left as they are: run ruff check, ruff format")
        return
    run(cmd, "check", "--select", "I", "--fix", "--quiet", *py, check=False)
    run(cmd, "format", "--quiet", *py, check=False)


def main(argv: list[str]) -> int:
    dry = "--check" in argv
    skip = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--skip"}
    made = make_packages(dry)
    moved, gone, conflicts = move_modules(dry)
    changed = rewrite_files(dry, skip)
    left = leftovers(dry)
    listed = rewrite_pyproject(dry)
    for p in made:
        print(f"package   {p}")
    for line in moved:
        print(f"moved     {line}")
    for old in gone:
        print(f"skipped   {old} (no longer exists)")
    for f in changed:
        print(f"rewrote   {f.relative_to(ROOT)}")
    if listed:
        print("rewrote   pyproject.toml [tool.setuptools] packages")
    for c in conflicts:
        print(f"CONFLICT  {c}")
    for old in left:
        print(f"UNMAPPED  {old}: still in engine/services; add it to MOVES and run again")
    full = crowded(ROOT, tops_listed(), moved if dry else [])
    for line in LONG:  # code is wrapped by ruff format below; a docstring or comment is not
        print(f"LONG      {line} after the rewrite; wrap it if ruff check says E501")
    for line in full:
        print(f"CROWDED   {line}: add it to MOVES and run again")
    if not dry:
        ruff(changed + [path_of(new) for new in NEW_MODULES])
    if dry and (made or moved or changed or listed):
        return 1
    return 1 if conflicts or left or full else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
