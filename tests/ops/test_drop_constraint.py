from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, ObjectNotFound, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_check_constraint import AddCheckConstraint
from zdmigrate.ops.add_foreign_key import AddForeignKey
from zdmigrate.ops.add_unique_constraint import AddUniqueConstraint
from zdmigrate.ops.drop_constraint import DropConstraint
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

UNIQUE, CHECK, FOREIGN_KEY = "uq_dc_parents_code", "ck_dc_children_qty", "fk_dc_children_parent"
SETUP = [
    ops.CreateTable(
        "dc_parents", Column("id", Integer, primary_key=True), Column("code", String(10))
    ),
    ops.CreateTable(
        "dc_children",
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer),
        Column("qty", Integer),
    ),
    AddUniqueConstraint(UNIQUE, "dc_parents", ["code"]),
    AddForeignKey(FOREIGN_KEY, "dc_children", ["parent_id"], "dc_parents", ["id"]),
    AddCheckConstraint(CHECK, "dc_children", "qty > 0"),
]
OPERATIONS = [
    DropConstraint(UNIQUE, "dc_parents"),
    DropConstraint(CHECK, "dc_children"),
    DropConstraint(FOREIGN_KEY, "dc_children"),
]

parents = sa.Table(
    "dc_parents",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("code", String(10)),
)
# Both app versions write the same columns; the old one relies on the server to refuse a second
# code, a quantity below one and an order of a parent that does not exist.
children = sa.Table(
    "dc_children",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer),
    Column("qty", Integer),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(parents.insert(), [{"id": i, "code": f"p{i}"} for i in range(1, 6)])
    connection.execute(
        children.insert(), [{"parent_id": 1 + i % 5, "qty": 1 + i} for i in range(20)]
    )


def violations(tag: int) -> list[sa.Executable]:
    return [
        parents.insert().values(id=100 + tag, code="p1"),
        children.insert().values(parent_id=2, qty=0),
        children.insert().values(parent_id=999, qty=1),
    ]


def check(connection: sa.Connection, phase: str) -> None:
    tag = {"expand": 1, "backfill": 2, "again": 3}[phase]
    # Nothing is dropped before contract: every constraint still refuses what it refused.
    for statement in violations(tag):
        fails(connection, statement)
    connection.execute(parents.insert().values(id=10 + tag, code=f"{phase}"))
    connection.execute(children.insert().values(parent_id=10 + tag, qty=7))
    assert (
        connection.execute(
            sa.select(parents.c.code)
            .join(children, children.c.parent_id == parents.c.id)
            .where(children.c.qty == 7, parents.c.id == 10 + tag)
        ).scalar_one()
        == phase
    )


def after(connection: sa.Connection) -> None:
    # What the old app relied on is gone: each of those writes goes in now.
    for statement in violations(0):
        connection.execute(statement)
    assert (
        connection.execute(
            sa.select(sa.func.count()).select_from(parents).where(parents.c.code == "p1")
        ).scalar_one()
        == 2
    )
    assert (
        connection.execute(
            sa.select(children.c.qty).where(children.c.parent_id == 999)
        ).scalar_one()
        == 1
    )


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["dc_parents", "dc_children"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    migration = compile_ops(dialect, SETUP, OPERATIONS)
    parents_after, children_after = (
        migration.after.tables[t] for t in ("dc_parents", "dc_children")
    )
    assert not parents_after.uniques and not children_after.checks
    assert not children_after.foreign_keys
    return sql_by_phase(migration)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [
            f'ALTER TABLE "dc_parents" DROP CONSTRAINT "{UNIQUE}"',
            f'ALTER TABLE "dc_children" DROP CONSTRAINT "{CHECK}"',
            f'ALTER TABLE "dc_children" DROP CONSTRAINT "{FOREIGN_KEY}"',
        ],
        Phase.ROLLBACK: [],
    }


def test_mysql_sql_by_kind() -> None:
    assert _compiled("mysql")[Phase.CONTRACT] == [
        f"ALTER TABLE `dc_parents` DROP INDEX `{UNIQUE}`, ALGORITHM=INPLACE, LOCK=NONE",
        f"ALTER TABLE `dc_children` DROP CONSTRAINT `{CHECK}`, ALGORITHM=INPLACE, LOCK=NONE",
        f"ALTER TABLE `dc_children` DROP FOREIGN KEY `{FOREIGN_KEY}`, ALGORITHM=INPLACE, LOCK=NONE",
    ]


@pytest.mark.parametrize(
    ("operation", "error", "match"),
    [
        (DropConstraint("nope", "dc_parents"), ObjectNotFound, "nope.*dc_parents"),
        (DropConstraint(UNIQUE, "dc_nope"), TableNotFound, "dc_nope"),
        (DropConstraint("dc_parents_pkey", "dc_parents"), InvalidOperation, "primary key"),
        # An index is not a constraint.
        (DropConstraint("ix_dc_children_qty", "dc_children"), ObjectNotFound, "ix_dc"),
    ],
)
def test_bad_input(operation: DropConstraint, error: type[Exception], match: str) -> None:
    d = get_dialect("postgresql")
    setup = [*SETUP, ops.CreateIndex("ix_dc_children_qty", "dc_children", ["qty"])]
    base = compile_migration(Migration("setup", setup), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)


def test_unique_a_foreign_key_references() -> None:
    d = get_dialect("postgresql")
    by_code = AddForeignKey("fk_dc_by_code", "dc_children", ["qty"], "dc_parents", ["code"])
    base = compile_migration(Migration("setup", [*SETUP, by_code]), Schema(), d).after
    with pytest.raises(InvalidOperation, match="fk_dc_by_code"):
        compile_migration(Migration("m", [DropConstraint(UNIQUE, "dc_parents")]), base, d)
