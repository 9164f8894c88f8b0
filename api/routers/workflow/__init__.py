"""The JSON API for the annual cycle and every process's tasks.

Cycles and stages, the inbox, tasks and their forms, the year's start and
background jobs, mail about tasks (engine.workflow, engine.notify).
"""
