"""Organisation-wide reports: the year per department, the board's status report,
the annual follow-up, and the scope they read.

Reads workflow, plans and the organisation; independent of evidence and notify.
"""
