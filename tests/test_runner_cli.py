"""The run, rollback, status, pause and resume commands: output, exit codes, bad input, and a
backfill killed with SIGKILL that resumes with no row missed and none transformed twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.test_runner import (
    backfill_migration,
    current,
    empty,
    runner_engine,  # noqa: F401  (a fixture)
    scalar,
    table_migration,
    wait_for,
    with_connection,
)
from zdmigrate.cli import main
from zdmigrate.dialects import get_dialect
from zdmigrate.run import state
from zdmigrate.run.lock import runner_lock


@pytest.fixture
def target(runner_engine: sa.Engine) -> sa.Engine:  # noqa: F811
    empty(runner_engine)
    return runner_engine


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def zdmigrate(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_the_commands_run_report_pause_and_gate(target: sa.Engine, tmp_path: Path) -> None:
    table_migration(tmp_path, "rn_cli")
    backfill_migration(tmp_path, "rn_cli")
    url = url_of(target)
    code, out, err = zdmigrate("run", "expand", str(tmp_path), env={"ZDMIGRATE_DATABASE_URL": url})
    assert code == 0, err
    assert out.splitlines() == ["0001_rn_cli expand: done", "0002_backfill expand: done"]

    code, out, err = zdmigrate(
        "status", "--database-url", url, "--require", "0002_backfill:backfill"
    )
    assert code == 1
    assert "0002_backfill  expand done" in out
    assert err == "zdmigrate: failed: 0002_backfill has not reached backfill (expand done)\n"

    assert zdmigrate("pause", "0002_backfill", "--database-url", url)[:2] == (
        0,
        "0002_backfill: paused\n",
    )
    code, out, _ = zdmigrate("status", "--database-url", url, "--format", "json")
    assert code == 0
    paused = {m["id"]: m for m in json.loads(out)["migrations"]}["0002_backfill"]
    assert (paused["reached"], paused["status"], paused["paused"]) == ("expand", "done", True)
    assert zdmigrate("resume", "0002_backfill", "--database-url", url)[0] == 0

    code, out, err = zdmigrate("run", "backfill", str(tmp_path), "--database-url", url)
    assert code == 0, err
    assert "0002_backfill backfill: done" in out
    code, _, err = zdmigrate("status", "--database-url", url, "--require", "0002_backfill:backfill")
    assert (code, err) == (0, "")

    code, _, err = zdmigrate("run", "contract", str(tmp_path), "--database-url", url)
    assert code == 0, err
    code, out, err = zdmigrate("rollback", str(tmp_path), "--database-url", url)
    assert code == 2
    assert err.count("\n") == 1
    assert "contract is not reversible" in err


def test_the_log_can_be_json_lines(target: sa.Engine, tmp_path: Path) -> None:
    path = table_migration(tmp_path, "rn_json")
    url = url_of(target)
    code, _, err = zdmigrate(
        "run", "expand", str(path), "--database-url", url, "--log-format", "json"
    )
    assert code == 0, err
    messages = [json.loads(line)["message"] for line in err.splitlines()]
    assert "0001_rn_json expand: done" in messages


UNREACHABLE = "postgresql://app:s3cret@127.0.0.1:1/nowhere"


def bad_inputs(url: str, folder: str, unreachable: str) -> list[tuple[list[str], str]]:
    wrong_role = sa.make_url(url).set(username="zdm_nobody", password="s3cret")
    shown = sa.make_url(unreachable).render_as_string(hide_password=True)
    return [
        (["pause", "nope"], "no migration 'nope' has run on this database"),
        (["resume", "nope"], "no migration 'nope' has run on this database"),
        (["status", "--require", "nope:expand"], "no migration 'nope' has run on this database"),
        (["status", "--require", "0001_rn_bad:sideways"], "unknown phase 'sideways'"),
        (["status", "--require", "expand"], "is not ID:PHASE"),
        (["run", "backfill", folder], "cannot run backfill: expand is not done (never run)"),
        (["run", "contract", folder], "cannot run contract: backfill is not done (never run)"),
        (["run", "sideways", folder], "Invalid value for '{expand|backfill|contract}'"),
        (["run", "expand", folder + "/missing.py"], "no such file"),
        (["run", "expand", folder, "--max-load", "foo"], "'foo' is not NAME=N"),
        (["run", "expand", folder, "--critical-load", "load=x"], "'load=x' is not NAME=N"),
        (["run", "expand", folder, "--max-load", "foo=1"], "unknown load metric 'foo'"),
        (
            ["run", "expand", folder, "--replica-url", unreachable],
            "give --max-lag-ms too",
        ),
        (["run", "expand", folder, "--batch-size", "0"], "0 is not in the range x>=1"),
        (
            ["run", "expand", folder, "--database-url", unreachable],
            f"cannot connect to {shown}",
        ),
        (
            ["rollback", folder, "--database-url", wrong_role.render_as_string(False)],
            "zdm_nobody:***@",
        ),
        (["status", "--database-url", unreachable], "app:***@127.0.0.1:1"),
    ]


def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    target: sa.Engine, tmp_path: Path
) -> None:
    check_bad_inputs(target, tmp_path, UNREACHABLE)


def check_bad_inputs(target: sa.Engine, tmp_path: Path, unreachable: str) -> None:
    """Each of :func:`bad_inputs` is one line on stderr, exit 2, and no change to the database;
    ``unreachable``: a URL of the server's kind, with the password s3cret, where none answers."""
    table_migration(tmp_path, "rn_bad")
    url = url_of(target)
    assert zdmigrate("status", "--database-url", url)[:2] == (
        0,
        "no migration has run on this database\n",
    )
    for args, message in bad_inputs(url, str(tmp_path), unreachable):
        with_url = args if "--database-url" in args else [*args, "--database-url", url]
        code, out, err = zdmigrate(*with_url)
        assert (code, out) == (2, ""), (args, err)
        assert err.count("\n") == 1, (args, err)
        assert message in err, (args, err)
        assert "s3cret" not in err
        assert not with_connection(target, state.exists), (args, "changed the database")

    code, _, err = zdmigrate("status", env={"ZDMIGRATE_DATABASE_URL": ""})
    assert code == 2
    assert "no database: give --database-url or set ZDMIGRATE_DATABASE_URL" in err


