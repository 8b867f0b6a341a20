from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Enum, Integer, String

from tests.lifecycle import Lifecycle, fails, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, ObjectExists
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.create_enum import CreateEnum
from zdmigrate.schema import EnumType, Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "ce_people", Column("id", Integer, primary_key=True), Column("name", String(20))
    )
]
MOOD = Enum("happy", "sad", name="mood", schema="ce_types")
# A schema-qualified type, and a column of it for the new app.
OPERATIONS = [
    CreateEnum("ce_types.mood", ["happy", "sad"]),
    ops.AddColumn("ce_people", Column("mood", MOOD)),
]

old = sa.Table(
    "ce_people", sa.MetaData(), Column("id", Integer, primary_key=True), Column("name", String(20))
)
new = sa.Table(
    "ce_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("mood", MOOD),
)


def mood_of(connection: sa.Connection, name: str) -> object:
    return connection.execute(sa.select(new.c.mood).where(new.c.name == name)).scalar_one()


def type_exists(connection: sa.Connection) -> bool:
    query = sa.text(
        "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = 'ce_types' AND t.typname = 'mood'"
    )
    return bool(connection.execute(query).scalar_one())


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(old.insert().values(name=f"old-{phase}"))
    connection.execute(new.insert().values(name=f"new-{phase}", mood="sad"))
    assert mood_of(connection, f"new-{phase}") == "sad"
    assert mood_of(connection, f"old-{phase}") is None
    fails(connection, sa.text(f"UPDATE ce_people SET mood = 'angry' WHERE name = 'new-{phase}'"))


def after_rollback(connection: sa.Connection, undone: str) -> None:
    assert not type_exists(connection)
    assert connection.execute(sa.select(old.c.name).where(old.c.name == f"new-{undone}")).scalar()


def after(connection: sa.Connection) -> None:
    # Nothing is removed: the old app keeps working, and the new app uses the type.
    connection.execute(old.insert().values(name="old-after"))
    connection.execute(new.insert().values(name="after", mood="happy"))
    assert mood_of(connection, "after") == "happy"
    assert type_exists(connection)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    if not dialect.caps.enum_types:
        base = compile_migration(Migration("setup", SETUP), Schema(), dialect).after
        with pytest.raises(InvalidOperation, match="has no enum types; change an inline ENUM"):
            compile_migration(Migration("m", OPERATIONS), base, dialect)
        return
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ce_people"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            after_rollback=after_rollback,
            schemas=["ce_types"],
            extra_cleanup=["DROP TYPE IF EXISTS ce_types.mood"],
        ),
    )


def test_postgresql_steps_and_model() -> None:
    d = get_dialect("postgresql")
    operation = CreateEnum("ce_types.mood", ["happy", "it's"])
    compiled = compile_migration(Migration("m", [operation]), Schema(), d)
    steps = compiled.steps
    assert [s.sql for s in steps[Phase.EXPAND]] == [
        """CREATE TYPE "ce_types"."mood" AS ENUM ('happy', 'it''s')"""
    ]
    assert [s.sql for s in steps[Phase.ROLLBACK]] == ['DROP TYPE "ce_types"."mood"']
    assert steps[Phase.BACKFILL] == steps[Phase.CONTRACT] == []
    assert compiled.after.enums == {
        "ce_types.mood": EnumType(name="mood", values=["happy", "it's"], schema="ce_types")
    }


@pytest.mark.parametrize(
    ("dialect", "operation", "error", "message"),
    [
        ("mariadb", CreateEnum("mood", ["a"]), InvalidOperation, "mariadb has no enum types"),
        ("mysql", CreateEnum("mood", ["a"]), InvalidOperation, "ChangeColumnType"),
        ("postgresql", CreateEnum("mood", []), InvalidOperation, "one or more values"),
        ("postgresql", CreateEnum("mood", ["a", "a"]), InvalidOperation, "each once"),
    ],
)
def test_bad_input(
    dialect: str, operation: CreateEnum, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compile_migration(Migration("m", [operation]), Schema(), get_dialect(dialect))


def test_existing_type_is_refused() -> None:
    d = get_dialect("postgresql")
    twice = [CreateEnum("mood", ["a"]), CreateEnum("mood", ["b"])]
    with pytest.raises(ObjectExists, match="enum type 'mood' already exists"):
        compile_migration(Migration("m", twice), Schema(), d)
