"""The server-rendered pages, one router module per area (the JSON API's routers are in
``api.routers``); each renders through ``api.rendering``."""
