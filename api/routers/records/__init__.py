"""The JSON API for what can be shown afterwards.

The audit log (verify, read, search, export) and evidence packages for
Arbetsmiljöverket (engine.audit, engine.evidence).
"""
