"""zdmigrate's operations in Alembic revisions: ``op.zd_rename_column(...)`` and the rest.

Each operation of :mod:`zdmigrate.ops` is registered through Alembic's operations plugin
mechanism as ``op.zd_<its name in snake case>``, with the same arguments:
``op.zd_rename_column("users", "email", "email_address")`` is
``ops.RenameColumn("users", "email", "email_address")``. A revision whose ``upgrade()`` calls
them is one zdmigrate migration, with the revision's id, made of those operations; it has no
plain Alembic operations (ZD503): Alembic's transaction would hold their locks while zdmigrate
works beside it.

- Under ``alembic upgrade``, the first such call runs the revision's expand and then its
  backfill, batched and throttled, through zdmigrate's runner on connections of its own, after
  committing Alembic's transaction (as ``autocommit_block()`` does) so that nothing of Alembic's
  is held meanwhile; the calls after it find them done. Alembic records the revision as applied
  only once both are: a run that was killed is run again by the next ``alembic upgrade``, and
  zdmigrate resumes where it stopped. Contract comes later, as a step of its own:
  ``zdmigrate run contract alembic.ini``.
- ``op.zd_rollback()`` in ``downgrade()`` rolls back what ``upgrade()`` ran; after contract
  it is refused.
- Recorded offline (``zdmigrate plan``, ``sql`` and ``run contract`` of an ``alembic.ini``),
  the calls only collect the operations. Alembic's own offline mode (``alembic upgrade --sql``)
  cannot run a batched backfill, and refuses them.

Options (batch size, throttling, lock timeout, …) come from ``env.py``: see
:func:`zdmigrate.alembic.configure`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic.operations import MigrateOperation, Operations
from sqlalchemy.exc import DBAPIError

from zdmigrate.errors import BadInput
from zdmigrate.ops import OPERATIONS
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Connection

    from zdmigrate.migration import Migration
    from zdmigrate.ops.base import Operation
    from zdmigrate.run.runner import Runner

COLLECTED = "_zdmigrate_operations"
"""The attribute of a MigrationContext that holds the operations its revisions called."""
RECORDING = "_zdmigrate_recording"
"""Set on the offline MigrationContext of a record: the calls only collect."""
OPTIONS = "zdmigrate_options"
"""The key of the run options in the MigrationContext's opts (see :func:`configure`)."""


class ZdmigrateOperation(MigrateOperation):
    """One zdmigrate operation called through ``op``."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation


class RollbackOperation(MigrateOperation):
    """``op.zd_rollback()``: undo the zdmigrate operations of the revision it is called from."""

    @classmethod
    def zd_rollback(cls, operations: Operations) -> None:
        """Roll back what this revision's zdmigrate operations ran (before contract)."""
        operations.invoke(cls())


def operation_name(operation: type[Operation]) -> str:
    """``RenameColumn`` → ``zd_rename_column``, ``RunSQL`` → ``zd_run_sql``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation.__name__)
    return "zd_" + words.lower()


def _register(operation: type[Operation]) -> None:
    name = operation_name(operation)

    def build(cls: Any, operations: Operations, *args: Any, **kwargs: Any) -> None:
        operations.invoke(cls(operation(*args, **kwargs)))

    build.__name__ = name
    build.__doc__ = f"``ops.{operation.__name__}(...)``, run by zdmigrate (see zdmigrate.alembic)."
    wrapper = type(f"Zd{operation.__name__}Op", (ZdmigrateOperation,), {name: classmethod(build)})
    Operations.register_operation(name)(wrapper)


for _operation in OPERATIONS.values():
    _register(_operation)
Operations.register_operation("zd_rollback")(RollbackOperation)


@Operations.implementation_for(ZdmigrateOperation)
def _collect_or_run(operations: Operations, operation: ZdmigrateOperation) -> None:
    context = operations.migration_context
    context.__dict__.setdefault(COLLECTED, []).append(operation.operation)
    if getattr(context, RECORDING, False):
        return
    with _as_alembic_errors():
        if context.as_sql:
            raise BadInput(
                "zdmigrate operations do not run in Alembic's offline mode (--sql): their "
                "backfill is batched against the live database; `zdmigrate sql alembic.ini` "
                "prints their SQL"
            )
        revision, path = _calling_revision()
        done = context.__dict__.setdefault("_zdmigrate_done", set())
        if revision in done:
            return
        done.add(revision)
        release = _release_up_to(context, revision, path)
        with context.autocommit_block(), _runner(context) as runner, _unrecorded_noted(release):
            for phase in (Phase.EXPAND, Phase.BACKFILL):
                runner.run_release(release, [revision], phase)


@Operations.implementation_for(RollbackOperation)
def _roll_back(operations: Operations, operation: RollbackOperation) -> None:
    context = operations.migration_context
    if getattr(context, RECORDING, False):
        return
    with _as_alembic_errors():
        if context.as_sql:
            raise BadInput(
                "op.zd_rollback() does not run in Alembic's offline mode (--sql): a script "
                "from it would move the version back and undo nothing"
            )
        revision, path = _calling_revision()
        release = _release_up_to(context, revision, path)
        with context.autocommit_block(), _runner(context) as runner, _unrecorded_noted(release):
            runner.rollback_release(release, [revision])


@contextmanager
def _unrecorded_noted(release: list[Migration]) -> Iterator[None]:
    """A schema error of a revision compiled after revisions that could not be recorded
    offline, with those named: what they made is missing from the schema it was compiled on."""
    from zdmigrate.alembic.record import NOT_RECORDED
    from zdmigrate.errors import SchemaError

    try:
        yield
    except SchemaError as exc:
        unknown = [m for m in release if any(f.code == NOT_RECORDED.code for f in m.findings)]
        if not unknown:
            raise
        names = ", ".join(f"{m.id} ({m.path})" for m in unknown)
        raise BadInput(
            f"{exc}; zdmigrate compiles a revision after the ones before it, recorded offline, "
            f"and {names} could not be recorded (see `zdmigrate plan alembic.ini`, ZD501): "
            "what it made is not in that schema. Make it recordable, or move the change into "
            "zdmigrate operations"
        ) from exc


@contextmanager
def _as_alembic_errors() -> Iterator[None]:
    """zdmigrate's refusals and failures as Alembic's CommandError, which its command line
    prints as one line ("FAILED: …"), and which rolls back the revision's transaction."""
    from alembic.util import CommandError

    from zdmigrate.errors import ZdmigrateError

    try:
        yield
    except ZdmigrateError as exc:
        raise CommandError(f"zdmigrate: {exc}") from exc


