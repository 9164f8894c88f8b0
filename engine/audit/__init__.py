"""The audit log as people use it: verifying the hash chains, reading them back,
searching them by unit, person, action and time.

Writing to the log is engine.db.audit_store, inside every use case's transaction.
"""
