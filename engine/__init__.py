"""samflow's engine: the whole SAM domain, persistence and use cases.

Knows nothing of HTTP or Prefect; takes the time from a Clock it is given.
"""
