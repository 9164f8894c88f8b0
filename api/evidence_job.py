"""Laying out an evidence package: the work moved to ``engine.evidence.layout_job`` so that a
Prefect flow run (``flows.jobs``) and the web server's threads run the same code; the names
the doors use stay importable here."""

from __future__ import annotations

from engine.evidence.layout_job import filename, run

__all__ = ["filename", "run"]
