"""The lifecycle every operation is tested through, on a real server, in pgroll's shape:

    setup → S0
    expand → both apps work, each sees the other's writes            (check(conn, "expand"))
    rollback → the schema equals S0 and no zdmigrate object remains
    expand → backfill → both apps work                                (check(conn, "backfill"))
    rollback → the schema equals S0 and no zdmigrate object remains
    expand → backfill → both apps work                                (check(conn, "again"))
    contract → the new app works, the old app's use of what is gone fails   (after(conn))
             → no zdmigrate object remains

Test modules describe the setup, the operations and the app checks; this module runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.migration import CompiledMigration, Migration, compile_migration
from zdmigrate.ops.base import Operation
from zdmigrate.reflect import list_views, reflect_schema
from zdmigrate.run.executor import run_all, run_phase, run_rollback
from zdmigrate.schema import Schema, split_name
from zdmigrate.steps import Phase

Check = Callable[[sa.Connection, str], None]


@dataclass
class Lifecycle:
    tables: Sequence[str]
    """Every table the test creates (qualified), dropped before it starts."""
    setup: Sequence[Operation]
    operations: Sequence[Operation]
    check: Check
    """Called after expand ("expand"), after backfill ("backfill") and after backfill again
    ("again"): both apps work. Use the phase name to keep the rows each call writes apart."""
    after: Callable[[sa.Connection], None]
    """Called after contract: the new app works; the old app's use of what is gone fails."""
    seed: Callable[[sa.Connection], None] | None = None
    """Rows written before the migration starts, for the backfill to carry over."""
    schemas: Sequence[str] = field(default_factory=tuple)
    """Non-default PostgreSQL schemas the test's tables live in (created if missing)."""
    extra_cleanup: Sequence[str] = field(default_factory=tuple)
    """More SQL run before the test, such as DROP TYPE for enum types."""
    after_rollback: Check | None = None
    """Called after each rollback, with the phase it undid ("expand", "backfill"): the old
    app reads what both apps wrote."""


def reset(engine: sa.Engine, dialect: Dialect, case: Lifecycle) -> None:
    """The case's tables, views and trigger functions gone, including what a crashed run left."""
    with engine.begin() as connection:
        for table in reversed(list(case.tables)):
            # PostgreSQL refuses DROP VIEW IF EXISTS on a table: drop only what is a view. A
            # fresh inspector each time: a CASCADE before may have dropped a view already.
            schema, name = split_name(table)
            if name in sa.inspect(connection).get_view_names(schema=schema):
                connection.exec_driver_sql(f"DROP VIEW {dialect.table(table)}")
            cascade = " CASCADE" if dialect.caps.transactional_ddl else ""
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.table(table)}{cascade}")
        if dialect.caps.transactional_ddl:
            # Dropping a table leaves its trigger functions behind.
            for schema, function in connection.execute(
                sa.text(
                    "SELECT n.nspname, p.proname FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname LIKE 'zdm\\_%'"
                )
            ):
                if any(split_name(t)[1] in function for t in case.tables):
                    qualified = dialect.table(f"{schema}.{function}")
                    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {qualified}() CASCADE")
        for sql in case.extra_cleanup:
            connection.exec_driver_sql(sql)
        for schema in case.schemas:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(schema)}")


def state(engine: sa.Engine, dialect: Dialect, case: Lifecycle) -> Schema:
    """The reflected schema of the test's own tables."""
    with engine.connect() as connection:
        reflected = reflect_schema(connection, dialect)
    mine = Schema()
    for name in case.tables:
        if name in reflected.tables:
            mine.add_table(reflected.tables[name])
    return mine


