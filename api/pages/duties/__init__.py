"""The pages for the SAM duties beyond the cycle.

Task allocation (alloc), incidents, requests and a manager's own risk (cases),
cooperation and change assessments (coop), inspections by Arbetsmiljöverket,
policy, routines and knowledge (policy), safety rounds (rounds): each a process
on the shared workflow (engine.alloc, engine.cases, engine.coop,
engine.inspections, engine.policy, engine.rounds).
"""
