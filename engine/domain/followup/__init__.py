"""Pure rules of the follow-up work: the HME indices of a survey and the suppression
that keeps small groups unreadable (hme, surveys), health goals (health), the
risk-oriented selection from absence figures (roa), and the shape of a report's
section (sections).

No database, no I/O: engine.surveys and engine.reports call them.
"""
