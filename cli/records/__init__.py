"""The command line's commands for what can be shown afterwards.

The audit log (verify, read, search, export) and evidence packages for
Arbetsmiljöverket (engine.audit, engine.evidence).
"""
