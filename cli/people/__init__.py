"""The command line's commands for the organisation and signing in.

Units, people, role holders, positions and groups; accounts, sessions, tokens
and what the identity provider says (engine.org, engine.accounts).
"""
