"""README's benchmark table is generated from the committed results file, never typed."""

from __future__ import annotations

import copy
import json
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
    results = readme.load()
    for path, make in ((readme.README, readme.summary), (readme.TABLE_DOC, readme.render)):
        text = path.read_text(encoding="utf-8")
        assert readme.BEGIN in text and readme.END in text
        assert readme.rewrite(text, results, make) == text, "run: python -m bench.readme"
    assert readme.main(["--check"]) == 0
    # the README stays short (issue 9): the table is in docs, README has the summary
    assert len(readme.README.read_text(encoding="utf-8").splitlines()) <= 150


def test_the_summary_counts_the_targets_and_names_each_one_missed() -> None:
    results = _results(0.1, 0.1)
    results["figures"][0]["value"] = 1500.0  # below its target of 2,000/s
    text = readme.summary(results)
    assert "**0 of 1 targets met.** Not met:" in text
    assert "- completions through the use case: 1,500/s (≥ 2,000/s)" in text
    assert "raw sqlite3" not in text  # a figure without a target is left to the table


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


def _stamped(results: dict[str, Any], bench: str, commit: str) -> dict[str, Any]:
    out = copy.deepcopy(results)
    out["machine"] = {**out["machine"], "host": "vm", "commit": commit}
    out["quick"] = False
    for f in out["figures"]:
        f.update(bench=bench, run_at=out["measured_at"], commit=commit)
    return out


def test_an_update_replaces_the_benchmarks_it_ran_and_names_each_figures_run() -> None:
    from bench import run

    base = _stamped(_results(0.1, 0.1), "complete_tasks", "abc1234")
    base["figures"].append({**base["figures"][1], "key": "start_3000", "bench": "start_cycles"})
    del base["figures"][0]["run_at"], base["figures"][0]["commit"]  # an older file
    newer = _stamped(_results(0.2, 0.2), "complete_tasks", "def5678")
    newer.update(measured_at="2026-12-02T07:00:00+00:00", command="python -m bench.run --only x")
    for f in newer["figures"]:
        f.update(value=f["value"] * 2, run_at=newer["measured_at"])
    newer["runs"] = [{"measured_at": newer["measured_at"], "command": newer["command"],
                      "commit": "def5678"}]  # fmt: skip
    merged = run.merge(base, newer)
    by_key = {f["key"]: f for f in merged["figures"]}
    assert [f["key"] for f in merged["figures"]] == ["start_3000", "completions", "raw_sqlite3"]
    assert by_key["completions"]["value"] == 5000.0 and by_key["start_3000"]["value"] == 12500.0
    assert [r["commit"] for r in merged["runs"]] == ["abc1234", "def5678"]
    table = readme.render(merged)
    assert "Measured in 2 runs on one machine" in table
    assert "1. 2026-12-01 21:00 UTC" in table and "2. 2026-12-02 07:00 UTC" in table
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert rows["| completions through the use case"].endswith("| 2 |")
    # a whole rerun of every benchmark leaves one run, and the old header
    start = [{**f, "bench": "start_cycles"} for f in newer["figures"][:1]]
    again = run.merge(merged, {**newer, "figures": start + newer["figures"]})
    assert [r["commit"] for r in again["runs"]] == ["def5678"]
    assert readme.render(again).startswith("Measured 2026-12-02 07:00 UTC")


def test_an_update_from_another_machine_is_refused() -> None:
    import pytest

    from bench import run

    base = _stamped(_results(0.1, 0.1), "complete_tasks", "abc1234")
    other = _stamped(_results(0.1, 0.1), "complete_tasks", "def5678")
    other["machine"]["cpu"] = "Another CPU"
    with pytest.raises(SystemExit, match="cpu: Test CPU / Another CPU"):
        run.merge(base, other)


def test_a_benchmark_that_fails_costs_only_its_own_figures(
    tmp_path: Any, monkeypatch: Any, capsys: Any
) -> None:
    """A whole run once ended in its third benchmark on an exception, with nothing written;
    now the others are measured and written to a ``-failed`` file, latest.json untouched."""
    from bench import run

    def broken(quick: bool) -> list[Any]:
        raise AttributeError("'NoneType' object has no attribute 'connect'")

    def works(quick: bool) -> list[Any]:
        return [run.fig("start_3000", "start", 1.0, "s", "<=", 1.0, {})]

    monkeypatch.setattr(run, "BENCHES", [("complete_tasks", broken), ("start_cycles", works)])
    monkeypatch.setattr(run, "machine", lambda: {"host": "h", "commit": "abc1234"})
    (tmp_path / "latest.json").write_text("{}", encoding="utf-8")
    assert run.main(["--out", str(tmp_path)]) == 1
    assert (tmp_path / "latest.json").read_text(encoding="utf-8") == "{}"
    (written,) = tmp_path.glob("h-*-failed.json")
    results = json.loads(written.read_text(encoding="utf-8"))
    assert [f["key"] for f in results["figures"]] == ["start_3000"]
    error = "AttributeError: 'NoneType' object has no attribute 'connect'"
    assert results["failed"] == [{"bench": "complete_tasks", "error": error}]
    err = capsys.readouterr().err
    assert "Traceback" in err and "failed: complete_tasks" in err
