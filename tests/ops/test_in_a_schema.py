"""Every operation on tables in a non-default PostgreSQL schema.

Each lifecycle's tables live in the schema ``is_shop``, beside decoys: tables (and enum types) of
the same names in the default schema, made by the same setup. A statement that left the schema
out would not fail there: it would quietly change a decoy. So besides the apps' checks, each case
reads every statement it compiles (no table or type named without its schema, no function, index
or type dropped or altered by a bare name), finds every trigger, function, index, constraint and
column zdmigrate makes in the schema and none anywhere else, and compares the decoys after
contract with what their setup made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)

from tests.conftest import server_dialect
from tests.lifecycle import Check, Lifecycle, compile_ops, fails, run_lifecycle, set_up
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.migration import CompiledMigration, Migration, compile_migration
from zdmigrate.ops.add_check_constraint import AddCheckConstraint
from zdmigrate.ops.add_column import AddColumn
from zdmigrate.ops.add_enum_value import AddEnumValue
from zdmigrate.ops.add_foreign_key import AddForeignKey
from zdmigrate.ops.add_unique_constraint import AddUniqueConstraint
from zdmigrate.ops.backfill import Backfill
from zdmigrate.ops.base import OPERATIONS, Operation
from zdmigrate.ops.change_column_type import ChangeColumnType
from zdmigrate.ops.create_enum import CreateEnum
from zdmigrate.ops.create_index import CreateIndex
from zdmigrate.ops.create_table import CreateTable
from zdmigrate.ops.drop_column import DropColumn
from zdmigrate.ops.drop_constraint import DropConstraint
from zdmigrate.ops.drop_default import DropDefault
from zdmigrate.ops.drop_index import DropIndex
from zdmigrate.ops.drop_not_null import DropNotNull
from zdmigrate.ops.drop_table import DropTable
from zdmigrate.ops.rename_column import RenameColumn
from zdmigrate.ops.rename_table import RenameTable
from zdmigrate.ops.run_sql import RunSQL
from zdmigrate.ops.set_default import SetDefault
from zdmigrate.ops.set_not_null import SetNotNull
from zdmigrate.ops.transform_column import TransformColumn
from zdmigrate.reflect import reflect_schema
from zdmigrate.run.executor import run_all
from zdmigrate.schema import Schema, Table, join_name

S = "is_shop"


def at(schema: str | None, name: str) -> str:
    return join_name(schema, name)


def app_table(name: str, *columns: Column[object]) -> sa.Table:
    """One app version's view of a table in the schema."""
    return sa.Table(name, sa.MetaData(), *columns, schema=S)


def one(connection: sa.Connection, column: sa.Column[Any], row_id: int) -> object:
    """``column`` of the row ``row_id`` of its table."""
    query = sa.select(column).where(column.table.c.id == row_id)
    return connection.execute(query).scalar_one()


def new_id(connection: sa.Connection, statement: sa.Insert) -> int:
    key = connection.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


# --- what each case is made of, and the checks every case gets -----------------------------


@dataclass(frozen=True)
class Case:
    """One lifecycle, written for the schema; :func:`lifecycle` adds the decoys and the checks
    that every case gets."""

    names: tuple[str, ...]
    """The bare names of the case's tables (and enum types): in the schema, and the decoys."""
    setup: Callable[[str | None], list[Operation]]
    """The setup for the schema given, or for the decoys in the default schema (None)."""
    operations: list[Operation]
    check: Check
    after: Callable[[sa.Connection], None]
    made: dict[str, set[tuple[str, str]]]
    """(kind, name) of every object zdmigrate has made, after expand and after backfill."""
    seed: Callable[[sa.Connection], None] | None = None
    after_rollback: Check | None = None
    types: tuple[str, ...] = ()
    """Enum types of the case, dropped before it starts."""


ZDM_OBJECTS = """
    SELECT n.nspname AS schema_name, 'function' AS kind, p.proname AS name, NULL AS table_name
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proname LIKE 'zdm\\_%'
    UNION ALL
    SELECT n.nspname, 'trigger', t.tgname, c.relname
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE t.tgname LIKE 'zdm\\_%'
    UNION ALL
    SELECT n.nspname, 'index', i.relname, c.relname
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = i.relnamespace
    WHERE i.relname LIKE 'zdm\\_%'
    UNION ALL
    SELECT n.nspname, 'constraint', con.conname, c.relname
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE con.conname LIKE 'zdm\\_%'
    UNION ALL
    SELECT n.nspname, 'column', a.attname, c.relname
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attname LIKE 'zdm\\_%' AND a.attnum > 0 AND NOT a.attisdropped
"""


def zdm_objects(connection: sa.Connection, case: Case) -> set[tuple[str, str, str]]:
    """(schema, kind, name) of every zdmigrate object, in any schema, that belongs to or is named
    after one of the case's tables."""
    found = set()
    for row in connection.execute(sa.text(ZDM_OBJECTS)).mappings():
        mine = row["table_name"] in case.names or any(name in row["name"] for name in case.names)
        if mine:
            found.add((row["schema_name"], row["kind"], row["name"]))
    return found


def decoys(connection: sa.Connection, case: Case) -> Schema:
    """The case's tables and enum types in the default schema, as they are now."""
    reflected = reflect_schema(connection, get_dialect("postgresql"), schemas=["public"])
    mine = Schema()
    for name in case.names:
        if name in reflected.tables:
            mine.add_table(reflected.tables[name])
        if name in reflected.enums:
            mine.enums[name] = reflected.enums[name]
    return mine


