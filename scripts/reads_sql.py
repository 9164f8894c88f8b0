"""Write or check ``engine/db/reads/compiled.json``: the SQL text SQLAlchemy compiles from
the Core statements of ``engine.db.reads`` for SQLite and PostgreSQL, which ``samflow
inbox`` sends through the driver alone (``engine.db.reads.plain``).

    .venv/bin/python scripts/reads_sql.py update   # after changing a statement
    .venv/bin/python scripts/reads_sql.py check    # exit 1 when the file is out of date
"""

from __future__ import annotations

import sys

from engine.db import reads
from engine.db.reads import plain


def main(argv: list[str]) -> int:
    if argv not in (["update"], ["check"]):
        print(__doc__, file=sys.stderr)
        return 2
    wanted = reads.compiled_text()
    current = plain.COMPILED.read_text("utf-8") if plain.COMPILED.exists() else ""
    if argv == ["check"]:
        if current != wanted:
            print(
                f"{plain.COMPILED} is out of date: run scripts/reads_sql.py update",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != wanted:
        plain.COMPILED.write_text(wanted, "utf-8")
        print(f"wrote {plain.COMPILED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
