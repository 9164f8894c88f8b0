"""Every model module, imported so that ``Base.metadata`` knows all tables (Alembic's
autogenerate, the migration test and test clean-up read it). Add new model modules here."""

from engine.db import models
from engine.db.models import Base
from engine.db.models.duties import alloc as models_alloc
from engine.db.models.duties import cases as models_cases
from engine.db.models.duties import coop as models_coop
from engine.db.models.duties import policy as models_policy
from engine.db.models.duties import rounds as models_rounds
from engine.db.models.followup import plans as models_plans
from engine.db.models.followup import rollup as models_rollup
from engine.db.models.followup import surveys as models_surveys
from engine.db.models.people import accounts as models_accounts
from engine.db.models.people import ops as models_ops
from engine.db.models.people import org as models_org
from engine.db.models.people import positions as models_positions
from engine.db.models.records import audit as models_audit
from engine.db.models.records import evidence as models_evidence
from engine.db.models.workflow import files as models_files
from engine.db.models.workflow import inbox as models_inbox
from engine.db.models.workflow import notify as models_notify
from engine.db.models.workflow import process as models_process

__all__ = [
    "Base",
    "models",
    "models_accounts",
    "models_alloc",
    "models_audit",
    "models_cases",
    "models_coop",
    "models_evidence",
    "models_files",
    "models_inbox",
    "models_notify",
    "models_ops",
    "models_org",
    "models_plans",
    "models_policy",
    "models_positions",
    "models_process",
    "models_rollup",
    "models_rounds",
    "models_surveys",
]
