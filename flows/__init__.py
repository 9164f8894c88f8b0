"""Prefect flows: thin doors into the engine's use cases (starting the year in batches,
the sweep, e-mail notifications). Nothing here is built at import time; ``flows.runtime``
is the composition root. ``flows.cli`` adds ``samflow flows ...`` to the command line."""
