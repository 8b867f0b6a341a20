"""The staged runner on a real MariaDB: the examples end to end with both app versions writing,
state beside the app's tables, metadata-lock waits bounded by ``lock_wait_timeout`` and
retried, one runner per database (``GET_LOCK``), load throttling on ``Threads_running``, and a
backfill killed with SIGKILL that resumes with no row missed and none transformed twice.

Everything runs in the database ``zdm_runner``, dropped and made again before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
import sqlalchemy as sa

from tests.conftest import server_dialect
from tests.test_runner import (
    ADD_COLUMN,
    FAST,
    TABLE,
    backfill_migration,
    current,
    expand_behind_a_long_transaction,
    run_the_examples_release_by_release_and_again,
    scalar,
    with_connection,
    write,
)
from tests.test_runner_cli import check_bad_inputs, kill_a_backfill_mid_way, zdmigrate
from zdmigrate.errors import BadInput, ExecutionError, RunnerBusy
from zdmigrate.run import executor, state
from zdmigrate.run.lock import runner_lock
from zdmigrate.run.options import RunOptions
from zdmigrate.run.runner import Runner
from zdmigrate.run.throttle import CriticalLoad
from zdmigrate.steps import RUN_ORDER, Phase, Step

DATABASE = "zdm_runner"


@pytest.fixture(scope="session")
def mysql_runner_engine(mysql_engine: sa.Engine) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_engine.url.set(database=DATABASE))
    yield engine
    engine.dispose()


@pytest.fixture
def target(mysql_engine: sa.Engine, mysql_runner_engine: sa.Engine) -> sa.Engine:
    mysql_runner_engine.dispose()  # no pooled session keeps the old database open
    with mysql_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    return mysql_runner_engine


def table_with_rows(folder: Path, table: str, engine: sa.Engine, rows: int) -> Path:
    """0001 creating ``table`` (id, y, x, touched), run to the end, with ``rows`` rows, and a
    trigger that counts the writes to x: no row may be transformed twice."""
    path = write(folder, "0001_table.py", TABLE.format(table=table))
    with Runner(engine, FAST) as runner:
        for phase in RUN_ORDER:
            runner.run(path, phase)
    with engine.begin() as connection:
        if rows:
            connection.exec_driver_sql(f"INSERT INTO {table} (y) SELECT seq FROM seq_1_to_{rows}")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_count BEFORE UPDATE ON {table} FOR EACH ROW "
            "IF NOT (NEW.x <=> OLD.x) THEN SET NEW.touched = OLD.touched + 1; END IF"
        )
    return path


def test_the_examples_run_release_by_release_and_again_as_no_ops(target: sa.Engine) -> None:
    schema = run_the_examples_release_by_release_and_again(target, server_dialect(target))
    # The state lives in the app's database, named apart, and is no part of the app's schema.
    assert set(sa.inspect(target).get_table_names()) >= {
        "zdmigrate_migrations",
        "zdmigrate_checkpoints",
    }
    assert not [name for name in schema.tables if name.startswith("zdmigrate")]


def test_ddl_behind_a_long_transaction_retries_without_holding_up_the_apps(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An ALTER waiting for its metadata lock makes every later query on the table queue behind
    it: ``lock_wait_timeout`` (whole seconds on these servers) ends the wait, the runner backs
    off and tries again, and the queries go through in between."""
    table_with_rows(tmp_path, "rn_locked", target, rows=5)
    path = write(tmp_path, "0002_add.py", ADD_COLUMN)
    options = RunOptions(lock_timeout_ms=1000, retry_base_ms=200, retry_max_ms=400)
    holding = "SELECT * FROM rn_locked"  # a metadata lock, to the transaction's end
    expand_behind_a_long_transaction(target, path, holding, options, caplog, retries=4)
    timed_out = "Lock wait timeout exceeded; try restarting transaction (error 1205); retry"
    assert timed_out in caplog.text


def test_a_second_runner_names_the_first(target: sa.Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "0001_table.py", TABLE.format(table="rn_twice"))
    with (
        runner_lock(target, server_dialect(target), command="run backfill", wait_s=0),
        Runner(target) as second,
        pytest.raises(RunnerBusy, match="root@"),
    ):
        second.run(path, "expand")
    assert not with_connection(target, state.exists), "the refused runner changed nothing"
    with Runner(target) as runner:  # the lock went with its session
        assert [r.outcome for r in runner.run(path, "expand")] == ["done"]


