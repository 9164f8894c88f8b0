"""Every model module, imported so that ``Base.metadata`` knows all tables (Alembic's
autogenerate, the migration test and test clean-up read it). Add new model modules here."""

import engine.db.models_notify  # noqa: F401  (notifications: registers its tables)
from engine.db import models
from engine.db.models import Base

__all__ = ["Base", "models"]
