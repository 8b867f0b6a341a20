"""Shadow-table copies on a real MariaDB (``zdmigrate alter --strategy shadow``,
``ops.AlterTable``): the copy equals the original however the apps write during it, survives
kill -9, waits out a long transaction at the swap without holding the apps up, stops rather
than lose data, copies every column type family, and refuses what it cannot copy safely."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.test_runner_cli import zdmigrate
from zdmigrate.dialects.mysql_shadow import ShadowSQL, shadow_name
from zdmigrate.run.options import RunOptions
from zdmigrate.run.runner import Runner

DATABASE = "zdm_shadow"
CHANGE = "MODIFY a BIGINT NOT NULL, ADD COLUMN g INT NOT NULL DEFAULT 0"
LOCK_WAIT_S = 1.0
"""The swap's lock wait: MySQL's lock_wait_timeout is in whole seconds."""


@pytest.fixture
def url(mysql_engine: sa.Engine) -> Iterator[str]:
    with mysql_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    yield mysql_engine.url.set(database=DATABASE).render_as_string(hide_password=False)
    with mysql_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def seed(engine: sa.Engine, rows: int, *, twin: bool = True, auto_increment: bool = True) -> None:
    """``t`` and, with ``twin``, ``t_ref``: the same rows; the apps write both alike."""
    increment = " AUTO_INCREMENT" if auto_increment else ""
    for name in ("t", "t_ref") if twin else ("t",):
        execute(
            engine,
            f"CREATE TABLE {name} (id BIGINT{increment} PRIMARY KEY, a INT NOT NULL, "
            "b VARCHAR(64) NOT NULL, note VARCHAR(60))",
            f"INSERT INTO {name} (id, a, b, note) SELECT seq, seq, CONCAT('b', seq), "
            f"IF(seq % 7 = 0, NULL, REPEAT('n', seq % 50)) FROM seq_1_to_{rows}",
        )


def execute(engine: sa.Engine, *statements: str) -> None:
    with engine.connect() as connection:
        for sql in statements:
            connection.exec_driver_sql(sql, execution_options={"no_parameters": True})


def scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar()


def differences(engine: sa.Engine, table: str = "t", reference: str = "t_ref") -> int:
    """Rows of either table with no equal row in the other, the original columns compared."""
    same = "n.id = r.id AND n.a = r.a AND n.b = r.b AND n.note <=> r.note"
    missing = scalar(
        engine,
        f"SELECT COUNT(*) FROM {reference} r LEFT JOIN {table} n ON {same} WHERE n.id IS NULL",
    )
    extra = scalar(
        engine,
        f"SELECT COUNT(*) FROM {table} n LEFT JOIN {reference} r ON {same} WHERE r.id IS NULL",
    )
    return int(str(missing)) + int(str(extra))


@dataclass
class Apps:
    """App connections writing ``t`` and its twin ``t_ref`` alike, each write one transaction
    on both: inserts, updates of ``a``, updates that move the key, deletes."""

    engine: sa.Engine
    workers: int = 2
    explicit_ids: bool = False
    """Inserts give the key (a table with no AUTO_INCREMENT)."""
    second_row: bool = False
    """Each transaction also updates another row: two writes through the triggers."""
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    writes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Apps:
        for number in range(self.workers):
            thread = threading.Thread(target=self._loop, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _loop(self, number: int) -> None:
        rng = random.Random(number)
        moved = -10_000_000 * (number + 1)  # below the auto-increment, which they would raise
        fresh = 10_000_000 * (number + 1)
        with self.engine.connect() as connection:
            top = int(str(connection.exec_driver_sql("SELECT MAX(id) FROM t").scalar()))
            while not self._stop.is_set():
                kind = rng.random()
                row = rng.randint(1, top)
                write: tuple[str, tuple[object, ...]]
                if kind < 0.3 and self.explicit_ids:
                    fresh += 1
                    write = ("INSERT INTO {} (id, a, b, note) VALUES (%s, %s, %s, %s)",
                             (fresh, row, "new", "n"))  # fmt: skip
                elif kind < 0.3:
                    write = ("INSERT INTO {} (a, b, note) VALUES (%s, %s, %s)", (row, "new", "n"))
                elif kind < 0.7:
                    write = ("UPDATE {} SET a = a + 1, note = %s WHERE id = %s", ("u", row))
                elif kind < 0.85:
                    moved -= 1
                    write = ("UPDATE {} SET id = %s WHERE id = %s", (moved, row))
                else:
                    write = ("DELETE FROM {} WHERE id = %s", (row,))
                started = time.monotonic()
                try:
                    self._write(connection, write)
                except sa.exc.DBAPIError as exc:
                    self.errors.append(str(exc.orig))
                    connection.rollback()
                self.latencies.append(time.monotonic() - started)
                time.sleep(0.002)

    def _write(self, connection: sa.Connection, write: tuple[str, tuple[object, ...]]) -> None:
        sql, values = write
        connection.exec_driver_sql("BEGIN")
        result = connection.exec_driver_sql(sql.format("t"), values)
        if sql.startswith("INSERT") and not self.explicit_ids:
            sql = "INSERT INTO {} (id, a, b, note) VALUES (%s, %s, %s, %s)"
            values = (result.lastrowid, *values)
        connection.exec_driver_sql(sql.format("t_ref"), values)
        if self.second_row:
            row = random.randint(1, 100_000)
            for table in ("t", "t_ref"):
                connection.exec_driver_sql(f"UPDATE {table} SET note = 's' WHERE id = %s", (row,))
        connection.exec_driver_sql("COMMIT")
        self.writes += 1


def slow(**options: object) -> RunOptions:
    """Small chunks and rests between them: a copy long enough for the apps to write into."""
    given: dict[str, object] = {
        "batch_size": 200,
        "min_batch_size": 200,
        "max_batch_size": 200,
        "sleep_ratio": 3.0,
        "lock_timeout_ms": 1000,
    }
    return RunOptions(**(given | options))  # type: ignore[arg-type]


@pytest.mark.parametrize("auto_increment", [True, False], ids=["auto-increment", "given-keys"])
def test_the_copy_equals_the_original_under_inserts_updates_key_moves_and_deletes(
    url: str, engine: sa.Engine, auto_increment: bool
) -> None:
    """Keys from an AUTO_INCREMENT column, or given by the apps' inserts."""
    seed(engine, 20_000, auto_increment=auto_increment)
    explicit = not auto_increment
    with Apps(engine, explicit_ids=explicit) as apps, Runner(url, slow()) as runner:
        time.sleep(0.3)
        planned = runner.alter("t", CHANGE, strategy="shadow", execute=True)
        time.sleep(0.3)  # writes after the swap land in the new table
    assert planned.copy is not None
    assert apps.writes > 200, "the apps hardly wrote during the copy"
    assert apps.errors == []
    assert max(apps.latencies) < LOCK_WAIT_S + 0.1
    assert differences(engine) == 0
    definition = str(scalar(engine, "SELECT COLUMN_TYPE FROM information_schema.COLUMNS "
                             f"WHERE TABLE_SCHEMA = '{DATABASE}' AND TABLE_NAME = 't' "
                             "AND COLUMN_NAME = 'a'"))  # fmt: skip
    assert definition.startswith("bigint")
    assert scalar(engine, "SELECT COUNT(*) FROM t WHERE g <> 0") == 0
    # The original is kept, with no trigger left on it; the shadow table is gone.
    tables = {r[0] for r in _tables(engine)}
    assert {"t", "t_ref", "t_zdm_old"} <= tables and "t_zdm_new" not in tables
    assert scalar(engine, "SELECT COUNT(*) FROM information_schema.TRIGGERS "
                          f"WHERE TRIGGER_SCHEMA = '{DATABASE}'") == 0  # fmt: skip


