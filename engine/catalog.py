"""Every named hook of every process, registered by key: the one place to look.

A template names these keys (``checks``, ``item_due``, ``effects``, ``documents[].data``,
``documents[].gates``, ``context``); ``process_registry.registry()`` imports this module
on first use, and a template naming a key missing here is refused when it is loaded.
Adding a process adds its lines here (see docs/processes.md).
"""

from __future__ import annotations

from engine.cases import incidents, manager_risk, requests
from engine.inspections import hooks as inspection_hooks
from engine.plans import own as own_plans
from engine.workflow.process import views as process_views
from engine.workflow.process.registry import REGISTRY

# Shared by any process with items.
REGISTRY.add("gate", "items_answered", process_views.items_answered)

# Inspections by Arbetsmiljöverket (av-inspection.yaml).
REGISTRY.add("check", "inspection.dates_ahead", inspection_hooks.dates_ahead)
REGISTRY.add("item_due", "inspection.before_reply", inspection_hooks.due_before_reply)
REGISTRY.add("document", "inspection.reply", inspection_hooks.reply_letter)
REGISTRY.add("context", "inspection.requirement", inspection_hooks.requirement)

# The SAM duties beyond the annual cycle (issue 10): incident.yaml, safety-request.yaml,
# manager-risk.yaml (engine/cases/).
REGISTRY.add("check", "incident.not_ahead", incidents.not_ahead)
REGISTRY.add("effect", "incident.report_times", incidents.report_times)
REGISTRY.add("effect", "incident.measures_to_plan", incidents.measures_to_plan)
REGISTRY.add("status", "incident.status", incidents.status)
REGISTRY.add("check", "safety_request.dates", requests.dates)
REGISTRY.add("status", "safety_request.status", requests.status)
REGISTRY.add("document", "safety_request.receipt", requests.receipt)
REGISTRY.add("document", "safety_request.history", requests.history)
REGISTRY.add("opened", "manager_risk.to_parent_plan", manager_risk.to_parent_plan)

# Plans in their own right (issue 11): action-plan.yaml (engine/plans/own.py).
REGISTRY.add("opened", "action_plan.header", own_plans.header)
REGISTRY.add("status", "action_plan.status", own_plans.status)
REGISTRY.add("effect", "action_plan.next_review", own_plans.next_review)
