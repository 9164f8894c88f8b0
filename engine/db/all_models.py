"""Every model module, imported so that ``Base.metadata`` knows all tables (Alembic's
autogenerate, the migration test and test clean-up read it). Add new model modules here."""

from engine.db import models
from engine.db.models import Base
from engine.db.models import accounts as models_accounts
from engine.db.models import alloc as models_alloc
from engine.db.models import audit as models_audit
from engine.db.models import cases as models_cases
from engine.db.models import coop as models_coop
from engine.db.models import evidence as models_evidence
from engine.db.models import files as models_files
from engine.db.models import inbox as models_inbox
from engine.db.models import notify as models_notify
from engine.db.models import ops as models_ops
from engine.db.models import org as models_org
from engine.db.models import plans as models_plans
from engine.db.models import policy as models_policy
from engine.db.models import positions as models_positions
from engine.db.models import process as models_process
from engine.db.models import rollup as models_rollup
from engine.db.models import rounds as models_rounds
from engine.db.models import surveys as models_surveys

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
