"""Every model module, imported so that ``Base.metadata`` knows all tables (Alembic's
autogenerate, the migration test and test clean-up read it). Add new model modules here."""

from engine.db import (
    models,
    models_accounts,
    models_cases,
    models_coop,
    models_evidence,
    models_files,
    models_inbox,
    models_notify,
    models_org,
    models_plans,
    models_positions,
    models_process,
    models_surveys,
)
from engine.db.models import Base

__all__ = [
    "Base",
    "models",
    "models_accounts",
    "models_cases",
    "models_coop",
    "models_evidence",
    "models_files",
    "models_inbox",
    "models_notify",
    "models_org",
    "models_plans",
    "models_positions",
    "models_process",
    "models_surveys",
]
