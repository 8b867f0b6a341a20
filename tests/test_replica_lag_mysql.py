"""Replica lag on real MariaDB replication: a backfill waits while its replica does not replay,
and goes on once it does.

The machine's MariaDB writes no binary log, and is not ours to reconfigure: this module starts
its own pair of private servers from the installed binaries — a primary with a binary log and a
replica of it, each on a free port of 127.0.0.1 with its data under pytest's temporary
directory — and stops both at its end. Without the binaries the module is skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa

from tests.conftest import server_dialect
from tests.test_runner import FAST, Background, backfill_migration, current, scalar, wait_for
from tests.test_runner_mysql import table_with_rows
from zdmigrate.run.runner import Runner

INSTALL_DB = Path("/usr/bin/mariadb-install-db")
MARIADBD = Path("/usr/sbin/mariadbd")
DATABASE = "zdm_lag"
START_SECONDS = 30
"""How long a server may take to answer, and the replica to show the primary's first table."""
STOP_SECONDS = 30
SMALL = ("--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M")
"""Small buffers and redo log: both servers start in a second or two."""


@dataclass
class Server:
    """One private mariadbd: its folder (data, socket, pid file, error log) and port."""

    name: str
    server_id: int
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    terminated: bool = False
    engine: sa.Engine | None = None
    log_files: list[Any] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def tmp(self) -> Path:
        """A tmpdir of its own: a starting mariadbd removes every ``#sql*`` file in its tmpdir,
        the temporary tables of any other server that shares it (the machine's in /tmp)."""
        return self.folder / "tmp"

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{DATABASE}"

    def command(self, *extra: str) -> list[str]:
        return [
            str(MARIADBD),
            "--no-defaults",  # nothing of the machine's server's configuration
            f"--log-basename={self.name}",
            "--user=root",
            f"--datadir={self.data}",
            f"--tmpdir={self.tmp}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.folder / 'mysqld.sock'}",
            f"--pid-file={self.folder / 'mysqld.pid'}",
            f"--log-error={self.folder / 'error.log'}",
            f"--server-id={self.server_id}",
            *SMALL,
            *extra,
        ]

    def log_tail(self) -> str:
        lines: list[str] = []
        for name in ("install.log", "error.log"):
            path = self.folder / name
            if path.exists():
                lines += path.read_text(errors="replace").splitlines()[-15:]
        return "\n".join(lines)

    def connect(self, timeout: float = 5) -> pymysql.Connection[Any]:
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            autocommit=True,
            connect_timeout=timeout,
        )

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Every row of ``sql``, as dicts; [] for a statement that returns none."""
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            if cursor.description is None:
                return []
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def terminate(self) -> None:
        """Ask the server to shut down (SIGTERM)."""
        if self.process is not None and self.process.poll() is None and not self.terminated:
            self.process.send_signal(signal.SIGTERM)
            self.terminated = True

    def stop(self) -> None:
        """SIGTERM, a wait for the shutdown, SIGKILL if it does not come."""
        if self.process is not None:
            self.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for file in self.log_files:
            file.close()
        self.log_files.clear()


@dataclass
class Pair:
    primary: Server
    replica: Server
    startup_seconds: float

    @property
    def primary_engine(self) -> sa.Engine:
        assert self.primary.engine is not None
        return self.primary.engine

    @property
    def replica_engine(self) -> sa.Engine:
        assert self.replica.engine is not None
        return self.replica.engine


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now, all different: each is held until all are chosen."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def run_all(servers: list[Server], commands: list[list[str]], log: str) -> None:
    """Start one command per server, their output in the server's folder ``log``."""
    for server, command in zip(servers, commands, strict=True):
        out = (server.folder / log).open("wb")
        server.log_files.append(out)
        server.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )


def install(servers: list[Server]) -> None:
    """Make the servers' data directories, side by side: root without a password."""
    commands = [
        [
            str(INSTALL_DB),
            "--no-defaults",
            "--user=root",
            f"--datadir={server.data}",
            f"--tmpdir={server.tmp}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *SMALL,
        ]
        for server in servers
    ]
    run_all(servers, commands, "install.log")
    for server in servers:
        assert server.process is not None
        code = server.process.wait(120)
        server.process = None  # mariadbd is started next
        if code != 0:
            pytest.fail(f"{INSTALL_DB} failed for the {server.name} ({code}):\n{server.log_tail()}")


