"""Bulk appends to the audit log (migration 0014s): the chain heads are checked and
advanced once per batch, and the database still refuses an event that does not follow
its chain — out of order, with a gap, or not starting at the head."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.audit import log as audit
from engine.context import App
from engine.db.audit_store import AuditLog, EventRow, append_rows, bulk_append, chain_heads
from engine.db.unit import Unit
from engine.domain.audit.chain import GENESIS

AT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def _rows(chain: str, n: int) -> list[EventRow]:
    return [
        (chain, AT, None, None, "system:test", "test.bulk", "task", str(i), None, "{}")
        for i in range(n)
    ]


def _append(app: App, events: Sequence[EventRow]) -> None:
    with app.db.engine.begin() as c:
        append_rows(AuditLog(Unit(c)), events)


def test_bulk_append_verifies_and_moves_the_heads(app: App) -> None:
    _append(app, _rows("bulk:a", 3) + _rows("bulk:b", 2))
    _append(app, _rows("bulk:b", 4) + _rows("bulk:a", 1))  # on from the heads
    with app.read() as s:
        heads = chain_heads(s)
        rows = s.execute(text("SELECT chain, max(seq) FROM audit_event GROUP BY chain"))
        last = {str(k): int(n) for k, n in rows.tuples()}
    assert (heads["bulk:a"][0], heads["bulk:b"][0]) == (4, 6) == (last["bulk:a"], last["bulk:b"])
    assert audit.verify(app).ok


def _insert(c: Any, chain: str, seq: int, subject: str = "x") -> None:
    c.execute(
        text(
            "INSERT INTO audit_event (chain, seq, at, actor_label, action, subject_type, "
            "subject_id, data, prev_hash, hash) VALUES (:c, :s, :at, 'system:test', "
            "'test.bulk', 'task', :sub, '{}', :p, :h)"
        ),
        {"c": chain, "s": seq, "at": AT.replace(tzinfo=None), "sub": subject, "p": GENESIS,
         "h": f"{seq:064x}"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("chain", "seqs"),
    [
        ("bulk:c", [4, 5]),  # the head is at 2: a batch must begin at 3
        ("bulk:c", [3, 5]),  # a gap inside the batch
        ("bulk:c", [4, 3]),  # out of order: insertion order must be sequence order
        ("bulk:new", [2, 3]),  # a new chain begins at 1
    ],
)
def test_database_refuses_a_batch_that_does_not_follow(
    app: App, chain: str, seqs: list[int]
) -> None:
    _append(app, _rows("bulk:c", 2))
    with (
        pytest.raises(DBAPIError, match="head moved"),
        app.db.engine.begin() as c,
        bulk_append(c),
    ):
        for n in seqs:
            _insert(c, chain, n)
    with app.read() as s:
        assert chain_heads(s)["bulk:c"][0] == 2 and "bulk:new" not in chain_heads(s)
        assert s.scalar(text("SELECT count(*) FROM audit_event WHERE chain LIKE 'bulk:%'")) == 2
        assert s.scalar(text("SELECT count(*) FROM audit_bulk")) == 0
    assert audit.verify(app).ok


def test_row_check_still_guards_single_events(app: App) -> None:
    _append(app, _rows("bulk:d", 1))
    with pytest.raises(DBAPIError, match="head moved"), app.db.engine.begin() as c:
        _insert(c, "bulk:d", 3)  # a gap, outside any batch
    with app.read() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_bulk")) == 0
    assert audit.verify(app).ok


AWKWARD = ['a"b', "c\\d", "{e,f}", "NULL", "", " g ", "h\ni", "åäö ✓", '\\"', "j,k"]


def test_awkward_texts_go_through_bulk_appends_unchanged(app: App) -> None:
    """Actor labels, subjects and data with quotes, backslashes, braces, commas, blanks, a
    line break, the word NULL and non-ASCII text are stored as given (on PostgreSQL they
    travel as array literals written by ``pg_arrays``) and the chain verifies."""
    events: list[EventRow] = [
        ("bulk:odd", AT, None, None, f"system:{t}", "test.bulk", "task", t, None, f'"{t}"')
        for t in AWKWARD
    ]
    _append(app, events)
    with app.read() as s:
        got = s.execute(
            text("SELECT actor_label, subject_id FROM audit_event WHERE chain = 'bulk:odd' "
                 "ORDER BY seq")
        ).tuples().all()  # fmt: skip
    assert got == [(f"system:{t}", t) for t in AWKWARD]
    assert audit.verify(app).ok


def test_pg_arrays_writes_literals_the_server_reads_back(app: App) -> None:
    from engine.db.audit_store import pg_arrays

    if app.db.dialect != "postgresql":
        pytest.skip("array literals are PostgreSQL's")
    moment = datetime(2027, 3, 1, 8, 0, 0, 123456, tzinfo=UTC).replace(tzinfo=None)  # as stored
    rows = [(t, i, moment if i % 2 else None) for i, t in enumerate(AWKWARD)] + [
        (None, None, moment)
    ]
    texts, ints, times = pg_arrays(rows)
    with app.db.engine.connect() as c:
        got = c.exec_driver_sql(
            "SELECT %s::text[], %s::int[], %s::timestamp[]", (texts, ints, times)
        ).one()
    assert list(got) == [[r[k] for r in rows] for k in range(3)]
    with pytest.raises(TypeError):
        pg_arrays([(1.5,)])


def test_pg_arrays_whole_columns_read_back_as_given(app: App) -> None:
    """Columns of plain texts or of ints only are joined whole (no element loop): the same
    literal as element by element, read back by the server as given; a text with a quote
    or a backslash, a None or another type takes the element loop (and a float is
    refused)."""
    from engine.db.audit_store import _column_literal, _column_literal_each, pg_arrays

    columns: list[list[Any]] = [
        ["a", "", " b ", "{c,d}", "NULL", "åäö", "e\nf", "a"],  # joined whole
        [0, -1, 2**40, 7, 7],  # joined whole
        ['x"y', "z"],
        ["z", "back\\slash"],
        ["a", None],
        [1, None],
        [1, True],
    ]
    for col in columns:
        assert _column_literal(col) == _column_literal_each(col), col
    with pytest.raises(TypeError):
        _column_literal([1, 2.5])
    if app.db.dialect != "postgresql":
        return
    texts, ints = pg_arrays(list(zip(columns[0][:5], columns[1], strict=True)))
    with app.db.engine.connect() as c:
        got = c.exec_driver_sql("SELECT %s::text[], %s::bigint[]", (texts, ints)).one()
    assert list(got) == [columns[0][:5], columns[1]]


def test_bulk_hashes_are_the_row_hash_of_what_is_stored(app: App) -> None:
    """``append_rows`` builds each payload from parts shared by events with the same time,
    actor, label, action and subject type: every stored hash is still ``row_hash`` of the
    stored fields, with ids and without, at two instants, and with awkward texts."""
    from engine.db.audit_store import raw_rows
    from engine.domain.audit.chain import row_hash

    later = datetime(2027, 3, 1, 9, 30, 0, 5, tzinfo=UTC)
    events: list[EventRow] = [
        (f"bulk:{i % 3}", AT if i % 2 else later, i % 4 or None, 7 if i % 5 == 0 else None,
         AWKWARD[i % len(AWKWARD)], "test.bulk" if i % 3 else 'a"ction', "task", str(i),
         i % 6 or None, f'{{"n":{i % 2}}}')
        for i in range(40)
    ]  # fmt: skip
    _append(app, events)
    with app.read() as s:
        rows = [r for r in raw_rows(s) if str(r[1]).startswith("bulk:")]
    assert len(rows) == len(events)
    for _id, chain, seq, at, actor, label, obo, action, st, sid, unit, data, prev, h in rows:
        assert h == row_hash(chain, seq, at, actor, label, obo, action, st, sid, unit, data, prev)
    assert audit.verify(app).ok
