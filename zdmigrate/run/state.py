"""What a runner has done, kept in the target database itself (PostgreSQL: schema
``zdmigrate``; MySQL/MariaDB: tables ``zdmigrate_migrations`` and ``zdmigrate_checkpoints``).

Two tables. ``migrations``: one row per migration — the checksum of its file, the last phase
whose changes are in place (``reached``), the phase under way or last run and how it ended,
how many of that phase's steps are done, the pause flag, timestamps and the last error.
``checkpoints``: for each batched step, the key of the last row done and the rows done so far.

Keeping the state beside the schema it describes lets a runner write its progress in the same
transaction as the change itself, so that a run killed at any moment resumes exactly where it
stopped. The tables are SQLAlchemy Core tables, so one definition serves every server.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from zdmigrate.engine import mask_url
from zdmigrate.errors import BadInput
from zdmigrate.reflect import STATE_TABLE_PREFIX
from zdmigrate.steps import RUN_ORDER, Phase

SCHEMA = "zdmigrate"
"""Where PostgreSQL keeps the state: a schema of its own, ``zdmigrate.migrations`` and
``zdmigrate.checkpoints``."""

Status = Literal["running", "done", "failed", "rolled_back"]


def _define(metadata: sa.MetaData, prefix: str) -> tuple[sa.Table, sa.Table]:
    migrations = sa.Table(
        f"{prefix}migrations",
        metadata,
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("reached", sa.String(16)),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("steps_done", sa.Integer, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )
    checkpoints = sa.Table(
        f"{prefix}checkpoints",
        metadata,
        sa.Column("migration_id", sa.String(255), primary_key=True),
        sa.Column("phase", sa.String(16), primary_key=True),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("last_key", sa.Text),
        sa.Column("rows_done", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    return migrations, checkpoints


metadata = sa.MetaData(schema=SCHEMA)
migrations, checkpoints = _define(metadata, "")

# MySQL/MariaDB: a schema is a database, shared by every database of the server, and a runner's
# user may not create one: the tables live in the target database, named apart.
_prefixed = sa.MetaData()
_prefixed_tables = _define(_prefixed, STATE_TABLE_PREFIX)


def check_database(url: sa.URL) -> None:
    """Raise BadInput for a MySQL/MariaDB URL that names no database: the state lives there."""
    if url.get_backend_name() in ("mysql", "mariadb") and not url.database:
        shown = mask_url(url.render_as_string(hide_password=False))
        raise BadInput(
            f"{shown}: name the database in the URL (…/DATABASE): zdmigrate works on one "
            "database and keeps its state in it"
        )


def _tables(connection: sa.Connection) -> tuple[sa.MetaData, sa.Table, sa.Table]:
    """The state's metadata and its two tables on the server behind ``connection``."""
    if connection.dialect.name == "postgresql":
        return metadata, migrations, checkpoints
    check_database(connection.engine.url)
    return _prefixed, *_prefixed_tables


@dataclass(frozen=True)
class MigrationState:
    id: str
    checksum: str
    reached: Phase | None
    """The last phase whose changes are all in place; during a rollback, the phase it undoes."""
    phase: Phase
    """The phase under way, or the last one run (ROLLBACK for a rollback)."""
    status: Status
    steps_done: int
    """Steps of ``phase`` done (for a batched step: when its last batch is)."""
    paused: bool
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    rows_done: int = 0
    """Rows its batched steps changed, by the checkpoints."""

    def has_reached(self, phase: Phase | str) -> bool:
        """``phase`` and the phases before it are done, and no rollback is under way."""
        if self.reached is None or self.phase is Phase.ROLLBACK:
            return False
        return RUN_ORDER.index(self.reached) >= RUN_ORDER.index(Phase(phase))

    def describe(self) -> str:
        """``backfill running (expand done)``: the state in a few words."""
        status = self.status.replace("_", " ")
        if self.status == "rolled_back":
            return status
        words = f"{self.phase} {status}"
        if self.phase is Phase.ROLLBACK and self.reached is not None:
            words += f" (undoing {self.reached})"
        elif self.status != "done":
            words += f" ({self.reached} done)" if self.reached else ""
        return words + (", paused" if self.paused else "")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "reached": str(self.reached) if self.reached else None,
            "phase": str(self.phase),
            "status": self.status,
            "steps_done": self.steps_done,
            "paused": self.paused,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "last_error": self.last_error,
            "rows_done": self.rows_done,
            "checksum": self.checksum,
        }


