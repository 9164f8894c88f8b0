"""Mail: what to tell whom (new tasks, reminders, escalations, the weekly digest),
sending each notification exactly once, and the SMTP mailer.

Reads workflow and the organisation; nothing but the doors and the demo imports it.
"""