def test_a_critical_threads_running_stops_the_backfill_between_batches(
    target: sa.Engine, tmp_path: Path
) -> None:
    table_with_rows(tmp_path, "rn_load", target, rows=100)
    path = backfill_migration(tmp_path, "rn_load")
    with Runner(target, FAST) as runner:
        runner.run(path, "expand")
    # Threads_running counts the probing session itself: 1 is always reached.
    stopping = RunOptions(critical_load={"Threads_running": 1})
    with Runner(target, stopping) as runner, pytest.raises(CriticalLoad, match="Threads_running"):
        runner.run(path, "backfill")
    assert scalar(target, "SELECT COUNT(x) FROM rn_load") == 0
    with Runner(target, RunOptions(max_load={"Threads_running": 1000})) as runner:
        assert [r.outcome for r in runner.run(path, "backfill")] == ["resumed"]
    assert scalar(target, "SELECT COUNT(*) FROM rn_load WHERE x = y + 1 AND touched = 1") == 100


def test_a_backfill_killed_mid_way_resumes_with_every_row_done_once(
    target: sa.Engine, tmp_path: Path
) -> None:
    rows = 2000
    table_with_rows(tmp_path, "rn_killed", target, rows=rows)
    with target.begin() as connection:  # slow enough a backfill to be killed half-way
        connection.exec_driver_sql(
            "CREATE FUNCTION rn_slow(v INTEGER) RETURNS INTEGER NOT DETERMINISTIC "
            "BEGIN DO SLEEP(0.0005); RETURN v; END"
        )
    path = backfill_migration(tmp_path, "rn_killed", expression="rn_slow(y) + 1")
    with Runner(target, FAST) as runner:
        runner.run(path, "expand")
    kill_a_backfill_mid_way(target, path, rows)

    with Runner(target, RunOptions(wait_for_runner_s=10)) as runner:
        assert [r.outcome for r in runner.run(path, "backfill")] == ["resumed"]
    assert scalar(target, "SELECT COUNT(*) FROM rn_killed WHERE x = y + 1 AND touched = 1") == rows
    assert current(target, "0002_backfill").rows_done == rows


def test_replica_lag_is_read_from_the_columns_the_server_reports(target: sa.Engine) -> None:
    dialect = server_dialect(target)
    sql = dialect.replica_lag_sql()
    assert sql is not None
    with target.connect() as connection:
        result = connection.exec_driver_sql(sql)
        columns = set(result.keys())
        row = result.mappings().first()
    # This server replicates from nobody: no row, which reads as "not a replica".
    assert row is None and dialect.replica_lag(None) is None
    behind = {"Seconds_Behind_Master", "Seconds_Behind_Source"} & columns
    assert behind, f"no lag column in {sorted(columns)}"
    (name,) = behind
    assert dialect.replica_lag({name: 3}) == 3000
    assert dialect.replica_lag({name: None}) == float("inf")  # stopped: behind by an unknown


def test_a_replica_url_that_is_not_a_replica_is_refused_before_anything_runs(
    target: sa.Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "0001_table.py", TABLE.format(table="rn_replica"))
    url = target.url.render_as_string(hide_password=False)
    options = RunOptions(max_lag_ms=1000, replica_urls=(url,))
    with Runner(target, options) as runner:
        runner.run(path, "expand")
    backfill = backfill_migration(tmp_path, "rn_replica")
    with Runner(target, FAST) as runner:
        runner.run(backfill, "expand")
    with Runner(target, options) as runner, pytest.raises(BadInput, match="not a replica"):
        runner.run(backfill, "backfill")
    assert current(target, "0002_backfill").reached is Phase.EXPAND


def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    target: sa.Engine, tmp_path: Path
) -> None:
    check_bad_inputs(target, tmp_path, "mysql+pymysql://app:s3cret@127.0.0.1:1/nowhere")
    with_password = target.url.set(password="s3cret").render_as_string(hide_password=False)
    no_database = with_password.rsplit("/", 1)[0] + "/"
    code, out, err = zdmigrate("status", "--database-url", no_database)
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert "root:***@127.0.0.1" in err and "name the database in the URL" in err


