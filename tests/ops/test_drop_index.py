from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, ObjectNotFound, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.drop_index import DropIndex
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "di_items",
        Column("id", Integer, primary_key=True),
        Column("sku", String(20)),
        Column("name", String(50)),
        Column("code", String(10), unique=True),
    ),
    ops.CreateIndex("ix_di_items_name", "di_items", ["name"]),
    ops.CreateIndex("ux_di_items_sku", "di_items", ["sku"], unique=True),
]
OPERATIONS = [DropIndex("ix_di_items_name", "di_items"), DropIndex("ux_di_items_sku", "di_items")]

# The old app looks items up by name and relies on the unique index to refuse a second sku;
# the new app does neither.
old = sa.Table(
    "di_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sku", String(20), unique=True),
    Column("name", String(50), index=True),
)
new = sa.Table(
    "di_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sku", String(20)),
    Column("name", String(50)),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"sku": f"s{i}", "name": f"n{i}"} for i in range(20)])


def indexes(connection: sa.Connection) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(connection).get_indexes("di_items")}


def check(connection: sa.Connection, phase: str) -> None:
    # Nothing is dropped before contract: the old app keeps its indexes and its unique sku.
    assert {"ix_di_items_name", "ux_di_items_sku"} <= indexes(connection)
    connection.execute(old.insert().values(sku=f"old-{phase}", name=f"old-{phase}"))
    connection.execute(new.insert().values(sku=f"new-{phase}", name=f"new-{phase}"))
    assert (
        connection.execute(sa.select(old.c.sku).where(old.c.name == f"new-{phase}")).scalar_one()
        == f"new-{phase}"
    )
    assert (
        connection.execute(sa.select(new.c.sku).where(new.c.name == f"old-{phase}")).scalar_one()
        == f"old-{phase}"
    )
    fails(connection, old.insert().values(sku="s1", name="dup"))


def after(connection: sa.Connection) -> None:
    assert not {"ix_di_items_name", "ux_di_items_sku"} & indexes(connection)
    connection.execute(new.insert().values(sku="after", name="after"))
    assert connection.execute(sa.select(new.c.sku).where(new.c.name == "n3")).scalar_one() == "s3"
    # What the old app relied on is gone: a second "s1" goes in.
    connection.execute(new.insert().values(sku="s1", name="dup"))
    assert (
        connection.execute(
            sa.select(sa.func.count()).select_from(new).where(new.c.sku == "s1")
        ).scalar_one()
        == 2
    )


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["di_items"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    migration = compile_ops(dialect, SETUP, OPERATIONS)
    assert migration.after.tables["di_items"].indexes == {}
    # On MySQL the unique index is the model's unique constraint; DropIndex drops it there too.
    assert "ux_di_items_sku" not in migration.after.tables["di_items"].uniques
    return sql_by_phase(migration)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [
            'DROP INDEX CONCURRENTLY "ix_di_items_name"',
            'DROP INDEX CONCURRENTLY "ux_di_items_sku"',
        ],
        Phase.ROLLBACK: [],
    }


def test_mysql_sql() -> None:
    assert _compiled("mysql")[Phase.CONTRACT] == [
        "ALTER TABLE `di_items` DROP INDEX `ix_di_items_name`, ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE `di_items` DROP INDEX `ux_di_items_sku`, ALGORITHM=INPLACE, LOCK=NONE",
    ]


@pytest.mark.parametrize(
    ("operation", "error", "match"),
    [
        (DropIndex("ix_nope", "di_items"), ObjectNotFound, "ix_nope.*di_items"),
        (DropIndex("ix_di_items_name", "di_nope"), TableNotFound, "di_nope"),
        (DropIndex("di_items_code_key", "di_items"), InvalidOperation, "DropConstraint"),
        (DropIndex("di_items_pkey", "di_items"), InvalidOperation, "primary key"),
    ],
)
def test_bad_input(operation: DropIndex, error: type[Exception], match: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)


FK_SETUP = [
    ops.CreateTable("di_owners", Column("id", Integer, primary_key=True)),
    ops.CreateTable(
        "di_pets",
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer, ForeignKey("di_owners.id", name="fk_di_pets_owner")),
    ),
    ops.CreateIndex("ix_di_pets_owner", "di_pets", ["owner_id"]),
]


def test_index_a_foreign_key_needs() -> None:
    """InnoDB refuses to drop the last index a foreign key can use; PostgreSQL needs none."""
    drop = Migration("m", [DropIndex("ix_di_pets_owner", "di_pets")])
    mysql = get_dialect("mysql")
    base = compile_migration(Migration("setup", FK_SETUP), Schema(), mysql).after
    with pytest.raises(InvalidOperation, match="fk_di_pets_owner"):
        compile_migration(drop, base, mysql)
    pg = get_dialect("postgresql")
    base = compile_migration(Migration("setup", FK_SETUP), Schema(), pg).after
    compile_migration(drop, base, pg)
