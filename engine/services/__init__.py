"""Use cases: each one a transaction that loads, decides, writes state and audit, commits."""
