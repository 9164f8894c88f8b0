"""What people fill in and read: the form schemas (``forms.schemas``, one pydantic model per
form key, which the engine validates task input against), the page templates
(``forms/templates``), the documents (PDF/HTML: evidence packages, plans, case documents,
charts), mails, the texts in Swedish and English (``forms/locale``, ``forms.i18n``,
``forms.messages``) and the labels of the engine's codes."""
