"""The one error tree of samflow. Doors map these (and only these) to replies.

    SamflowError                      every refusal the engine makes on purpose
    ├── NotFound          → 404       no such thing, or not visible to you
    ├── NotPermitted      → 403       you may not do this (denied unless permitted)
    │   ├── ImportNotPermitted        an import touches units or roles outside your rights
    │   ├── NotAuthenticated  → 401   no valid sign-in (password, session or API token)
    │   └── TooManyAttempts   → 429   sign-in refused for a while after repeated failures
    ├── TooManyJobs       → 429   too many background jobs waiting for this person
    ├── NotReady          → 503       the system is not set up for this yet (schema, config)
    ├── Conflict          → 409       the state of things does not allow it now
    │   ├── TransitionNotAllowed      event not allowed in the current state
    │   ├── TaskNotOpen               the task is completed, returned or cancelled
    │   ├── StaleVersion              someone else changed it first (optimistic lock)
    │   ├── GateBlocked               a stage cannot be signed off: every unmet reason
    │   └── ConcurrentChange          lost a race on a shared row; safe to retry
    └── InvalidInput      → 422       the input itself is wrong: each bad field named
        ├── TemplateInvalid           a cycle template failed validation
        └── ImportInvalid             a CSV/XLSX import has bad rows (file, line, field)

    DatabaseBusy          → 503       not a refusal: a lock not had within the busy
                                      timeout; nothing changed, ask again (Retry-After)

Every error carries a stable ``code`` and renders in Swedish or English. ``str(error)``
is the English text, so logs and tracebacks stay readable for engineers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

Lang = str  # "sv" | "en"


@dataclass(frozen=True)
class FieldError:
    """One bad field: where it is (``items[0].measures[1].due``) and what is wrong."""

    path: str
    message_en: str
    message_sv: str

    def message(self, lang: Lang) -> str:
        return self.message_sv if lang == "sv" else self.message_en

    def render(self, lang: Lang) -> str:
        return f"{self.path}: {self.message(lang)}" if self.path else self.message(lang)


@dataclass(frozen=True)
class Unmet:
    """One reason a gate is closed, named by the rule that found it."""

    gate: str
    message_en: str
    message_sv: str
    subject: str = ""

    def message(self, lang: Lang) -> str:
        return self.message_sv if lang == "sv" else self.message_en


class SamflowError(Exception):
    code: ClassVar[str] = "error"
    category: ClassVar[str] = "invalid"

    def __init__(self, en: str, sv: str, **details: Any) -> None:
        super().__init__(en)
        self.en = en
        self.sv = sv
        self.details = details

    def message(self, lang: Lang = "en") -> str:
        return self.sv if lang == "sv" else self.en


class NotFound(SamflowError):
    code = "not_found"
    category = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(
            f"{kind} {key} not found",
            f"{_SV_KIND.get(kind, kind)} {key} hittades inte",
            kind=kind,
            key=str(key),
        )


class NotPermitted(SamflowError):
    code = "not_permitted"
    category = "forbidden"

    def __init__(self, en: str, sv: str) -> None:
        super().__init__(en, sv)


class NotReady(SamflowError):
    code = "not_ready"
    category = "unavailable"


class DatabaseBusy(Exception):
    """Not a refusal but a wait given up: a lock was not had within the busy timeout
    (SQLite "database is locked", a PostgreSQL lock timeout). Nothing was changed; the same
    request may simply be made again. Outside ``SamflowError`` on purpose: a page does not
    show it as a refusal in context, and a flow retries it."""

    code: ClassVar[str] = "busy"
    category: ClassVar[str] = "unavailable"

    def __init__(self, retry_after_seconds: int = 5) -> None:
        self.en = "the database is busy with other work; nothing was changed, try again shortly"
        self.sv = "databasen är upptagen med annat arbete; inget ändrades, försök igen om en stund"
        super().__init__(self.en)
        self.retry_after_seconds = retry_after_seconds

    def message(self, lang: Lang = "en") -> str:
        return self.sv if lang == "sv" else self.en


class NotAuthenticated(NotPermitted):
    code = "not_authenticated"
    category = "unauthenticated"


class TooManyAttempts(NotPermitted):
    code = "too_many_attempts"
    category = "rate_limited"

    def __init__(self, minutes: int, *, seconds: int | None = None) -> None:
        super().__init__(
            f"too many failed sign-ins; try again in {minutes} minutes",
            f"för många misslyckade inloggningar; försök igen om {minutes} minuter",
        )
        self.details["retry_after_minutes"] = minutes
        self.details["retry_after_seconds"] = seconds if seconds is not None else 60 * minutes


class TooManyJobs(SamflowError):
    code = "too_many_jobs"
    category = "rate_limited"

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"you already have {cap} jobs waiting; wait until one has started",
            f"du har redan {cap} jobb som väntar; vänta tills ett har startat",
        )
        self.details["retry_after_minutes"] = 1


class Conflict(SamflowError):
    code = "conflict"
    category = "conflict"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"

    def __init__(self, entity: str, event: str, state: str) -> None:
        super().__init__(
            f"cannot {event} a {entity} that is {state}",
            f"kan inte utföra '{event}' på {_SV_KIND.get(entity, entity)} med status '{state}'",
            entity=entity,
            event=event,
            state=state,
        )
        self.event = event
        self.state = state


class TaskNotOpen(Conflict):
    code = "task_not_open"

    def __init__(self, task_id: int, status: str) -> None:
        super().__init__(
            f"task {task_id} is {status}, not open",
            f"uppgift {task_id} är {status}, inte öppen",
            task_id=task_id,
            status=status,
        )


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(
            f"{entity} {key} was changed by someone else; reload and try again",
            f"{_SV_KIND.get(entity, entity)} {key} har ändrats av någon annan; "
            "ladda om och försök igen",
            entity=entity,
            key=str(key),
        )


class ConcurrentChange(Conflict):
    """Lost a race on a shared row (an audit chain head, a guarded update). Retryable."""

    code = "concurrent_change"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"concurrent change to {what}; try again",
            f"samtidig ändring av {what}; försök igen",
            what=what,
        )


class GateBlocked(Conflict):
    code = "gate_blocked"

    def headline(self, lang: Lang) -> str:
        """The refusal without the reasons (for doors that list the reasons themselves)."""
        n = len(self.unmet)
        if lang == "sv":
            things = "sak saknas" if n == 1 else "saker saknas"
            return f"steget {self.stage} kan inte signeras ({n} {things}):"
        things = "thing" if n == 1 else "things"
        return f"stage {self.stage} cannot be signed off ({n} {things} missing):"

    def __init__(self, stage: str, unmet: Sequence[Unmet]) -> None:
        self.stage = stage
        self.unmet = list(unmet)
        super().__init__(
            f"stage {stage} cannot be signed off: " + "; ".join(u.message_en for u in self.unmet),
            f"steget {stage} kan inte signeras: " + "; ".join(u.message_sv for u in self.unmet),
            stage=stage,
        )


class InvalidInput(SamflowError):
    code = "invalid_input"
    category = "invalid"

    def __init__(self, errors: Iterable[FieldError], *, context: str = "") -> None:
        self.errors = list(errors)
        prefix = f"{context}: " if context else ""
        super().__init__(
            prefix + "; ".join(e.render("en") for e in self.errors),
            prefix + "; ".join(e.render("sv") for e in self.errors),
        )

    @classmethod
    def field(cls, path: str, en: str, sv: str) -> InvalidInput:
        return cls([FieldError(path, en, sv)])


class TemplateInvalid(InvalidInput):
    code = "template_invalid"


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    message_en: str
    message_sv: str

    def as_field_error(self) -> FieldError:
        where = f"{self.file}:{self.line}"
        path = f"{where}: {self.field}" if self.field else where
        return FieldError(path, self.message_en, self.message_sv)


class ImportInvalid(InvalidInput):
    code = "import_invalid"

    def __init__(self, rows: Iterable[RowError]) -> None:
        self.rows = list(rows)
        super().__init__([r.as_field_error() for r in self.rows])

    @classmethod
    def at(cls, file: str, line: int, en: str, sv: str) -> ImportInvalid:
        """A file refused at one line as a whole (no column named)."""
        return cls([RowError(file, line, "", en, sv)])


class ImportNotPermitted(NotPermitted):
    """An import would change units or roles outside the importer's rights: every such row
    named (file, line, field), nothing written."""

    code = "import_not_permitted"

    def __init__(self, rows: Iterable[RowError]) -> None:
        self.rows = list(rows)
        super().__init__(
            "the import changes what you may not change: "
            + "; ".join(r.as_field_error().render("en") for r in self.rows),
            "importen ändrar sådant du inte får ändra: "
            + "; ".join(r.as_field_error().render("sv") for r in self.rows),
        )


_SV_KIND = {
    "task": "uppgift",
    "cycle": "cykel",
    "stage": "steg",
    "unit": "enhet",
    "person": "person",
    "measure": "åtgärd",
    "template": "mall",
    "risk": "risk",
    "substitute": "ersättare",
    "pending import": "väntande import",
    "inspection": "inspektion",
    "requirement": "krav",
    "body": "samverkansorgan",
    "meeting": "samverkansmöte",
    "agenda item": "dagordningspunkt",
    "member": "ledamot",
    "change": "förändring",
    "incident": "händelse",
    "safety_request": "begäran från skyddsombud",
    "manager_risk": "chefens arbetsmiljörisk",
    "action item": "handlingsplanspunkt",
    "token": "token",
    "job": "jobb",
    "attachment": "bilaga",
    "file": "fil",
    "report": "rapport",
    "account": "konto",
    "session": "inloggning",
    "mapping": "kolumnmappning",
    "survey": "enkät",
    "roa_review": "riskorienterad genomgång",
    "selection": "urval",
}
