"""The ``samflow`` command line: a door like ``api`` (HTTP) and ``flows`` (Prefect).

The commands are grouped like the JSON API and the pages: ``cli.people``,
``cli.workflow``, ``cli.duties``, ``cli.followup``, ``cli.records`` (``cli.main.COMMANDS``
lists every one); ``main``, ``common``, ``console`` and ``admin`` (db, serve, demo, user,
token) are the door itself.

Each command parses its arguments, calls one use case and prints the result; the modules
here import the engine inside the handlers, so starting the command line stays cheap.
Imports ``api`` only to serve the web app (``samflow serve``, ``samflow demo``).
"""
