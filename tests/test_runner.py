"""The staged runner on a real PostgreSQL: state, resume, lock timeouts, one runner at a time.

Everything runs in the runner tests' own database, ``zdm_runner``, emptied before each test.
"""

from __future__ import annotations

import logging
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from tests.test_examples import ROOT, App, release_of, releases
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import (
    ChangedMigration,
    ExecutionError,
    PhaseOrderError,
    RunnerBusy,
    UnknownMigration,
)
from zdmigrate.health import migration_reached, readiness
from zdmigrate.migration import Migration
from zdmigrate.reflect import reflect_schema
from zdmigrate.run import state
from zdmigrate.run.lock import runner_lock
from zdmigrate.run.options import RunOptions
from zdmigrate.run.runner import Runner
from zdmigrate.schema import Schema
from zdmigrate.steps import RUN_ORDER, Phase

DATABASE = "zdm_runner"
FAST = RunOptions(batch_size=50, min_batch_size=1, retry_base_ms=20, retry_max_ms=100)

TABLE = """
from sqlalchemy import Column, Integer
from zdmigrate import Migration, ops

migration = Migration(
    id="0001_{table}",
    operations=[
        ops.CreateTable(
            "{table}",
            Column("id", Integer, primary_key=True),
            Column("y", Integer, nullable=False),
            Column("x", Integer),
            Column("touched", Integer, nullable=False, server_default="0"),
        )
    ],
)
"""


@pytest.fixture(scope="session")
def runner_engine(pg_engine: sa.Engine) -> Iterator[sa.Engine]:
    with pg_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        exists = connection.exec_driver_sql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        ).first()
        if not exists:
            connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    engine = sa.create_engine(pg_engine.url.set(database=DATABASE))
    yield engine
    engine.dispose()


def empty(engine: sa.Engine) -> None:
    """Nothing left of an earlier test: its tables, types, functions and the runner state."""
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS zdmigrate CASCADE")
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


@pytest.fixture
def target(runner_engine: sa.Engine) -> sa.Engine:
    empty(runner_engine)
    return runner_engine


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def table_migration(
    folder: Path, table: str, rows: int = 0, engine: sa.Engine | None = None
) -> Path:
    """0001 creating ``table`` (id, y, x, touched), run to the end, with ``rows`` rows."""
    path = write(folder, "0001_table.py", TABLE.format(table=table))
    if engine is not None:
        with Runner(engine, FAST) as runner:
            for phase in RUN_ORDER:
                runner.run(path, phase)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"INSERT INTO {table} (y) SELECT g FROM generate_series(1, {rows}) AS g"
            )
            # Counts the writes to x, to see that no row is transformed twice.
            connection.exec_driver_sql(
                f"""CREATE FUNCTION {table}_count() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.touched := OLD.touched + 1; RETURN NEW; END $$"""
            )
            connection.exec_driver_sql(
                f"CREATE TRIGGER {table}_count BEFORE UPDATE OF x ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_count()"
            )
    return path


def backfill_migration(folder: Path, table: str, expression: str = "y + 1") -> Path:
    return write(
        folder,
        "0002_backfill.py",
        f"""
        from zdmigrate import Migration, ops

        migration = Migration(
            id="0002_backfill", operations=[ops.Backfill("{table}", set={{"x": "{expression}"}})]
        )
        """,
    )


