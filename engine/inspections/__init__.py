"""Inspections by Arbetsmiljöverket: registering the krav (from a form or a file),
routing them as tasks, and the reply.

Reads workflow and evidence.
"""
