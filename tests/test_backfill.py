"""The batched backfill engine, its throttles and what it reports, on PostgreSQL.

Everything runs in the database ``zdm_backfill`` (created if missing) on small tables; no
assertion depends on how long something took.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Integer

from tests.conftest import server_dialect
from tests.lifecycle import compile_ops
from zdmigrate import ops
from zdmigrate.dialects import Dialect
from zdmigrate.errors import BadInput, InvalidOperation
from zdmigrate.run.backfill import BatchSizer, run_backfill
from zdmigrate.run.executor import run_steps
from zdmigrate.run.options import RunOptions
from zdmigrate.run.progress import Progress
from zdmigrate.run.state import BATCH_CONNECTION
from zdmigrate.run.throttle import CriticalLoad
from zdmigrate.steps import BatchedUpdate, Phase

DATABASE = "zdm_backfill"

DOUBLE_V = (("w", "v * 2"),)
NOT_DOUBLED = "w IS DISTINCT FROM v * 2"


@pytest.fixture(scope="module")
def engine(pg_engine: sa.Engine) -> Iterator[sa.Engine]:
    admin = pg_engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.exec_driver_sql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        ).first()
        if exists is None:
            connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    engine = sa.create_engine(pg_engine.url.set(database=DATABASE))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def dialect(engine: sa.Engine) -> Dialect:
    return server_dialect(engine)


def make_table(engine: sa.Engine, name: str, rows: int, *extra: str) -> BatchedUpdate:
    """``name`` (id, v, w) with ``rows`` rows whose w is NULL; the update that sets w = 2v."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name} CASCADE")
        connection.exec_driver_sql(
            f"CREATE TABLE {name} (id integer PRIMARY KEY, v integer NOT NULL, w integer)"
        )
        connection.exec_driver_sql(
            f"INSERT INTO {name} (id, v) SELECT g, mod(g, 97) FROM generate_series(1, {rows}) g"
        )
        for sql in extra:
            connection.exec_driver_sql(sql)
    return BatchedUpdate(name, ("id",), DOUBLE_V, NOT_DOUBLED)


