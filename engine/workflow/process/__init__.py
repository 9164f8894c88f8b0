"""Processes as data: a template names its subject (a unit's year, an inspection case,
an incident ...), its items, documents and the named hooks it uses; this package opens
cases, keeps their items and documents, and checks hook names against the registry.

Every hook is registered in one place, ``engine.catalog``; see docs/processes.md.
"""
