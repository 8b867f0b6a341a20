from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Enum, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, ObjectNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_enum_value import AddEnumValue
from zdmigrate.ops.create_enum import CreateEnum
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    CreateEnum("ae_mood", ["happy", "sad"]),
    ops.CreateTable(
        "ae_people",
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("mood", Enum("happy", "sad", name="ae_mood")),
    ),
]
OPERATION = AddEnumValue("ae_mood", "meh", before="sad")

old = sa.Table(
    "ae_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("mood", Enum("happy", "sad", name="ae_mood")),
)
new = sa.Table(
    "ae_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("mood", Enum("happy", "meh", "sad", name="ae_mood")),
)


def mood_of(table: sa.Table, connection: sa.Connection, name: str) -> object:
    return connection.execute(sa.select(table.c.mood).where(table.c.name == name)).scalar_one()


def labels(connection: sa.Connection) -> list[str]:
    query = "SELECT unnest(enum_range(NULL::ae_mood))::text"
    return list(connection.execute(sa.text(query)).scalars())


def check(connection: sa.Connection, phase: str) -> None:
    # The old app writes the values it knows; the new app writes the new one right after expand.
    connection.execute(old.insert().values(name=f"old-{phase}", mood="happy"))
    connection.execute(new.insert().values(name=f"new-{phase}", mood="meh"))
    assert mood_of(old, connection, f"old-{phase}") == "happy"
    assert mood_of(new, connection, f"old-{phase}") == "happy"
    assert mood_of(new, connection, f"new-{phase}") == "meh"
    assert labels(connection) == ["happy", "meh", "sad"]


def after_rollback(connection: sa.Connection, undone: str) -> None:
    # PostgreSQL cannot remove an enum value: it stays, and rows holding it keep it.
    assert labels(connection) == ["happy", "meh", "sad"]
    assert mood_of(new, connection, f"new-{undone}") == "meh"


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(name="after", mood="meh"))
    assert mood_of(new, connection, "after") == "meh"
    fails(connection, sa.text("UPDATE ae_people SET mood = 'angry' WHERE name = 'after'"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    if not dialect.caps.enum_types:
        with pytest.raises(InvalidOperation, match="has no enum types; change an inline ENUM"):
            compile_migration(Migration("m", [OPERATION]), Schema(), dialect)
        return
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ae_people"],
            setup=SETUP,
            operations=[OPERATION],
            check=check,
            after=after,
            after_rollback=after_rollback,
            extra_cleanup=["DROP TYPE IF EXISTS ae_mood"],
        ),
    )


def test_postgresql_steps_and_model() -> None:
    compiled = compile_ops("postgresql", SETUP, [OPERATION])
    [step] = compiled.steps[Phase.EXPAND]
    assert step.sql == """ALTER TYPE "ae_mood" ADD VALUE IF NOT EXISTS 'meh' BEFORE 'sad'"""
    assert not step.statement.transactional
    assert "cannot remove an enum value" in (step.statement.note or "")
    assert compiled.steps[Phase.ROLLBACK] == []
    assert compiled.after.enum("ae_mood").values == ["happy", "meh", "sad"]
    quote = compile_ops("postgresql", SETUP, [AddEnumValue("ae_mood", "it's")])
    assert (
        quote.steps[Phase.EXPAND][0].sql
        == """ALTER TYPE "ae_mood" ADD VALUE IF NOT EXISTS 'it''s'"""
    )
    assert quote.after.enum("ae_mood").values == ["happy", "sad", "it's"]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (AddEnumValue("nope", "x"), ObjectNotFound, "enum type 'nope' does not exist"),
        (AddEnumValue("ae_mood", "sad"), InvalidOperation, "already has the value 'sad'"),
        (AddEnumValue("ae_mood", "x", before="nope"), InvalidOperation, "no value 'nope'"),
    ],
)
def test_bad_input(operation: AddEnumValue, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        compile_ops("postgresql", SETUP, [operation])


def test_refused_without_enum_types() -> None:
    with pytest.raises(InvalidOperation, match="mariadb has no enum types"):
        compile_migration(Migration("m", [OPERATION]), Schema(), get_dialect("mariadb"))
