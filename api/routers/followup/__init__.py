"""The JSON API for finding out and following up.

Surveys and their indices, absence and the ROA selection, the action plan and
its import, the organisation-wide reports, the roll-up of the annual follow-up,
the year's overview (engine.surveys, engine.plans, engine.reports).
"""
