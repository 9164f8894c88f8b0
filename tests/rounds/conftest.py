from tests.api.conftest import web, web_any  # noqa: F401  (the web app fixtures)
