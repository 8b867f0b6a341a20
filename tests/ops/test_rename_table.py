from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer, String

from tests.conftest import server_dialect
from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, TableExists, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.rename_table import RenameTable
from zdmigrate.schema import Schema, split_name
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "rt_authors",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("country", String(2), nullable=False, server_default="NZ"),
    ),
    ops.CreateTable(
        "rt_books",
        Column("id", Integer, primary_key=True),
        Column("author_id", Integer, ForeignKey("rt_authors.id"), nullable=False),
        Column("title", String(100), nullable=False),
    ),
]
RENAME = RenameTable("rt_authors", "rt_writers")


def app_table(qualified: str) -> sa.Table:
    schema, name = split_name(qualified)
    return sa.Table(
        name,
        sa.MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("country", String(2)),
        schema=schema,
    )


books = sa.Table(
    "rt_books",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("author_id", Integer),
    Column("title", String(100)),
)


def both_apps_work(connection: sa.Connection, old: sa.Table, new: sa.Table, phase: str) -> None:
    """The old app uses the old name, the new app the new one; each sees the other's rows."""
    old_id = connection.execute(old.insert().values(name=f"old-{phase}")).inserted_primary_key[0]
    new_id = connection.execute(
        new.insert().values(name=f"new-{phase}", country="DE")
    ).inserted_primary_key[0]
    assert old_id != new_id
    # The old app's insert through the view got the table's identity and server default.
    assert tuple(
        connection.execute(sa.select(new.c.name, new.c.country).where(new.c.id == old_id)).one()
    ) == (f"old-{phase}", "NZ")
    assert connection.execute(sa.select(old.c.name).where(old.c.id == new_id)).scalar_one() == (
        f"new-{phase}"
    )
    connection.execute(old.update().where(old.c.id == new_id).values(name=f"new-{phase}-by-old"))
    connection.execute(new.update().where(new.c.id == old_id).values(name=f"old-{phase}-by-new"))
    assert connection.execute(sa.select(new.c.name).where(new.c.id == new_id)).scalar_one() == (
        f"new-{phase}-by-old"
    )
    assert connection.execute(sa.select(old.c.name).where(old.c.id == old_id)).scalar_one() == (
        f"old-{phase}-by-new"
    )
    count = sa.select(sa.func.count()).select_from
    assert (
        connection.execute(count(old)).scalar_one() == connection.execute(count(new)).scalar_one()
    )


def seed(connection: sa.Connection) -> None:
    old = app_table("rt_authors")
    author = connection.execute(old.insert().values(name="seed")).inserted_primary_key[0]
    connection.execute(books.insert().values(author_id=author, title="Seeded"))


def check(connection: sa.Connection, phase: str) -> None:
    old, new = app_table("rt_authors"), app_table("rt_writers")
    both_apps_work(connection, old, new, phase)
    # rt_books' foreign key followed the table: rows written through either name satisfy it.
    for author in connection.execute(sa.select(old.c.id)).scalars().all():
        connection.execute(books.insert().values(author_id=author, title=f"{phase}-{author}"))
    fails(connection, books.insert().values(author_id=999_999, title="orphan"))
    # Deleting through the view is checked against the foreign key, as on the table.
    fails(connection, old.delete().where(old.c.name == "seed"))


def after(connection: sa.Connection) -> None:
    old, new = app_table("rt_authors"), app_table("rt_writers")
    author = connection.execute(new.insert().values(name="after")).inserted_primary_key[0]
    connection.execute(books.insert().values(author_id=author, title="After"))
    assert connection.execute(sa.select(new.c.name).where(new.c.id == author)).scalar_one() == (
        "after"
    )
    assert connection.execute(sa.select(new.c.id).where(new.c.name == "seed")).scalar_one()
    fails(connection, sa.select(old.c.name))
    fails(connection, old.insert().values(name="late"))
    assert "rt_authors" not in sa.inspect(connection).get_view_names()


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["rt_authors", "rt_writers", "rt_books"],
            setup=SETUP,
            operations=[RENAME],
            check=check,
            after=after,
            seed=seed,
        ),
    )


# --- a schema-qualified table on PostgreSQL: the view stays beside it ------------------------

BILLING_SETUP = [
    ops.CreateTable(
        "rt_billing.invoices",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("country", String(2), nullable=False, server_default="NZ"),
    )
]


def billing_check(connection: sa.Connection, phase: str) -> None:
    both_apps_work(
        connection, app_table("rt_billing.invoices"), app_table("rt_billing.bills"), phase
    )
    inspector = sa.inspect(connection)
    assert "invoices" in inspector.get_view_names(schema="rt_billing")
    assert "bills" in inspector.get_table_names(schema="rt_billing")
    assert "invoices" not in inspector.get_view_names()


