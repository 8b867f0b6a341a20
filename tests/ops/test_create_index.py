from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.conftest import server_dialect
from tests.lifecycle import (
    Lifecycle,
    compile_ops,
    fails,
    run_lifecycle,
    set_up,
    sql_by_phase,
    state,
)
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, InvalidOperation, ObjectExists
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.create_index import CreateIndex
from zdmigrate.run.executor import run_phase
from zdmigrate.schema import Index, Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "ci_accounts",
        Column("id", Integer, primary_key=True),
        Column("tenant", Integer, nullable=False),
        Column("name", String(50), nullable=False),
        Column("email", String(100)),
        Column("deleted_at", Integer),
    )
]
BY_NAME = CreateIndex("ix_ci_accounts_name", "ci_accounts", ["name"])
EMAIL = CreateIndex("ux_ci_accounts_email", "ci_accounts", ["email"], unique=True)
# A live account's name is unique within its tenant; deleted ones keep theirs.
LIVE_NAME = CreateIndex(
    "ux_ci_accounts_live_name",
    "ci_accounts",
    ["tenant", "name"],
    unique=True,
    where="deleted_at IS NULL",
)

old = sa.Table(
    "ci_accounts",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("tenant", Integer),
    Column("name", String(50)),
    Column("email", String(100)),
    Column("deleted_at", Integer),
)
new = sa.Table(
    "ci_accounts",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("tenant", Integer),
    Column("name", String(50), index=True),
    Column("email", String(100), unique=True),
    Column("deleted_at", Integer),
)


def operations(dialect: Dialect) -> list[CreateIndex]:
    return [BY_NAME, EMAIL, *([LIVE_NAME] if dialect.caps.partial_indexes else [])]


def seed(connection: sa.Connection) -> None:
    connection.execute(
        old.insert(),
        [
            {"tenant": i % 3, "name": f"n{i}", "email": f"a{i}@x", "deleted_at": None}
            for i in range(20)
        ]
        # A deleted account with a live one's name: the partial index allows it.
        + [{"tenant": 1, "name": "n1", "email": None, "deleted_at": 5}],
    )


def index_names(connection: sa.Connection) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(connection).get_indexes("ci_accounts")}


def both_apps(connection: sa.Connection, dialect: Dialect, tag: str) -> None:
    """Both apps write and read; each index refuses what it must from expand on."""
    assert {op.name for op in operations(dialect)} <= index_names(connection)
    connection.execute(old.insert().values(tenant=1, name=f"old-{tag}", email=f"old-{tag}@x"))
    connection.execute(new.insert().values(tenant=1, name=f"new-{tag}", email=f"new-{tag}@x"))
    assert (
        connection.execute(sa.select(new.c.email).where(new.c.name == f"old-{tag}")).scalar_one()
        == f"old-{tag}@x"
    )
    assert (
        connection.execute(sa.select(old.c.email).where(old.c.name == f"new-{tag}")).scalar_one()
        == f"new-{tag}@x"
    )
    fails(connection, old.insert().values(tenant=2, name=f"dup-{tag}", email="a3@x"))
    fails(connection, new.insert().values(tenant=2, name=f"dup-{tag}", email=f"old-{tag}@x"))
    # NULLs are not equal to each other: any number of accounts may lack an email.
    connection.execute(old.insert().values(tenant=0, name=f"none1-{tag}", email=None))
    connection.execute(new.insert().values(tenant=0, name=f"none2-{tag}", email=None))
    if dialect.caps.partial_indexes:
        connection.execute(old.insert().values(tenant=2, name="n2", email=None, deleted_at=9))
        fails(connection, new.insert().values(tenant=2, name="n2", email=None))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db

    def check(connection: sa.Connection, phase: str) -> None:
        both_apps(connection, dialect, phase)

    def after(connection: sa.Connection) -> None:
        # Nothing is removed: the new app keeps working and the indexes keep refusing.
        both_apps(connection, dialect, "after")

    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ci_accounts"],
            setup=SETUP,
            operations=operations(dialect),
            check=check,
            after=after,
            seed=seed,
        ),
    )


def _is_valid(connection: sa.Connection, index: str) -> bool:
    return bool(
        connection.exec_driver_sql(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = %(name)s::regclass",
            {"name": index},
        ).scalar_one()
    )