def scalar(engine: sa.Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar()


def with_connection(engine: sa.Engine, call: Callable[[sa.Connection], Any]) -> Any:
    with engine.connect() as connection:
        return call(connection)


def current(engine: sa.Engine, migration_id: str) -> state.MigrationState:
    with engine.connect() as connection:
        found = state.load(connection, migration_id)
    assert found is not None
    return found


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; a generous limit only stops a hung test."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


class Background(threading.Thread):
    """A call in a thread that keeps its result or error for the test to look at."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as exc:
            self.error = exc

    def outcome(self) -> Any:
        self.join(30)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


# --- the shop, release by release --------------------------------------------------------


def runs(version: ModuleType, migrations: list[Migration]) -> list[list[Path]]:
    """The paths of each ``Runner.run`` call of a release: a file at a time, but the
    PostgreSQL-only release in one call after the main folder's last migration, so that it is
    compiled after the main folder's migrations."""
    paths = [Path(str(m.path)) for m in migrations]
    if release_of(version) == "v6":
        return [[ROOT / "0016_order_totals_view.py", *paths]]
    return [[path] for path in paths]


def run_the_examples_release_by_release_and_again(target: sa.Engine, dialect: Dialect) -> Schema:
    """Every release of the shop, phase by phase, both apps writing while both run; then every
    phase again, as no-ops. Returns the schema at the end."""
    orders = 0
    with Runner(target, FAST) as runner:
        old: App | None = None
        for version, migrations in releases(dialect):
            new, release = App(version), release_of(version)
            for phase in RUN_ORDER:
                outcomes = {
                    r.migration: r.outcome
                    for paths in runs(version, migrations)
                    for r in runner.run(paths, phase)
                }
                assert {outcomes[m.id] for m in migrations} == {"done"}
                if phase is Phase.BACKFILL and old is not None:
                    with target.begin() as connection:  # both releases write while both run
                        old.place_order(connection, f"old-{release}")
                        new.place_order(connection, f"new-{release}")
                    orders += 2
            with target.begin() as connection:  # rows for the next release's backfills
                for i in range(3):
                    new.place_order(connection, f"{release}-{i}")
            orders += 3
            old = new
        assert {(s.phase, s.status) for s in runner.status()} == {(Phase.CONTRACT, "done")}

        before = with_connection(target, lambda c: reflect_schema(c, dialect))
        for version, migrations in releases(dialect):
            for paths in runs(version, migrations):
                for phase in RUN_ORDER:
                    assert {r.outcome for r in runner.run(paths, phase)} == {"already done"}
        assert with_connection(target, lambda c: reflect_schema(c, dialect)) == before

    with target.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM order_totals").scalar() == orders
        currencies = connection.exec_driver_sql("SELECT DISTINCT currency FROM orders").all()
        assert currencies == [("EUR",)]
        prices = set(connection.exec_driver_sql("SELECT price FROM products").scalars())
        assert prices <= {Decimal("12.00"), Decimal("12.50")}
    return before


def test_the_examples_run_release_by_release_and_again_as_no_ops(target: sa.Engine) -> None:
    run_the_examples_release_by_release_and_again(target, get_dialect("postgresql"))


# --- resuming --------------------------------------------------------------------------------

UNIQUE_CODES = """
from sqlalchemy import Column, Integer
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_unique",
    operations=[
        ops.AddColumn("rn_codes", Column("note", Integer)),
        ops.CreateIndex("rn_codes_y_key", "rn_codes", ["y"], unique=True),
        ops.AddColumn("rn_codes", Column("extra", Integer)),
    ],
)
"""


def test_a_failed_expand_resumes_at_its_step_and_rebuilds_an_invalid_index(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    table_migration(tmp_path, "rn_codes", rows=10, engine=target)
    path = write(tmp_path, "0002_unique.py", UNIQUE_CODES)
    with target.begin() as connection:
        connection.exec_driver_sql("UPDATE rn_codes SET y = 1 WHERE id <= 2")  # a duplicate
    with Runner(target, FAST) as runner:
        with pytest.raises(ExecutionError, match="could not create unique index"):
            runner.run(path, "expand")
        failed = current(target, "0002_unique")
        assert (failed.phase, failed.status, failed.reached) == (Phase.EXPAND, "failed", None)
        assert "could not create unique index" in str(failed.last_error)
        # The first column committed with its step; the failed build left an invalid index.
        assert failed.steps_done == 2
        valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'rn_codes_y_key'::regclass"
        assert scalar(target, valid) is False

        with target.begin() as connection:
            connection.exec_driver_sql("UPDATE rn_codes SET y = -1 WHERE id = 1")
        caplog.set_level(logging.INFO, "zdmigrate")
        # ADD COLUMN note again would fail: the resumed run starts after it.
        assert [str(r) for r in runner.run(path, "expand")] == ["0002_unique expand: resumed"]
    assert "dropping the invalid index rn_codes_y_key" in caplog.text
    assert scalar(target, valid) is True
    assert scalar(target, "SELECT COUNT(extra) + COUNT(note) FROM rn_codes") == 0
    assert current(target, "0002_unique").reached is Phase.EXPAND


def interrupted(engine: sa.Engine, migration_id: str, phase: Phase, steps_done: int) -> None:
    """The state a runner killed in ``phase`` after ``steps_done`` recorded steps leaves."""
    reached = RUN_ORDER[RUN_ORDER.index(phase) - 1] if phase is not Phase.EXPAND else None
    with engine.begin() as connection:
        connection.execute(
            sa.update(state.migrations)
            .where(state.migrations.c.id == migration_id)
            .values(phase=phase, status="running", reached=reached, steps_done=steps_done)
        )


def test_steps_outside_a_transaction_done_before_an_interruption_count_as_done(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    table_migration(tmp_path, "rn_drops", engine=target)
    built = write(
        tmp_path,
        "0002_index.py",
        """
        from zdmigrate import Migration, ops
        migration = Migration(
            id="0002_index", operations=[ops.CreateIndex("rn_drops_y", "rn_drops", ["y"])]
        )
        """,
    )
    dropped = write(
        tmp_path,
        "0003_drop.py",
        """
        from zdmigrate import Migration, ops
        migration = Migration(id="0003_drop", operations=[ops.DropIndex("rn_drops_y", "rn_drops")])
        """,
    )
    caplog.set_level(logging.INFO, "zdmigrate")
    with Runner(target, FAST) as runner:
        runner.run(built, "expand")
        # Killed after CREATE INDEX CONCURRENTLY (its second step), before recording it.
        interrupted(target, "0002_index", Phase.EXPAND, steps_done=1)
        assert [r.outcome for r in runner.run(built, "expand")] == ["resumed"]
        assert "index rn_drops_y was built already" in caplog.text
        for phase in RUN_ORDER:
            runner.run(tmp_path, phase)
        # Killed after DROP INDEX CONCURRENTLY, before recording it.
        interrupted(target, "0003_drop", Phase.CONTRACT, steps_done=0)
        assert [r.outcome for r in runner.run(dropped, "contract")] == ["resumed"]
    assert "done before the interruption: DROP INDEX CONCURRENTLY" in caplog.text
    assert current(target, "0003_drop").has_reached("contract")


# --- lock timeouts ---------------------------------------------------------------------------

ADD_COLUMN = """
from sqlalchemy import Column, Integer
from zdmigrate import Migration, ops

migration = Migration(id="0002_add", operations=[ops.AddColumn("rn_locked", Column("w", Integer))])
"""


@pytest.mark.parametrize(
    "holding", ["SELECT * FROM rn_locked", "SELECT * FROM rn_locked WHERE id = 1 FOR UPDATE"]
)
def test_ddl_behind_a_long_transaction_retries_without_holding_up_the_apps(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture, holding: str
) -> None:
    table_migration(tmp_path, "rn_locked", rows=5, engine=target)
    path = write(tmp_path, "0002_add.py", ADD_COLUMN)
    options = RunOptions(lock_timeout_ms=200, retry_base_ms=50, retry_max_ms=200)
    expand_behind_a_long_transaction(target, path, holding, options, caplog, retries=6)
    assert "canceling statement due to lock timeout; retry" in caplog.text


def expand_behind_a_long_transaction(
    target: sa.Engine,
    path: Path,
    holding: str,
    options: RunOptions,
    caplog: pytest.LogCaptureFixture,
    *,
    retries: int,
) -> None:
    """Expand 0002_add (a column of rn_locked) while a transaction that ran ``holding`` stays
    open, and an app reads and writes rn_locked until the runner has retried ``retries``
    times; then the transaction ends and expand must finish. Queued behind the waiting ALTER
    TABLE, no app statement may wait longer than the lock timeout (+ 100 ms)."""
    caplog.set_level(logging.INFO, "zdmigrate")
    waits = []
    with target.connect() as long_transaction, Runner(target, options) as runner:
        long_transaction.exec_driver_sql(holding)  # an open transaction holding its lock
        expand = Background(lambda: runner.run(path, "expand"))
        expand.start()
        wait_for(lambda: caplog.text.count("retry") >= 1, "a retry")
        with target.connect() as app:
            while caplog.text.count("retry") < retries:
                # One statement per transaction: on MySQL/MariaDB a transaction that read the
                # table and then writes it, while an ALTER waits for the table's metadata lock,
                # is a deadlock (error 1213) that the server breaks by failing the app. Each is
                # timed on its own: the two can queue behind two attempts of the ALTER.
                for statement in (
                    "SELECT COUNT(*) FROM rn_locked",
                    "INSERT INTO rn_locked (y) VALUES (0)",
                ):
                    started = time.monotonic()
                    app.exec_driver_sql(statement)
                    app.commit()
                    waits.append(time.monotonic() - started)
                time.sleep(0.005)
        assert expand.is_alive(), "expand cannot finish while the transaction holds its lock"
        long_transaction.rollback()
        assert [r.outcome for r in expand.outcome()] == ["done"]
    assert len(waits) > 5
    assert max(waits) < (options.lock_timeout_ms + 100) / 1000, f"app waits: {waits}"
    assert scalar(target, "SELECT COUNT(w) FROM rn_locked") == 0


def test_a_lock_timeout_after_every_retry_fails_the_phase(
    target: sa.Engine, tmp_path: Path
) -> None:
    table_migration(tmp_path, "rn_locked", engine=target)
    path = write(tmp_path, "0002_add.py", ADD_COLUMN)
    options = RunOptions(lock_timeout_ms=50, max_retries=2, retry_base_ms=10)
    with target.connect() as long_transaction, Runner(target, options) as runner:
        long_transaction.exec_driver_sql("SELECT * FROM rn_locked")
        with pytest.raises(ExecutionError, match="lock timeout \\(gave up after 2 retries\\)"):
            runner.run(path, "expand")
        long_transaction.rollback()
        assert current(target, "0002_add").status == "failed"
        assert [r.outcome for r in runner.run(path, "expand")] == ["resumed"]


# --- one runner per database -----------------------------------------------------------------


def test_a_second_runner_names_the_first_or_waits_for_it(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = table_migration(tmp_path, "rn_twice")
    dialect = get_dialect("postgresql")
    caplog.set_level(logging.INFO, "zdmigrate")
    with runner_lock(target, dialect, command="run backfill", wait_s=0):
        pid = scalar(
            target, "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'zdmigrate run%%'"
        )
        with Runner(target) as second, pytest.raises(RunnerBusy) as busy:
            second.run(path, "expand")
        assert f"session {pid} 'zdmigrate run backfill (pid " in str(busy.value)
        assert not with_connection(target, state.load_all), "the refused runner changed nothing"

        patient = Runner(target, RunOptions(wait_for_runner_s=30))
        waiting = Background(lambda: patient.run(path, "expand"))
        waiting.start()
        wait_for(lambda: "waiting for another runner" in caplog.text, "the second runner to wait")
        assert waiting.is_alive()
    assert [r.outcome for r in waiting.outcome()] == ["done"]


# --- pause and resume ------------------------------------------------------------------------


def test_a_paused_backfill_waits_until_resumed(
    target: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    table_migration(tmp_path, "rn_paused", rows=300, engine=target)
    path = backfill_migration(tmp_path, "rn_paused")
    caplog.set_level(logging.INFO, "zdmigrate")
    with Runner(target, FAST) as runner:
        runner.run(path, "expand")
        runner.pause("0002_backfill")
        assert current(target, "0002_backfill").paused
        backfill = Background(lambda: runner.run(path, "backfill"))
        backfill.start()
        wait_for(lambda: "paused; `zdmigrate resume 0002_backfill`" in caplog.text, "the pause")
        assert scalar(target, "SELECT COUNT(x) FROM rn_paused") == 0
        runner.resume("0002_backfill")
        assert [str(r) for r in backfill.outcome()] == ["0002_backfill backfill: done, 300 rows"]
        with pytest.raises(UnknownMigration, match="no migration '0002' has run"):
            runner.pause("0002")
    assert scalar(target, "SELECT COUNT(*) FROM rn_paused WHERE x = y + 1 AND touched = 1") == 300
    finished = current(target, "0002_backfill")
    # The last batch records its step as done, in its own transaction.
    assert (finished.rows_done, finished.steps_done) == (300, 1)


# --- refusals change nothing -----------------------------------------------------------------


def test_phases_out_of_order_are_refused_before_anything_runs(
    target: sa.Engine, tmp_path: Path
) -> None:
    path = table_migration(tmp_path, "rn_order")
    with Runner(target, FAST) as runner:
        with pytest.raises(PhaseOrderError, match="cannot run backfill: expand is not done"):
            runner.run(path, "backfill")
        assert not with_connection(target, state.exists), "not even the state tables were made"
        runner.run(path, "expand")
        with pytest.raises(PhaseOrderError, match="cannot run contract: backfill is not done"):
            runner.run(path, "contract")
        runner.run(path, "backfill")
        runner.run(path, "contract")
        with pytest.raises(PhaseOrderError, match="contract is not reversible"):
            runner.rollback(path)
    assert scalar(target, "SELECT to_regclass('rn_order') IS NOT NULL") is True


def test_a_changed_file_of_an_applied_migration_is_refused(
    target: sa.Engine, tmp_path: Path
) -> None:
    path = table_migration(tmp_path, "rn_changed")
    with Runner(target, FAST) as runner:
        runner.run(path, "expand")
        path.write_text(path.read_text() + "\n# edited\n")
        with pytest.raises(
            ChangedMigration, match=r"0001_table\.py: migration '0001_rn_changed' changed"
        ):
            runner.run(path, "backfill")
        with pytest.raises(ChangedMigration):
            runner.rollback(path)


# --- rollback ----------------------------------------------------------------------------------


def test_a_rollback_undoes_a_backfilled_migration_and_it_can_run_again(
    target: sa.Engine, tmp_path: Path
) -> None:
    table_migration(tmp_path, "rn_back", rows=20, engine=target)
    path = write(
        tmp_path,
        "0002_rename.py",
        """
        from zdmigrate import Migration, ops
        migration = Migration(id="0002_rename", operations=[ops.RenameColumn("rn_back", "y", "z")])
        """,
    )
    with Runner(target, FAST) as runner:
        runner.run(tmp_path, "expand")
        runner.run(tmp_path, "backfill")
        assert [str(r) for r in runner.rollback(tmp_path)] == ["0002_rename rollback: rolled back"]
        rolled = current(target, "0002_rename")
        assert (rolled.status, rolled.reached, rolled.describe()) == (
            "rolled_back",
            None,
            "rolled back",
        )
        assert [r.outcome for r in runner.rollback(path)] == ["nothing to roll back"]
        with pytest.raises(PhaseOrderError, match="expand is not done \\(rolled back\\)"):
            runner.run(path, "backfill")
        for phase in RUN_ORDER:
            assert [r.outcome for r in runner.run(path, phase)] == ["done"]
    assert scalar(target, "SELECT SUM(z) FROM rn_back") == 210


# --- health ----------------------------------------------------------------------------------


def test_health_reports_the_phase_reached(target: sa.Engine, tmp_path: Path) -> None:
    path = table_migration(tmp_path, "rn_health")
    assert readiness(target, {"0001_rn_health": "expand"}) == (
        False,
        "no migration '0001_rn_health' has run on this database",
    )
    with Runner(target) as runner:
        runner.run(path, "expand")
    assert migration_reached(target, "0001_rn_health", "expand")
    assert not migration_reached(target, "0001_rn_health", Phase.BACKFILL)
    assert not migration_reached(target, "0009_unknown", "expand")
    assert readiness(target, {"0001_rn_health": "backfill"}) == (
        False,
        "0001_rn_health has not reached backfill (expand done)",
    )
    assert readiness(target, {"0001_rn_health": "expand"}) == (True, "ready")
    unreachable = "postgresql://app:s3cret@127.0.0.1:1/nowhere"
    ok, reason = readiness(unreachable, {"0001_rn_health": "expand"})
    assert not ok
    assert "app:***@127.0.0.1:1" in reason
    assert "s3cret" not in reason
