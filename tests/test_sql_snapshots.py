"""The SQL of every operation, per dialect and server version, against stored snapshots.

The example migrations use every operation, so their compiled SQL covers each one. A change to
a recipe shows up here as a diff to review; accept it with

    ZDMIGRATE_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_sql_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from zdmigrate.cli import main

ROOT = Path(__file__).parent.parent
SNAPSHOTS = Path(__file__).parent / "snapshots"

TARGETS = [
    ("postgresql", "12"),
    ("mysql", "8.0.11"),
    ("mysql", "8.0.28"),
    ("mariadb", "10.11"),
]
"""One snapshot per distinct recipe set: the versions where a capability changes."""

SAME_AS = {
    ("postgresql", "17"): ("postgresql", "12"),
    ("mysql", "8.0.36"): ("mariadb", "10.11"),
    ("mariadb", "10.6"): ("mariadb", "10.11"),
}
"""Versions whose SQL for the examples is, today, the same as another's snapshot."""


def compiled_sql(dialect: str, version: str) -> str:
    args = ["--dialect", dialect, "--server-version", version]
    runner = CliRunner()
    out = []
    for phase in ("expand", "backfill", "contract", "rollback"):
        result = runner.invoke(main, ["sql", "migrations_examples", "--phase", phase, *args])
        assert result.exit_code == 0, result.stderr
        out.append(result.stdout)
    if dialect == "postgresql":
        result = runner.invoke(
            main,
            [
                "sql",
                "migrations_examples/postgresql_only",
                "--schema",
                "migrations_examples.shop.v5:Base",
                *args,
            ],
        )
        assert result.exit_code == 0, result.stderr
        out.append(result.stdout)
    return "".join(out)


@pytest.mark.parametrize(("dialect", "version"), TARGETS, ids=[f"{d}-{v}" for d, v in TARGETS])
def test_sql_matches_the_snapshot(
    dialect: str, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    path = SNAPSHOTS / f"{dialect}-{version}.sql"
    actual = compiled_sql(dialect, version)
    if os.environ.get("ZDMIGRATE_UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert path.exists(), f"no snapshot {path.name}: run with ZDMIGRATE_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(), f"{path.name} differs: review, then update the snapshot"


@pytest.mark.parametrize(("target", "same_as"), SAME_AS.items(), ids=lambda t: "-".join(t))
def test_versions_without_a_snapshot_compile_as_their_twin(
    target: tuple[str, str], same_as: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert compiled_sql(*target) == compiled_sql(*same_as)


def test_server_versions_change_the_recipe() -> None:
    """The snapshots differ where the capabilities do: not a set of identical files."""
    old, new = (SNAPSHOTS / f"{v}.sql" for v in ("mysql-8.0.11", "mariadb-10.11"))
    assert old.read_text() != new.read_text()
    assert "ALGORITHM=INSTANT" not in old.read_text().split("ADD COLUMN")[1].split(";")[0]