def test_a_second_runner_exits_naming_the_first(target: sa.Engine, tmp_path: Path) -> None:
    path = table_migration(tmp_path, "rn_busy")
    with runner_lock(target, get_dialect("postgresql"), command="run expand", wait_s=0):
        code, out, err = zdmigrate("run", "expand", str(path), "--database-url", url_of(target))
    assert (code, out) == (1, "")
    assert err.startswith("zdmigrate: failed: another zdmigrate runner is working on this database")
    assert "'zdmigrate run expand (pid " in err
    assert "--wait SECONDS" in err


def kill_a_backfill_mid_way(target: sa.Engine, path: Path, rows: int) -> None:
    """Run ``zdmigrate run backfill`` of 0002_backfill at ``path`` in a process of its own, in
    batches of 100 rows, and kill it with SIGKILL once 300 of the ``rows`` are done."""
    command = [sys.executable, "-m", "zdmigrate", "run", "backfill", str(path)]
    command += ["--database-url", url_of(target), "--batch-size", "100"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: current(target, "0002_backfill").rows_done >= 300, "some batches")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    killed = current(target, "0002_backfill")
    assert (killed.phase, killed.status) == ("backfill", "running")
    assert killed.rows_done < rows, "the backfill ended before it was killed"


def test_a_backfill_killed_mid_way_resumes_with_every_row_done_once(
    target: sa.Engine, tmp_path: Path
) -> None:
    rows = 2000
    table_migration(tmp_path, "rn_killed", rows=rows, engine=target)
    with target.begin() as connection:  # slow enough a backfill to be killed half-way
        connection.exec_driver_sql(
            "CREATE FUNCTION rn_slow(v INTEGER) RETURNS INTEGER LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.0002); RETURN v; END $$"
        )
    path = backfill_migration(tmp_path, "rn_killed", expression="rn_slow(y) + 1")
    url = url_of(target)
    assert zdmigrate("run", "expand", str(path), "--database-url", url)[0] == 0

    kill_a_backfill_mid_way(target, path, rows)
    assert scalar(target, "SELECT MAX(touched) FROM rn_killed") == 1

    # The killed session may hold the runner lock until the server notices it is gone.
    code, out, err = zdmigrate("run", "backfill", str(path), "--database-url", url, "--wait", "10")
    assert code == 0, err
    assert out.startswith("0002_backfill backfill: resumed")
    assert scalar(target, "SELECT COUNT(*) FROM rn_killed WHERE x = y + 1 AND touched = 1") == rows
    assert current(target, "0002_backfill").rows_done == rows
