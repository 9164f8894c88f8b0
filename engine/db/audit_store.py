"""Appending to and reading back the hash-chained audit log.

Appends are buffered by the use case and written in one go at the end of its transaction:
one read of the chain heads (locked on PostgreSQL, so two writers to one chain queue instead
of forking it) and one multi-row insert; a trigger advances the heads (migration 0006).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from engine.db.models import AuditChain, AuditEvent, table
from engine.db.session import conn_of
from engine.db.unit import Prepared, Unit, _wrapped
from engine.domain.audit.chain import (
    _ESC,
    GENESIS,
    EventContent,
    _sha256,
    canonical_json,
    event_hash,
    row_hash,
    time_text,
)
from engine.domain.clock import as_utc

CHUNK = 500


@dataclass(frozen=True)
class Pending:
    chain: str
    content: EventContent


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Built once: appending is on the path of every use case.
_HEADS = (
    select(AuditChain.key, AuditChain.last_seq, AuditChain.last_hash)
    .where(AuditChain.key.in_(bindparam("keys", expanding=True)))
    .order_by(AuditChain.key)
)
_HEADS_LOCKED = _HEADS.with_for_update()
#: PostgreSQL, many chains: the same read (locked, in key order) with the keys as one array.
_HEADS_PG = (
    "SELECT key, last_seq, last_hash FROM audit_chain WHERE key = ANY(%s::text[]) "
    "ORDER BY key FOR UPDATE"
)
_INSERT_EVENTS = table(AuditEvent).insert()
_EVENT_COLUMNS = (
    "chain", "seq", "at", "actor_id", "on_behalf_of_id", "actor_label", "action",
    "subject_type", "subject_id", "unit_id", "data", "prev_hash", "hash",
)  # fmt: skip
#: One event, the common case, straight to the driver (compiled once per dialect).
_INSERT_ONE = Prepared(table(AuditEvent).insert().values({c: bindparam(c) for c in _EVENT_COLUMNS}))


class AuditLog:
    """Collects a transaction's events; ``flush`` chains and writes them."""

    def __init__(self, unit: Unit | Session) -> None:
        self.unit = unit if isinstance(unit, Unit) else Unit.of_session(unit)
        self.pending: list[Pending] = []
        self.known: dict[str, tuple[int, str]] = {}

    def know(self, chain: str, seq: int, digest: str) -> None:
        """A chain head already read in this transaction (with the row it is about), so the
        flush need not read it again. Should another writer have moved it since, the
        database refuses the insert and the use case runs again."""
        self.known[chain] = (seq, digest)

    def record(
        self,
        chain: str,
        action: str,
        subject_type: str,
        subject_id: object,
        *,
        at: datetime,
        actor_id: int | None,
        actor_label: str,
        on_behalf_of_id: int | None = None,
        unit_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.pending.append(
            Pending(
                chain,
                EventContent(
                    action=action,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                    at=at,
                    actor_id=actor_id,
                    actor_label=actor_label,
                    on_behalf_of_id=on_behalf_of_id,
                    unit_id=unit_id,
                    data_json=canonical_json(data or {}),
                ),
            )
        )

    def flush(self) -> int:
        """Chain and insert the pending events. The database advances each chain's head as
        the events go in (a trigger), refusing any event that does not follow it."""
        if not self.pending:
            return 0
        pending, self.pending = self.pending, []
        heads = self._heads(sorted({p.chain for p in pending} - self.known.keys()))
        heads.update({k: v for k, v in self.known.items() if k not in heads})
        rows: list[dict[str, Any]] = []
        for p in pending:
            seq, prev = heads.get(p.chain, (0, GENESIS))
            seq += 1
            digest = event_hash(p.chain, seq, p.content, prev)
            c = p.content
            rows.append(
                {
                    "chain": p.chain,
                    "seq": seq,
                    "at": c.at,
                    "actor_id": c.actor_id,
                    "on_behalf_of_id": c.on_behalf_of_id,
                    "actor_label": c.actor_label,
                    "action": c.action,
                    "subject_type": c.subject_type,
                    "subject_id": c.subject_id,
                    "unit_id": c.unit_id,
                    "data": c.data_json,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            heads[p.chain] = (seq, digest)
        if len(rows) == 1:
            self.unit.execute(_INSERT_ONE, rows[0])
        else:
            for batch in chunks(rows, 2000):
                self.unit.conn.execute(_INSERT_EVENTS, list(batch))
        return len(rows)

    def _heads(self, chains: list[str]) -> dict[str, tuple[int, str]]:
        locking = self.unit.dialect.name == "postgresql"
        conn = self.unit.conn
        if locking and len(chains) > 1:  # one statement, the keys as one array literal
            (keys,) = pg_arrays([(k,) for k in chains])
            rows = conn.exec_driver_sql(_HEADS_PG, (keys,)).all()
            return {k: (s, h) for k, s, h in rows}
        stmt = _HEADS_LOCKED if locking else _HEADS
        out: dict[str, tuple[int, str]] = {}
        for batch in chunks(chains):
            out.update({k: (s, h) for k, s, h in conn.execute(stmt, {"keys": batch}).all()})
        return out


def raw_rows(
    session: Session, chain: str | None = None, batch: int = 20_000
) -> Iterator[tuple[Any, ...]]:
    """Events in insertion order as plain tuples (``engine.domain.audit.chain.ROW``), the time as
    stored text; streamed without ORM or type processing (verification reads millions)."""
    return itertools.chain.from_iterable(raw_batches(session, chain, batch))


def raw_batches(
    session: Session,
    chain: str | None = None,
    batch: int = 20_000,
    part: tuple[int, int] | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """``raw_rows`` a batch at a time (one Python step per batch, not per row). ``part``
    = (i, n): only the chains whose key's last character has a code point ``≡ i (mod
    n)`` — a whole chain always falls in one part, so n processes can verify the log side
    by side (``chain_part`` is the same rule in Python)."""
    conn = conn_of(session)
    sqlite = conn.dialect.name == "sqlite"
    at = "at" if sqlite else "to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')"
    sql = (
        f"SELECT id, chain, seq, {at}, actor_id, actor_label, on_behalf_of_id, action, "
        "subject_type, subject_id, unit_id, data, prev_hash, hash FROM audit_event"
    )
    yield from _batches(conn, sql, sqlite, chain, batch, part)


def _batches(
    conn: Connection,
    sql: str,
    sqlite: bool,
    chain: str | None,
    batch: int,
    part: tuple[int, int] | None,
) -> Iterator[list[tuple[Any, ...]]]:
    where: list[str] = []
    params: list[Any] = []
    mark = "?" if sqlite else "%s"
    if chain is not None:
        where.append(f"chain = {mark}")
        params.append(chain)
    if part is not None:
        i, n = int(part[0]), int(part[1])
        if sqlite:
            where.append(f"unicode(substr(chain, -1)) % {n} = {i}")
        else:  # mod(), not %: the driver reads % as a placeholder
            where.append(f"mod(ascii(right(chain, 1)), {n}) = {i}")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                break
            yield rows
    finally:
        cursor.close()


#: SQLite: an event's hash input, built by the database (``json_array``: compact, UTF-8 kept,
#: the same escaping as Python's JSON encoder), as bytes.
_PAYLOAD_SQLITE = (
    "CAST(json_array(chain, seq, at, actor_id, actor_label, on_behalf_of_id, action, "
    "subject_type, subject_id, unit_id, data, prev_hash) AS BLOB)"
)
#: PostgreSQL: the same, field by field (``json_build_array`` would add spaces).
_PAYLOAD_PG = (
    "convert_to('[' || to_json(chain)::text || ',' || seq::text || ',' || "
    "to_json(to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'))::text || ',' || "
    "coalesce(actor_id::text, 'null') || ',' || to_json(actor_label)::text || ',' || "
    "coalesce(on_behalf_of_id::text, 'null') || ',' || to_json(action)::text || ',' || "
    "to_json(subject_type)::text || ',' || to_json(subject_id)::text || ',' || "
    "coalesce(unit_id::text, 'null') || ',' || to_json(data)::text || ',' || "
    "to_json(prev_hash)::text || ']', 'UTF8')"
)


def payload_batches(
    session: Session,
    chain: str | None = None,
    batch: int = 20_000,
    part: tuple[int, int] | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """Like ``raw_batches``, but each row is (id, chain, seq, hash input, prev_hash, hash):
    the hash input (``chain.row_hash``'s JSON list of the stored fields) is written by the
    database, so verifying needs no Python string work per field. Should the database's
    JSON ever differ from Python's for some text, the hash does not match and the verifier
    checks that event again from its fields (``event_row``): a mismatch is never taken on
    the database's word, and a match cannot be one by accident (the same bytes are the same
    fields)."""
    conn = conn_of(session)
    sqlite = conn.dialect.name == "sqlite"
    sql = (
        f"SELECT id, chain, seq, {_PAYLOAD_SQLITE if sqlite else _PAYLOAD_PG}, prev_hash, hash "
        "FROM audit_event"
    )
    yield from _batches(conn, sql, sqlite, chain, batch, part)


def event_row(session: Session, event_id: int) -> tuple[Any, ...] | None:
    """One event as ``raw_rows`` gives it (``chain.ROW``)."""
    conn = conn_of(session)
    sqlite = conn.dialect.name == "sqlite"
    at = "at" if sqlite else "to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')"
    mark = "?" if sqlite else "%s"
    sql = (
        f"SELECT id, chain, seq, {at}, actor_id, actor_label, on_behalf_of_id, action, "
        "subject_type, subject_id, unit_id, data, prev_hash, hash FROM audit_event "
        f"WHERE id = {mark}"
    )
    row = conn.exec_driver_sql(sql, (event_id,)).first()
    return None if row is None else tuple(row)


def chain_part(chain: str, parts: int) -> int:
    """Which of ``parts`` a chain falls in (the rule of ``raw_batches``' SQL)."""
    return ord(chain[-1]) % parts if chain else 0


def chain_heads(session: Session) -> dict[str, tuple[int, str]]:
    return {
        k: (s, h)
        for k, s, h in session.execute(
            select(AuditChain.key, AuditChain.last_seq, AuditChain.last_hash)
        )
    }


def log_ends(session: Session, chains: Sequence[str]) -> dict[str, int]:
    """Where each chain's events end (its highest sequence number), read from the events
    themselves, not from the head a trigger keeps."""
    out: dict[str, int] = {}
    for batch in chunks(sorted(set(chains))):
        stmt = (
            select(AuditEvent.chain, func.max(AuditEvent.seq))
            .where(AuditEvent.chain.in_(batch))
            .group_by(AuditEvent.chain)
        )
        out.update({k: int(n) for k, n in session.execute(stmt)})
    return out


def hashes_at(session: Session, points: dict[str, int]) -> dict[str, str]:
    """The hash of each chain's event at the given sequence number (where there is one)."""
    out: dict[str, str] = {}
    for batch in chunks(sorted(points.items())):
        stmt = select(AuditEvent.chain, AuditEvent.hash).where(
            tuple_(AuditEvent.chain, AuditEvent.seq).in_(list(batch))
        )
        out.update(dict(session.execute(stmt).tuples().all()))
    return out


_COLUMNS = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "on_behalf_of_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "unit_id",
    "data",
    "prev_hash",
    "hash",
)


def append_many(log: AuditLog, events: Sequence[Pending], batch: int = 5000) -> int:
    """Append many events at once (the year start's thousands): ``append_rows`` with each
    event's content as a row."""
    return append_rows(
        log,
        [
            (
                p.chain,
                c.at,
                c.actor_id,
                c.on_behalf_of_id,
                c.actor_label,
                c.action,
                c.subject_type,
                c.subject_id,
                c.unit_id,
                c.data_json,
            )
            for p in events
            for c in (p.content,)
        ],
        batch,
    )


#: What ``append_rows`` takes per event: (chain, at, actor_id, on_behalf_of_id, actor_label,
#: action, subject_type, subject_id, unit_id, data_json).
EventRow = tuple[str, datetime, int | None, int | None, str, str, str, str, int | None, str]


def append_rows(log: AuditLog, events: Sequence[EventRow], batch: int = 5000) -> int:
    """Append many events at once (the sweep's thousands): whatever the log holds is
    flushed first, then the heads of all chains touched are read in one go (locked on
    PostgreSQL), the chain computed in one pass, and the rows sent through the driver's
    ``executemany`` — the same hashes and rows as ``AuditLog.flush``, without per-row
    statement machinery. The database checks that each chain's new events follow its
    head, in order and without a gap, and advances the head: once per statement for the
    whole batch (``bulk_append``), where a single event is checked by the row trigger."""
    log.flush()
    if not events:
        return 0
    chains = sorted({e[0] for e in events})
    for key in chains:  # heads known earlier in the transaction are about to move
        log.known.pop(key, None)
    heads = log._heads(chains)
    conn = log.unit.conn
    sqlite = conn.dialect.name == "sqlite"
    #: per distinct (at, actor, on behalf of, label, action, subject type): the stored
    #: time, its text, and the payload's middle (those six fields, escaped once; None
    #: where a field is not of the plain types, and the event goes through ``row_hash``)
    shared: dict[tuple[Any, ...], tuple[Any, str, str | None]] = {}
    esc: dict[str, str] = {}  # a repeated text (chain, data) escaped once
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for key, at, actor_id, obo, label, action, subject_type, subject_id, unit_id, data in events:
        sk = (at, actor_id, obo, label, action, subject_type)
        known = shared.get(sk)
        if known is None:
            text_ = time_text(at)
            naive = as_utc(at).replace(tzinfo=None) if at.tzinfo else at  # stored form
            middle = None
            if (
                type(label) is str
                and type(action) is str
                and type(subject_type) is str
                and (actor_id is None or type(actor_id) is int)
                and (obo is None or type(obo) is int)
            ):
                middle = (
                    f"{_ESC(text_)},{'null' if actor_id is None else actor_id},{_ESC(label)},"
                    f"{'null' if obo is None else obo},{_ESC(action)},{_ESC(subject_type)},"
                )
            known = shared[sk] = (text_ if sqlite else naive, text_, middle)
        stored, at_text, middle = known
        seq, prev = heads.get(key, (0, GENESIS))
        seq += 1
        if (
            middle is not None
            and type(key) is str
            and type(subject_id) is str
            and type(data) is str
            and type(prev) is str
            and (unit_id is None or type(unit_id) is int)
        ):
            # ``row_hash``'s payload, built with the repeated parts escaped once
            digest = _sha256(
                (
                    f"[{_escaped(esc, key)},{seq},{middle}{_ESC(subject_id)},"
                    f"{'null' if unit_id is None else unit_id},{_escaped(esc, data)},"
                    f"{_ESC(prev)}]"
                ).encode()
            ).hexdigest()
        else:
            digest = row_hash(
                key, seq, at_text, actor_id, label, obo, action, subject_type, subject_id,
                unit_id, data, prev,
            )  # fmt: skip
        heads[key] = (seq, digest)
        append(
            (key, seq, stored, actor_id, obo, label, action, subject_type, subject_id,
             unit_id, data, prev, digest)
        )  # fmt: skip
    with bulk_append(conn):
        if sqlite:
            _insert_sqlite(conn, rows)
        else:  # one statement per batch: the heads are checked once per statement
            for part in chunks(rows, batch):
                conn.exec_driver_sql(_UNNEST, pg_arrays(part))
    return len(rows)


#: PostgreSQL: a batch of events as one statement, a column array per field, inserted in
#: the order given (the ids follow it, and so must the sequence numbers of each chain).
_UNNEST = (
    f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) "
    f"SELECT {', '.join(_COLUMNS)} FROM unnest("
    "%s::text[], %s::int[], %s::timestamp[], %s::int[], %s::int[], %s::text[], %s::text[], "
    "%s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[]"
    f") WITH ORDINALITY AS u({', '.join(_COLUMNS)}, n) ORDER BY n"
)


#: SQLite: events per multi-row ``INSERT`` (13 parameters each; fewer where the library
#: binds fewer than 32,766 a statement).
SQLITE_ROWS = 2000


def _insert_sqlite(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """The events as multi-row ``INSERT ... VALUES``, a few thousand a statement. Not one
    statement per event (``executemany``): the table's row trigger can abort, so SQLite
    keeps a statement journal for each statement, copying every page an event touches
    (the table's and five indexes' leaves) before changing it; per statement a page is
    copied once, however many events change it. About a third less work per event."""
    driver: Any = conn.connection.driver_connection
    per = max(1, min(SQLITE_ROWS, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 13))
    cur = driver.cursor()
    head = f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) VALUES "
    one = f"({', '.join(['?'] * len(_COLUMNS))})"
    full = head + ", ".join([one] * per)
    try:
        for part in chunks(rows, per):
            sql = full if len(part) == per else head + ", ".join([one] * len(part))
            cur.execute(sql, [x for r in part for x in r])
    except conn.dialect.loaded_dbapi.Error as e:
        raise _wrapped(head, rows[:1], e, conn.dialect) from e
    finally:
        cur.close()


def pg_arrays(rows: Sequence[Sequence[Any]]) -> tuple[str, ...]:
    """The rows' columns as PostgreSQL array literals (``{"a","b",NULL}``), one text per
    column, for ``unnest(%s::text[], %s::int[], ...)``: the elements are str, int,
    naive datetime or None. Written here, not by the driver: psycopg's list dumper costs
    2.4 µs per text element and 2.9 µs per timestamp (a sweep's 100,000 events are 13
    arrays of them); a repeated value is written once. The literal is read by the
    server's own array input (each element quoted; backslash and double quote escaped).
    A column of texts with neither (hashes, keys, ids) or of ints only is joined whole."""
    return tuple(_column_literal(col) for col in zip(*rows, strict=True))


def _column_literal(col: Sequence[Any]) -> str:
    """One column as an array literal; the same text as ``_column_literal_each``."""
    if col:
        first = type(col[0])
        if first is str and all(type(v) is str for v in col):
            probe = "".join(col)
            if '"' not in probe and "\\" not in probe:
                return '{"' + '","'.join(col) + '"}'
        elif first is int and all(type(v) is int for v in col):
            return "{" + ",".join(map(str, col)) + "}"
    return _column_literal_each(col)


def _column_literal_each(col: Sequence[Any]) -> str:
    """One column as an array literal, element by element (each distinct value once)."""
    seen: dict[Any, str] = {}
    parts: list[str] = []
    add = parts.append
    for v in col:
        if v is None:
            add("NULL")
            continue
        w = seen.get(v)
        if w is None:
            if type(v) is int:
                w = str(v)
            elif type(v) is str:
                w = '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            elif type(v) is datetime and v.tzinfo is None:
                w = '"' + v.isoformat(" ") + '"'
            else:
                raise TypeError(f"pg_arrays: {type(v).__name__} {v!r}")
            seen[v] = w
        add(w)
    return "{" + ",".join(parts) + "}"


def _escaped(seen: dict[str, str], value: str) -> str:
    """A text as a JSON string (the encoder's own escaping), once per distinct text."""
    out = seen.get(value)
    if out is None:
        out = seen[value] = _ESC(value)
    return out


@contextmanager
def bulk_append(conn: Connection) -> Iterator[None]:
    """Events inserted inside are checked against their chains' heads, and the heads
    advanced, once for all of them (migration 0014s) rather than by the row trigger one at a
    time. On SQLite the window is a row of ``audit_bulk``: deleting it runs the check (and
    aborts the statement when a chain does not follow on); on PostgreSQL a setting local to
    the transaction hands the check to the statement-level trigger."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql(
            "INSERT INTO audit_bulk (from_id) SELECT coalesce(max(id), 0) FROM audit_event"
        )
    else:
        conn.exec_driver_sql("SELECT set_config('samflow.audit_bulk', 'on', true)")
    close = (
        "DELETE FROM audit_bulk"
        if sqlite
        else "SELECT set_config('samflow.audit_bulk', 'off', true)"
    )
    try:
        yield
    except BaseException:
        # Closed even so (should the caller go on and commit, no window stays open and
        # what did go in is checked); the first error is the one that counts.
        with suppress(Exception):
            conn.exec_driver_sql(close)
        raise
    conn.exec_driver_sql(close)