@pytest.mark.parametrize("read_committed", [True, False], ids=["read-committed", "repeatable"])
def test_apps_writing_two_rows_a_transaction_meet_no_deadlock(
    url: str, engine: sa.Engine, read_committed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk never waits for an app's row while holding what the app's next write needs:
    its boundary read gives way to a locked row (NOWAIT, then the chunk again), and the
    triggers' deletes hold no gap of the shadow table. Both deadlocked apps before (1 to 5
    of 1,300 writes in a run of this, in about a third of the runs). At REPEATABLE READ (a
    server that binlogs statements as text) the chunk's insert locks its rows again."""
    locking: list[bool] = []
    copy_chunk_sql = ShadowSQL.copy_chunk_sql

    def spy(self: ShadowSQL, *args: Any, **kwargs: Any) -> str:
        locking.append(kwargs["locking"])
        return copy_chunk_sql(self, *args, **kwargs)

    monkeypatch.setattr(ShadowSQL, "copy_chunk_sql", spy)
    if not read_committed:
        monkeypatch.setattr(ShadowSQL, "reads_committed_sql", lambda self: "SELECT 0")
    seed(engine, 100_000)
    with Apps(engine, workers=6, second_row=True) as apps, Runner(url, RunOptions()) as runner:
        time.sleep(0.2)
        runner.alter("t", CHANGE, strategy="shadow", execute=True)
        time.sleep(0.2)
    assert apps.writes > 300, "the apps hardly wrote during the copy"
    assert apps.errors == []
    assert differences(engine) == 0
    assert locking and set(locking) == {not read_committed}