def lifecycle(case: Case, dialect: Dialect) -> Lifecycle:
    setup = [*case.setup(None), *case.setup(S)]
    decoy_model = compile_migration(Migration("decoys", case.setup(None)), Schema(), dialect).after
    expected = compile_ops(dialect, setup, case.operations).after

    def check(connection: sa.Connection, phase: str) -> None:
        case.check(connection, phase)
        made = case.made["expand" if phase == "expand" else "backfill"]
        assert zdm_objects(connection, case) == {(S, kind, name) for kind, name in made}

    def after_rollback(connection: sa.Connection, undone: str) -> None:
        if case.after_rollback:
            case.after_rollback(connection, undone)
        assert zdm_objects(connection, case) == set()

    def after(connection: sa.Connection) -> None:
        case.after(connection)
        assert zdm_objects(connection, case) == set()
        assert decoys(connection, case) == decoy_model, "a statement changed a decoy"
        # Reflection reads back, in the schema, what the operations' model says they made.
        reflected = reflect_schema(connection, dialect)
        for qualified in (at(S, name) for name in case.names):
            assert reflected.tables.get(qualified) == expected.tables.get(qualified), qualified
            assert reflected.enums.get(qualified) == expected.enums.get(qualified), qualified

    types = [at(schema, name) for name in case.types for schema in (S, None)]
    # Dropping a table leaves its trigger functions: drop those an interrupted run left behind,
    # here or (by a bug) anywhere else.
    functions = (
        "DO $$DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc "
        f"WHERE proname ~ '^zdm_({'|'.join(case.names)})_' LOOP EXECUTE 'DROP FUNCTION ' || f; "
        "END LOOP; END$$"
    )
    return Lifecycle(
        tables=[at(schema, name) for name in case.names for schema in (None, S)],
        setup=setup,
        operations=case.operations,
        check=check,
        after=after,
        seed=case.seed,
        schemas=[S],
        extra_cleanup=[functions, *(f"DROP TYPE IF EXISTS {dialect.table(t)}" for t in types)],
        after_rollback=after_rollback,
    )


def compiled(case: Case, version: str) -> tuple[CompiledMigration, Dialect]:
    dialect = get_dialect("postgresql", version)
    setup = [*case.setup(None), *case.setup(S)]
    return compile_ops(dialect, setup, case.operations), dialect


def every_sql(compiled: CompiledMigration, dialect: Dialect) -> list[str]:
    """Every statement of every phase and rollback, with the batches a batched update runs."""
    sql = []
    for steps in compiled.steps.values():
        for step in steps:
            sql.append(step.sql)
            if (update := step.statement.batched) is not None:
                for first in (True, False):
                    sql.append(dialect.batch_boundary_sql(update, first=first))
                    sql += [
                        dialect.batch_update_sql(update, first=first, last=last)
                        for last in (True, False)
                    ]
    return sql


def unqualified(sql: str, case: Case) -> list[str]:
    """What ``sql`` names without the schema: a table or type of the case (quoted or bare), a
    zdmigrate function, or the index of a DROP INDEX / ALTER INDEX. A RENAME TO names no schema
    (the object stays in its own)."""
    schema = rf'(?<!"{S}"\.)(?<!{S}\.)(?<!RENAME TO )'
    patterns = [rf'{schema}(?<![\w$"])"?{re.escape(name)}(?![\w$])' for name in case.names]
    patterns.append(rf'{schema}"zdm_\w+"\(')
    patterns.append(rf'(?:DROP|ALTER) INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(?!"{S}"\.)"\w+"')
    return [m.group(0) for p in patterns for m in re.finditer(p, sql)]


def in_schema(connection: sa.Connection, table: str) -> dict[str, str]:
    """The indexes of a table of the schema: name → definition."""
    rows = connection.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = :t"
        ),
        {"s": S, "t": table},
    )
    return {row.indexname: row.indexdef for row in rows}


# --- columns: add, drop, rename, NOT NULL both ways, defaults both ways, a backfill ---------


def columns_setup(schema: str | None) -> list[Operation]:
    return [
        CreateTable(
            at(schema, "isc_accounts"),
            Column("id", Integer, primary_key=True),
            Column("email", String(200), nullable=False),
            Column("nick", String(50)),
            UniqueConstraint("email"),
        ),
        CreateTable(
            at(schema, "isc_orders"),
            Column("id", Integer, primary_key=True),
            Column("account_id", Integer, ForeignKey(f"{at(schema, 'isc_accounts')}.id")),
            Column("qty", Integer, nullable=False),
            Column("status", String(20)),
            Column("ref", String(20), nullable=False),
            Column("channel", String(10), nullable=False, server_default="web"),
            Column("legacy", String(20), nullable=False),
            Index("ix_isc_orders_legacy", "legacy"),
        ),
    ]


ISC_ACCOUNTS, ISC_ORDERS = at(S, "isc_accounts"), at(S, "isc_orders")
COLUMN_OPERATIONS: list[Operation] = [
    AddColumn(ISC_ORDERS, Column("note", String(100))),
    Backfill(ISC_ORDERS, set={"note": "'order ' || id"}, where="note IS NULL"),
    DropColumn(ISC_ORDERS, "legacy"),
    RenameColumn(ISC_ACCOUNTS, "email", "email_address"),
    SetNotNull(ISC_ORDERS, "status", fill="'new'"),
    DropNotNull(ISC_ORDERS, "ref"),
    SetDefault(ISC_ORDERS, "qty", sa.text("1")),
    DropDefault(ISC_ORDERS, "channel"),
]

old_accounts = app_table(
    "isc_accounts",
    Column("id", Integer, primary_key=True),
    Column("email", String(200)),
    Column("nick", String(50)),
)
new_accounts = app_table(
    "isc_accounts",
    Column("id", Integer, primary_key=True),
    Column("email_address", String(200)),
    Column("nick", String(50)),
)
old_orders = app_table(
    "isc_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("qty", Integer),
    Column("status", String(20)),
    Column("ref", String(20)),
    Column("legacy", String(20)),
)
new_orders = app_table(
    "isc_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("qty", Integer),
    Column("status", String(20)),
    Column("ref", String(20)),
    Column("channel", String(10)),
    Column("note", String(100)),
)


