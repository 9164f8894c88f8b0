"""The forms of the SAM duties beyond the annual cycle, one module per process kind:
incidents, requests and a manager's own risk (cases), change assessments (change),
inspections, policy review and training renewal (policy), safety rounds (rounds).

Registered by key in forms.schemas.registry like every form.
"""