def make_pairs_table(engine: sa.Engine, name: str, b_type: str, rows: str) -> BatchedUpdate:
    """``name`` (a, b, v, w) keyed by (a, b), filled by the SELECT ``rows`` of (a, b, v) with w
    NULL; the update that sets w = 2v."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        connection.exec_driver_sql(
            f"CREATE TABLE {name} (a integer, b {b_type}, v integer NOT NULL, w integer, "
            "PRIMARY KEY (a, b))"
        )
        connection.exec_driver_sql(f"INSERT INTO {name} (a, b, v) {rows}")
    return BatchedUpdate(name, ("a", "b"), DOUBLE_V, NOT_DOUBLED)


def doubled_ids(engine: sa.Engine, table: str) -> list[int]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT id FROM {table} WHERE w = v * 2 ORDER BY id"
        ).scalars()
        return list(rows)


def backfill(
    engine: sa.Engine,
    dialect: Dialect,
    update: BatchedUpdate,
    *,
    resume_after: tuple[Any, ...] | None = None,
    on_checkpoint: Callable[[tuple[Any, ...] | None, int], None] = lambda key, rows: None,
    is_paused: Callable[[], bool] = lambda: False,
    **options: Any,
) -> int:
    options.setdefault("log_format", "json")
    options.setdefault("batch_size", 10)
    options.setdefault("min_batch_size", min(10, options["batch_size"]))
    return run_backfill(
        engine,
        dialect,
        update,
        options=RunOptions(**options),
        resume_after=resume_after,
        on_checkpoint=on_checkpoint,
        is_paused=is_paused,
        label=f"test {update.table}",
    )


def events(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON log lines the backfill wrote on stderr; every line must be one."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def throttles(log: list[dict[str, Any]]) -> list[str | None]:
    return [e["reason"] for e in log if e["event"] == "throttle"]


# --- the walk ------------------------------------------------------------------------------


def test_every_row_is_done_once_in_key_order_with_a_checkpoint_per_batch(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    update = make_table(engine, "bf_walk", 95)
    checkpoints: list[tuple[tuple[Any, ...] | None, int]] = []
    changed = backfill(
        engine, dialect, update, on_checkpoint=lambda key, rows: checkpoints.append((key, rows))
    )
    assert changed == 95
    assert doubled_ids(engine, "bf_walk") == list(range(1, 96))
    keys = [key for key, _ in checkpoints]
    assert keys[-1] is None
    assert keys[:-1] == sorted(keys[:-1], key=lambda k: k or ())
    assert sum(rows for _, rows in checkpoints) == 95
    log = events(capsys)
    assert all({"time", "level", "logger", "message", "event", "label"} <= set(e) for e in log)
    batches = [e for e in log if e["event"] == "batch"]
    assert len(batches) == len(checkpoints)
    (done,) = [e for e in log if e["event"] == "done"]
    assert done["rows_changed"] == 95
    assert done["batches"] == len(checkpoints)


def test_composite_keys_are_walked_as_row_values(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_pairs_table(
        engine,
        "bf_pairs",
        "text",
        "SELECT a, 'k' || lpad(b::text, 2, '0'), a * 100 + b "
        "FROM generate_series(1, 7) a, generate_series(1, 13) b",
    )
    keys: list[tuple[Any, ...] | None] = []
    assert backfill(engine, dialect, update, on_checkpoint=lambda k, r: keys.append(k)) == 91
    with engine.connect() as connection:
        wrong = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM bf_pairs WHERE w IS DISTINCT FROM v * 2"
        ).scalar()
    assert wrong == 0
    assert keys[0] == (1, "k10")


def test_resuming_does_exactly_the_rows_after_the_checkpoint(
    engine: sa.Engine, dialect: Dialect
) -> None:
    update = make_table(engine, "bf_resume", 100)
    assert backfill(engine, dialect, update, resume_after=(40,)) == 60
    assert doubled_ids(engine, "bf_resume") == list(range(41, 101))


def test_resuming_a_composite_key_mid_table(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_pairs_table(
        engine,
        "bf_pairs_resume",
        "integer",
        "SELECT a, b, a + b FROM generate_series(1, 5) a, generate_series(1, 5) b",
    )
    assert backfill(engine, dialect, update, resume_after=(3, 2), batch_size=4) == 13
    with engine.connect() as connection:
        done = connection.exec_driver_sql(
            "SELECT a, b FROM bf_pairs_resume WHERE w = v * 2 ORDER BY a, b"
        ).all()
    assert [tuple(r) for r in done] == [(a, b) for a in range(1, 6) for b in range(1, 6)][12:]


def test_a_checkpoint_that_fails_takes_its_batch_with_it(
    engine: sa.Engine, dialect: Dialect
) -> None:
    update = make_table(engine, "bf_exactly_once", 30)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bf_marks")
        connection.exec_driver_sql("CREATE TABLE bf_marks (upto integer)")

    def checkpoint(key: tuple[Any, ...] | None, rows: int) -> None:
        batch = BATCH_CONNECTION.get()
        assert batch is not None
        batch.exec_driver_sql(f"INSERT INTO bf_marks VALUES ({key[0] if key else 'NULL'})")
        if key == (20,):
            raise RuntimeError("the store is gone")

    with pytest.raises(RuntimeError):
        backfill(engine, dialect, update, on_checkpoint=checkpoint, max_batch_size=10)
    assert doubled_ids(engine, "bf_exactly_once") == list(range(1, 11))
    with engine.connect() as connection:
        marks = connection.exec_driver_sql("SELECT upto FROM bf_marks").scalars().all()
    assert marks == [10]


def test_an_empty_table_gets_one_final_checkpoint(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_table(engine, "bf_empty", 0)
    checkpoints: list[tuple[tuple[Any, ...] | None, int]] = []
    changed = backfill(
        engine, dialect, update, on_checkpoint=lambda key, rows: checkpoints.append((key, rows))
    )
    assert (changed, checkpoints) == (0, [(None, 0)])


def test_a_table_without_a_key_is_refused_when_compiled() -> None:
    keyless = ops.CreateTable("bf_keyless", Column("v", Integer))
    with pytest.raises(InvalidOperation, match="bf_keyless"):
        compile_ops("postgresql", [keyless], [ops.Backfill("bf_keyless", set={"v": "1"})])


def test_the_walk_ends_under_a_steady_insert_load_and_every_row_is_right(
    engine: sa.Engine, dialect: Dialect
) -> None:
    """The old app inserts rows all along; the sync trigger fills them, and the walk stops at
    the key that was last when it started, so it changes exactly the rows there were."""
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bf_busy CASCADE")
    setup = ops.CreateTable(
        "bf_busy", Column("id", Integer, primary_key=True), Column("amount", Integer)
    )
    change = ops.ChangeColumnType(
        "bf_busy", "amount", BigInteger(), up="amount::bigint", down="amount::integer"
    )
    compiled = compile_ops(dialect, [], [setup])
    run_steps(engine, dialect, compiled.phase(Phase.EXPAND), migration="setup")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO bf_busy SELECT g, g * 3 FROM generate_series(1, 2000) g"
        )
    compiled = compile_ops(dialect, [setup], [change])
    run_steps(engine, dialect, compiled.phase(Phase.EXPAND), migration="m")
    (update,) = [s.statement.batched for s in compiled.phase(Phase.BACKFILL) if s.statement.batched]
    stop = threading.Event()
    inserted = 0

    def old_app() -> None:
        nonlocal inserted
        with engine.connect() as connection:
            while not stop.is_set():
                with connection.begin():
                    connection.exec_driver_sql(
                        f"INSERT INTO bf_busy (id, amount) VALUES ({2001 + inserted}, 5)"
                    )
                inserted += 1

    app = threading.Thread(target=old_app)
    app.start()
    try:
        while inserted < 50:  # the load is under way before the backfill starts
            time.sleep(0.01)
        changed = backfill(engine, dialect, update)
    finally:
        stop.set()
        app.join()
    with engine.connect() as connection:
        wrong, total = connection.exec_driver_sql(
            "SELECT COUNT(*) FILTER (WHERE zdm_amount_new IS DISTINCT FROM amount), COUNT(*) "
            "FROM bf_busy"
        ).one()
    assert changed == 2000
    assert (wrong, total) == (0, 2000 + inserted)


def test_rows_past_the_last_key_at_the_start_are_left_to_the_triggers(
    engine: sa.Engine, dialect: Dialect
) -> None:
    update = make_table(engine, "bf_end", 25)

    def insert_past_the_end(key: tuple[Any, ...] | None, rows: int) -> None:
        if key == (10,):
            batch = BATCH_CONNECTION.get()
            assert batch is not None
            batch.exec_driver_sql(
                "INSERT INTO bf_end (id, v) SELECT g, 1 FROM generate_series(26, 40) g"
            )

    changed = backfill(
        engine, dialect, update, on_checkpoint=insert_past_the_end, max_batch_size=10
    )
    assert changed == 25
    assert doubled_ids(engine, "bf_end") == list(range(1, 26))


# --- retries -------------------------------------------------------------------------------


def hold_row_lock(engine: sa.Engine, table: str, key: int, seconds: float) -> threading.Thread:
    """A transaction that locks one row for ``seconds``; returns once the lock is taken."""
    taken = threading.Event()

    def hold() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT 1 FROM {table} WHERE id = {key} FOR UPDATE")
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait()
    return thread


def test_a_batch_that_times_out_on_a_row_lock_is_retried(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    update = make_table(engine, "bf_locked", 40)
    holder = hold_row_lock(engine, "bf_locked", 25, seconds=0.6)
    try:
        changed = backfill(
            engine, dialect, update, lock_timeout_ms=50, retry_base_ms=20, retry_max_ms=100
        )
    finally:
        holder.join()
    assert changed == 40
    assert doubled_ids(engine, "bf_locked") == list(range(1, 41))
    retries = [e for e in events(capsys) if e["event"] == "retry"]
    assert retries
    assert {e["code"] for e in retries} == {"55P03"}


def test_retries_are_bounded(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_table(engine, "bf_stuck", 20)
    holder = hold_row_lock(engine, "bf_stuck", 5, seconds=1.0)
    try:
        with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
            backfill(engine, dialect, update, lock_timeout_ms=20, max_retries=2, retry_base_ms=1)
    finally:
        holder.join()
    assert doubled_ids(engine, "bf_stuck") == []


# --- batch size ----------------------------------------------------------------------------


def batch_sizes(log: list[dict[str, Any]]) -> list[int]:
    return [e["batch_size"] for e in log if e["event"] == "batch"]


def test_batches_grow_while_they_are_fast(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    update = make_table(engine, "bf_fast", 3000)
    backfill(engine, dialect, update, batch_size=10, max_batch_size=1000, target_batch_ms=200)
    sizes = batch_sizes(events(capsys))
    assert sizes[0] == 10
    assert max(sizes) > 100


def test_batches_shrink_while_they_are_slow(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = (
        "CREATE FUNCTION bf_slow_row() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$",
        "CREATE TRIGGER bf_slow BEFORE UPDATE ON bf_slow FOR EACH ROW EXECUTE FUNCTION "
        "bf_slow_row()",
    )
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS bf_slow_row() CASCADE")
    update = make_table(engine, "bf_slow", 300, *slow)
    backfill(engine, dialect, update, batch_size=100, min_batch_size=5, target_batch_ms=20)
    sizes = batch_sizes(events(capsys))
    assert sizes[0] == 100
    assert min(sizes) < 100
    assert doubled_ids(engine, "bf_slow") == list(range(1, 301))


def test_the_batch_size_moves_toward_the_target_within_bounds() -> None:
    sizer = BatchSizer(size=1000, smallest=100, largest=3000, target_seconds=0.2)
    sizer.measured(0.1)
    assert sizer.size == 2000
    sizer.measured(0.001)  # never more than doubled at once, never past the largest
    assert sizer.size == 3000
    sizer.measured(0.4)
    assert sizer.size == 1500
    sizer.measured(10.0)  # never more than halved at once
    assert sizer.size == 750
    sizer.contended()
    sizer.contended()
    sizer.contended()
    assert sizer.size == 100


# --- throttling ----------------------------------------------------------------------------


def test_sleep_ratio_rests_after_each_batch(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    update = make_table(engine, "bf_rest", 30)
    metrics = tmp_path / "backfill.prom"
    backfill(engine, dialect, update, sleep_ratio=1.0, metrics_file=metrics)
    assert "sleep_ratio" in throttles(events(capsys))
    assert 'reason="sleep_ratio"} ' in metrics.read_text()


def test_the_pause_flag_file_holds_the_backfill_until_it_is_gone(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    update = make_table(engine, "bf_flag", 30)
    flag = tmp_path / "pause"
    flag.touch()
    remover = threading.Timer(0.5, flag.unlink)
    remover.start()
    try:
        changed = backfill(engine, dialect, update, pause_flag_file=flag)
    finally:
        remover.join()
    assert changed == 30
    assert throttles(events(capsys)) == ["pause_flag_file", None]


def test_is_paused_holds_the_backfill_between_batches(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    update = make_table(engine, "bf_paused", 30)
    answers = iter([False, True, True, True])
    changed = backfill(engine, dialect, update, is_paused=lambda: next(answers, False))
    log = events(capsys)
    assert changed == 30
    assert throttles(log) == ["paused", None]
    first_pause = next(i for i, e in enumerate(log) if e["event"] == "throttle")
    assert [e["event"] for e in log[:first_pause]] == ["batch"]


@pytest.fixture
def busy_backends(engine: sa.Engine) -> Iterator[Callable[[int, float], None]]:
    """Start ``n`` sessions each running a query for ``seconds``: active backends."""
    threads: list[threading.Thread] = []

    def start(n: int, seconds: float) -> None:
        started = threading.Barrier(n + 1)

        def sleeper() -> None:
            with engine.connect() as connection:
                started.wait()
                connection.exec_driver_sql(f"SELECT pg_sleep({seconds})")

        for _ in range(n):
            threads.append(threading.Thread(target=sleeper))
            threads[-1].start()
        started.wait()
        time.sleep(0.1)  # the queries are sent

    yield start
    for thread in threads:
        thread.join()


def test_max_load_waits_until_the_load_is_below_it(
    engine: sa.Engine,
    dialect: Dialect,
    capsys: pytest.CaptureFixture[str],
    busy_backends: Callable[[int, float], None],
) -> None:
    update = make_table(engine, "bf_load", 30)
    busy_backends(3, 1.0)
    changed = backfill(engine, dialect, update, max_load={"active_backends": 3})
    log = events(capsys)
    assert changed == 30
    assert throttles(log)[:2] == ["max_load", None]
    holding = next(e for e in log if e["event"] == "throttle" and e["reason"] == "max_load")
    assert "active_backends" in holding["detail"]


def test_critical_load_stops_the_backfill_before_its_next_batch(
    engine: sa.Engine, dialect: Dialect, busy_backends: Callable[[int, float], None]
) -> None:
    update = make_table(engine, "bf_critical", 30)
    busy_backends(2, 1.0)
    with pytest.raises(CriticalLoad, match="active_backends") as stopped:
        backfill(engine, dialect, update, critical_load={"active_backends": 2})
    assert stopped.value.limit == 2
    assert doubled_ids(engine, "bf_critical") == []


def test_an_unknown_load_metric_is_bad_input(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_table(engine, "bf_unknown_metric", 5)
    with pytest.raises(BadInput, match="Threads_running"):
        backfill(engine, dialect, update, max_load={"Threads_running": 10})
    assert doubled_ids(engine, "bf_unknown_metric") == []


def test_a_replica_url_that_is_no_replica_is_bad_input(engine: sa.Engine, dialect: Dialect) -> None:
    update = make_table(engine, "bf_not_replica", 5)
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(BadInput, match="not a replica"):
        backfill(engine, dialect, update, max_lag_ms=1000, replica_urls=(url,))


def test_max_lag_on_a_primary_without_replicas_does_not_wait(
    engine: sa.Engine, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    update = make_table(engine, "bf_no_replicas", 20)
    assert backfill(engine, dialect, update, max_lag_ms=1) == 20
    assert throttles(events(capsys)) == []


# --- what the batches write ----------------------------------------------------------------


def test_restated_columns_wake_no_trigger_and_skip_what_cannot_be_set(
    engine: sa.Engine, dialect: Dialect
) -> None:
    """Indexed columns are set to themselves, but not one a trigger watches by name (UPDATE
    OF), nor an identity or a generated column, which cannot be set."""
    update = make_table(
        engine,
        "bf_restate",
        50,
        "ALTER TABLE bf_restate ADD COLUMN c integer, ADD COLUMN d integer",
        "ALTER TABLE bf_restate ADD COLUMN n integer GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE bf_restate ADD COLUMN g integer GENERATED ALWAYS AS (v + 1) STORED",
        "CREATE INDEX ON bf_restate (c)",
        "CREATE INDEX ON bf_restate (d, n)",
        "CREATE INDEX ON bf_restate ((g * 2))",
        "CREATE TABLE IF NOT EXISTS bf_restate_fired (n integer)",
        "TRUNCATE bf_restate_fired",
        "CREATE OR REPLACE FUNCTION bf_restate_fire() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO bf_restate_fired VALUES (NEW.id); RETURN NEW; END $$",
        "CREATE TRIGGER bf_restate_on_c BEFORE UPDATE OF c ON bf_restate FOR EACH ROW "
        "EXECUTE FUNCTION bf_restate_fire()",
    )
    assert backfill(engine, dialect, update) == 50
    with engine.connect() as connection:
        fired = connection.exec_driver_sql("SELECT COUNT(*) FROM bf_restate_fired").scalar()
        restated = connection.execute(
            sa.text(dialect.restated_columns_sql() or "SELECT NULL AS name WHERE false"),
            {"table": "bf_restate"},
        ).scalars()
        names = set(restated)
    assert fired == 0
    assert doubled_ids(engine, "bf_restate") == list(range(1, 51))
    if dialect.version >= (14,):
        assert names == {"id", "d"}


# --- metrics -------------------------------------------------------------------------------


def test_the_metrics_file_holds_the_counters_in_prometheus_text(
    engine: sa.Engine, dialect: Dialect, tmp_path: Path
) -> None:
    update = make_table(engine, "bf_metrics", 35)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE bf_metrics")
    metrics = tmp_path / "backfill.prom"
    run_backfill(
        engine,
        dialect,
        update,
        options=RunOptions(
            batch_size=10, min_batch_size=10, max_batch_size=10, metrics_file=metrics
        ),
        resume_after=None,
        on_checkpoint=lambda key, rows: None,
        is_paused=lambda: False,
        label='m "1"',
    )
    samples = {}
    for line in metrics.read_text().splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    label = 'backfill="m \\"1\\""'
    assert samples[f"zdmigrate_backfill_rows_done{{{label}}}"] == 35
    assert samples[f"zdmigrate_backfill_rows_changed{{{label}}}"] == 35
    assert samples[f"zdmigrate_backfill_rows_total{{{label}}}"] == 35
    assert samples[f"zdmigrate_backfill_batches{{{label}}}"] == 4
    assert samples[f"zdmigrate_backfill_batch_size{{{label}}}"] == 10
    assert samples[f"zdmigrate_backfill_retries{{{label}}}"] == 0
    assert samples[f"zdmigrate_backfill_done{{{label}}}"] == 1
    assert samples[f"zdmigrate_backfill_batch_seconds{{{label}}}"] > 0
    assert "# TYPE zdmigrate_backfill_throttled_seconds counter" in metrics.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["backfill.prom"]


def test_the_progress_line_shows_done_total_rate_time_left_and_why_it_waits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = Progress("0003 backfill", RunOptions(progress=True), rows_total=1000)
    progress.started -= 2.0  # two seconds in
    progress.batch(rows_walked=250, rows_changed=240, size=250, seconds=0.2)
    progress.throttle("replica_lag", "replica db2 lags 1,500 ms, over --max-lag-ms 1000")
    line = progress.line(progress.started + 2.0)
    assert "[######..................]  25%" in line
    assert "250/1,000 rows" in line
    assert "125 rows/s" in line
    assert "ETA 0:00:06" in line
    assert line.endswith("waiting: replica db2 lags 1,500 ms, over --max-lag-ms 1000")
    progress.throttle(None, "going on")
    assert "waiting" not in progress.line(progress.started + 2.0)
    progress.close()
    assert "\r" in capsys.readouterr().err
