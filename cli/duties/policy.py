"""``samflow policy`` and ``samflow knowledge``: the work-environment policy and the
routines (versions, read-acknowledgements, the yearly review), and the training records of
managers and safety representatives.

samflow policy list | show CODE | ack CODE
samflow policy create CODE --unit U --topic T --title T --owner hr --text policy.md
       --valid-from 2027-01-01 [--review-by DATE] [--note N]
samflow policy publish CODE --text v2.md --valid-from DATE [--review-by DATE] [--note N]
samflow knowledge record EMAIL --unit U --role manager --course bam --taken-on DATE
       [--valid-until DATE] [--title T]
samflow knowledge list [--unit U] | lacking
"""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import Sub, actor_of, app_of, as_option, command, group, iso_date, read_text
from cli.console import Console

TOPICS = (
    "policy",
    "risk_assessment",
    "incidents",
    "rehabilitation",
    "victimisation",
    "task_allocation",
    "first_aid",
    "other",
)


def reg_policy(sub: Sub) -> None:
    g = group(sub, "policy", "the work-environment policy and the routines")
    p = command(g, "list", "the documents you may see, and what is missing", cmd_list)
    as_option(p)
    p = command(g, "show", "one document: its versions, acknowledgements, reviews", cmd_show)
    p.add_argument("code")
    as_option(p)
    p = command(g, "create", "a new document with its first version", cmd_create)
    p.add_argument("code", help="a short name, unique")
    p.add_argument("--unit", required=True)
    p.add_argument("--topic", required=True, choices=TOPICS)
    p.add_argument("--title", required=True)
    p.add_argument("--owner", required=True, choices=("hr", "director", "manager"))
    _version_options(p)
    as_option(p)
    p = command(g, "publish", "a new version of a document", cmd_publish)
    p.add_argument("code")
    _version_options(p)
    as_option(p)
    p = command(g, "ack", "acknowledge having read the current version", cmd_ack)
    p.add_argument("code")
    as_option(p)


def reg_knowledge(sub: Sub) -> None:
    g = group(sub, "knowledge", "training records of managers and safety representatives")
    p = command(g, "record", "record a training someone has taken", cmd_record)
    p.add_argument("email")
    p.add_argument("--unit", required=True)
    p.add_argument("--role", required=True, choices=("manager", "safety_rep"))
    p.add_argument("--course", required=True, help="a course key (settings: knowledge_courses)")
    p.add_argument("--title", default="", help="the course's name, if not the key's")
    p.add_argument("--taken-on", required=True, type=iso_date)
    p.add_argument("--valid-until", type=iso_date)
    p.add_argument("--note", default="")
    as_option(p)
    p = command(g, "list", "the training records you may see", cmd_training)
    p.add_argument("--unit")
    as_option(p)
    p = command(g, "lacking", "managers lacking the knowledge their role requires", cmd_lacking)
    p.add_argument("--unit")
    as_option(p)


def _version_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text", metavar="FILE", help="the document's text (UTF-8); - for stdin")
    p.add_argument("--valid-from", required=True, type=iso_date)
    p.add_argument("--review-by", type=iso_date)
    p.add_argument("--note", default="")


def _version(args: argparse.Namespace) -> dict[str, Any]:
    body = ""
    if args.text:
        body = read_text(args.text, save_as="UTF-8")
    return {
        "body": body,
        "valid_from": args.valid_from,
        "review_by": args.review_by,
        "note": args.note,
    }