def test_invalid_leftover_is_rebuilt(pg_engine: sa.Engine) -> None:
    """A unique build CONCURRENTLY over duplicates fails and leaves an INVALID index of that
    name. Once the data is clean, CreateIndex, planned against the reflected schema, validates
    (the name is only a leftover), and its expand drops the leftover and builds it again."""
    engine, dialect = pg_engine, server_dialect(pg_engine)

    def with_duplicate(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(tenant=0, name="twin", email="a3@x"))

    case = Lifecycle(
        tables=["ci_accounts"],
        setup=SETUP,
        operations=[EMAIL],
        check=lambda connection, phase: None,
        after=lambda connection: None,
        seed=with_duplicate,
    )
    set_up(engine, dialect, case)
    by_hand = dialect.create_index_sql("ci_accounts", EMAIL.model(), concurrently=True)
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        with pytest.raises(sa.exc.IntegrityError):
            connection.exec_driver_sql(by_hand)
        assert not _is_valid(connection, EMAIL.name)
    reflected = state(engine, dialect, case)
    assert reflected.tables["ci_accounts"].indexes[EMAIL.name].valid is False

    with engine.begin() as connection:
        connection.execute(old.delete().where(old.c.name == "twin"))
    migration = compile_migration(Migration("m", [EMAIL]), reflected, dialect)
    run_phase(engine, migration, Phase.EXPAND, dialect)

    with engine.begin() as connection:
        assert _is_valid(connection, EMAIL.name)
        fails(connection, old.insert().values(tenant=0, name="twin", email="a3@x"))
    rebuilt = state(engine, dialect, case)
    assert rebuilt.tables["ci_accounts"].indexes[EMAIL.name].valid is True
    # A valid index of that name is a real clash.
    with pytest.raises(ObjectExists, match=EMAIL.name):
        compile_migration(Migration("m", [EMAIL]), rebuilt, dialect)


def test_postgresql_sql() -> None:
    assert sql_by_phase(compile_ops("postgresql", SETUP, [LIVE_NAME])) == {
        Phase.EXPAND: [
            'DROP INDEX CONCURRENTLY IF EXISTS "ux_ci_accounts_live_name"',
            'CREATE UNIQUE INDEX CONCURRENTLY "ux_ci_accounts_live_name" ON "ci_accounts" '
            '("tenant", "name") WHERE deleted_at IS NULL',
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: ['DROP INDEX CONCURRENTLY "ux_ci_accounts_live_name"'],
    }
    build = compile_ops("postgresql", SETUP, [EMAIL]).steps[Phase.EXPAND][1].statement
    assert not build.transactional and build.blocks == () and build.scan


def test_mysql_sql() -> None:
    assert sql_by_phase(compile_ops("mysql", SETUP, [EMAIL])) == {
        Phase.EXPAND: [
            "ALTER TABLE `ci_accounts` ADD UNIQUE INDEX `ux_ci_accounts_email` (`email`), "
            "ALGORITHM=INPLACE, LOCK=NONE"
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [
            "ALTER TABLE `ci_accounts` DROP INDEX `ux_ci_accounts_email`, "
            "ALGORITHM=INPLACE, LOCK=NONE"
        ],
    }


def test_model_after() -> None:
    """A unique index is a unique constraint in the MySQL model, an index in PostgreSQL's."""
    for name, kind in (("postgresql", "indexes"), ("mariadb", "uniques")):
        after = compile_ops(name, SETUP, [EMAIL, BY_NAME]).after
        table = after.tables["ci_accounts"]
        assert EMAIL.name in getattr(table, kind)
        assert BY_NAME.name in table.indexes


@pytest.mark.parametrize(
    ("dialect", "operation", "error", "match"),
    [
        ("postgresql", dataclasses.replace(BY_NAME, columns=["nope"]), ColumnNotFound, "nope"),
        ("postgresql", dataclasses.replace(BY_NAME, name="ci_accounts_pkey"), ObjectExists, "pkey"),
        ("mariadb", LIVE_NAME, InvalidOperation, "partial"),
    ],
)
def test_bad_input(
    dialect: str, operation: CreateIndex, error: type[Exception], match: str
) -> None:
    d = get_dialect(dialect)
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)


def test_existing_index_name() -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    base.tables["ci_accounts"].indexes[EMAIL.name] = Index(EMAIL.name, ["email"], valid=True)
    with pytest.raises(ObjectExists, match=EMAIL.name):
        compile_migration(Migration("m", [EMAIL]), base, d)
    base.tables["ci_accounts"].indexes[EMAIL.name].valid = False
    compile_migration(Migration("m", [EMAIL]), base, d)


def test_an_index_name_another_table_of_the_schema_has_is_refused_on_postgresql() -> None:
    """PostgreSQL index names are per schema, and a build drops an INVALID leftover by name:
    the same name on another table must be refused, not dropped."""
    other = ops.CreateTable(
        "ci_other", Column("id", Integer, primary_key=True), Column("email", String(50))
    )
    taken = ops.CreateIndex("ix_ci_shared", "ci_other", ["email"])
    mine = ops.CreateTable(
        "ci_mine", Column("id", Integer, primary_key=True), Column("email", String(50))
    )
    with pytest.raises(ObjectExists, match="ci_other"):
        compile_ops(
            "postgresql",
            [other, taken, mine],
            [ops.CreateIndex("ix_ci_shared", "ci_mine", ["email"])],
        )
    # MySQL index names are per table.
    compile_ops(
        "mariadb", [other, taken, mine], [ops.CreateIndex("ix_ci_shared", "ci_mine", ["email"])]
    )