def columns_seed(connection: sa.Connection) -> None:
    connection.execute(old_accounts.insert(), [{"email": f"seed{i}@x"} for i in range(3)])
    rows = [
        {
            "account_id": i % 3 + 1,
            "qty": i + 1,
            "status": None if i % 2 else "open",
            "ref": f"r{i}",
            "legacy": f"L{i}",
        }
        for i in range(20)
    ]
    connection.execute(old_orders.insert(), rows)


def seeded_orders_are_filled(connection: sa.Connection) -> None:
    seeded = connection.execute(
        sa.select(new_orders.c.id, new_orders.c.status, new_orders.c.note).where(
            new_orders.c.ref.like("r%")
        )
    ).all()
    assert len(seeded) == 20
    assert all(status in ("open", "new") for _, status, _ in seeded)
    assert all(note == f"order {row_id}" for row_id, _, note in seeded)


def columns_check(connection: sa.Connection, phase: str) -> None:
    # The old app writes `email`, the new app `email_address`; each sees the other's.
    old_account = new_id(
        connection, old_accounts.insert().values(email=f"old-{phase}@x", nick=f"old-{phase}")
    )
    new_account = new_id(
        connection,
        new_accounts.insert().values(email_address=f"new-{phase}@x", nick=f"new-{phase}"),
    )
    assert one(connection, new_accounts.c.email_address, old_account) == f"old-{phase}@x"
    assert one(connection, old_accounts.c.email, new_account) == f"new-{phase}@x"
    fails(connection, old_accounts.insert().values(email=f"new-{phase}@x"))

    # The old app leaves channel out (its default) and may write a NULL status (filled).
    old_order = new_id(
        connection,
        old_orders.insert().values(account_id=old_account, qty=2, status=None, ref="R", legacy="L"),
    )
    row = connection.execute(sa.select(new_orders).where(new_orders.c.id == old_order)).one()
    assert (row.qty, row.status, row.ref, row.channel, row.note) == (2, "new", "R", "web", None)
    # The new app leaves qty (its new default) and legacy out, and writes no ref.
    new_order = new_id(
        connection,
        new_orders.insert().values(
            account_id=new_account, status="paid", ref=None, channel="shop", note="hello"
        ),
    )
    row = connection.execute(sa.select(old_orders).where(old_orders.c.id == new_order)).one()
    assert (row.qty, row.status, row.ref, row.legacy) == (1, "paid", None, None)
    # The old app updates the new app's order: its NULL status is filled too, and the row gets
    # the legacy and ref that a rollback (NOT NULL again) needs.
    connection.execute(
        old_orders.update()
        .where(old_orders.c.id == new_order)
        .values(status=None, ref=f"R-{phase}", legacy=f"L-{phase}")
    )
    assert one(connection, new_orders.c.status, new_order) == "new"
    if phase != "expand":
        seeded_orders_are_filled(connection)


def columns_after_rollback(connection: sa.Connection, undone: str) -> None:
    written = sa.select(old_accounts.c.email).where(old_accounts.c.nick == f"new-{undone}")
    assert connection.execute(written).scalar_one() == f"new-{undone}@x"
    order = sa.select(old_orders.c.legacy).where(old_orders.c.ref == f"R-{undone}")
    assert connection.execute(order).scalar_one() == f"L-{undone}"
    fails(connection, sa.select(new_orders.c.note))
    fails(connection, sa.select(new_accounts.c.email_address))


def columns_after(connection: sa.Connection) -> None:
    account = new_id(
        connection, new_accounts.insert().values(email_address="after@x", nick="after")
    )
    fails(connection, new_accounts.insert().values(email_address="after@x"))
    fails(connection, new_accounts.insert().values(email_address=None))
    order = new_id(
        connection,
        new_orders.insert().values(account_id=account, status="paid", ref=None, channel="shop"),
    )
    assert one(connection, new_orders.c.qty, order) == 1
    # NOT NULL status with no trigger filling it; channel with no default any more.
    fails(connection, new_orders.insert().values(status=None, ref="x", channel="shop"))
    fails(connection, new_orders.insert().values(status="paid", ref="x"))
    fails(connection, old_orders.insert().values(qty=1, status="open", ref="x", legacy="L"))
    fails(connection, old_accounts.insert().values(email="late@x"))
    seeded_orders_are_filled(connection)
    assert "ix_isc_orders_legacy" not in in_schema(connection, "isc_orders")
    assert "isc_accounts_email_key" in in_schema(connection, "isc_accounts")


COLUMNS = Case(
    names=("isc_accounts", "isc_orders"),
    setup=columns_setup,
    operations=COLUMN_OPERATIONS,
    check=columns_check,
    after=columns_after,
    seed=columns_seed,
    after_rollback=columns_after_rollback,
    made={
        "expand": {
            ("function", "zdm_isc_accounts_rename_email"),
            ("trigger", "zdm_isc_accounts_rename_email"),
            ("function", "zdm_isc_orders_status_fill"),
            ("trigger", "zdm_isc_orders_status_fill"),
            ("constraint", "zdm_isc_orders_status_nn"),
        },
        "backfill": {
            ("function", "zdm_isc_accounts_rename_email"),
            ("trigger", "zdm_isc_accounts_rename_email"),
            ("index", "zdm_isc_accounts_email_key"),
            ("constraint", "zdm_isc_accounts_email_address_nn"),
            ("function", "zdm_isc_orders_status_fill"),
            ("trigger", "zdm_isc_orders_status_fill"),
            ("constraint", "zdm_isc_orders_status_nn"),
        },
    },
)


