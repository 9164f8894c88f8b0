from datetime import UTC, datetime
from typing import Any

from engine.domain.audit.chain import GENESIS, EventContent, event_hash, time_text, verify_rows

AT = datetime(2027, 1, 10, 8, 0, 0, 123456, tzinfo=UTC)


def chain(name: str, n: int, first_id: int = 1) -> list[list[Any]]:
    """Rows as the database returns them (engine.domain.audit.chain.ROW)."""
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        c = EventContent("task.completed", "task", str(seq), AT, 7, "anna@x.se", None, 3, '{"a":1}')
        h = event_hash(name, seq, c, prev)
        out.append(
            [
                first_id + seq - 1,
                name,
                seq,
                time_text(AT),
                7,
                "anna@x.se",
                None,
                c.action,
                "task",
                str(seq),
                3,
                c.data_json,
                prev,
                h,
            ]
        )
        prev = h
    return out


def heads(*chains: list[list[Any]]) -> dict[str, tuple[int, str]]:
    return {rows[-1][1]: (rows[-1][2], rows[-1][13]) for rows in chains}


def test_intact_chains_verify_in_insertion_order() -> None:
    a, b = chain("cycle:1", 5), chain("cycle:2", 3, first_id=10)
    interleaved = [a[0], b[0], a[1], a[2], b[1], a[3], b[2], a[4]]
    count, chains, breaks = verify_rows(interleaved, heads(a, b))
    assert (count, chains, breaks) == (8, {"cycle:1", "cycle:2"}, [])


def test_altered_event_is_named() -> None:
    a = chain("cycle:1", 5)
    a[2][11] = '{"a":2}'
    _, _, breaks = verify_rows(a, heads(a))
    assert [(b.seq, b.kind, b.event_id) for b in breaks] == [(3, "altered", 3)]


def test_removed_event_is_named() -> None:
    a = chain("cycle:1", 5)
    h = heads(a)
    del a[1]
    _, _, breaks = verify_rows(a, h)
    assert [(b.seq, b.kind) for b in breaks] == [(2, "removed")]


def test_removed_newest_event_shows_against_the_head() -> None:
    a = chain("cycle:1", 5)
    _, _, breaks = verify_rows(a[:-1], heads(a))
    assert [(b.seq, b.kind) for b in breaks] == [(5, "removed")]


def test_a_whole_chain_removed_shows_against_its_head() -> None:
    a, b = chain("cycle:1", 2), chain("cycle:2", 2, first_id=10)
    _, _, breaks = verify_rows(a, heads(a, b))
    assert [(x.chain, x.kind) for x in breaks] == [("cycle:2", "removed")]


def test_actor_label_is_covered_by_the_hash() -> None:
    a = chain("cycle:1", 2)
    a[0][5] = "someone.else@x.se"
    _, _, breaks = verify_rows(a, heads(a))
    assert [(x.seq, x.kind) for x in breaks] == [(1, "altered")]
