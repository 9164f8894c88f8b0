"""The generic top-level names (engine, api, flows, forms, cli) must be ours, not some other
installed distribution's; and the data files they need must be installed with them."""

import importlib
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize("name", PYPROJECT["tool"]["setuptools"]["packages"])
def test_package_resolves_inside_the_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(ROOT), module.__file__


def test_every_package_directory_is_listed() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("engine", "api", "flows", "forms", "cli")
        for p in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"


def test_templates_and_migrations_are_package_data() -> None:
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert "*.yaml" in data["engine.cycle_templates"]
    assert any((ROOT / "engine/cycle_templates").glob("*.yaml"))
    assert (ROOT / "engine/db/migrations/script.py.mako").exists()