# --- types: a column's type changed, a column split in two ----------------------------------


def types_setup(schema: str | None) -> list[Operation]:
    return [
        CreateTable(
            at(schema, "ist_accounts"),
            Column("id", Integer, primary_key=True),
            Column("full_name", String(100), nullable=False),
            Column("email", String(100)),
        ),
        CreateTable(
            at(schema, "ist_orders"),
            Column("id", Integer, primary_key=True),
            Column("account_id", Integer, ForeignKey(f"{at(schema, 'ist_accounts')}.id")),
            Column("amount", Integer, nullable=False, server_default="0"),
            Column("note", String(50)),
            Index("ix_ist_orders_amount", "amount"),
        ),
    ]


IST_ACCOUNTS, IST_ORDERS = at(S, "ist_accounts"), at(S, "ist_orders")
TYPE_OPERATIONS: list[Operation] = [
    ChangeColumnType(
        IST_ORDERS, "amount", Numeric(12, 2), up="amount::numeric(12,2)", down="amount::int"
    ),
    TransformColumn(
        IST_ACCOUNTS,
        add=[Column("first_name", String(50), nullable=False), Column("last_name", String(50))],
        up={
            "first_name": "split_part(full_name, ' ', 1)",
            "last_name": "NULLIF(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), '')",
        },
        down={"full_name": "concat_ws(' ', first_name, last_name)"},
        drop=["full_name"],
    ),
]

people_old = app_table(
    "ist_accounts",
    Column("id", Integer, primary_key=True),
    Column("full_name", String(100)),
    Column("email", String(100)),
)
people_new = app_table(
    "ist_accounts",
    Column("id", Integer, primary_key=True),
    Column("first_name", String(50)),
    Column("last_name", String(50)),
    Column("email", String(100)),
)
amounts_old = app_table(
    "ist_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("amount", Integer),
    Column("note", String(50)),
)
amounts_new = app_table(
    "ist_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("amount", Numeric(12, 2)),
    Column("note", String(50)),
)


def names_of(connection: sa.Connection, email: str) -> tuple[object, object]:
    query = sa.select(people_new.c.first_name, people_new.c.last_name).where(
        people_new.c.email == email
    )
    first, last = connection.execute(query).one()
    return first, last


def full_name_of(connection: sa.Connection, email: str) -> object:
    query = sa.select(people_old.c.full_name).where(people_old.c.email == email)
    return connection.execute(query).scalar_one()


def amount_of(connection: sa.Connection, table: sa.Table, note: str) -> object:
    return connection.execute(sa.select(table.c.amount).where(table.c.note == note)).scalar_one()


def hidden(connection: sa.Connection, column: str, note: str) -> object:
    """A column neither app knows (the shadow or the retired one), read directly."""
    sql = f'SELECT {column} FROM "{S}"."ist_orders" WHERE note = :note'
    return connection.execute(sa.text(sql), {"note": note}).scalar_one()


def types_seed(connection: sa.Connection) -> None:
    people = [{"full_name": f"Ada Lovelace{i}", "email": f"s{i}@x"} for i in range(10)]
    connection.execute(people_old.insert(), [*people, {"full_name": "Cher", "email": "cher@x"}])
    rows = [{"account_id": i % 10 + 1, "amount": i * 10, "note": f"s{i}"} for i in range(20)]
    connection.execute(amounts_old.insert(), rows)


def types_check(connection: sa.Connection, phase: str) -> None:
    # Each app sees the other's people, split or merged, and each other's updates.
    old_person = new_id(
        connection, people_old.insert().values(full_name=f"Old {phase}", email=f"old-{phase}@x")
    )
    connection.execute(
        people_new.insert().values(first_name="New", last_name=f"{phase}x", email=f"new-{phase}@x")
    )
    assert names_of(connection, f"old-{phase}@x") == ("Old", phase)
    assert full_name_of(connection, f"new-{phase}@x") == f"New {phase}x"
    connection.execute(
        people_old.update()
        .where(people_old.c.email == f"new-{phase}@x")
        .values(full_name="Grace Hopper")
    )
    assert names_of(connection, f"new-{phase}@x") == ("Grace", "Hopper")
    if phase == "expand":
        # Before the swap the column keeps its type; the old app's writes reach the shadow.
        connection.execute(
            amounts_old.insert().values(account_id=old_person, amount=7, note="old-expand")
        )
        assert hidden(connection, "zdm_amount_new", "old-expand") == Decimal("7.00")
        return
    assert names_of(connection, "s3@x") == ("Ada", "Lovelace3")
    assert names_of(connection, "cher@x") == ("Cher", None)
    # After the swap both apps use `amount`, of the new type; the retired column follows down.
    connection.execute(
        amounts_new.insert().values(
            account_id=old_person, amount=Decimal("12.34"), note=f"new-{phase}"
        )
    )
    connection.execute(
        amounts_old.insert().values(account_id=old_person, amount=5, note=f"old-{phase}")
    )
    assert amount_of(connection, amounts_new, f"old-{phase}") == Decimal("5.00")
    assert amount_of(connection, amounts_old, f"new-{phase}") == Decimal("12.34")
    assert hidden(connection, "zdm_amount_old", f"new-{phase}") == 12
    assert amount_of(connection, amounts_new, "s9") == Decimal("90.00")
    connection.execute(amounts_new.insert().values(account_id=old_person, note=f"def-{phase}"))
    assert amount_of(connection, amounts_new, f"def-{phase}") == Decimal("0.00")
    # The twin of the amount index is built in the schema.
    assert "(amount)" in in_schema(connection, "ist_orders")["zdm_ix_ist_orders_amount"]


