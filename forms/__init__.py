"""What people fill in and read: the form schemas (``forms.schemas``, one pydantic model per
form key, which the engine validates task input against), the page templates
(``forms/templates``), the documents people take away (``forms.exports``: PDF/HTML evidence
packages, plans, case documents, reports, the audit CSV, calendar files), mails, charts,
the texts in Swedish and English (``forms/locale``, ``forms.i18n``, ``forms.messages``) and
the labels of the engine's codes."""
