"""Maintenance scripts (run from the repository root), importable by the tests."""