def types_after_rollback(connection: sa.Connection, undone: str) -> None:
    assert full_name_of(connection, f"new-{undone}@x") == "Grace Hopper"
    assert amount_of(connection, amounts_old, "old-expand") == 7
    if undone == "backfill":
        # The new app's write after the swap, kept by the rollback as down(12.34).
        assert amount_of(connection, amounts_old, "new-backfill") == 12
    fails(connection, sa.select(people_new.c.first_name))
    assert set(in_schema(connection, "ist_orders")) == {"ist_orders_pkey", "ix_ist_orders_amount"}


def types_after(connection: sa.Connection) -> None:
    connection.execute(people_new.insert().values(first_name="Alan", email="after@x"))
    assert names_of(connection, "after@x") == ("Alan", None)
    fails(connection, people_new.insert().values(first_name=None, email="null@x"))
    fails(connection, people_old.insert().values(full_name="Late Comer", email="late@x"))
    connection.execute(amounts_new.insert().values(amount=Decimal("7.25"), note="after"))
    assert amount_of(connection, amounts_new, "after") == Decimal("7.25")
    assert amount_of(connection, amounts_new, "s5") == Decimal("50.00")
    fails(connection, amounts_new.insert().values(amount=None, note="null"))
    fails(connection, sa.text(f'SELECT zdm_amount_old FROM "{S}"."ist_orders"'))
    indexes = in_schema(connection, "ist_orders")
    assert set(indexes) == {"ist_orders_pkey", "ix_ist_orders_amount"}
    assert "(amount)" in indexes["ix_ist_orders_amount"]


TYPES = Case(
    names=("ist_accounts", "ist_orders"),
    setup=types_setup,
    operations=TYPE_OPERATIONS,
    check=types_check,
    after=types_after,
    seed=types_seed,
    after_rollback=types_after_rollback,
    made={
        "expand": {
            ("column", "zdm_amount_new"),
            ("function", "zdm_ist_orders_type_amount"),
            ("trigger", "zdm_ist_orders_type_amount"),
            ("function", "zdm_ist_accounts_transform_first_name_last_name"),
            ("trigger", "zdm_ist_accounts_transform_first_name_last_name"),
        },
        # After the swap: the retired column, the twin index, the NOT NULL checks.
        "backfill": {
            ("column", "zdm_amount_old"),
            ("index", "zdm_ix_ist_orders_amount"),
            ("constraint", "zdm_ist_orders_amount_nn"),
            ("function", "zdm_ist_orders_type_amount"),
            ("trigger", "zdm_ist_orders_type_amount"),
            ("function", "zdm_ist_accounts_transform_first_name_last_name"),
            ("trigger", "zdm_ist_accounts_transform_first_name_last_name"),
            ("constraint", "zdm_ist_accounts_first_name_nn"),
        },
    },
)


# --- keys: indexes (one partial) made and dropped, constraints added and dropped, RunSQL -----


def keys_setup(schema: str | None) -> list[Operation]:
    return [
        CreateTable(
            at(schema, "isk_accounts"),
            Column("id", Integer, primary_key=True),
            Column("email", String(200), nullable=False),
            Column("handle", String(30)),
            Index("ix_isk_accounts_email", "email"),
        ),
        CreateTable(
            at(schema, "isk_orders"),
            Column("id", Integer, primary_key=True),
            Column("account_id", Integer, nullable=False),
            Column(
                "referrer_id",
                Integer,
                ForeignKey(f"{at(schema, 'isk_accounts')}.id", name="fk_isk_orders_referrer"),
            ),
            Column("qty", Integer, nullable=False),
            Column("status", String(20), nullable=False),
            Column("note", String(100)),
            CheckConstraint("length(note) < 40", name="ck_isk_orders_note"),
        ),
    ]


ISK_ACCOUNTS, ISK_ORDERS = at(S, "isk_accounts"), at(S, "isk_orders")
KEY_OPERATIONS: list[Operation] = [
    CreateIndex("ix_isk_orders_account", ISK_ORDERS, ["account_id"]),
    CreateIndex("ix_isk_orders_open", ISK_ORDERS, ["account_id", "id"], where="status = 'open'"),
    DropIndex("ix_isk_accounts_email", ISK_ACCOUNTS),
    AddUniqueConstraint("uq_isk_accounts_handle", ISK_ACCOUNTS, ["handle"]),
    AddCheckConstraint("ck_isk_orders_qty", ISK_ORDERS, "qty > 0"),
    AddForeignKey(
        "fk_isk_orders_account",
        ISK_ORDERS,
        ["account_id"],
        ISK_ACCOUNTS,
        ["id"],
        on_delete="CASCADE",
    ),
    DropConstraint("ck_isk_orders_note", ISK_ORDERS),
    DropConstraint("fk_isk_orders_referrer", ISK_ORDERS),
    RunSQL(
        f"COMMENT ON TABLE {ISK_ORDERS} IS 'one row per order'",
        reverse=f"COMMENT ON TABLE {ISK_ORDERS} IS NULL",
        lock="ACCESS EXCLUSIVE",
    ),
]

key_accounts = app_table(
    "isk_accounts",
    Column("id", Integer, primary_key=True),
    Column("email", String(200)),
    Column("handle", String(30)),
)
key_orders = app_table(
    "isk_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("referrer_id", Integer),
    Column("qty", Integer),
    Column("status", String(20)),
    Column("note", String(100)),
)
KEY_INDEXES_BEFORE = {
    "isk_accounts": {"isk_accounts_pkey", "ix_isk_accounts_email"},
    "isk_orders": {"isk_orders_pkey"},
}


def keys_seed(connection: sa.Connection) -> None:
    connection.execute(
        key_accounts.insert(), [{"email": f"s{i}@x", "handle": f"h{i}"} for i in range(5)]
    )
    rows = [
        {"account_id": i % 5 + 1, "qty": i + 1, "status": "open" if i % 3 else "done"}
        for i in range(20)
    ]
    connection.execute(key_orders.insert(), rows)


