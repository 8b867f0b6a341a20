"""The ZD2xx rules read a step's lock facts, whichever dialect or author wrote the SQL; ZD190
refuses a release whose phases cannot run in order. An ok and a failing case each, per dialect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from zdmigrate.dialects import get_dialect
from zdmigrate.metadata import schema_from_metadata
from zdmigrate.plan.locks import step_findings
from zdmigrate.plan.planner import plan
from zdmigrate.schema import CheckConstraint, Column, Table
from zdmigrate.steps import Phase, Statement, Step

DIALECTS = ["postgresql", "mariadb"]


def codes(statement: Statement, operation: str = "AddCheckConstraint") -> list[str]:
    return [f.code for f in step_findings(Step(Phase.EXPAND, operation, statement))]


def orders() -> Table:
    return Table(
        "orders",
        columns={"id": Column("id", "INTEGER", nullable=False), "n": Column("n", "INTEGER")},
    )


@pytest.mark.parametrize("name", DIALECTS)
def test_zd201_a_brief_blocking_lock_is_an_info(name: str) -> None:
    dialect = get_dialect(name)
    statement = dialect.drop_constraint("orders", "ck_orders_n", "check")
    assert statement.blocks and statement.online
    [finding] = step_findings(Step(Phase.CONTRACT, "DropConstraint", statement))
    assert (finding.code, finding.severity, finding.phase) == ("ZD201", "info", "contract")
    assert statement.lock in finding.message and "reads and writes" in finding.message


@pytest.mark.parametrize("name", DIALECTS)
def test_zd201_no_finding_for_a_statement_that_blocks_nothing(name: str) -> None:
    dialect = get_dialect(name)
    [*_, build] = dialect.create_index(
        "orders", __import__("zdmigrate.schema").schema.Index("ix", ["n"])
    )
    if name == "postgresql":
        assert build.blocks == () and codes(build, "CreateIndex") == []
    else:  # an in-place build: a brief metadata lock only
        assert codes(build, "CreateIndex") == ["ZD201"]


def test_zd202_a_rewrite_under_a_lock_is_an_error_an_online_rebuild_is_not() -> None:
    mysql = get_dialect("mariadb")
    copy = mysql.add_check("orders", CheckConstraint("ck", "n > 0"))
    assert codes(copy) == ["ZD202"]
    # A rebuild in place (ALGORITHM=INPLACE, LOCK=NONE) rewrites while traffic goes on.
    rebuild = mysql.set_nullable(orders(), "n", True)
    assert rebuild.rewrite and rebuild.online
    assert codes(rebuild, "DropNotNull") == ["ZD201"]


@pytest.mark.parametrize("name", DIALECTS)
def test_zd203_a_scan_under_a_lock_is_an_error(name: str) -> None:
    dialect = get_dialect(name)
    scan = dialect.statement("ALTER TABLE orders ALTER n SET NOT NULL", "ACCESS EXCLUSIVE")
    scan = Statement(
        sql=scan.sql, lock="EXCLUSIVE", blocks=("reads", "writes"), scan=True, online=False
    )
    [finding] = step_findings(Step(Phase.CONTRACT, "SetNotNull", scan))
    assert (finding.code, finding.severity) == ("ZD203", "error")
    # An op's finding points to what to do when zdmigrate itself has no online recipe.
    assert "ignore=" in finding.help


def test_zd203_validate_scans_without_blocking() -> None:
    pg = get_dialect("postgresql")
    validate = pg.validate_constraint(orders(), "ck")
    assert validate.scan and validate.blocks == ()
    assert codes(validate) == []


@pytest.mark.parametrize("name", DIALECTS)
def test_zd204_a_change_not_online_that_neither_scans_nor_rewrites(name: str) -> None:
    statement = Statement(sql="ALTER …", lock="EXCLUSIVE", blocks=("reads", "writes"), online=False)
    assert codes(statement, "RunSQL") == ["ZD204"]
    assert codes(Statement(sql="ALTER …", lock="EXCLUSIVE", blocks=("reads",)), "RunSQL") == [
        "ZD201"
    ]


@pytest.mark.parametrize("name", DIALECTS)
def test_zd205_an_unknown_lock_is_a_warning_a_declared_one_is_judged(name: str) -> None:
    from zdmigrate.ops import RunSQL
    from zdmigrate.schema import Schema

    dialect = get_dialect(name)
    [unknown] = RunSQL("SELECT maintenance()", lock="unknown").expand(Schema(), dialect)
    assert codes(unknown, "RunSQL") == ["ZD205"]
    [declared] = RunSQL("SELECT maintenance()", lock="none").expand(Schema(), dialect)
    assert codes(declared, "RunSQL") == []


RENAME = """
from zdmigrate import Migration, ops
migration = Migration(id="0002_rename", operations=[ops.RenameColumn("users", "email", "mail")])
"""
INITIAL = """
from sqlalchemy import Column, Integer, String
from zdmigrate import Migration, ops
migration = Migration(id="0001_initial", operations=[
    ops.CreateTable("users", Column("id", Integer, primary_key=True), Column("email", String(50))),
])
"""


@pytest.mark.parametrize("name", DIALECTS)
def test_zd190_a_release_that_needs_a_contract_before_the_next_expand(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / "0001_initial.py").write_text(textwrap.dedent(INITIAL))
    (tmp_path / "0002_rename.py").write_text(textwrap.dedent(RENAME))
    later = tmp_path / "0003_rename_again.py"
    later.write_text(
        "from zdmigrate import Migration, ops\n"
        "migration = Migration(\n"
        '    id="0003_rename_again", operations=[ops.RenameColumn("users", "mail", "m")]\n'
        ")\n"
    )
    dialect = get_dialect(name)
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(50)),
    )
    old_app = schema_from_metadata(metadata, dialect)
    # 0003 renames the column 0002 keeps in step by trigger until its contract.
    together = plan([tmp_path / "0002_rename.py", later], dialect, old_app=old_app)
    assert "ZD190" in [f.code for f in together.findings]
    apart = plan([tmp_path / "0002_rename.py"], dialect, old_app=old_app)
    assert "ZD190" not in [f.code for f in apart.findings]
