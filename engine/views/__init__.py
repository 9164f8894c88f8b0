"""What a person sees on a page or in the command line: the inbox, a task with its
form, a cycle with its plan, what the oversight pages offer, a job's files; each
checked against the person's scope.

Reads workflow, audit and the organisation; writes nothing but job files.
"""