def fence_tables(connection: sa.Connection) -> tuple[str, ...]:
    """What a runner locks with a fence's table (MySQL's LOCK TABLES) to record its steps."""
    if connection.dialect.name == "postgresql":
        return ()
    _, table, _ = _tables(connection)
    return (table.name,)


def exists(connection: sa.Connection) -> bool:
    """The state tables are there (a runner makes them on its first run)."""
    _, table, _ = _tables(connection)
    return sa.inspect(connection).has_table(table.name, schema=table.schema)


def ensure(connection: sa.Connection) -> None:
    """Create the schema and tables if missing. Call it holding the runner lock: two sessions
    creating one table at once fail on the catalog's unique index."""
    tables, _, _ = _tables(connection)
    if tables.schema is not None:
        connection.execute(sa.schema.CreateSchema(tables.schema, if_not_exists=True))
    tables.create_all(connection, checkfirst=True)


def _state(row: sa.Row[Any], rows: int = 0) -> MigrationState:
    return MigrationState(
        id=row.id,
        checksum=row.checksum,
        reached=Phase(row.reached) if row.reached else None,
        phase=Phase(row.phase),
        status=row.status,
        steps_done=row.steps_done,
        paused=bool(row.paused),
        started_at=row.started_at,
        finished_at=row.finished_at,
        last_error=row.last_error,
        rows_done=rows,
    )


def load_all(connection: sa.Connection) -> dict[str, MigrationState]:
    """Every migration's state by id; none before the first run."""
    _, migrations, _ = _tables(connection)
    if not exists(connection):
        return {}
    done = rows_done(connection)
    rows = connection.execute(sa.select(migrations).order_by(migrations.c.id))
    return {row.id: _state(row, done.get(row.id, 0)) for row in rows}


def load(connection: sa.Connection, migration_id: str) -> MigrationState | None:
    _, migrations, _ = _tables(connection)
    if not exists(connection):
        return None
    row = connection.execute(sa.select(migrations).where(migrations.c.id == migration_id)).first()
    if row is None:
        return None
    return _state(row, rows_done(connection, migration_id).get(migration_id, 0))


def start(
    connection: sa.Connection,
    migration_id: str,
    checksum: str,
    phase: Phase,
    *,
    resume: bool,
    reached: Phase | None,
) -> None:
    """Mark ``phase`` as running. A phase that is not resumed starts at its first step."""
    _, migrations, _ = _tables(connection)
    values: dict[str, object] = {
        "phase": str(phase),
        "status": "running",
        "reached": str(reached) if reached else None,
        "finished_at": None,
        "last_error": None,
    }
    if not resume:
        values |= {"steps_done": 0, "started_at": sa.func.now(), "checksum": checksum}
    changed = connection.execute(
        sa.update(migrations).where(migrations.c.id == migration_id).values(values)
    ).rowcount
    if not changed:
        first = {"id": migration_id, "paused": False, "steps_done": 0, "started_at": sa.func.now()}
        connection.execute(sa.insert(migrations).values(first | values))


def steps_done(connection: sa.Connection, migration_id: str, count: int) -> None:
    _, migrations, _ = _tables(connection)
    connection.execute(
        sa.update(migrations).where(migrations.c.id == migration_id).values(steps_done=count)
    )


def finish(
    connection: sa.Connection, migration_id: str, status: Status, reached: Phase | None
) -> None:
    _, migrations, _ = _tables(connection)
    connection.execute(
        sa.update(migrations)
        .where(migrations.c.id == migration_id)
        .values(
            status=status,
            reached=str(reached) if reached else None,
            finished_at=sa.func.now(),
            **({"steps_done": 0} if status == "rolled_back" else {}),
        )
    )


