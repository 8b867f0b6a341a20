"""Synced copies of one table run as one pass over it; other batched work keeps its place.
(tests/test_online.py runs such a merged pass under traffic on both servers.)"""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, Integer, String

from zdmigrate import Migration, ops
from zdmigrate.dialects import get_dialect
from zdmigrate.errors import InvalidOperation
from zdmigrate.migration import compile_migration
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase


def schema_with(dialect_name: str) -> Schema:
    dialect = get_dialect(dialect_name)
    schema = Schema()
    for table in ("orders", "users"):
        ops.CreateTable(
            table,
            Column("id", Integer, primary_key=True),
            Column("email", String(50), nullable=False),
            Column("amount", Integer, nullable=False),
        ).apply(schema, dialect)
    return schema


@pytest.mark.parametrize("dialect_name", ["postgresql", "mariadb"])
def test_two_copies_of_one_table_are_one_pass(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    migration = Migration(
        "m",
        [
            ops.RenameColumn("orders", "email", "contact_email"),
            ops.ChangeColumnType("orders", "amount", BigInteger(), up="amount", down="amount"),
            ops.RenameColumn("users", "email", "mail"),
            ops.Backfill("orders", set={"contact_email": "'x'"}, where="id < 0"),
        ],
    )
    # A Backfill of a column a copy keeps in step is refused (one writer per column).
    with pytest.raises(InvalidOperation, match="keeps in step"):
        compile_migration(migration, schema_with(dialect_name), dialect)
    migration = Migration("m", list(migration.operations)[:3])
    backfill = compile_migration(migration, schema_with(dialect_name), dialect).steps[
        Phase.BACKFILL
    ]
    batched = [s for s in backfill if s.statement.batched is not None]
    assert [(s.operation, s.statement.table) for s in batched] == [
        ("RenameColumn + ChangeColumnType", "orders"),
        ("RenameColumn", "users"),
    ]
    update = batched[0].statement.batched
    assert update is not None
    assert [column for column, _ in update.assignments] == ["contact_email", "zdm_amount_new"]
    assert update.where is not None and ") OR (" in update.where
    # The merged pass comes first; the rest of each operation's backfill keeps its order.
    assert backfill[0] is batched[0]


def test_a_backfill_operation_is_never_merged() -> None:
    dialect = get_dialect("postgresql")
    migration = Migration(
        "m",
        [
            ops.Backfill("orders", set={"amount": "0"}, where="amount IS NULL"),
            ops.Backfill("orders", set={"email": "'x'"}, where="email IS NULL"),
        ],
    )
    backfill = compile_migration(migration, schema_with("postgresql"), dialect).steps[
        Phase.BACKFILL
    ]
    assert [s.operation for s in backfill if s.statement.batched] == ["Backfill", "Backfill"]
