"""The simple executor: which statements share a transaction, and batched updates' batches."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import compile_ops
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.engine import create_engine
from zdmigrate.errors import BadInput, ConnectionFailed, ExecutionError, InvalidOperation
from zdmigrate.run.executor import (
    run_batched,
    run_group,
    run_phase,
    run_rollback,
    run_steps,
    transaction_groups,
)
from zdmigrate.run.options import RunOptions
from zdmigrate.steps import BatchedUpdate, Phase, Statement, Step

USERS = ops.CreateTable(
    "ex_users",
    Column("id", Integer, primary_key=True),
    Column("email", String(50), nullable=False),
)


def test_a_validate_never_shares_a_transaction_with_an_earlier_exclusive_lock() -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    groups = transaction_groups(compiled.phase(Phase.BACKFILL), get_dialect("postgresql"))
    for group in groups:
        for i, step in enumerate(group):
            if "VALIDATE CONSTRAINT" in step.sql:
                assert i == 0, [s.sql for s in group]
    assert any("VALIDATE CONSTRAINT" in s.sql for g in groups for s in g)


def test_contract_on_postgresql_is_one_transaction() -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    groups = transaction_groups(compiled.phase(Phase.CONTRACT), get_dialect("postgresql"))
    assert len(groups) == 1


def test_only_a_fence_is_grouped_where_ddl_is_not_transactional() -> None:
    compiled = compile_ops("mariadb", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    steps = compiled.phase(Phase.CONTRACT)
    groups = transaction_groups(steps, get_dialect("mariadb"))
    assert [s for g in groups for s in g] == steps
    fences = [g for g in groups if len(g) > 1]
    assert fences, "RenameColumn's contract drops its triggers and column under LOCK TABLES"
    for fence in fences:
        assert fence[0].sql.startswith("LOCK TABLES") and fence[-1].sql == "UNLOCK TABLES"
        assert not any(s.statement.fence for s in fence[1:-1])


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


UNREACHABLE = "postgresql://app:s3cret@127.0.0.1:1/nowhere"


def test_a_server_that_does_not_answer_is_bad_input_with_the_password_masked() -> None:
    compiled = compile_ops("postgresql", [], [USERS])
    engine = create_engine(UNREACHABLE)
    with pytest.raises(ConnectionFailed) as failed:
        run_phase(engine, compiled, Phase.EXPAND, get_dialect("postgresql"))
    engine.dispose()
    assert isinstance(failed.value, BadInput)
    assert "app:***@127.0.0.1:1" in str(failed.value)
    assert "s3cret" not in str(failed.value)


@pytest.mark.parametrize("reached", [Phase.CONTRACT, "contract", "bogus"])
def test_a_rollback_after_contract_is_refused_before_connecting(reached: str) -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    engine = create_engine(UNREACHABLE)  # a connection attempt would raise ConnectionFailed
    with pytest.raises(InvalidOperation, match=f"cannot roll back after {reached}"):
        run_rollback(engine, compiled, get_dialect("postgresql"), reached=reached)
    engine.dispose()


def test_a_phase_given_as_a_string_rolls_back_the_same_steps() -> None:
    compiled = compile_ops("postgresql", [USERS], [ops.RenameColumn("ex_users", "email", "mail")])
    after_backfill = compiled.rollback(Phase.BACKFILL)
    assert any(step.undoes is Phase.BACKFILL for step in after_backfill)
    assert compiled.rollback("backfill") == after_backfill
    assert compiled.rollback("expand") == compiled.rollback(Phase.EXPAND) != after_backfill


def test_the_failing_statement_of_a_transaction_is_the_one_reported(
    pg_engine: sa.Engine,
) -> None:
    dialect = get_dialect("postgresql")
    sqls = [
        "CREATE TABLE ex_fail_first (id INTEGER)",
        "SELECT * FROM ex_no_such_table",
        "CREATE TABLE ex_fail_last (id INTEGER)",
    ]
    steps = [Step(Phase.EXPAND, "Test", Statement(sql=sql, lock="none")) for sql in sqls]
    assert len(transaction_groups(steps, dialect)) == 1
    with pytest.raises(ExecutionError) as failed:
        run_steps(pg_engine, dialect, steps, migration="m")
    assert failed.value.sql == sqls[1]
    assert "ex_no_such_table" in failed.value.reason
    with pg_engine.connect() as connection:
        made = connection.exec_driver_sql("SELECT to_regclass('ex_fail_first')").scalar()
    assert made is None, "the transaction was rolled back"


def test_a_fence_that_fails_gives_its_table_locks_back_at_once(mysql_engine: sa.Engine) -> None:
    dialect = get_dialect("mariadb")
    with mysql_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS ex_fenced")
        connection.exec_driver_sql("CREATE TABLE ex_fenced (id INTEGER PRIMARY KEY, v INTEGER)")
    failing = dialect.statement("ALTER TABLE ex_fenced RENAME COLUMN nope TO other", "unknown")
    fence = dialect.atomically("ex_fenced", [failing])
    steps = [Step(Phase.BACKFILL, "test", statement) for statement in fence]
    (group,) = transaction_groups(steps, dialect)
    with mysql_engine.connect() as runner:
        with pytest.raises(ExecutionError, match="nope"):
            run_group(runner, dialect, group, migration="0001_fenced", options=RunOptions())
        # The runner's session is still open; another may read and write the table.
        with mysql_engine.connect() as app:
            app.exec_driver_sql("SET SESSION lock_wait_timeout = 1")
            app.exec_driver_sql("INSERT INTO ex_fenced VALUES (1, 1)")
            app.commit()
            assert app.exec_driver_sql("SELECT COUNT(*) FROM ex_fenced").scalar() == 1
