"""Running processes: cycle templates and their stored versions, cycles and stages,
making and routing tasks, what a person does to a task, the facts the gates judge,
the sweep (reminders, escalations), task attachments and conversations; background jobs
and their queue, files and recovery in ``engine.workflow.batch``, processes as data in
``engine.workflow.process``.

Reads the organisation; never imports plans, evidence, inspections, reports, notify
or views (import-linter checks it).
"""
