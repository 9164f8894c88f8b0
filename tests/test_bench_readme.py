"""README's benchmark table is generated from the committed results file, never typed."""

from __future__ import annotations

import copy
from typing import Any

from bench import readme


def _results(load_before: float, load_after: float) -> dict[str, Any]:
    return {
        "measured_at": "2026-12-01T21:00:00+00:00",
        "quick": True,
        "command": "python -m bench.run --quick",
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "python": "3.11.7",
            "sqlite": "3.40.1",
            "postgresql": None,
            "commit": "abc1234",
        },
        "figures": [
            {
                "key": "completions",
                "label": "completions through the use case",
                "value": 2500.0,
                "unit": "/s",
                "target_op": ">=",
                "target": 2000.0,
                "reference": {"key": "raw_sqlite3", "ratio": 0.2},
                "ratio_target": 0.25,
                "details": {"cpu_seconds": 1.5},
                "load_before": load_before,
                "load_after": load_after,
            },
            {
                "key": "raw_sqlite3",
                "label": "same run: raw sqlite3, the same statements",
                "value": 12500.0,
                "unit": "/s",
                "target_op": None,
                "target": None,
                "details": {},
                "load_before": 0.1,
                "load_after": 0.2,
            },
        ],
    }


def test_readme_table_is_what_the_committed_results_give() -> None:
    text = readme.README.read_text(encoding="utf-8")
    assert readme.BEGIN in text and readme.END in text
    assert readme.rewrite(text, readme.load()) == text, "run: python -m bench.readme"


def test_a_figure_measured_under_load_says_so_and_the_others_do_not() -> None:
    loaded = readme.render(_results(0.5, 2.4))  # 1.2 per core after the figure
    row = next(line for line in loaded.splitlines() if line.startswith("| completions"))
    assert "2,500/s (under load)" in row
    assert "0.25 → 1.20" in row
    assert "0.20× raw sqlite3, the same statements (target ≥ 0.25×: **not met**)" in row
    raw = next(line for line in loaded.splitlines() if line.startswith("| same run"))
    assert "(under load)" not in raw
    quiet = readme.render(_results(0.5, 1.9))  # 0.95 per core: not loaded
    assert "(under load)" not in quiet
    assert "≥ 2,000/s: met" in quiet


def test_the_generator_rewrites_only_its_block() -> None:
    results = _results(0.1, 0.1)
    doc = f"intro\n{readme.BEGIN}\nold table\n{readme.END}\nrest\n"
    new = readme.rewrite(doc, results)
    assert new.startswith(f"intro\n{readme.BEGIN}\nMeasured 2026-12-01 21:00 UTC")
    assert new.endswith(f"{readme.END}\nrest\n") and "old table" not in new
    assert readme.rewrite(new, copy.deepcopy(results)) == new
