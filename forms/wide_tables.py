"""Wide tables scroll inside their own box, never the page (WCAG 2.1 1.4.10, reflow).

Every ``<table>`` of a page template that does not already stand in a ``table-scroll`` box
is put in one when the template is compiled (:class:`WideTables`, a Jinja extension on the
pages' environment): no template has to remember it, a new page gets it too, and nothing
is done per request. The box is a named region that takes the keyboard's focus, so a table
wider than a phone can be scrolled without a mouse (``samflow.js`` drops the tab stop where
the table fits). :func:`wrap` does the same to HTML already rendered (a report's body,
which is the same HTML as its PDF and is made by the documents' environment).
"""

from __future__ import annotations

import re

from jinja2.ext import Extension

from forms.i18n import N_

#: The name a screen reader gives the box (the table's own caption and headings follow).
LABEL = N_("Tabell")
OPEN = '<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_WRAPPED = re.compile(r'<div class="table-scroll"[^>]*>\s*$')


def wrap(html: str, label: str) -> str:
    """Put every table of ``html`` that is not in a ``table-scroll`` box into one."""
    opening = OPEN.format(label=label)
    out, last = [], 0
    for m in _TABLE.finditer(html):
        out.append(html[last : m.start()])
        before = html[max(0, m.start() - 300) : m.start()]
        if _WRAPPED.search(before):
            out.append(m.group(0))
        else:
            out.append(f"{opening}{m.group(0)}</div>")
        last = m.end()
    out.append(html[last:])
    return "".join(out)


class WideTables(Extension):
    """Wraps the tables of page templates (``*.html`` outside ``evidence/``, which are the
    documents) when they are compiled; the box's name is translated like any text."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if not name or not name.endswith(".html") or name.startswith(("evidence/", "mail/")):
            return source
        return wrap(source, "{{ _(" + repr(LABEL) + ") }}")
