from dataclasses import replace
from datetime import UTC, datetime

from engine.domain.audit import (
    GENESIS,
    EventContent,
    StoredEvent,
    event_hash,
    time_text,
    verify_chain,
)

AT = datetime(2027, 1, 10, 8, 0, 0, 123456, tzinfo=UTC)


def chain(n: int) -> list[StoredEvent]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        c = EventContent("task.completed", "task", str(seq), AT, 7, "anna@x.se", None, 3, '{"a":1}')
        h = event_hash("cycle:1", seq, c, prev)
        out.append(
            StoredEvent(
                seq,
                "cycle:1",
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
            )
        )
        prev = h
    return out


def test_intact_chain_verifies() -> None:
    events = chain(5)
    assert verify_chain("cycle:1", events, (5, events[-1].hash)) == (5, None)


def test_altered_event_is_named() -> None:
    events = chain(5)
    events[2] = replace(events[2], data_json='{"a":2}')
    _, brk = verify_chain("cycle:1", events, (5, events[-1].hash))
    assert brk is not None and (brk.seq, brk.kind) == (3, "altered")


def test_removed_event_is_named() -> None:
    events = chain(5)
    del events[1]
    _, brk = verify_chain("cycle:1", events, (5, events[-1].hash))
    assert brk is not None and (brk.seq, brk.kind) == (2, "removed")


def test_removed_newest_event_shows_against_the_head() -> None:
    events = chain(5)
    _, brk = verify_chain("cycle:1", events[:-1], (5, events[-1].hash))
    assert brk is not None and brk.kind == "removed" and brk.seq == 5


def test_actor_label_is_covered_by_the_hash() -> None:
    events = chain(2)
    events[0] = replace(events[0], actor_label="someone.else@x.se")
    _, brk = verify_chain("cycle:1", events, (2, events[-1].hash))
    assert brk is not None and brk.seq == 1