def _tables(engine: sa.Engine) -> list[tuple[str]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql("SHOW TABLES").all()]


def test_a_composite_key_and_contract_dropping_the_original(url: str, engine: sa.Engine) -> None:
    execute(
        engine,
        "CREATE TABLE t (tenant INT NOT NULL, id INT NOT NULL, a INT NOT NULL, "
        "PRIMARY KEY (tenant, id))",
        "INSERT INTO t SELECT seq % 5, seq, seq FROM seq_1_to_5000",
        "CREATE TABLE t_ref AS SELECT * FROM t",
    )
    with Runner(url, slow(sleep_ratio=0.0)) as runner:
        runner.alter("t", "MODIFY a BIGINT NOT NULL", strategy="shadow", execute=True,
                     drop_old_table=True)  # fmt: skip
    assert scalar(engine, "SELECT COUNT(*) FROM t JOIN t_ref USING (tenant, id, a)") == 5000
    assert scalar(engine, "SELECT COUNT(*) FROM t") == 5000
    assert "t_zdm_old" not in {r[0] for r in _tables(engine)}


@pytest.mark.parametrize(
    ("rows", "pace"),
    [(20_000, ["--sleep-ratio", "10"]), (200_000, [])],
    ids=["each-chunk-locks-its-rows", "rows-locked-ahead"],
)
def test_killed_mid_copy_it_resumes_from_its_checkpoint(
    url: str, engine: sa.Engine, rows: int, pace: list[str]
) -> None:
    """With rests between chunks each chunk locks its own rows; without, the next chunk's
    are locked ahead on connections of their own, whose locks die with the process."""
    seed(engine, rows)
    kill_an_alter_when(
        url,
        ["--batch-size", "100", "--target-batch-ms", "1", *pace],
        lambda: _rows_done(engine) >= 2000,
    )
    killed_at = _rows_done(engine)
    assert killed_at < rows
    execute(
        engine, "UPDATE t SET a = a + 1 WHERE id <= 10", "UPDATE t_ref SET a = a + 1 WHERE id <= 10"
    )

    code, out, err = zdmigrate("alter", "t", CHANGE, "--strategy", "shadow", "--execute",
                               "--database-url", url, "--wait", "10")  # fmt: skip
    assert code == 0, err
    assert "resuming after key" in err
    assert out.splitlines()[-1] == "done; the original is kept as t_zdm_old"
    assert differences(engine) == 0
    # The rows copied before the kill were not copied again.
    assert _rows_done(engine) == rows