def comment(connection: sa.Connection, schema: str | None) -> object:
    return sa.inspect(connection).get_table_comment("isk_orders", schema=schema)["text"]


def validated(connection: sa.Connection) -> dict[str, bool]:
    rows = connection.execute(
        sa.text(
            "SELECT con.conname, con.convalidated FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE n.nspname = :s AND con.conname LIKE '%isk_orders%'"
        ),
        {"s": S},
    )
    return {row.conname: row.convalidated for row in rows}


def keys_check(connection: sa.Connection, phase: str) -> None:
    account = new_id(
        connection, key_accounts.insert().values(email=f"{phase}@x", handle=f"h-{phase}")
    )
    # New rules hold for writes from expand on: the unique handle, qty > 0, the account FK.
    fails(connection, key_accounts.insert().values(email="dup@x", handle=f"h-{phase}"))
    fails(connection, key_orders.insert().values(account_id=account, qty=0, status="open"))
    fails(connection, key_orders.insert().values(account_id=-1, qty=1, status="open"))
    # The rules about to go still hold for the old app: the note check, the referrer FK.
    fails(
        connection,
        key_orders.insert().values(account_id=account, qty=1, status="open", note="x" * 45),
    )
    fails(
        connection,
        key_orders.insert().values(account_id=account, qty=1, status="open", referrer_id=-1),
    )
    order = new_id(connection, key_orders.insert().values(account_id=account, qty=3, status="open"))
    # ON DELETE CASCADE: an account's orders go with it.
    connection.execute(key_accounts.delete().where(key_accounts.c.id == account))
    assert (
        connection.execute(sa.select(sa.func.count()).where(key_orders.c.id == order)).scalar_one()
        == 0
    )
    orders_indexes = in_schema(connection, "isk_orders")
    assert set(orders_indexes) == {"isk_orders_pkey", "ix_isk_orders_account", "ix_isk_orders_open"}
    assert orders_indexes["ix_isk_orders_open"].endswith("WHERE ((status)::text = 'open'::text)")
    assert set(in_schema(connection, "isk_accounts")) == {
        "isk_accounts_pkey",
        "ix_isk_accounts_email",
        "uq_isk_accounts_handle",
    }
    assert comment(connection, S) == "one row per order"
    assert comment(connection, None) is None
    constraints = validated(connection)
    assert (
        constraints["ck_isk_orders_qty"]
        == constraints["fk_isk_orders_account"]
        == (phase != "expand")
    )


def keys_after_rollback(connection: sa.Connection, undone: str) -> None:
    for table, names in KEY_INDEXES_BEFORE.items():
        assert set(in_schema(connection, table)) == names
    assert comment(connection, S) is None
    # The new rules are gone with the rollback.
    bad = new_id(connection, key_orders.insert().values(account_id=-1, qty=0, status="open"))
    connection.execute(key_orders.delete().where(key_orders.c.id == bad))


def keys_after(connection: sa.Connection) -> None:
    account = new_id(connection, key_accounts.insert().values(email="after@x", handle="after"))
    # What was dropped no longer holds: a long note, a referrer that is no account.
    connection.execute(
        key_orders.insert().values(
            account_id=account, qty=1, status="open", note="x" * 45, referrer_id=-1
        )
    )
    fails(connection, key_accounts.insert().values(email="dup@x", handle="after"))
    fails(connection, key_orders.insert().values(account_id=account, qty=0, status="open"))
    fails(connection, key_orders.insert().values(account_id=-1, qty=1, status="open"))
    assert set(in_schema(connection, "isk_accounts")) == {
        "isk_accounts_pkey",
        "uq_isk_accounts_handle",
    }
    assert set(in_schema(connection, "isk_orders")) == {
        "isk_orders_pkey",
        "ix_isk_orders_account",
        "ix_isk_orders_open",
    }
    assert validated(connection) == {
        "isk_orders_pkey": True,
        "ck_isk_orders_qty": True,
        "fk_isk_orders_account": True,
    }
    assert comment(connection, S) == "one row per order"


KEYS = Case(
    names=("isk_accounts", "isk_orders"),
    setup=keys_setup,
    operations=KEY_OPERATIONS,
    check=keys_check,
    after=keys_after,
    seed=keys_seed,
    after_rollback=keys_after_rollback,
    made={"expand": set(), "backfill": set()},
)


# --- tables: one renamed (and referenced by a new one), one dropped --------------------------


def tables_setup(schema: str | None) -> list[Operation]:
    return [
        CreateTable(
            at(schema, "isr_accounts"),
            Column("id", Integer, primary_key=True),
            Column("name", String(50), nullable=False),
        ),
        CreateTable(
            at(schema, "isr_orders"),
            Column("id", Integer, primary_key=True),
            Column(
                "account_id",
                Integer,
                ForeignKey(f"{at(schema, 'isr_accounts')}.id"),
                nullable=False,
            ),
            Column("item", String(50)),
        ),
        CreateTable(
            at(schema, "isr_legacy"),
            Column("id", Integer, primary_key=True),
            Column("data", String(50)),
        ),
    ]


# The harness drops the tables in reverse order: the view left under the old name must go
# before the renamed table (dropped with CASCADE, the table would take the view along).
ISR_NAMES = ("isr_customers", "isr_accounts", "isr_orders", "isr_reviews", "isr_legacy")
ISR_CUSTOMERS = at(S, "isr_customers")
TABLE_OPERATIONS: list[Operation] = [
    RenameTable(at(S, "isr_accounts"), ISR_CUSTOMERS),
    CreateTable(
        at(S, "isr_reviews"),
        Column("id", Integer, primary_key=True),
        Column("customer_id", Integer, ForeignKey(f"{ISR_CUSTOMERS}.id"), nullable=False),
        Column("stars", Integer),
        Index("ix_isr_reviews_customer", "customer_id"),
    ),
    DropTable(at(S, "isr_legacy")),
]

