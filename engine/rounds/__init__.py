"""Safety rounds (skyddsrond, ``safety-round.yaml``): a case on the shared machinery led
by the manager with the safety representative taking part, on a checklist
(``forms/checklists``); findings with place, risk level and photos; a finding into the
unit's action plan in one step; the next round reviews the open ones before it closes.

Reads cases (the plan links), plans and workflow.
"""
