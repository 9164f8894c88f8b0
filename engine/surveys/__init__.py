"""Employee surveys (HME), absence figures and the risk-oriented selection (ROA), issue 12.

* ``mapping``: a vendor file's column mapping (which columns are the unit and the nine HME
  questions, their scale), saved by key so next year's file imports in one step;
* ``imports``: reading a survey export (per respondent, or aggregated per unit), computing
  every unit's indices up the tree with suppression
  (``engine.domain.followup.surveys``), storing only the published cells, replacing the
  year's earlier import; nothing half-imported;
* ``results``: the figures per unit with last year's, the low areas, and what the unit's
  survey and analysis tasks start from (``prefill``);
* ``absence``: sick leave per unit and period from an HR export, year over year;
* ``roa``: the rule that proposes units for a risk-oriented review, and HR's confirmation
  that opens a review case (``roa-review.yaml``) for each;
* ``report``: the figures the board report shows (within the anonymity threshold).

Who may do what: a survey or an absence file is the organisation's, so HR or a director at
the top imports it and keeps the mappings; the figures of a unit are seen by whoever sees
the unit (``engine.org.visibility``); the ROA proposal and selection by HR and directors.
"""