def release_to_contract(
    ini: Path, connection: Connection, phase: Phase | str
) -> tuple[list[Migration], list[str]]:
    """For ``zdmigrate run contract alembic.ini``: the project's revisions, recorded, and the
    ids of the zdmigrate ones that Alembic has applied on this database (the revisions up to
    the heads of its ``alembic_version`` table). Expand and backfill are ``alembic upgrade``'s."""
    from zdmigrate.alembic.history import read_history, select
    from zdmigrate.alembic.record import record, runs_in_zdmigrate
    from zdmigrate.engine import dialect_for

    if phase != Phase.CONTRACT:
        raise BadInput(
            f"{ini}: `alembic upgrade` runs the expand and backfill of zdmigrate revisions "
            "(again after a failure, resuming); `zdmigrate run contract` is the step left"
        )
    try:
        heads = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        applied_heads = [str(head) for head in heads.scalars()]
    except DBAPIError:
        raise BadInput(f"{ini}: no alembic_version table here: Alembic has not run") from None
    finally:
        connection.rollback()
    revisions = read_history(ini)
    applied: set[str] = set()
    for head in applied_heads:
        applied |= {r.id for r in select(revisions, f"base:{head}")[1]}
    dialect = dialect_for(connection)
    release = [record(r, dialect) for r in revisions]
    return release, [m.id for m in release if m.id in applied and runs_in_zdmigrate(m)]


def _calling_revision() -> tuple[str, Path]:
    """The revision whose code called ``op``: the first module up the stack that declares
    ``revision`` and ``down_revision``."""
    frame = sys._getframe(1)
    while frame is not None:
        names = frame.f_globals
        if isinstance(names.get("revision"), str) and "down_revision" in names:
            return names["revision"], Path(names["__file__"])
        frame = frame.f_back  # type: ignore[assignment]
    raise BadInput("op.zd_* is called from outside an Alembic revision's upgrade()/downgrade()")


def _release_up_to(context: MigrationContext, revision: str, path: Path) -> list[Migration]:
    """The revisions up to ``revision``, recorded, ``revision`` last; refused if ``revision``
    also has plain operations, or could not be recorded."""
    from zdmigrate.alembic.history import read_history_in, select, version_folders_of
    from zdmigrate.alembic.record import record, runs_in_zdmigrate
    from zdmigrate.engine import dialect_for

    if context.script is not None:
        folders, recursive = version_folders_of(context.script)
    else:
        folders, recursive = [path.parent], False
    _, wanted = select(read_history_in(folders, recursive), f"base:{revision}")
    assert context.connection is not None
    dialect = dialect_for(context.connection)
    recorded = context.__dict__.setdefault("_zdmigrate_recorded", {})  # one upgrade's records
    release = [recorded.get(r.id) or recorded.setdefault(r.id, record(r, dialect)) for r in wanted]
    last = release[-1]
    if not runs_in_zdmigrate(last):
        why = "; ".join(f.message for f in last.findings) or "it has no zdmigrate operation"
        raise BadInput(f"{path}: {why}")
    return release


def _runner(context: MigrationContext) -> Runner:
    from zdmigrate.run.options import RunOptions
    from zdmigrate.run.runner import Runner

    assert context.connection is not None
    options = context.opts.get(OPTIONS) or RunOptions()
    return Runner(context.connection.engine, options)