def fail(connection: sa.Connection, migration_id: str, error: str) -> None:
    _, migrations, _ = _tables(connection)
    connection.execute(
        sa.update(migrations)
        .where(migrations.c.id == migration_id)
        .values(status="failed", last_error=error, finished_at=sa.func.now())
    )


def set_paused(connection: sa.Connection, migration_id: str, paused: bool) -> bool:
    """Set the pause flag; False when the database has no such migration."""
    _, migrations, _ = _tables(connection)
    if not exists(connection):
        return False
    return bool(
        connection.execute(
            sa.update(migrations).where(migrations.c.id == migration_id).values(paused=paused)
        ).rowcount
    )


def is_paused(connection: sa.Connection, migration_id: str) -> bool:
    _, migrations, _ = _tables(connection)
    paused = connection.execute(
        sa.select(migrations.c.paused).where(migrations.c.id == migration_id)
    ).scalar()
    return bool(paused)


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    last_key: tuple[Any, ...] | None
    """The key of the last row done; None: no batch done yet."""
    rows_done: int


BATCH_CONNECTION: ContextVar[sa.Connection | None] = ContextVar(
    "zdmigrate_batch_connection", default=None
)
"""The connection of the batch transaction under way, set by a backfill engine around its
``on_checkpoint`` call: the checkpoint is then written in that transaction, so that the batch
and the record of it commit together — exactly once, however the run is interrupted. Without
it the checkpoint commits right after the batch, and an interruption between the two commits
runs that one batch again on resume."""


def encode_key(key: tuple[Any, ...] | None) -> str | None:
    """A key as JSON. Values JSON has no type for (dates, decimals, UUIDs) become strings,
    which the server reads back as the key column's type when compared with it."""
    return None if key is None else json.dumps(list(key), default=str)


def decode_key(text: str | None) -> tuple[Any, ...] | None:
    return None if text is None else tuple(json.loads(text))


def load_checkpoint(
    connection: sa.Connection, migration_id: str, phase: Phase, step: int
) -> Checkpoint:
    _, _, checkpoints = _tables(connection)
    row = connection.execute(
        sa.select(checkpoints.c.last_key, checkpoints.c.rows_done).where(
            checkpoints.c.migration_id == migration_id,
            checkpoints.c.phase == str(phase),
            checkpoints.c.step == step,
        )
    ).first()
    if row is None:
        return Checkpoint(None, 0)
    return Checkpoint(decode_key(row.last_key), int(row.rows_done))


def save_checkpoint(
    connection: sa.Connection,
    migration_id: str,
    phase: Phase,
    step: int,
    checkpoint: Checkpoint,
) -> None:
    """Insert or update; under the runner lock nobody else writes these rows."""
    _, _, checkpoints = _tables(connection)
    where = (
        checkpoints.c.migration_id == migration_id,
        checkpoints.c.phase == str(phase),
        checkpoints.c.step == step,
    )
    values = {
        "last_key": encode_key(checkpoint.last_key),
        "rows_done": checkpoint.rows_done,
        "updated_at": sa.func.now(),
    }
    if not connection.execute(sa.update(checkpoints).where(*where).values(values)).rowcount:
        connection.execute(
            sa.insert(checkpoints).values(
                migration_id=migration_id, phase=str(phase), step=step, **values
            )
        )


def rows_done(connection: sa.Connection, migration_id: str | None = None) -> dict[str, int]:
    """Rows done by every migration's batched steps (or only ``migration_id``'s), by id."""
    _, _, checkpoints = _tables(connection)
    total = sa.func.sum(checkpoints.c.rows_done)
    query = sa.select(checkpoints.c.migration_id, total).group_by(checkpoints.c.migration_id)
    if migration_id is not None:
        query = query.where(checkpoints.c.migration_id == migration_id)
    rows = connection.execute(query)
    return {migration_id: int(done or 0) for migration_id, done in rows}


def clear_checkpoints(connection: sa.Connection, migration_id: str) -> None:
    _, _, checkpoints = _tables(connection)
    connection.execute(sa.delete(checkpoints).where(checkpoints.c.migration_id == migration_id))
