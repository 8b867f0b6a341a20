"""Has the database reached a phase? For readiness endpoints and deploy gates.

An app version that needs a migration's backfill done before it serves traffic asks here::

    ok, reason = readiness(engine, require={"0003_user_email": "backfill"})

One read of the runner's state table; no lock, no write, nothing loaded from migration files.
Pass an engine (the app's own pool) where it is asked often: a URL makes an engine per call.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from zdmigrate.engine import connect
from zdmigrate.errors import (
    BadInput,
    NotReached,
    UnknownMigration,
    ZdmigrateError,
)
from zdmigrate.run import state
from zdmigrate.run.state import MigrationState
from zdmigrate.steps import RUN_ORDER, Phase


def migration_reached(database: str | sa.Engine, migration_id: str, phase: Phase | str) -> bool:
    """Migration ``migration_id`` has ``phase`` and every phase before it done (and is not
    being rolled back). False for a migration the database has no record of."""
    wanted = required_phase(phase)
    with connect(database) as connection:
        current = state.load(connection, migration_id)
    return current is not None and current.has_reached(wanted)


def readiness(database: str | sa.Engine, require: Mapping[str, Phase | str]) -> tuple[bool, str]:
    """(True, "ready") when every migration in ``require`` (id → phase) has reached its phase;
    else (False, the first reason why not), an unreachable database included."""
    try:
        with connect(database) as connection:
            states = state.load_all(connection)
        check_required(states, require)
    except ZdmigrateError as exc:
        return False, str(exc)
    return True, "ready"


def check_required(
    states: Mapping[str, MigrationState], require: Mapping[str, Phase | str]
) -> None:
    """Raise :class:`UnknownMigration` for an id with no record, :class:`NotReached` for a
    migration short of its phase."""
    for migration_id, phase in require.items():
        wanted = required_phase(phase)
        current = states.get(migration_id)
        if current is None:
            raise UnknownMigration(migration_id)
        if not current.has_reached(wanted):
            raise NotReached(migration_id, str(wanted), current.describe())


def required_phase(phase: Phase | str) -> Phase:
    if phase not in RUN_ORDER:
        raise BadInput(f"unknown phase {phase!r}: expected expand, backfill or contract")
    return Phase(phase)