def until(condition: Callable[[], bool], what: str, servers: list[Server]) -> None:
    """Poll ``condition`` for up to START_SECONDS; fail with the servers' logs if it never
    holds or a server ends."""
    deadline = time.monotonic() + START_SECONDS
    while not condition():
        for server in servers:
            if server.process is not None and server.process.poll() is not None:
                pytest.fail(f"the {server.name} mariadbd ended:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"{s.name}:\n{s.log_tail()}" for s in servers)
            pytest.fail(f"gave up waiting for {what}:\n{logs}")
        time.sleep(0.05)


def answers(server: Server) -> bool:
    try:
        server.connect(timeout=1).close()
        return True
    except pymysql.err.MySQLError:
        return False


def replicated(pair: Pair) -> bool:
    try:
        return bool(pair.replica.query(f"SELECT id FROM {DATABASE}.replicating"))
    except (pymysql.err.ProgrammingError, pymysql.err.OperationalError):  # not there yet
        return False


def replication_errors(pair: Pair) -> str:
    status = pair.replica.query("SHOW REPLICA STATUS")
    if not status:
        return "the replica has no replication status"
    row = status[0]
    return f"IO: {row['Last_IO_Error']!r}, SQL: {row['Last_SQL_Error']!r}"


def start_replication(pair: Pair) -> None:
    """The replica replays the primary's binary log from its current end; the database the
    tests use is made on the primary and must reach the replica."""
    (position,) = pair.primary.query("SHOW MASTER STATUS")
    pair.replica.query(
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={pair.primary.port}, "
        "MASTER_USER='root', MASTER_PASSWORD='', MASTER_CONNECT_RETRY=1, "
        f"MASTER_LOG_FILE='{position['File']}', MASTER_LOG_POS={position['Position']}, "
        "MASTER_USE_GTID=no"
    )
    pair.replica.query("START SLAVE")
    pair.primary.query(f"CREATE DATABASE {DATABASE}")
    pair.primary.query(f"CREATE TABLE {DATABASE}.replicating (id INTEGER PRIMARY KEY)")
    pair.primary.query(f"INSERT INTO {DATABASE}.replicating VALUES (1)")
    try:
        servers = [pair.primary, pair.replica]
        until(lambda: replicated(pair), "the primary's table on the replica", servers)
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed.msg}\nreplication: {replication_errors(pair)}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A primary with a binary log (server id 1) and its replica (server id 2), replicating."""
    for binary in (INSTALL_DB, MARIADBD):
        if not binary.is_file():
            pytest.skip(f"{binary} is missing: no private MariaDB servers to replicate")
    started = time.monotonic()
    base = tmp_path_factory.mktemp("replication")
    ports = free_ports(2)
    servers = [
        Server(name, server_id, base / name, port)
        for (name, server_id), port in zip((("primary", 1), ("replica", 2)), ports, strict=True)
    ]
    primary, replica = servers
    for server in servers:
        server.tmp.mkdir(parents=True)
    try:
        install(servers)
        run_all(servers, [primary.command("--log-bin"), replica.command()], "mariadbd.log")
        for server in servers:
            until(functools.partial(answers, server), f"the {server.name} to answer", servers)
        found = Pair(primary, replica, 0.0)
        start_replication(found)
        for server in servers:
            server.engine = sa.create_engine(server.url)
        found.startup_seconds = time.monotonic() - started
        yield found
    finally:
        for server in servers:
            if server.engine is not None:
                server.engine.dispose()
        for server in servers:  # both shut down at once
            server.terminate()
        for server in servers:
            server.stop()


def replica_status(pair: Pair) -> dict[str, Any]:
    (row,) = pair.replica.query("SHOW REPLICA STATUS")
    return row


def caught_up(pair: Pair) -> bool:
    """The replica has replayed all the primary wrote and waits for more."""
    (end,) = pair.primary.query("SHOW MASTER STATUS")
    row = replica_status(pair)
    return (
        (row["Relay_Master_Log_File"], row["Exec_Master_Log_Pos"]) == (end["File"], end["Position"])
        and row["Slave_IO_Running"] == "Yes"
        and row["Slave_SQL_Running_State"]
        == "Slave has read all relay log; waiting for more updates"
    )


def lag_probes(pair: Pair) -> int:
    """How many times the replica has been asked for its status."""
    (row,) = pair.replica.query("SHOW GLOBAL STATUS LIKE 'Com_show_slave_status'")
    return int(row["Value"])


# --- the tests ---------------------------------------------------------------------------------


def test_a_backfill_waits_while_its_replica_does_not_replay_and_ends_once_it_does(
    pair: Pair, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = 300
    primary = pair.primary_engine
    table_with_rows(tmp_path, "lag_rows", primary, rows=rows)
    path = backfill_migration(tmp_path, "lag_rows")
    with Runner(primary, FAST) as runner:
        runner.run(path, "expand")
    wait_for(lambda: caught_up(pair), "the replica to catch up")
    caplog.set_level(logging.INFO, "zdmigrate")
    options = dataclasses.replace(FAST, max_lag_ms=1000, replica_urls=(pair.replica.url,))
    label = "0002_backfill backfill step 1 (lag_rows)"
    # NULL Seconds_Behind_Master: behind by an unknown, read as infinitely behind.
    waiting = (
        f"{label}: waiting: replica {pair.replica.url} lags by an unknown time, "
        "over --max-lag-ms 1000"
    )

    pair.replica.query("STOP SLAVE SQL_THREAD")
    try:
        assert replica_status(pair)["Seconds_Behind_Master"] is None
        with Runner(primary, options) as runner:
            backfill = Background(lambda: runner.run(path, "backfill"))
            backfill.start()
            wait_for(lambda: waiting in caplog.text, "the backfill to wait for the replica")
            asked = lag_probes(pair)
            wait_for(lambda: lag_probes(pair) >= asked + 3, "the backfill to ask again")
            assert backfill.is_alive(), "the backfill went on with the replica stopped"
            assert f"{label}: going on" not in caplog.text
            assert scalar(primary, "SELECT COUNT(*) FROM lag_rows WHERE x IS NOT NULL") == 0
            assert current(primary, "0002_backfill").rows_done == 0

            pair.replica.query("START SLAVE SQL_THREAD")
            assert [str(r) for r in backfill.outcome()] == [
                f"0002_backfill backfill: done, {rows} rows"
            ]
    finally:
        pair.replica.query("START SLAVE SQL_THREAD")  # a no-op if it runs already
    assert caplog.text.index(waiting) < caplog.text.index(f"{label}: going on")
    done = "SELECT COUNT(*) FROM lag_rows WHERE x = y + 1 AND touched = 1"
    assert scalar(primary, done) == rows
    assert current(primary, "0002_backfill").rows_done == rows
    wait_for(lambda: caught_up(pair), "the replica to replay the backfill")
    assert scalar(pair.replica_engine, done) == rows


def test_a_caught_up_replica_lags_zero_ms_and_the_primary_is_no_replica(pair: Pair) -> None:
    pair.primary.query(f"INSERT INTO {DATABASE}.replicating VALUES (2)")
    wait_for(lambda: caught_up(pair), "the replica to catch up")
    assert scalar(pair.replica_engine, "SELECT COUNT(*) FROM replicating WHERE id = 2") == 1

    dialect = server_dialect(pair.replica_engine)
    sql = dialect.replica_lag_sql()
    assert sql is not None
    with pair.replica_engine.connect() as connection:
        row = connection.exec_driver_sql(sql).mappings().first()
    assert row is not None, "a replica reports its replication"
    assert (row["Slave_IO_Running"], row["Slave_SQL_Running"]) == ("Yes", "Yes")
    assert dialect.replica_lag(dict(row)) == 0

    dialect = server_dialect(pair.primary_engine)
    sql = dialect.replica_lag_sql()
    assert sql is not None
    with pair.primary_engine.connect() as connection:
        row = connection.exec_driver_sql(sql).mappings().first()
    assert row is None
    assert dialect.replica_lag(None) is None