def billing_after(connection: sa.Connection) -> None:
    new = app_table("rt_billing.bills")
    connection.execute(new.insert().values(name="after"))
    assert connection.execute(sa.select(sa.func.count()).select_from(new)).scalar_one() == 7
    fails(connection, sa.select(app_table("rt_billing.invoices").c.name))
    assert sa.inspect(connection).get_view_names(schema="rt_billing") == []


def test_lifecycle_in_a_schema(pg_engine: sa.Engine) -> None:
    run_lifecycle(
        pg_engine,
        server_dialect(pg_engine),
        Lifecycle(
            tables=["rt_billing.invoices", "rt_billing.bills"],
            setup=BILLING_SETUP,
            operations=[RenameTable("rt_billing.invoices", "rt_billing.bills")],
            check=billing_check,
            after=billing_after,
            schemas=["rt_billing"],
        ),
    )


# --- compiled SQL -------------------------------------------------------------------------


def test_postgresql_sql() -> None:
    compiled = compile_ops("postgresql", SETUP, [RENAME])
    sql = sql_by_phase(compiled)
    assert sql[Phase.EXPAND] == [
        'ALTER TABLE "rt_authors" RENAME TO "rt_writers"',
        'CREATE VIEW "rt_authors" AS SELECT * FROM "rt_writers"',
    ]
    # Both in one transaction: the old name is never missing.
    assert all(s.statement.transactional for s in compiled.steps[Phase.EXPAND])
    assert sql[Phase.BACKFILL] == []
    assert sql[Phase.CONTRACT] == ['DROP VIEW IF EXISTS "rt_authors"']
    assert sql[Phase.ROLLBACK] == [
        'DROP VIEW IF EXISTS "rt_authors"',
        'ALTER TABLE "rt_writers" RENAME TO "rt_authors"',
    ]
    # Later operations see the new name, and the foreign key pointing at it.
    assert "rt_writers" in compiled.after.tables and "rt_authors" not in compiled.after.tables
    assert compiled.after.table("rt_writers").name == "rt_writers"
    [fk] = compiled.after.table("rt_books").foreign_keys.values()
    assert fk.ref_table == "rt_writers"


def test_postgresql_schema_qualified() -> None:
    operation = RenameTable("rt_billing.invoices", "rt_billing.bills")
    compiled = compile_ops("postgresql", BILLING_SETUP, [operation])
    assert [s.sql for s in compiled.steps[Phase.EXPAND]] == [
        'ALTER TABLE "rt_billing"."invoices" RENAME TO "bills"',
        'CREATE VIEW "rt_billing"."invoices" AS SELECT * FROM "rt_billing"."bills"',
    ]
    assert [s.sql for s in compiled.steps[Phase.CONTRACT]] == [
        'DROP VIEW IF EXISTS "rt_billing"."invoices"'
    ]
    table = compiled.after.table("rt_billing.bills")
    assert (table.schema, table.name) == ("rt_billing", "bills")


def test_mysql_sql() -> None:
    compiled = compile_ops("mariadb", SETUP, [RENAME])
    sql = sql_by_phase(compiled)
    # DDL is not transactional: a stand-in lets the view exist before one atomic RENAME TABLE.
    assert sql[Phase.EXPAND] == [
        "CREATE TABLE `rt_writers` LIKE `rt_authors`",
        "CREATE VIEW `zdm_rt_authors_view` AS SELECT * FROM `rt_writers`",
        "RENAME TABLE `rt_writers` TO `zdm_rt_authors_stand_in`, `rt_authors` TO `rt_writers`, "
        "`zdm_rt_authors_view` TO `rt_authors`",
        "DROP TABLE `zdm_rt_authors_stand_in`",
    ]
    assert sql[Phase.CONTRACT] == ["DROP VIEW IF EXISTS `rt_authors`"]
    assert sql[Phase.ROLLBACK] == [
        "RENAME TABLE `rt_authors` TO `zdm_rt_authors_view`, `rt_writers` TO `rt_authors`",
        "DROP VIEW IF EXISTS `zdm_rt_authors_view`",
    ]


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (RenameTable("rt_nope", "rt_other"), TableNotFound),
        (RenameTable("rt_authors", "rt_books"), TableExists),
        (RenameTable("rt_authors", "rt_billing.rt_writers"), InvalidOperation),
    ],
)
def test_bad_input(operation: ops.Operation, error: type[Exception]) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match="rt_"):
        compile_migration(Migration("m", [operation]), base, d)
