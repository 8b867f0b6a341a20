"""The schema states a release passes through, as the old and the new app meet them.

A release is the migrations one deploy runs, applied as ``zdmigrate run`` applies a folder:
expand of every migration in id order, then backfill of every one, then contract of every one.
The old app must work on every state up to the last backfill, the new app on every state from
the last backfill on. Each operation's ``apply_phase`` says what its phase leaves on the server.

A migration is compiled against the schema the migrations before it leave once complete, but in
a release it runs while their contracts are still to come. Where one of its operations does not
fit the schema it meets, or writes a column an earlier migration keeps in step by trigger, the
two migrations belong in separate releases, and :func:`phase_states` says so.

Pure: no connection, only schema models.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zdmigrate.errors import InvalidOperation, SchemaError
from zdmigrate.schema import join_name
from zdmigrate.steps import RUN_ORDER, Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.migration import CompiledMigration
    from zdmigrate.ops.base import Operation
    from zdmigrate.schema import Schema

NOT_APPLICABLE = (SchemaError, LookupError)
"""What an operation raises when its phase meets a schema it does not fit: a SchemaError from
the model's lookups and checks, a LookupError from a model edit of an object that is gone."""


@dataclass
class _Progress:
    """One operation of the release and the phases of it that have run."""

    migration: CompiledMigration
    position: int
    operation: Operation
    ran: list[Phase] = field(default_factory=list)

    def describe(self) -> str:
        return f"operation {self.position} ({type(self.operation).__name__})"


def phase_states(
    compiled: Sequence[CompiledMigration], baseline: Schema, dialect: Dialect
) -> Iterator[tuple[CompiledMigration, Phase, Schema]]:
    """After each phase of each migration of the release, in the order they run, that migration,
    the phase and the schema it leaves (a copy). ``baseline`` is the schema before the release.

    Raises an InvalidOperation where an operation's phase cannot run on the schema it meets
    (naming the earlier contract it needs), where it writes a column an earlier migration of
    the release keeps in step by trigger, and where the release ends on a schema other than
    its last migration's.
    """
    state = baseline.copy()
    operations = [
        _Progress(migration, position, operation)
        for migration in compiled
        for position, operation in enumerate(migration.migration.operations, 1)
    ]
    _refuse_crossed_writes(operations)
    for phase in RUN_ORDER:
        for migration in compiled:
            for index, progress in enumerate(operations):
                if progress.migration is migration:
                    _run_in_release(operations, index, phase, state, dialect)
            yield migration, phase, state.copy()
    if compiled and (difference := _difference(state, compiled[-1].after)):
        last = compiled[-1].migration.id
        raise InvalidOperation(
            f"run phase by phase, the release leaves {difference}, unlike what {last} "
            "expects: a migration's contract undoes a change of a later one; the two belong "
            "in separate releases"
        )


def _run_in_release(
    operations: list[_Progress], index: int, phase: Phase, state: Schema, dialect: Dialect
) -> None:
    progress = operations[index]
    met = state.copy()  # as the phase met it: a failed phase may have changed part of it
    try:
        _run(progress, phase, state, dialect)
    except NOT_APPLICABLE as exc:
        earlier = operations[:index]
        raise _not_applicable(exc, progress, phase, earlier, met, dialect) from None
    progress.ran.append(phase)


def _run(progress: _Progress, phase: Phase, state: Schema, dialect: Dialect) -> None:
    """One phase of one operation; before its expand, it must fit the schema it meets."""
    if phase is Phase.EXPAND:
        progress.operation.validate(state, dialect)
    progress.operation.apply_phase(state, dialect, phase)


def _not_applicable(
    error: Exception,
    failed: _Progress,
    phase: Phase,
    earlier: list[_Progress],
    state: Schema,
    dialect: Dialect,
) -> InvalidOperation:
    """The error for an operation whose ``phase`` does not fit ``state``: it names the earliest
    operation still short of its contract that, once complete, lets the phase run."""
    reason = str(error)
    where = f"{failed.migration.migration.id}: the {phase} of {failed.describe()}"
    table, column = getattr(error, "table", None), getattr(error, "column", None)
    trial = state.copy()
    for candidate in earlier:
        if Phase.CONTRACT in candidate.ran:
            continue
        completed = trial.copy()
        try:
            for pending in RUN_ORDER:
                if pending not in candidate.ran:
                    candidate.operation.apply_phase(completed, dialect, pending)
        except NOT_APPLICABLE:
            continue
        trial = completed
        try:
            _run(failed, phase, trial.copy(), dialect)
        except NOT_APPLICABLE:
            continue
        if candidate.migration is failed.migration:
            return InvalidOperation(
                f"{where} needs the contract of {candidate.describe()} first ({reason}): "
                f"move {failed.describe()} to a migration of a later release",
                table=table,
                column=column,
            )
        ids = candidate.migration.migration.id, failed.migration.migration.id
        return InvalidOperation(
            f"{where} needs the contract of {candidate.describe()} of {ids[0]} first "
            f"({reason}): {ids[0]} and {ids[1]} belong in separate releases",
            table=table,
            column=column,
        )
    return InvalidOperation(f"{where} in this release: {reason}", table=table, column=column)


def _refuse_crossed_writes(operations: list[_Progress]) -> None:
    """Refuse an operation that writes a column an earlier migration of the release keeps in
    step by trigger: that trigger lives until its migration's contract, which runs after every
    backfill of the release, and takes such writes for an app's or ignores them. Within one
    migration, compiling refuses the same."""
    synced: dict[tuple[str, str], _Progress] = {}
    for progress in operations:
        for table, column in sorted(progress.operation.written_columns()):
            earlier = synced.get((table, column))
            if earlier is not None and earlier.migration is not progress.migration:
                ids = earlier.migration.migration.id, progress.migration.migration.id
                raise InvalidOperation(
                    f"{ids[1]}: {progress.describe()} writes {table}.{column}, which "
                    f"{earlier.describe()} of {ids[0]} keeps in step by trigger until its "
                    f"contract: {ids[0]} and {ids[1]} belong in separate releases",
                    table=table,
                    column=column,
                )
        for key in progress.operation.synced_columns():
            synced.setdefault(key, progress)


def _difference(got: Schema, expected: Schema) -> str | None:
    """Where ``got`` first differs from ``expected``, in words, or None."""
    return _first_difference(got.to_dict(), expected.to_dict(), [])


def _first_difference(got: Any, expected: Any, path: list[str]) -> str | None:
    if (
        isinstance(got, list)
        and isinstance(expected, list)
        and all(isinstance(item, dict) and "name" in item for item in got + expected)
    ):
        got = {_key(item): item for item in got}
        expected = {_key(item): item for item in expected}
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            if key not in got or key not in expected:
                missing = "without" if key not in got else "with an unexpected"
                return f"{'/'.join(path) or 'the schema'} {missing} {key}"
            found = _first_difference(got[key], expected[key], [*path, str(key)])
            if found:
                return found
        return None
    if got == expected:
        return None
    return f"{'/'.join(path)} = {got!r} where {expected!r} was expected"


def _key(item: dict[str, Any]) -> str:
    return join_name(item.get("schema"), str(item["name"]))
