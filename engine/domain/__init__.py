"""Pure rules of the SAM domain: no database, no web, no orchestration."""