def test_the_row_estimate_comes_from_the_catalog(target: sa.Engine, tmp_path: Path) -> None:
    """What a backfill's progress line counts toward, without counting the rows."""
    table_with_rows(tmp_path, "rn_estimate", target, rows=500)
    sql = server_dialect(target).row_estimate_sql()
    assert sql is not None
    with target.connect() as connection:
        connection.exec_driver_sql("ANALYZE TABLE rn_estimate")
        estimate = connection.execute(sa.text(sql), {"schema": None, "name": "rn_estimate"})
        assert 250 <= estimate.scalar_one() <= 1000  # InnoDB samples pages: near, not exact
        other = connection.execute(sa.text(sql), {"schema": DATABASE, "name": "rn_nothing"})
        assert other.first() is None


CHANGE_TYPE = """
from sqlalchemy import BigInteger
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_wider",
    operations=[ops.ChangeColumnType("rn_fence", "y", BigInteger(), up="y", down="y")],
)
"""


@pytest.mark.parametrize("failure", ["error", "lock timeout"])
def test_a_fence_cut_short_resumes_after_its_last_recorded_step(
    target: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """ChangeColumnType's swap renames two columns and makes two triggers under LOCK TABLES;
    DDL commits statement by statement. Cut short after the renames, by an error or by a lock
    timeout that is retried, the run goes on after them instead of renaming again."""
    table_with_rows(tmp_path, "rn_fence", target, rows=20)
    path = write(tmp_path, "0002_wider.py", CHANGE_TYPE)
    with Runner(target, FAST) as runner:
        runner.run(path, "expand")
    real, failed = executor._execute, []

    def once(connection: sa.Connection, step: Step, migration: str) -> None:
        if not failed and step.sql.startswith("CREATE TRIGGER") and "rn_fence" in step.sql:
            failed.append(step.sql)
            code = 1205 if failure == "lock timeout" else 1064
            orig = pymysql.err.OperationalError(code, "injected")
            raise ExecutionError(migration, str(step.phase), step.sql, "injected") from (
                sa.exc.OperationalError(step.sql, {}, orig)
            )
        real(connection, step, migration)

    monkeypatch.setattr(executor, "_execute", once)
    with Runner(target, FAST) as runner:
        if failure == "error":
            with pytest.raises(ExecutionError, match="injected"):
                runner.run(path, "backfill")
            assert current(target, "0002_wider").status == "failed"
            assert [r.outcome for r in runner.run(path, "backfill")] == ["resumed"]
        else:
            assert [r.outcome for r in runner.run(path, "backfill")] == ["done"]
    assert failed, "the injected failure never happened"
    columns = {c["name"]: str(c["type"]) for c in sa.inspect(target).get_columns("rn_fence")}
    assert columns["y"].startswith("BIGINT") and columns["zdm_y_old"].startswith("INTEGER")
    with target.begin() as connection:  # the triggers are back: a write reaches the old column
        connection.exec_driver_sql("INSERT INTO rn_fence (id, y) VALUES (1000, 7)")
    assert scalar(target, "SELECT zdm_y_old FROM rn_fence WHERE id = 1000") == 7
    with Runner(target, FAST) as runner:
        assert [r.outcome for r in runner.run(path, "contract")] == ["done"]


def test_a_second_runner_without_the_process_privilege_names_the_first_by_id(
    target: sa.Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "0001_table.py", TABLE.format(table="rn_plain"))
    with target.connect() as connection:
        connection.exec_driver_sql("DROP USER IF EXISTS 'zdm_plain'@'127.0.0.1'")
        connection.exec_driver_sql("CREATE USER 'zdm_plain'@'127.0.0.1' IDENTIFIED BY 'plain'")
        connection.exec_driver_sql(f"GRANT ALL ON {DATABASE}.* TO 'zdm_plain'@'127.0.0.1'")
    plain = target.url.set(username="zdm_plain", password="plain")
    try:
        with runner_lock(target, server_dialect(target), command="run expand", wait_s=0):
            holder = scalar(target, f"SELECT IS_USED_LOCK('zdmigrate.{DATABASE}')")
            code, out, err = zdmigrate(
                "run", "expand", str(path), "--database-url", plain.render_as_string(False)
            )
        assert (code, out) == (1, "")
        assert f"another zdmigrate runner is working on this database (session {holder})" in err
    finally:
        with target.connect() as connection:
            connection.exec_driver_sql("DROP USER IF EXISTS 'zdm_plain'@'127.0.0.1'")
