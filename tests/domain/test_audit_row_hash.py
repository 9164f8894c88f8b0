"""The audit hash written field by field equals the hash of the JSON-encoded list."""

from __future__ import annotations

import pytest

from engine.domain.audit.chain import canonical_json, row_hash, row_hash_encoded

TEXTS = ["plain", 'quote " and \\ back', "ny\nrad\t\x01\x1f", "åäö Ünïcødé ✓ \u2028", "", "😀"]


@pytest.mark.parametrize("text", TEXTS)
def test_same_hash_as_the_encoded_list_for_any_text(text: str) -> None:
    data = canonical_json({"note": text, "n": [1, 2.5, None, True]})
    fields = ("cycle:7", 12, "2027-01-10 08:00:00.000000", 3, text, None, "task.completed")
    rest = ("task", text or "9", 44, data, "a" * 64)
    assert row_hash(*fields, *rest) == row_hash_encoded(*fields, *rest)  # type: ignore[arg-type]


def test_nulls_and_odd_types_take_the_encoder() -> None:
    args = ("org", 1, "2027-01-10 08:00:00.000000", None, "x", None, "a", "b", "c", None, "{}")
    assert row_hash(*args, "0" * 64) == row_hash_encoded(*args, "0" * 64)
    odd = ("org", True, "t", 5, "x", 6, "a", "b", "c", 7, "{}", "0" * 64)  # a bool is not an int
    assert row_hash(*odd) == row_hash_encoded(*odd)  # type: ignore[arg-type]
    assert row_hash(*odd) != row_hash("org", 1, *odd[2:])  # type: ignore[arg-type]
