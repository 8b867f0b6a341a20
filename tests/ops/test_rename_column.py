from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnExists, ColumnNotFound, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "rn_users",
        Column("id", Integer, primary_key=True),
        Column("email", String(200), nullable=False, unique=True),
        Column("name", String(50), server_default="anon"),
    ),
    ops.CreateIndex("ix_rn_users_name", "rn_users", ["name"]),
]
RENAME = ops.RenameColumn("rn_users", "email", "email_address")

old = sa.Table(
    "rn_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("email", String(200)),
    Column("name", String(50)),
)
new = sa.Table(
    "rn_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("email_address", String(200)),
    Column("name", String(50)),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"email": f"seed{i}@x", "name": f"s{i}"} for i in range(30)])


def check(connection: sa.Connection, phase: str) -> None:
    # An update of a row the backfill has not reached yet, touching another column: nothing
    # the migration added may refuse it.
    connection.execute(old.update().where(old.c.name == "s1").values(name="s1"))
    # The old app writes `email`, the new app writes `email_address`; each sees the other's.
    connection.execute(old.insert().values(email=f"old-{phase}@x", name=f"old-{phase}"))
    connection.execute(new.insert().values(email_address=f"new-{phase}@x", name=f"new-{phase}"))
    assert (
        connection.execute(
            sa.select(new.c.email_address).where(new.c.name == f"old-{phase}")
        ).scalar_one()
        == f"old-{phase}@x"
    )
    assert (
        connection.execute(sa.select(old.c.email).where(old.c.name == f"new-{phase}")).scalar_one()
        == f"new-{phase}@x"
    )
    connection.execute(
        old.update().where(old.c.name == f"new-{phase}").values(email=f"upd-old-{phase}@x")
    )
    assert (
        connection.execute(
            sa.select(new.c.email_address).where(new.c.name == f"new-{phase}")
        ).scalar_one()
        == f"upd-old-{phase}@x"
    )
    connection.execute(
        new.update().where(new.c.name == f"old-{phase}").values(email_address=f"upd-new-{phase}@x")
    )
    assert (
        connection.execute(sa.select(old.c.email).where(old.c.name == f"old-{phase}")).scalar_one()
        == f"upd-new-{phase}@x"
    )
    if phase != "expand":
        missing = connection.execute(
            sa.select(sa.func.count()).select_from(new).where(new.c.email_address.is_(None))
        ).scalar_one()
        assert missing == 0


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(email_address="after@x", name="after"))
    assert (
        connection.execute(sa.select(new.c.email_address).where(new.c.name == "s3")).scalar_one()
        == "seed3@x"
    )
    fails(connection, old.insert().values(email="late@x", name="late"))
    # NOT NULL and UNIQUE came over to the new column.
    fails(connection, new.insert().values(email_address=None, name="null"))
    fails(connection, new.insert().values(email_address="after@x", name="dup"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["rn_users"],
            setup=SETUP,
            operations=[RENAME],
            check=check,
            after=after,
            seed=seed,
        ),
    )


def test_postgresql_recipe() -> None:
    sql = sql_by_phase(compile_ops("postgresql", SETUP, [RENAME]))
    assert sql[Phase.EXPAND][0] == 'ALTER TABLE "rn_users" ADD COLUMN "email_address" VARCHAR(200)'
    assert any("BEFORE INSERT OR UPDATE" in s for s in sql[Phase.EXPAND])
    assert not any("NOT VALID" in s for s in sql[Phase.EXPAND])
    assert any("NOT VALID" in s for s in sql[Phase.BACKFILL])
    assert any("VALIDATE CONSTRAINT" in s for s in sql[Phase.BACKFILL])
    assert any("CREATE UNIQUE INDEX CONCURRENTLY" in s for s in sql[Phase.BACKFILL])
    assert 'ALTER TABLE "rn_users" DROP COLUMN "email"' in sql[Phase.CONTRACT]
    assert any("UNIQUE USING INDEX" in s for s in sql[Phase.CONTRACT])


def test_mysql_recipe() -> None:
    sql = sql_by_phase(compile_ops("mysql", SETUP, [RENAME]))
    assert sql[Phase.EXPAND][0].endswith("ALGORITHM=INSTANT")
    assert sum("CREATE TRIGGER" in s for s in sql[Phase.EXPAND]) == 2
    assert any("LOCK=NONE" in s and "NOT NULL" in s for s in sql[Phase.CONTRACT])


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (ops.RenameColumn("rn_users", "nope", "x"), ColumnNotFound),
        (ops.RenameColumn("rn_users", "email", "name"), ColumnExists),
        (ops.RenameColumn("rn_users", "id", "user_id"), InvalidOperation),
    ],
)
def test_bad_input(operation: ops.Operation, error: type[Exception]) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error):
        compile_migration(Migration("m", [operation]), base, d)


# A renamed column with a server default: whichever app leaves it out gets the default on both
# sides, and a value either app writes reaches the other side, not the default.
nick_old = sa.Table(
    "rn_people", sa.MetaData(), Column("id", Integer, primary_key=True), Column("nick", String(20))
)
nick_new = sa.Table(
    "rn_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("handle", String(20)),
)


