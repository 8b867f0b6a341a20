"""``zdmigrate alter`` on a real MariaDB: the strategy chosen for each kind of change, a dry run
that changes nothing, instant and in-place changes run with their algorithm named, and
refusals that are one line, exit 2, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.test_runner_cli import zdmigrate

DATABASE = "zdm_alter"


@pytest.fixture
def url(mysql_engine: sa.Engine) -> Iterator[str]:
    with mysql_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
        connection.exec_driver_sql(
            f"CREATE TABLE {DATABASE}.users (id INTEGER PRIMARY KEY, email VARCHAR(100), "
            "a INTEGER NOT NULL DEFAULT 0)"
        )
        connection.exec_driver_sql(f"INSERT INTO {DATABASE}.users VALUES (1, 'x', 1), (2, 'y', 2)")
    yield mysql_engine.url.set(database=DATABASE).render_as_string(hide_password=False)
    with mysql_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")


def definition(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW CREATE TABLE users").one()[1])
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("spec", "strategy", "sql"),
    [
        ("ADD COLUMN note TEXT", "instant", "ALGORITHM=INSTANT, ADD COLUMN note TEXT"),
        (
            "ADD INDEX ix_email (email)",
            "inplace",
            "ALGORITHM=NOCOPY, LOCK=NONE, ADD INDEX ix_email (email)",
        ),
        ("MODIFY a BIGINT NOT NULL", "shadow", "MODIFY a BIGINT NOT NULL;"),
    ],
)
def test_a_dry_run_names_the_strategy_and_the_sql_and_changes_nothing(
    url: str, spec: str, strategy: str, sql: str
) -> None:
    before = definition(url)
    code, out, err = zdmigrate("alter", "users", spec, "--database-url", url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"users: {strategy} (ALGORITHM=")
    table = "users_zdm_new" if strategy == "shadow" else "users"
    assert f"  ALTER TABLE `{table}` {sql}" in lines
    assert lines[-1].startswith("dry run: nothing changed")
    assert definition(url) == before


def test_instant_and_in_place_changes_run_with_their_algorithm_named(url: str) -> None:
    # A trailing comment cannot hide the algorithm: it comes first. A name qualified by the
    # connection's own database is the bare name.
    for table, spec in (
        ("users", "ADD COLUMN note TEXT -- why"),
        (f"{DATABASE}.users", "ADD INDEX ix_email (email)"),
    ):
        code, out, err = zdmigrate("alter", table, spec, "--database-url", url, "--execute")
        assert code == 0, err
        assert out.splitlines()[-1] == "done"
        assert "  ALTER TABLE `users` ALGORITHM=" in out
    after = definition(url)
    assert "`note` text" in after
    assert "KEY `ix_email` (`email`)" in after


def test_a_forced_in_place_change_names_inplace(url: str) -> None:
    code, out, err = zdmigrate(
        "alter", "users", "ADD COLUMN z INT", "--strategy", "inplace", "--database-url", url
    )
    assert code == 0, err
    assert "  ALTER TABLE `users` ALGORITHM=INPLACE, LOCK=NONE, ADD COLUMN z INT" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "ADD COLUMN x INT", "--execute"], "no table 'nope' in this database"),
        (
            ["users", "ADD INDEX ix_email (email)", "--strategy", "instant", "--execute"],
            "users: the server cannot do it instant: ALGORITHM=NOCOPY",
        ),
        (["users", "ADD COLUMN x INT; DROP TABLE users", "--execute"], "one ALTER TABLE"),
        (
            ["users", "ADD COLUMN x INT, lock=shared", "--execute"],
            "users: leave ALGORITHM= and LOCK= out",
        ),
        (["users", "ADD COLUMN x INT", "--strategy", "fast"], "Invalid value for '--strategy'"),
    ],
)
def test_what_cannot_run_is_one_line_exit_2_and_changes_nothing(
    url: str, args: list[str], message: str
) -> None:
    before = definition(url)
    code, out, err = zdmigrate("alter", *args, "--database-url", url)
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert message in err
    assert definition(url) == before


def test_postgresql_is_refused(pg_engine: sa.Engine) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    code, out, err = zdmigrate("alter", "users", "ADD COLUMN x INT", "--database-url", url)
    assert (code, out) == (2, "")
    assert "zdmigrate alter is for MySQL and MariaDB" in err


def test_a_critical_load_stops_an_alter_before_it_runs(url: str) -> None:
    before = definition(url)
    # Threads_running counts the probing session itself: 1 is always reached.
    code, out, err = zdmigrate(
        "alter",
        "users",
        "ADD COLUMN note TEXT",
        "--execute",
        "--database-url",
        url,
        "--critical-load",
        "Threads_running=1",
    )
    assert (code, out) == (1, "")
    assert "Threads_running is" in err and "--critical-load Threads_running=1" in err
    assert definition(url) == before