def cmd_list(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents

    app = app_of(args)
    ov = documents.overview(app, actor_of(app, args.as_))
    if ov.employer is not None:
        e = ov.employer
        c.line(
            c.n_(
                "%(name)s: %(num)d anställd, %(written)s",
                "%(name)s: %(num)d anställda, %(written)s",
                e.headcount,
                name=e.name,
                written=c._("skriftlig form krävs")
                if e.written_required
                else c._("skriftlig form krävs inte"),
            )
        )
    c.table(
        ["code", "title", "unit", "owner", "version", "review by", "read"],
        [
            (
                d.code,
                d.title,
                d.unit_code,
                d.owner,
                d.version,
                d.review_by or "",
                f"{d.acknowledged}/{d.readers}",
            )
            for d in ov.documents
        ],
    )
    if ov.missing:
        c.line(c._("saknas: ") + ", ".join(ov.missing))
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents

    app = app_of(args)
    actor = actor_of(app, args.as_)
    d = documents.show(app, actor, documents.id_of(app, args.code))
    r = d.row
    c.line(f"{r.code} {r.title} ({r.unit_code}) · {r.owner} · review by {r.review_by}")
    c.table(
        ["version", "from", "review by", "by", "at", "digest", "read by"],
        [
            (
                v.number,
                v.valid_from,
                v.review_by,
                v.created_by,
                v.created_at.isoformat(timespec="minutes"),
                v.digest[:12],
                len(v.acknowledgements),
            )
            for v in d.versions
        ],
    )
    for rv in d.reviews:
        c.line(f"review {rv.at.date()} {rv.by}: {rv.outcome} (next {rv.next_review})")
    if d.not_acknowledged:
        c.line(c._("inte läst: ") + ", ".join(d.not_acknowledged))
    return 0


def cmd_create(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents
    from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput

    app = app_of(args)
    doc = documents.parse(
        PolicyDocumentInput,
        {
            "code": args.code,
            "unit": args.unit,
            "topic": args.topic,
            "title": args.title,
            "owner": args.owner,
        },
    )
    made = documents.create(
        app, actor_of(app, args.as_), doc, documents.parse(PolicyVersionInput, _version(args))
    )
    c.line(
        c._(
            "%(code)s skapad, version %(version)s, ses över senast %(review_by)s",
            code=args.code,
            version=made.version,
            review_by=made.review_by,
        )
    )
    return 0


def cmd_publish(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents
    from forms.schemas.duties.policy import PolicyVersionInput

    app = app_of(args)
    v = documents.parse(PolicyVersionInput, _version(args))
    made = documents.publish(app, actor_of(app, args.as_), documents.id_of(app, args.code), v)
    c.line(
        c._(
            "%(code)s version %(version)s, ses över senast %(review_by)s",
            code=args.code,
            version=made.version,
            review_by=made.review_by,
        )
    )
    return 0


def cmd_ack(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents

    app = app_of(args)
    a = documents.acknowledge(app, actor_of(app, args.as_), documents.id_of(app, args.code))
    c.line(
        c._("version %(version)s redan kvitterad", version=a.version)
        if a.already
        else c._("version %(version)s kvitterad", version=a.version)
    )
    return 0


def cmd_record(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import documents, knowledge
    from forms.schemas.duties.policy import TrainingInput

    app = app_of(args)
    given = documents.parse(
        TrainingInput,
        {
            "email": args.email,
            "unit": args.unit,
            "role": args.role,
            "course_key": args.course,
            "course": args.title,
            "taken_on": args.taken_on,
            "valid_until": args.valid_until,
            "note": args.note,
        },
    )
    r = knowledge.record(app, actor_of(app, args.as_), given)
    c.line(c._("%(person)s: %(course)s registrerad", person=r.person, course=r.course))
    return 0


def cmd_training(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import knowledge

    app = app_of(args)
    k = knowledge.overview(app, actor_of(app, args.as_), args.unit)
    c.table(
        ["email", "unit", "role", "course", "taken", "valid until", "state"],
        [
            (r.email, r.unit_code, r.role, r.course, r.taken_on, r.valid_until or "", r.state)
            for r in k.records
        ],
    )
    return 0


def cmd_lacking(args: argparse.Namespace, c: Console) -> int:
    from engine.policy import knowledge

    app = app_of(args)
    k = knowledge.overview(app, actor_of(app, args.as_), args.unit)
    c.table(["email", "name", "unit"], [(x.email, x.name, x.unit_code) for x in k.lacking])
    return 0
