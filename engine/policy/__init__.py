"""Policy, routines and knowledge (AFS 2023:1 on policy, routines and knowledge).

This package owns:

* ``documents``: the work-environment policy and the routines (risk assessment, incidents,
  rehabilitation, victimisation, ...) as documents at a unit with an owner (a role there),
  versions (text, digest, from when, review date), managers' read-acknowledgements, and
  whether the employer must have them in writing (ten or more employees, computed from the
  headcount of the organisation data, not typed);
* ``knowledge``: training records of managers and safety representatives (course, date,
  valid until) and who lacks the knowledge their role requires;
* ``hooks``: what the two processes run on the shared machinery do — the yearly review
  (``policy-review.yaml``) and the renewal of a training about to lapse
  (``training-renewal.yaml``), both opened by the sweep (``policy.sweep``), reminded and
  escalated like any task, and recorded when completed.

Its audit chains: ``policy:<document>`` (a document, its versions, acknowledgements and
reviews) and ``knowledge:<unit>`` (the training records of people at the unit). The
evidence package's ``policy`` section is ``engine.evidence.sections.policy``.
"""