def check_default(connection: sa.Connection, phase: str) -> None:
    ids = {
        "new_wrote": connection.execute(
            nick_new.insert().values(handle=f"h-{phase}")
        ).inserted_primary_key[0],
        "old_wrote": connection.execute(
            nick_old.insert().values(nick=f"n-{phase}")
        ).inserted_primary_key[0],
        "new_left_out": connection.execute(nick_new.insert().values()).inserted_primary_key[0],
        "old_left_out": connection.execute(nick_old.insert().values()).inserted_primary_key[0],
    }
    expected = {
        "new_wrote": f"h-{phase}",
        "old_wrote": f"n-{phase}",
        "new_left_out": "anon",
        "old_left_out": "anon",
    }
    for case, row_id in ids.items():
        both = connection.execute(
            sa.text("SELECT nick, handle FROM rn_people WHERE id = :id"), {"id": row_id}
        ).one()
        assert tuple(both) == (expected[case], expected[case]), case


def after_default(connection: sa.Connection) -> None:
    row_id = connection.execute(nick_new.insert().values()).inserted_primary_key[0]
    assert (
        connection.execute(sa.select(nick_new.c.handle).where(nick_new.c.id == row_id)).scalar_one()
        == "anon"
    )
    fails(connection, nick_old.insert().values(nick="late"))


def test_lifecycle_of_a_column_with_a_default(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["rn_people"],
            setup=[
                ops.CreateTable(
                    "rn_people",
                    Column("id", Integer, primary_key=True),
                    Column("nick", String(20), nullable=False, server_default="anon"),
                )
            ],
            operations=[ops.RenameColumn("rn_people", "nick", "handle")],
            check=check_default,
            after=after_default,
        ),
    )


# A column in keys of several columns: MySQL would shrink those keys when the old column goes,
# so contract drops them first and their twins take their names.
multi_old = sa.Table(
    "rn_multi",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("region", String(10)),
    Column("code", String(20)),
)
multi_new = sa.Table(
    "rn_multi",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("region", String(10)),
    Column("sku", String(20)),
)


def check_multi(connection: sa.Connection, phase: str) -> None:
    connection.execute(multi_old.insert().values(region="eu", code=f"o-{phase}"))
    connection.execute(multi_new.insert().values(region="eu", sku=f"n-{phase}"))
    fails(connection, multi_new.insert().values(region="eu", sku=f"o-{phase}"))


def after_multi(connection: sa.Connection) -> None:
    fails(connection, multi_new.insert().values(region="eu", sku="o-again"))
    connection.execute(multi_new.insert().values(region="us", sku="o-again"))
    names = {i["name"] for i in sa.inspect(connection).get_indexes("rn_multi")}
    uniques = {u["name"] for u in sa.inspect(connection).get_unique_constraints("rn_multi")}
    assert "ix_rn_multi_region_code" in names
    assert "uq_rn_multi_region_code" in names | uniques


def test_lifecycle_of_a_column_in_keys_of_several_columns(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["rn_multi"],
            setup=[
                ops.CreateTable(
                    "rn_multi",
                    Column("id", Integer, primary_key=True),
                    Column("region", String(10)),
                    Column("code", String(20), nullable=False),
                    sa.UniqueConstraint("region", "code", name="uq_rn_multi_region_code"),
                ),
                ops.CreateIndex("ix_rn_multi_region_code", "rn_multi", ["code", "region"]),
            ],
            operations=[ops.RenameColumn("rn_multi", "code", "sku")],
            check=check_multi,
            after=after_multi,
        ),
    )


@pytest.mark.parametrize(
    ("setup", "used_by"),
    [
        (ops.CreateIndex("ix_rn_lower", "rn_users", ["lower(email)"]), "index 'ix_rn_lower'"),
        (
            ops.CreateIndex("ix_rn_part", "rn_users", ["name"], where="email IS NOT NULL"),
            "index 'ix_rn_part'",
        ),
        (
            ops.AddCheckConstraint("ck_rn_email", "rn_users", "email <> ''"),
            "check constraint 'ck_rn_email'",
        ),
    ],
)
def test_a_column_named_in_sql_text_is_refused(setup: ops.Operation, used_by: str) -> None:
    """Its twin would need the SQL rewritten, and the old column's drop would take it along."""
    with pytest.raises(InvalidOperation, match=used_by):
        compile_ops("postgresql", [*SETUP, setup], [RENAME])


@pytest.mark.parametrize(
    "later",
    [
        ops.SetNotNull("rn_users", "email_address", fill="''"),
        ops.Backfill("rn_users", set={"email": "lower(email)"}),
        ops.ChangeColumnType("rn_users", "email_address", String(300), up="x", down="x"),
    ],
    ids=["fill trigger", "batched job", "second sync"],
)
def test_no_other_write_to_a_column_kept_in_step(later: ops.Operation) -> None:
    """The sync trigger cannot tell a fill or a backfill from an app's write, and ignores the
    backfill's own: the two sides would drift apart."""
    with pytest.raises(InvalidOperation, match=r"operation 1 \(RenameColumn\) keeps in step"):
        compile_ops("postgresql", SETUP, [RENAME, later])
    # What does not write the column may share the migration.
    compile_ops("postgresql", SETUP, [RENAME, ops.CreateIndex("ix_rn_ea", "rn_users", ["name"])])
