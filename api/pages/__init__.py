"""The server-rendered pages, one router module per area in the five groups of
``api.routers`` and ``cli`` (``people``, ``workflow``, ``duties``, ``followup``,
``records``); ``api.app`` lists every one (``PAGE_ROUTERS``). Each renders through
``api.rendering`` and may call a JSON handler (a document reply); the API knows no page."""
