"""The SAM duties beyond the annual cycle that run as cases on the shared machinery
(issue 10): incidents (``incident.yaml``), a safety representative's request
(``safety-request.yaml``), the manager's own work environment (``manager-risk.yaml``).
Each is a template + forms + the named hooks here; the inspection's föreläggande and
förbud are the inspection's template (``av-inspection.yaml``, ``items.additions``).

Reads workflow and plans.
"""
