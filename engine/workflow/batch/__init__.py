"""Long work in the background: the jobs a person starts and watches, the queue that
decides how many run and in what order, the files a job keeps, recovering from a
process that died mid-way, and the large organisation import applied in batches.

Part of the workflow: reads the organisation, never plans or evidence. What each kind
of job runs is named in engine.background.
"""
