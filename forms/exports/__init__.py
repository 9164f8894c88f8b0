"""Documents people take away: the Jinja2 environment for print and PDF/A-3b, and the
documents drawn from it (the evidence package, the action plan, a case's letters,
the annual follow-up and the board report with their charts), the audit log's CSV
and calendar files (iCalendar).
"""
