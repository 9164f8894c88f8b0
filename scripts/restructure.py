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
6. runs ``ruff check --select I --fix`` and ``ruff format`` on the files it changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
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
}

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
SKIP = {"scripts/restructure.py"}

#: The packages modules were moved out of (engine.services is gone; engine.domain keeps the
#: modules that are not grouped).
PARENTS = sorted({old.rsplit(".", 1)[0] for old in MOVES})
_PARENT = "|".join(re.escape(p) for p in PARENTS)
_PARENT_PATH = "|".join(re.escape(p.replace(".", "/")) for p in PARENTS)
NEW_MODULES = set(MOVES.values())

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
    for old, new in MOVES.items():
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
        dst.parent.mkdir(parents=True, exist_ok=True)
        if git:
            run("git", "mv", str(src), str(dst))
        else:
            shutil.move(src, dst)
    return moved, gone, conflicts


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
        target = MOVES.get(f"{m['parent']}.{name}")
        if target is None or not ready(target):
            kept.append(item)
            continue
        package, module = target.rsplit(".", 1)
        local = alias or name
        if local == module:
            plain.setdefault(package, []).append(module)
        else:
            aliased.append(f"from {package} import {module} as {local}")
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
    target = MOVES.get(module)
    if target is None or not ready(target):
        return m[0]
    return target + following + (m["imp"] or "")


def _rewrite_path(m: re.Match[str]) -> str:
    target = MOVES.get(f"{m['parent'].replace('/', '.')}.{m['name']}")
    if target is None or not ready(target):
        return m[0]
    return "/".join(target.split(".")) + ".py"


def rewrite(text: str) -> str:
    text = FROM_IMPORT.sub(_rewrite_from, text)
    text = DOTTED.sub(_rewrite_dotted, text)
    return PATHS.sub(_rewrite_path, text)


def rewrite_files(dry: bool, skip: set[str]) -> list[Path]:
    changed = []
    for f in files():
        if str(f.relative_to(ROOT)) in skip:
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not any(p in text or p.replace(".", "/") in text for p in PARENTS):
            continue
        listed = PACKAGES_LIST.search(text) if f.name == "pyproject.toml" else None
        if listed:  # the package list names packages, not old modules: step 4 writes it
            new = rewrite(text[: listed.start()]) + listed[0] + rewrite(text[listed.end() :])
        else:
            new = rewrite(text)
        if new != text:
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


# --- 6. import order ----------------------------------------------------------------------
def ruff(paths: list[Path]) -> None:
    py = [str(p) for p in paths if p.suffix == ".py" and p.exists()]
    if not py:
        return
    exe = ROOT / ".venv" / "bin" / "ruff"
    cmd = str(exe) if exe.exists() else (shutil.which("ruff") or "ruff")
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
    if not dry:
        ruff(changed + [path_of(new) for new in MOVES.values()])
    if dry and (made or moved or changed or listed):
        return 1
    return 1 if conflicts or left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