def leftovers(engine: sa.Engine, dialect: Dialect, case: Lifecycle) -> list[str]:
    """Every trigger, function, view, column, index or constraint of zdmigrate's still there."""
    found = []
    for table in state(engine, dialect, case).tables.values():
        names = [
            *table.columns,
            *table.indexes,
            *table.constraint_names(),
            *table.triggers,
        ]
        found += [f"{table.qualified_name}.{n}" for n in names if "zdm_" in n]
    with engine.connect() as connection:
        views = list_views(connection, dialect)
        functions: list[str] = []
        if dialect.caps.transactional_ddl:
            functions = list(
                # text() escapes the % for the driver's placeholder syntax; raw SQL would not.
                connection.execute(
                    sa.text("SELECT proname FROM pg_proc WHERE proname LIKE 'zdm\\_%'")
                ).scalars()
            )
    # zdmigrate names its objects after their table: other tests, perhaps running at the same
    # time on the same servers, leave theirs out of this count.
    mine = [split_name(t)[1] for t in case.tables]
    return found + [
        name for name in views + functions if "zdm_" in name and any(t in name for t in mine)
    ]


def compiled(case: Lifecycle, dialect: Dialect, baseline: Schema) -> CompiledMigration:
    return compile_migration(
        Migration(id="under_test", operations=case.operations), baseline, dialect
    )


def compile_ops(
    dialect: str | Dialect, setup: Sequence[Operation], operations: Sequence[Operation]
) -> CompiledMigration:
    """The operations compiled, without a server, against the schema that ``setup`` makes from
    an empty one."""
    d = get_dialect(dialect) if isinstance(dialect, str) else dialect
    base = compile_migration(Migration("setup", setup), Schema(), d).after
    return compile_migration(Migration("m", operations), base, d)


def sql_by_phase(compiled: CompiledMigration) -> dict[Phase, list[str]]:
    """Each phase's statements, as SQL."""
    return {phase: [step.sql for step in steps] for phase, steps in compiled.steps.items()}


def set_up(engine: sa.Engine, dialect: Dialect, case: Lifecycle) -> Schema:
    """S0: the case's tables made afresh and seeded. Returns the schema model setup made."""
    reset(engine, dialect, case)
    setup = compile_migration(Migration(id="setup", operations=case.setup), Schema(), dialect)
    run_all(engine, setup, dialect)
    if case.seed:
        with engine.begin() as connection:
            case.seed(connection)
    return setup.after


def run_lifecycle(engine: sa.Engine, dialect: Dialect, case: Lifecycle) -> None:
    baseline = set_up(engine, dialect, case)
    start = state(engine, dialect, case)
    migration = compiled(case, dialect, baseline)

    run_phase(engine, migration, Phase.EXPAND, dialect)
    with engine.begin() as connection:
        case.check(connection, "expand")

    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    _after_rollback(engine, case, Phase.EXPAND)
    assert state(engine, dialect, case) == start, "rollback after expand left the schema changed"
    assert leftovers(engine, dialect, case) == []

    run_phase(engine, migration, Phase.EXPAND, dialect)
    run_phase(engine, migration, Phase.BACKFILL, dialect, batch_size=7)
    with engine.begin() as connection:
        case.check(connection, "backfill")
    run_rollback(engine, migration, dialect, reached=Phase.BACKFILL)
    _after_rollback(engine, case, Phase.BACKFILL)
    assert state(engine, dialect, case) == start, "rollback after backfill left the schema changed"
    assert leftovers(engine, dialect, case) == []

    run_phase(engine, migration, Phase.EXPAND, dialect)
    run_phase(engine, migration, Phase.BACKFILL, dialect, batch_size=7)
    with engine.begin() as connection:
        case.check(connection, "again")

    run_phase(engine, migration, Phase.CONTRACT, dialect)
    with engine.begin() as connection:
        case.after(connection)
    assert leftovers(engine, dialect, case) == []


def _after_rollback(engine: sa.Engine, case: Lifecycle, undone: Phase) -> None:
    if case.after_rollback:
        with engine.begin() as connection:
            case.after_rollback(connection, str(undone))


def fails(connection: sa.Connection, statement: sa.Executable) -> None:
    """The statement fails on the server (and the failure does not poison the transaction)."""
    savepoint = connection.begin_nested()
    with pytest.raises(sa.exc.DBAPIError):
        connection.execute(statement)
    savepoint.rollback()
