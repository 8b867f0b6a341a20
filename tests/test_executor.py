"""The simple executor: which statements share a transaction, and batched updates' batches."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import compile_ops
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.run.executor import _groups, run_batched
from zdmigrate.steps import BatchedUpdate, Phase

USERS = ops.CreateTable(
    "ex_users",
    Column("id", Integer, primary_key=True),
    Column("email", String(50), nullable=False),
)


def test_a_validate_never_shares_a_transaction_with_an_earlier_exclusive_lock() -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    groups = _groups(compiled.phase(Phase.BACKFILL), get_dialect("postgresql"))
    for group in groups:
        for i, step in enumerate(group):
            if "VALIDATE CONSTRAINT" in step.sql:
                assert i == 0, [s.sql for s in group]
    assert any("VALIDATE CONSTRAINT" in s.sql for g in groups for s in g)


def test_contract_on_postgresql_is_one_transaction() -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    groups = _groups(compiled.phase(Phase.CONTRACT), get_dialect("postgresql"))
    assert len(groups) == 1


def test_nothing_is_grouped_where_ddl_is_not_transactional() -> None:
    compiled = compile_ops("mariadb", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    steps = compiled.phase(Phase.CONTRACT)
    assert len(_groups(steps, get_dialect("mariadb"))) == len(steps)


def test_batched_update_covers_every_row_and_rows_past_the_last_boundary(
    db: tuple[sa.Engine, Dialect],
) -> None:
    engine, dialect = db
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS ex_batches")
        connection.exec_driver_sql(
            "CREATE TABLE ex_batches (a INTEGER NOT NULL, b INTEGER NOT NULL, v INTEGER, "
            "PRIMARY KEY (a, b))"
        )
        connection.execute(
            sa.text("INSERT INTO ex_batches (a, b) VALUES (:a, :b)"),
            [{"a": a, "b": b} for a in range(7) for b in range(13)],
        )
    update = BatchedUpdate(
        table="ex_batches", key=("a", "b"), assignments=(("v", "a * 100 + b"),), where=None
    )
    assert run_batched(engine, dialect, update, batch_size=10) == 91
    with engine.begin() as connection:
        wrong = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM ex_batches WHERE v IS NULL OR v <> a * 100 + b"
        ).scalar()
        connection.exec_driver_sql("DROP TABLE ex_batches")
    assert wrong == 0
