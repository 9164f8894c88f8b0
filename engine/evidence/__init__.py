"""Evidence packages for Arbetsmiljöverket: loading, assembling, the audit chains they
rest on, making them in the background and verifying a package handed out earlier; the
sections a package shows, one module per capability, in ``engine.evidence.sections``.

Reads workflow, plans and the organisation; nothing below imports evidence.
"""
