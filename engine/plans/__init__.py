"""The action plan (handlingsplan, 13 §): risks, items, measures and their dated
history, importing last year's plan, and what completing a plan task writes.

Reads workflow and the organisation; workflow does not read plans: what completing
a plan task writes is registered by form in engine.catalog (plans.effects).
"""
