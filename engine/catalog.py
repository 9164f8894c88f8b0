"""Every named hook of every process, registered by key: the one place to look.

A template names these keys (``checks``, ``item_due``, ``effects``, ``documents[].data``,
``documents[].gates``, ``context``); ``process_registry.registry()`` imports this module
on first use, and a template naming a key missing here is refused when it is loaded.
Adding a process adds its lines here (see docs/processes.md).
"""

from __future__ import annotations

from engine.alloc import holds as alloc_holds
from engine.alloc import returns as alloc_returns
from engine.cases import incidents, manager_risk, requests
from engine.inspections import hooks as inspection_hooks
from engine.org import changes as org_changes
from engine.plans import effects as plan_effects
from engine.plans import own as own_plans
from engine.policy import hooks as policy_hooks
from engine.reports import rollup
from engine.reports.sections import SECTIONS
from engine.rounds import hooks as round_hooks
from engine.surveys import report as survey_report
from engine.workflow.process import views as process_views
from engine.workflow.process.registry import REGISTRY

# The annual cycle's forms (sam-annual.yaml), keyed by form: what completing one writes.
REGISTRY.add("form_check", "approval", plan_effects.four_eyes)
REGISTRY.add("form_done", "risk_assessment", plan_effects.record_risks)
REGISTRY.add("form_done", "action_plan", plan_effects.write_plan)
REGISTRY.add("form_done", "approval", plan_effects.send_back_on_reject)
REGISTRY.add("form_done", "measure_follow_up", plan_effects.follow_up)
REGISTRY.add("returned", "plans.measures_follow", plan_effects.measures_follow_return)

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
# ... and from the annual cycle's risk assessment and annual follow-up (form hooks: wherever
# a task with the form completes, whatever the template).
REGISTRY.add("form_done", "risk_assessment:own_work_situation", manager_risk.from_form)
REGISTRY.add("form_done", "annual_evaluation:own_risks", manager_risk.from_form)

# Policy, routines and knowledge (AFS 2023:1; engine/policy/): the yearly review of a
# document (policy-review.yaml) and the renewal of a lapsing training
# (training-renewal.yaml), both opened by the sweep.
REGISTRY.add("effect", "policy.reviewed", policy_hooks.reviewed)
REGISTRY.add("effect", "training.renewed", policy_hooks.renewed)
REGISTRY.add("sweep", "policy.due", policy_hooks.due)
REGISTRY.add("context", "policy.review_context", policy_hooks.review_context)
REGISTRY.add("context", "training.renewal_context", policy_hooks.renewal_context)

# Safety rounds (safety-round.yaml, engine/rounds/); the gate findings_reviewed is a stage
# gate (engine/domain/workflow/gates.py).
REGISTRY.add("check", "safety_round.checklist_known", round_hooks.checklist_known)
REGISTRY.add("effect", "safety_round.protocol", round_hooks.protocol)
REGISTRY.add("status", "safety_round.status", round_hooks.status)

# Sections of the board's status report (engine/reports/sections.py), rendered in the order
# registered here: the survey package's (issue 12 §1, §3, §4; engine/surveys/report.py, each
# keeping its own suppression) and the safety rounds' findings.
SECTIONS.add("board", "survey_indices", survey_report.survey_section)  # HME, year over year
SECTIONS.add("board", "roa_selection", survey_report.roa_section)  # the confirmed ROA units
SECTIONS.add("board", "health_goals", survey_report.health_section)  # goals and progress
SECTIONS.add("board", "safety_rounds", round_hooks.board_section)

# The annual follow-up rolls up (followup-rollup.yaml, engine/reports/rollup.py); the gate
# sub_units_followed_up is a stage gate (engine/domain/workflow/gates.py).
REGISTRY.add("context", "followup_level.summary", rollup.context)
REGISTRY.add("status", "followup_level.status", rollup.status)
REGISTRY.add("gate", "followup_level.closed", rollup.closed_gate)
REGISTRY.add("document", "followup_level.committee_report", rollup.committee_report)

# Plans in their own right (issue 11): action-plan.yaml (engine/plans/own.py).
REGISTRY.add("opened", "action_plan.header", own_plans.header)
REGISTRY.add("status", "action_plan.status", own_plans.status)
REGISTRY.add("effect", "action_plan.next_review", own_plans.next_review)
REGISTRY.add("due", "action_plan.review_due", own_plans.review_due)

# Task allocation (issue 10 §1, engine/alloc/): a unit's new manager from an organisation
# import gets its open tasks only once their allocation is accepted; until then the manager
# above holds them (in the import's transaction, all of its new managers at once).
org_changes.on_new_managers("alloc.hold_new_managers", alloc_holds.on_new_managers)
# ... and a manager role imported with a later start date is held for by the daily sweep on
# its first day (a sweep step; all such managers at once).
REGISTRY.add("sweep", "allocation.starting_managers", alloc_holds.starting_managers)
# The allocator's decision on a returned task is a task in their inbox
# (allocation-return.yaml): completing it decides; its page shows the return.
REGISTRY.add("form_done", "allocation_return_decision", alloc_returns.decided_by_task)
REGISTRY.add("context", "allocation.return_context", alloc_returns.decision_context)
