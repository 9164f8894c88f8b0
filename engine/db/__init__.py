"""Persistence: typed models, the session factory, set-based queries, migrations."""
