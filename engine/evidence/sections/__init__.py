"""The sections of an evidence package, one module per capability it shows: the unit's
yearly cycle and its history (cycle, log), who held which role (units), the cases
(an inspection, an incident, a request), cooperation, policy and knowledge, and the
written task allocation.

Read by engine.evidence.package; each reads the tables of its capability.
"""