def test_killed_while_the_swap_waits_it_resumes_at_the_swap(
    url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    seed(engine, 3_000)
    flag = tmp_path / "postpone"
    flag.touch()
    kill_an_alter_when(url, ["--postpone-swap-flag-file", str(flag)], lambda: _copied(engine))
    # Killed with the copy done and the triggers keeping it in step: writes still reach it.
    execute(
        engine, "UPDATE t SET a = a + 5 WHERE id <= 20", "UPDATE t_ref SET a = a + 5 WHERE id <= 20"
    )
    flag.unlink()
    code, out, err = zdmigrate("alter", "t", CHANGE, "--strategy", "shadow", "--execute",
                               "--database-url", url, "--wait", "10")  # fmt: skip
    assert code == 0, err
    assert "changed in" not in err, "the copy ran again"
    assert out.splitlines()[-1] == "done; the original is kept as t_zdm_old"
    assert differences(engine) == 0


def kill_an_alter_when(url: str, options: list[str], ready: Callable[[], bool]) -> None:
    """Run ``zdmigrate alter t CHANGE --strategy shadow --execute`` with ``options`` in a
    process of its own and kill it with SIGKILL once ``ready()``."""
    command = [sys.executable, "-m", "zdmigrate", "alter", "t", CHANGE, "--strategy", "shadow"]
    command += ["--execute", "--database-url", url, *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert time.monotonic() < deadline, "the alter made no progress"
            if process.poll() is not None:
                pytest.fail(f"the alter ended before it was killed: {process.stderr.read()!r}")
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


def _copied(engine: sa.Engine) -> bool:
    """Every chunk is copied: the checkpoint is the empty key."""
    with engine.connect() as connection:
        if not connection.exec_driver_sql("SHOW TABLES LIKE 'zdmigrate_checkpoints'").first():
            return False
        last = connection.exec_driver_sql("SELECT last_key FROM zdmigrate_checkpoints")
        return last.scalar() == "[]"


def _rows_done(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        if not connection.exec_driver_sql("SHOW TABLES LIKE 'zdmigrate_checkpoints'").first():
            return 0
        done = connection.exec_driver_sql("SELECT SUM(rows_done) FROM zdmigrate_checkpoints")
        return int(done.scalar() or 0)


def test_a_paused_copy_holds_no_row_locked_ahead(
    url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    """The next chunk's rows, locked ahead while a chunk copies, are let go when the copy
    waits (here for the pause flag file): the apps write every row the copy has not reached
    without waiting for it."""
    seed(engine, 200_000)
    flag = tmp_path / "pause"
    options = RunOptions(batch_size=2000, max_batch_size=2000, pause_flag_file=flag)
    done: list[object] = []

    def alter() -> None:
        with Runner(url, options) as runner:
            done.append(runner.alter("t", CHANGE, strategy="shadow", execute=True))

    thread = threading.Thread(target=alter, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while _rows_done(engine) < 10_000 and time.monotonic() < deadline:
        time.sleep(0.005)
    flag.touch()
    time.sleep(1.0)  # the throttle looks every 0.25 s
    copied = _rows_done(engine)
    assert 10_000 <= copied < 200_000
    with engine.connect() as connection:
        # A row still locked ahead would fail this with a lock wait timeout, after 1 s.
        connection.exec_driver_sql("SET SESSION innodb_lock_wait_timeout = 1")
        for table in ("t", "t_ref"):
            connection.exec_driver_sql(
                f"UPDATE {table} SET note = 'p' WHERE id > %s AND id <= %s",
                (copied - 2000, copied + 10_000),
            )
    assert _rows_done(engine) == copied, "the copy went on while paused"
    flag.unlink()
    thread.join(timeout=60)
    assert done, "the copy did not finish"
    assert differences(engine) == 0


def test_a_long_transaction_holds_the_swap_back_not_the_apps(
    url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    seed(engine, 5_000)
    flag = tmp_path / "postpone"
    flag.touch()
    runner = Runner(url, slow(sleep_ratio=0.0, postpone_swap_flag_file=flag))
    done = threading.Event()
    failure: list[BaseException] = []

    def alter() -> None:
        try:
            runner.alter("t", CHANGE, strategy="shadow", execute=True)
        except BaseException as exc:  # reported below
            failure.append(exc)
        done.set()

    try:
        with Apps(engine) as apps:
            thread = threading.Thread(target=alter, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not _copied(engine):  # and waiting for the flag to go
                assert time.monotonic() < deadline and not failure, failure
                time.sleep(0.05)
            time.sleep(0.5)
            assert not done.is_set(), "the swap did not wait for the flag file"
            with engine.connect() as holder:
                holder.exec_driver_sql("BEGIN")
                holder.exec_driver_sql("SELECT COUNT(*) FROM t").scalar()
                flag.unlink()
                time.sleep(3 * LOCK_WAIT_S)  # the swap tries and gives up, again and again
                assert not done.is_set(), "the swap went through a transaction that read t"
                holder.exec_driver_sql("COMMIT")
            thread.join(30)
    finally:
        flag.unlink(missing_ok=True)
    runner.close()
    assert not failure, failure
    assert done.is_set()
    assert apps.errors == []
    assert max(apps.latencies) < LOCK_WAIT_S + 0.1
    assert differences(engine) == 0


def test_a_new_unique_key_over_duplicates_stops_the_copy_and_loses_nothing(
    url: str, engine: sa.Engine
) -> None:
    seed(engine, 2_000, twin=False)
    execute(engine, "UPDATE t SET b = 'same' WHERE id IN (500, 1500)")
    before = _checksum(engine)
    code, _, err = zdmigrate("alter", "t", "ADD UNIQUE KEY uq_b (b)", "--strategy", "shadow",
                               "--execute", "--database-url", url)  # fmt: skip
    assert code == 1, err
    assert (
        "t: the copy would lose data (Warning 1062: Duplicate entry 'same' for key 'uq_b')" in err
    )
    assert _checksum(engine) == before
    tables = {r[0] for r in _tables(engine)}
    assert "t_zdm_new" not in tables and "t_zdm_old" not in tables
    assert scalar(engine, "SELECT COUNT(*) FROM information_schema.TRIGGERS "
                          f"WHERE TRIGGER_SCHEMA = '{DATABASE}'") == 0  # fmt: skip


def test_allowed_data_loss_is_logged_and_the_copy_goes_on(url: str, engine: sa.Engine) -> None:
    seed(engine, 2_000, twin=False)
    execute(engine, "UPDATE t SET b = 'same' WHERE id IN (500, 1500)")
    code, _, err = zdmigrate("alter", "t", "ADD UNIQUE KEY uq_b (b)", "--strategy", "shadow",
                               "--execute", "--allow-data-loss", "--database-url", url)  # fmt: skip
    assert code == 0, err
    assert "t: the copy loses data (Warning 1062: Duplicate entry 'same' for key 'uq_b')" in err
    assert "the copy has 1999 rows and the original 2000; allowed" in err
    assert scalar(engine, "SELECT COUNT(*) FROM t") == 1999
    assert scalar(engine, "SELECT COUNT(*) FROM t_zdm_old") == 2000  # kept, as it was


def test_a_chunk_that_differs_is_found_and_repaired(
    url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    """The shadow table written behind the triggers' back, before the copy reaches those rows:
    a row changed, one deleted, one the original lacks. The copy keeps what it finds there;
    the checks find each chunk that differs, and the repairs make it equal."""
    seed(engine, 5_000)
    execute(engine, "DELETE FROM t WHERE id = 3001", "DELETE FROM t_ref WHERE id = 3001")
    pause = tmp_path / "pause"
    pause.touch()
    command = [sys.executable, "-m", "zdmigrate", "alter", "t", CHANGE, "--strategy", "shadow",
               "--execute", "--database-url", url, "--pause-flag-file", str(pause),
               "--batch-size", "500"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while scalar(engine, "SELECT COUNT(*) FROM information_schema.TRIGGERS "
                         "WHERE TRIGGER_SCHEMA = DATABASE()") != 3:  # fmt: skip
        assert time.monotonic() < deadline and process.poll() is None, "no copy started"
        time.sleep(0.05)
    execute(
        engine,
        "INSERT INTO t_zdm_new (id, a, b, note) VALUES "
        "(1000, -1, 'wrong', NULL), (3001, 1, 'extra', NULL), (4000, 4000, 'b4000', 'n')",
        "UPDATE t_zdm_new SET note = 'wrong' WHERE id = 4000",  # note differs from t's
    )
    pause.unlink()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    # 1000, 3001 and 4000 fall in two or three chunks, as the chunks grow.
    assert err.count("differs from the original; copying it again") in (2, 3), err
    assert differences(engine) == 0


def _checksum(engine: sa.Engine) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql("CHECKSUM TABLE t").one()[1]


FAMILIES = """
CREATE TABLE t (
    id INT NOT NULL,
    u BIGINT UNSIGNED NOT NULL,
    s SMALLINT,
    d DECIMAL(14,4),
    f FLOAT,
    r DOUBLE,
    c CHAR(8) CHARACTER SET latin1,
    v VARCHAR(40) CHARACTER SET utf8mb4,
    l VARCHAR(40) CHARACTER SET latin1,
    x TEXT,
    bn BINARY(4),
    vb VARBINARY(16),
    bl BLOB,
    e ENUM('red', 'green', 'blue'),
    st SET('a', 'b', 'c'),
    dt DATE,
    dtt DATETIME(6),
    ts TIMESTAMP(3) NULL,
    tm TIME(2),
    j JSON,
    bt BIT(5),
    gv INT AS (s * 2) VIRTUAL,
    gs VARCHAR(50) AS (CONCAT(v, '!')) STORED,
    PRIMARY KEY (id)
)"""

ROWS = """
INSERT INTO t (id, u, s, d, f, r, c, v, l, x, bn, vb, bl, e, st, dt, dtt, ts, tm, j, bt)
SELECT seq, 18446744073709551615 - seq, CAST(seq AS SIGNED) % 30000 - 15000,
       seq / 7, seq / 3, seq / 11,
       CONCAT('c', seq % 99), CONCAT('v€', seq), CONCAT('lé', seq), REPEAT('x', seq % 300),
       UNHEX(LPAD(HEX(seq), 8, '0')), UNHEX(HEX(seq)), UNHEX(REPEAT('ff', seq % 20)),
       ELT(1 + seq % 3, 'red', 'green', 'blue'), IF(seq % 2, 'a,c', 'b'),
       '2020-01-01' + INTERVAL seq DAY, '2021-06-01 12:00:00.123456' + INTERVAL seq SECOND,
       '2022-03-04 05:06:07.890' + INTERVAL seq MINUTE, '10:11:12.34',
       JSON_OBJECT('k', seq, 's', CONCAT('é', seq)), seq % 32
FROM seq_1_to_3000"""


@pytest.mark.parametrize(
    "change",
    [
        "MODIFY s INT, MODIFY l VARCHAR(60) CHARACTER SET utf8mb4, MODIFY d DECIMAL(18,4)",
        "MODIFY dtt DATETIME(6) NOT NULL DEFAULT '2000-01-01', MODIFY c VARCHAR(8) "
        "CHARACTER SET utf8mb4, ADD COLUMN added INT NOT NULL DEFAULT 7",
    ],
)
def test_every_column_type_family_is_copied_and_verified(
    url: str, engine: sa.Engine, change: str
) -> None:
    execute(engine, "SET time_zone = '+02:00'", FAMILIES, ROWS)
    code, _, err = zdmigrate("alter", "t", change, "--strategy", "shadow", "--execute",
                             "--database-url", url)  # fmt: skip
    assert code == 0, err
    assert "differs" not in err
    columns = [c for c in _columns(engine, "t_zdm_old") if c not in ("gv", "gs")]
    same = " AND ".join(f"n.{c} <=> o.{c}" for c in columns)
    assert scalar(engine, f"SELECT COUNT(*) FROM t n JOIN t_zdm_old o ON {same}") == 3000
    assert (
        scalar(engine, "SELECT COUNT(*) FROM t WHERE gv <=> s * 2 AND gs <=> CONCAT(v, '!')")
        == 3000
    )


def _columns(engine: sa.Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.exec_driver_sql(f"SHOW COLUMNS FROM {table}").all()]


@pytest.mark.parametrize(
    ("setup", "change", "message"),
    [
        (
            "CREATE TABLE t (a INT, b INT)",
            "MODIFY a BIGINT",
            "it has no primary key or unique NOT NULL",
        ),
        (
            "CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE t (id INT PRIMARY KEY, "
            "p INT, FOREIGN KEY (p) REFERENCES p (id))",
            "MODIFY p INT NOT NULL",
            "it has foreign keys",
        ),
        (
            "CREATE TABLE t (id INT PRIMARY KEY, a INT); CREATE TRIGGER t_own BEFORE INSERT "
            "ON t FOR EACH ROW SET NEW.a = 1",
            "MODIFY a BIGINT",
            "it has triggers (t_own)",
        ),
        ("CREATE TABLE t (id INT PRIMARY KEY, a INT)", "MODIFY id BIGINT", "alters its key (id)"),
        (
            "CREATE TABLE t (id INT PRIMARY KEY, a INT)",
            "CHANGE a b BIGINT",
            "renames a column or the table",
        ),
        (
            "CREATE TABLE t (id INT PRIMARY KEY, a INT)",
            "ADD COLUMN z INT NOT NULL",
            "new column 'z' is NOT NULL with no default",
        ),
    ],
)
def test_what_the_copy_cannot_take_is_refused_in_one_line(
    url: str, engine: sa.Engine, setup: str, change: str, message: str
) -> None:
    execute(engine, *setup.split("; "))
    before = _tables(engine)
    code, out, err = zdmigrate("alter", "t", change, "--strategy", "shadow", "--execute",
                               "--database-url", url)  # fmt: skip
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert err.startswith("zdmigrate: error: t: cannot copy it: ") and message in err
    assert _tables(engine) == before


EXAMPLES = Path(__file__).resolve().parent.parent / "migrations_examples" / "mysql_only"


def test_the_mysql_only_examples_run_end_to_end_with_an_app_writing(
    url: str, engine: sa.Engine
) -> None:
    errors: list[str] = []
    stop = threading.Event()

    def app() -> None:
        # Each write goes to page_views and, in the same transaction, to a twin never migrated.
        rng = random.Random(7)
        with engine.connect() as connection:
            while not stop.is_set():
                row = rng.randint(1, 3000)
                # One time for both tables: NOW() in each statement may straddle a second.
                now = datetime.now().replace(microsecond=0)
                writes = [
                    ("INSERT INTO {} (id, path, viewed_at, ms) VALUES (%s, '/new', %s, 5)",
                     (3000 + rng.randint(1, 10**9), now)),
                    ("UPDATE {} SET ms = ms + 1, path = CONCAT(path, '+') WHERE id = %s", (row,)),
                    ("DELETE FROM {} WHERE id = %s", (row,)),
                ]  # fmt: skip
                sql, values = writes[rng.randrange(3)]
                try:
                    connection.exec_driver_sql("BEGIN")
                    for table in ("page_views", "page_views_ref"):
                        connection.exec_driver_sql(sql.format(table), values)
                    connection.exec_driver_sql("COMMIT")
                except sa.exc.DBAPIError as exc:
                    errors.append(str(exc.orig))
                    connection.rollback()
                time.sleep(0.002)

    with Runner(url, slow(sleep_ratio=1.0)) as runner:
        assert [r.outcome for r in runner.run(EXAMPLES, "expand")] == ["done", "done"]
        execute(
            engine,
            "INSERT INTO page_views (id, path, user_id, viewed_at, ms) SELECT seq, "
            "CONCAT('/p/', seq), seq % 10, '2026-01-01' + INTERVAL seq MINUTE, seq FROM "
            "seq_1_to_3000",
            "CREATE TABLE page_views_ref AS SELECT * FROM page_views",
        )
        writer = threading.Thread(target=app, daemon=True)
        writer.start()
        try:
            for phase in ("backfill", "contract"):
                assert [r.outcome for r in runner.run(EXAMPLES, phase)] == ["done", "done"]
                time.sleep(0.2)
        finally:
            stop.set()
            writer.join()
    assert errors == []
    same = "n.id = r.id AND n.path = r.path AND n.ms = r.ms AND n.viewed_at = r.viewed_at"
    for table, other in (("page_views", "page_views_ref"), ("page_views_ref", "page_views")):
        assert (
            scalar(
                engine,
                f"SELECT COUNT(*) FROM {table} n LEFT JOIN {other} r ON {same} WHERE r.id IS NULL",
            )
            == 0
        )
    assert str(scalar(engine, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE "
                              f"TABLE_SCHEMA = '{DATABASE}' AND TABLE_NAME = 'page_views' "
                              "AND COLUMN_NAME = 'ms'")) == "bigint"  # fmt: skip
    assert "page_views_zdm_old" not in {r[0] for r in _tables(engine)}


def test_the_copy_s_names_fit_the_server_and_stay_apart() -> None:
    longest = "x" * 64
    names = {shadow_name(f"shop.{longest}", s) for s in ("zdm_new", "zdm_old", "zdm_ins")}
    assert len(names) == 3
    assert all(n.startswith("shop.") and len(n.split(".")[1]) <= 64 for n in names)
    assert shadow_name("orders", "zdm_new") == "orders_zdm_new"