accounts_by_old_name = app_table(
    "isr_accounts", Column("id", Integer, primary_key=True), Column("name", String(50))
)
customers = app_table(
    "isr_customers", Column("id", Integer, primary_key=True), Column("name", String(50))
)
rename_orders = app_table(
    "isr_orders",
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("item", String(50)),
)
reviews = app_table(
    "isr_reviews",
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),
    Column("stars", Integer),
)
legacy = app_table(
    "isr_legacy", Column("id", Integer, primary_key=True), Column("data", String(50))
)


def tables_seed(connection: sa.Connection) -> None:
    connection.execute(accounts_by_old_name.insert(), [{"name": f"s{i}"} for i in range(5)])
    connection.execute(
        rename_orders.insert(), [{"account_id": i % 5 + 1, "item": f"i{i}"} for i in range(10)]
    )


def name_of(connection: sa.Connection, table: sa.Table, row_id: int) -> object:
    return one(connection, table.c.name, row_id)


def tables_check(connection: sa.Connection, phase: str) -> None:
    # The old app uses the old name (a view in the schema), the new app the new one.
    old = new_id(connection, accounts_by_old_name.insert().values(name=f"old-{phase}"))
    new = new_id(connection, customers.insert().values(name=f"new-{phase}"))
    assert name_of(connection, customers, old) == f"old-{phase}"
    assert name_of(connection, accounts_by_old_name, new) == f"new-{phase}"
    connection.execute(
        accounts_by_old_name.update().where(accounts_by_old_name.c.id == new).values(name="x")
    )
    assert name_of(connection, customers, new) == "x"
    # The foreign keys to the renamed table hold, the old one's and the new table's.
    connection.execute(rename_orders.insert().values(account_id=new, item=f"o-{phase}"))
    fails(connection, rename_orders.insert().values(account_id=-1, item="orphan"))
    connection.execute(reviews.insert().values(customer_id=old, stars=5))
    fails(connection, reviews.insert().values(customer_id=-1, stars=1))
    connection.execute(legacy.insert().values(data=f"old-{phase}"))
    inspector = sa.inspect(connection)
    assert inspector.get_view_names(schema=S) == ["isr_accounts"]
    assert "isr_accounts" not in inspector.get_view_names()
    assert set(inspector.get_table_names(schema=S)) & set(ISR_NAMES) == {
        "isr_customers",
        "isr_orders",
        "isr_reviews",
        "isr_legacy",
    }
    assert "ix_isr_reviews_customer" in in_schema(connection, "isr_reviews")


def tables_after_rollback(connection: sa.Connection, undone: str) -> None:
    written = sa.select(accounts_by_old_name.c.id).where(accounts_by_old_name.c.name == "x")
    assert len(connection.execute(written).all()) == (1 if undone == "expand" else 2)
    fails(connection, sa.select(customers.c.name))
    fails(connection, sa.select(reviews.c.stars))
    assert sa.inspect(connection).get_view_names(schema=S) == []


def tables_after(connection: sa.Connection) -> None:
    customer = new_id(connection, customers.insert().values(name="after"))
    connection.execute(reviews.insert().values(customer_id=customer, stars=4))
    connection.execute(rename_orders.insert().values(account_id=customer, item="after"))
    count = sa.select(sa.func.count()).select_from(customers)
    assert connection.execute(count).scalar_one() == 5 + 3 * 2 + 1
    fails(connection, sa.select(accounts_by_old_name.c.name))
    fails(connection, sa.select(legacy.c.data))
    assert sa.inspect(connection).get_view_names(schema=S) == []


TABLES = Case(
    names=ISR_NAMES,
    setup=tables_setup,
    operations=TABLE_OPERATIONS,
    check=tables_check,
    after=tables_after,
    seed=tables_seed,
    after_rollback=tables_after_rollback,
    made={"expand": set(), "backfill": set()},
)


# --- enum types: a value added to one, a new one used by a new column -----------------------


def enums_setup(schema: str | None) -> list[Operation]:
    return [
        CreateEnum(at(schema, "ise_mood"), ["happy", "sad"]),
        CreateTable(
            at(schema, "ise_people"),
            Column("id", Integer, primary_key=True),
            Column("name", String(50)),
            Column("mood", Enum("happy", "sad", name="ise_mood", schema=schema)),
        ),
    ]


ENUM_OPERATIONS: list[Operation] = [
    AddEnumValue(at(S, "ise_mood"), "meh", before="sad"),
    CreateEnum(at(S, "ise_tier"), ["free", "pro"]),
    AddColumn(
        at(S, "ise_people"),
        Column(
            "tier",
            Enum("free", "pro", name="ise_tier", schema=S),
            nullable=False,
            server_default="free",
        ),
    ),
]

moods_old = app_table(
    "ise_people",
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("mood", Enum("happy", "sad", name="ise_mood", schema=S)),
)
moods_new = app_table(
    "ise_people",
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("mood", Enum("happy", "meh", "sad", name="ise_mood", schema=S)),
    Column("tier", Enum("free", "pro", name="ise_tier", schema=S)),
)


def enum_values(connection: sa.Connection) -> dict[tuple[str, str], list[str]]:
    rows = connection.execute(
        sa.text(
            "SELECT n.nspname, t.typname, e.enumlabel FROM pg_enum e "
            "JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typname LIKE 'ise\\_%' ORDER BY n.nspname, t.typname, e.enumsortorder"
        )
    )
    found: dict[tuple[str, str], list[str]] = {}
    for schema, name, label in rows:
        found.setdefault((schema, name), []).append(label)
    return found


