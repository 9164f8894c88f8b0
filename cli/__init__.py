"""The ``samflow`` command line: a door like ``api`` (HTTP) and ``flows`` (Prefect).

Each command parses its arguments, calls one use case and prints the result; the modules
here import the engine inside the handlers, so starting the command line stays cheap.
Imports ``api`` only to serve the web app (``samflow serve``, ``samflow demo``).
"""
