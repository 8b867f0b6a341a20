"""One runner per database: a session lock taken before anything runs.

Two runners at once would each resume the other's half-done phase. The lock is a session-level
lock on a connection of its own, in autocommit: an open transaction there would hold a snapshot
that CREATE INDEX CONCURRENTLY, run on another connection, waits for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from zdmigrate.errors import RunnerBusy

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect

log = logging.getLogger("zdmigrate.run")

POLL_SECONDS = 0.5


def session_name(command: str) -> str:
    """What other sessions see of this runner (PostgreSQL keeps the first 63 bytes)."""
    return f"zdmigrate {command} (pid {os.getpid()} on {socket.gethostname()})"[:63]


@contextmanager
def runner_lock(
    engine: sa.Engine, dialect: Dialect, *, command: str, wait_s: float
) -> Iterator[None]:
    """Hold the database's runner lock for the block; wait up to ``wait_s`` seconds for it,
    then raise :class:`RunnerBusy` naming the session that holds it."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if (name_sql := dialect.session_name_sql()) is not None:
            connection.execute(sa.text(name_sql), {"name": session_name(command)})
        deadline = time.monotonic() + wait_s
        waiting = False
        while not connection.exec_driver_sql(dialect.runner_lock_sql()).scalar():
            if time.monotonic() >= deadline:
                raise RunnerBusy(_holder(connection, dialect), wait_s)
            if not waiting:
                log.info("waiting for another runner: %s", _holder(connection, dialect))
                waiting = True
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            # A connection that broke took its session, and the lock, with it.
            with contextlib.suppress(sa.exc.DBAPIError):
                connection.exec_driver_sql(dialect.runner_unlock_sql())
            # Not back to the pool: the next user of the session would go by the runner's name.
            connection.invalidate()


def _holder(connection: sa.Connection, dialect: Dialect) -> str:
    row = connection.exec_driver_sql(dialect.runner_lock_holder_sql()).first()
    if row is None or row.pid is None:  # released between the two queries
        return "a session that has just released it"
    application = f" {row.application!r}" if row.application else ""
    return f"session {row.pid}{application}"
