"""The workflow's pure rules: the template model, task and stage states and the moves
between them, role routing, the reminder and escalation ladder, and the stage gates.
"""
