"""The JSON API, one router module per area (``/api/...``, described in OpenAPI); the
pages are in ``api.pages``. Each route checks the person's rights through the use case it
calls and answers with a shape from ``api.schemas``."""
