"""The JSON API, one router module per area (``/api/...``, described in OpenAPI) in five
groups, the same as ``api.pages`` and ``cli``: ``people``, ``workflow``, ``duties``,
``followup``, ``records``; ``api.app`` lists every router (``API_ROUTERS``). Each route
checks the person's rights through the use case it calls and answers with a shape from
``api.schemas``."""