def mood_of(connection: sa.Connection, row_id: int) -> object:
    """The mood as the old app's driver reads it: as text (SQLAlchemy's Enum would refuse a value
    it was not declared with, which is the app's concern, not the server's)."""
    query = sa.select(sa.cast(moods_old.c.mood, String)).where(moods_old.c.id == row_id)
    return connection.execute(query).scalar_one()


def enums_check(connection: sa.Connection, phase: str) -> None:
    old = new_id(connection, moods_old.insert().values(name=f"old-{phase}", mood="happy"))
    new = new_id(connection, moods_new.insert().values(name=f"new-{phase}", mood="meh", tier="pro"))
    assert one(connection, moods_new.c.tier, old) == "free"
    # The old app must tolerate reading the new value.
    assert mood_of(connection, new) == "meh"
    fails(connection, moods_new.insert().values(name="bad", tier="gold"))
    assert enum_values(connection) == {
        ("public", "ise_mood"): ["happy", "sad"],
        (S, "ise_mood"): ["happy", "meh", "sad"],
        (S, "ise_tier"): ["free", "pro"],
    }


def enums_after_rollback(connection: sa.Connection, undone: str) -> None:
    # PostgreSQL cannot remove an enum value: it stays; the new type goes with its column.
    assert enum_values(connection) == {
        ("public", "ise_mood"): ["happy", "sad"],
        (S, "ise_mood"): ["happy", "meh", "sad"],
    }
    fails(connection, sa.select(moods_new.c.tier))


def enums_after(connection: sa.Connection) -> None:
    new = new_id(connection, moods_new.insert().values(name="after", mood="meh", tier="pro"))
    assert mood_of(connection, new) == "meh"
    # Nothing was taken away: the old app goes on as before.
    old = new_id(connection, moods_old.insert().values(name="after-old", mood="sad"))
    assert one(connection, moods_new.c.tier, old) == "free"
    assert (S, "ise_tier") in enum_values(connection)


ENUMS = Case(
    names=("ise_people", "ise_mood", "ise_tier"),
    setup=enums_setup,
    operations=ENUM_OPERATIONS,
    check=enums_check,
    after=enums_after,
    after_rollback=enums_after_rollback,
    made={"expand": set(), "backfill": set()},
    types=("ise_mood", "ise_tier"),
)


CASES = {"columns": COLUMNS, "types": TYPES, "keys": KEYS, "tables": TABLES, "enums": ENUMS}


MYSQL_ONLY = {"AlterTable"}
"""Operations of MySQL/MariaDB alone, where a schema is a database: tests/ops covers them."""


def test_every_operation_is_covered() -> None:
    used = {type(op).__name__ for case in CASES.values() for op in case.operations}
    assert used == set(OPERATIONS) - MYSQL_ONLY


@pytest.mark.parametrize("name", CASES)
def test_lifecycle(pg_engine: sa.Engine, name: str) -> None:
    dialect = server_dialect(pg_engine)
    run_lifecycle(pg_engine, dialect, lifecycle(CASES[name], dialect))


@pytest.mark.parametrize("version", ["12", "15", "17"])
@pytest.mark.parametrize("name", CASES)
def test_every_statement_names_the_schema(name: str, version: str) -> None:
    case = CASES[name]
    migration, dialect = compiled(case, version)
    sql = every_sql(migration, dialect)
    assert [(s, found) for s in sql if (found := unqualified(s, case))] == []


# --- a schema whose name needs quoting --------------------------------------------------------

QUOTED = "Is Shop"
QUOTED_PEOPLE = at(QUOTED, "isq_people")


def quoted_tier(*values: str) -> Enum:
    return Enum(*values, name="isq_tier", schema=QUOTED)


def test_reflection_where_the_schema_name_needs_quoting(pg_engine: sa.Engine) -> None:
    """The server prints names in such a schema quoted (a default as 'free'::"Is Shop".isq_tier):
    what reflection reads still equals the model, before and after the operations."""
    dialect = server_dialect(pg_engine)
    case = Lifecycle(
        tables=[QUOTED_PEOPLE],
        setup=[
            CreateEnum(at(QUOTED, "isq_tier"), ["free", "pro"]),
            CreateTable(
                QUOTED_PEOPLE,
                Column("id", Integer, primary_key=True),
                Column("name", String(50)),
                Column("tier", quoted_tier("free", "pro"), server_default="free"),
            ),
        ],
        operations=[],
        check=lambda connection, phase: None,
        after=lambda connection: None,
        schemas=[QUOTED],
        extra_cleanup=[f"DROP TYPE IF EXISTS {dialect.table(at(QUOTED, 'isq_tier'))}"],
    )
    baseline = set_up(pg_engine, dialect, case)
    operations: list[Operation] = [
        AddEnumValue(at(QUOTED, "isq_tier"), "team"),
        AddColumn(QUOTED_PEOPLE, Column("plan", quoted_tier("free", "pro"), server_default="pro")),
        SetDefault(QUOTED_PEOPLE, "tier", "team"),
        AddCheckConstraint("ck_isq_people_pro", QUOTED_PEOPLE, "tier <> 'pro' OR name IS NOT NULL"),
        CreateIndex("ix_isq_people_pro", QUOTED_PEOPLE, ["name"], where="plan = 'pro'"),
    ]
    migration = compile_migration(Migration("m", operations), baseline, dialect)

    def reflected() -> Table:
        with pg_engine.connect() as connection:
            schema = reflect_schema(connection, dialect, schemas=[QUOTED])
        return schema.table(QUOTED_PEOPLE)

    assert reflected() == baseline.table(QUOTED_PEOPLE)
    assert reflected().column("tier").default == "'free'"
    run_all(pg_engine, migration, dialect)
    assert reflected() == migration.after.table(QUOTED_PEOPLE)
    assert reflected().column("tier").default == "'team'"
