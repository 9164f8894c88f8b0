"""The README's five-minute tour runs as written, on a fresh database.

The block between ``<!-- tour -->`` and the end of the code fence after it is run line by
line with bash, in an empty directory that has only ``examples/`` and ``.venv/`` of this
checkout, so the tour can never drift from the code again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


def tour_lines() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    _, marker, after = text.partition("<!-- tour -->")
    assert marker, "README.md has no <!-- tour --> block"
    fence = after.lstrip().splitlines()
    assert fence[0].startswith("```"), "the tour marker must stand right above a code fence"
    lines: list[str] = []
    for line in fence[1:]:
        if line.startswith("```"):
            return lines
        if line.strip() and not line.lstrip().startswith("#"):
            lines.append(line)
    raise AssertionError("the tour's code fence is not closed")


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(VENV)
    assert (tmp_path / ".venv/bin/samflow").exists(), "samflow is not installed in this venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMFLOW_")}
    outputs: list[str] = []
    script = "set -e\n"
    for n, line in enumerate(tour_lines()):
        # each line's output to its own file, so a failure names the line that failed
        script += f"{line} > out.{n} 2>&1 || {{ echo 'tour line {n} failed'; exit 1; }}\n"
    done = subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    for n, line in enumerate(tour_lines()):
        out = tmp_path / f"out.{n}"
        outputs.append(f"$ {line}\n{out.read_text('utf-8') if out.exists() else '(not run)'}")
    assert done.returncode == 0, done.stdout + done.stderr + "\n".join(outputs[-3:])
    said = "\n".join(outputs)
    # what the README says happened, happened
    assert "FS-LSS LSS-boende Ekbacken: missing manager" in said
    for stage in ("survey", "analysis", "action_plan", "cooperation"):
        assert f"{stage} signed off" in said
    assert "OK: the package matches the database" in said
    verified = said.rsplit("audit verify", 1)[1]
    assert "escalations" in said and "OK:" in verified and "matches checkpoint" in verified
    assert (tmp_path / "tour.db").exists() and (tmp_path / "hemtjanst-norr.pdf").exists()
