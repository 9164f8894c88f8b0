"""The action plan (handlingsplan, 13 §): risks, items, measures and their dated
history, importing last year's plan, and what completing a plan task writes.

Reads workflow and the organisation; workflow does not read plans (one known
exception, named in pyproject.toml: task completion calls plans.effects).
"""
