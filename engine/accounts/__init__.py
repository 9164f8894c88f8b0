"""Signing in: local accounts (argon2), web sessions, API tokens, throttling of failed
sign-ins.

Knows no workflow, plan or evidence.
"""
