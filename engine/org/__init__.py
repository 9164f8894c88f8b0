"""The organisation: units, people, role holders and substitutes, and who may do and
see what in it (rights are checked against the units they touch).

Imports only engine.context, engine.db and engine.domain: every other capability
reads the organisation, the organisation reads none of them.
"""
