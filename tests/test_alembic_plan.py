"""``zdmigrate plan alembic.ini``: plain Alembic revisions recorded offline and planned.

No database: the revisions run under Alembic's offline mode, as ``alembic upgrade --sql`` runs
them, and the SQL they emit is judged with the file and line of the call that emitted it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, inspect

from zdmigrate.alembic.history import Revision, read_history, select
from zdmigrate.cli import main
from zdmigrate.dialects import get_dialect
from zdmigrate.errors import BadInput, MigrationLoadError
from zdmigrate.plan.planner import plan
from zdmigrate.steps import Phase

EXAMPLE = Path(__file__).parent.parent / "migrations_examples" / "alembic_project" / "alembic.ini"
INI = """\
[alembic]
script_location = %(here)s/alembic
path_separator = os
"""


def findings(ini: Path, dialect: str = "postgresql", **kw: object) -> dict[str, list[tuple]]:
    """revision id → (code, severity, file name, line) of each finding."""
    result = plan([ini], get_dialect(dialect), **kw)  # type: ignore[arg-type]
    return {
        m.id: [(f.code, str(f.severity), Path(f.file or "").name, f.line) for f in m.findings]
        for m in result.migrations
    }


def revision_file(folder: Path, rid: str, down: str | tuple[str, ...] | None, body: str) -> Path:
    path = folder / f"{rid}_rev.py"
    path.write_text(
        f'"""Revision {rid}."""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = {rid!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"
    )
    return path


def table_t(versions: Path) -> None:
    """The first revision: it creates table t (id, n)."""
    revision_file(versions, "a1", None, "op.execute('CREATE TABLE t (id int PRIMARY KEY, n text)')")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """An empty Alembic project: (alembic.ini, its versions folder)."""
    (tmp_path / "alembic.ini").write_text(INI)
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    return tmp_path / "alembic.ini", versions


def test_the_example_project_unsafe_revisions_are_found_at_their_lines() -> None:
    found = findings(EXAMPLE)
    serious = {rid: [f for f in fs if f[1] != "info"] for rid, fs in found.items()}
    assert serious["1a0c2e7f4b01"] == []  # new tables
    assert serious["2b7d9c1e5a02"] == []  # a nullable column
    assert serious["3c4e8a2f6b03"] == []  # CONCURRENTLY in an autocommit block
    currency = "4d1f3b7c8e04_unsafe_order_currency.py"
    assert serious["4d1f3b7c8e04"] == [
        ("ZD307", "error", currency, 22),
        ("ZD502", "warning", currency, 22),
    ]
    assert serious["5e2a4c8d9f05"] == [
        ("ZD301", "error", "5e2a4c8d9f05_unsafe_products_by_name.py", 20)
    ]
    rename = "6f3b5d9e0a06_unsafe_rename_and_widen.py"
    assert serious["6f3b5d9e0a06"] == [
        ("ZD313", "error", rename, 23),
        ("ZD308", "error", rename, 25),
        ("ZD319", "error", rename, 25),
    ]
    assert serious["7a4c6e0f1b07"] == [
        ("ZD501", "warning", "7a4c6e0f1b07_statuses_from_data.py", 21)
    ]


def test_the_example_project_on_mariadb() -> None:
    found = findings(EXAMPLE, "mariadb")
    rename = "6f3b5d9e0a06_unsafe_rename_and_widen.py"
    codes = {(code, line) for code, _, name, line in found["6f3b5d9e0a06"] if name == rename}
    # Alembic's CHANGE for a rename without existing_nullable also makes the column NULL.
    assert {("ZD407", 23), ("ZD402", 23), ("ZD401", 25)} <= codes
    assert [f[0] for f in found["5e2a4c8d9f05"]] == []  # MariaDB builds the index in place


def test_a_range_plans_its_revisions_on_the_schema_the_earlier_ones_make() -> None:
    result = plan(
        [EXAMPLE],
        get_dialect("postgresql"),
        revisions="5e2a:6f3b",
        old_app=_app("old"),
        new_app=_app("new"),
    )
    assert [m.id for m in result.migrations] == ["6f3b5d9e0a06"]
    by_app = {(f.code, f.app, f.table, f.column) for f in result.migrations[0].findings}
    assert ("ZD102", "old", "users", "email") in by_app  # the old app reads the renamed column
    assert not any(f.app == "new" for f in result.migrations[0].findings)


def _app(version: str):  # type: ignore[no-untyped-def]
    from zdmigrate.metadata import load_spec

    return load_spec(
        f"migrations_examples.alembic_project.app:{version}", get_dialect("postgresql")
    )


def test_foreign_keys_and_unique_constraints_are_judged(project: tuple[Path, Path]) -> None:
    ini, versions = project
    table_t(versions)
    revision_file(
        versions,
        "b2",
        "a1",
        """
        op.create_table(
            "u", sa.Column("id", sa.Integer, primary_key=True), sa.Column("t_id", sa.Integer)
        )
        """,
    )
    revision_file(
        versions,
        "c3",
        "b2",
        """
        op.create_foreign_key("fk_u_t", "u", "t", ["t_id"], ["id"])
        op.create_unique_constraint("uq_t_n", "t", ["n"])
        """,
    )
    codes = {(code, line) for code, severity, _, line in findings(ini)["c3"] if severity != "info"}
    assert {code for code, line in codes if line == 12} >= {"ZD310"}  # validated under its lock
    assert {code for code, line in codes if line == 13} >= {"ZD312"}  # indexed under its lock


def test_concurrently_outside_an_autocommit_block_fails_in_the_revisions_transaction(
    project: tuple[Path, Path],
) -> None:
    ini, versions = project
    revision_file(
        versions, "a1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"
    )
    revision_file(
        versions, "b2", "a1", "op.create_index('ix_t', 't', ['id'], postgresql_concurrently=True)"
    )
    assert ("ZD304", "error", "b2_rev.py", 12) in findings(ini)["b2"]


def test_a_python_side_default_on_a_nullable_column_is_a_warning(
    project: tuple[Path, Path],
) -> None:
    ini, versions = project
    revision_file(
        versions, "a1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"
    )
    revision_file(versions, "b2", "a1", "op.add_column('t', sa.Column('n', sa.Integer, default=5))")
    revision_file(
        versions, "c3", "b2", "op.add_column('t', sa.Column('m', sa.Integer, server_default='5'))"
    )
    found = findings(ini)
    assert found["b2"] == [("ZD502", "warning", "b2_rev.py", 12)]
    assert found["c3"] == []


def test_a_revision_that_cannot_be_recorded_is_reported_and_the_rest_are_planned(
    project: tuple[Path, Path],
) -> None:
    ini, versions = project
    revision_file(
        versions, "a1", None, "import myapp.models  # not installed here\nop.execute('SELECT 1')"
    )
    revision_file(versions, "b2", "a1", "op.drop_column('t', 'c')")
    found = findings(ini)
    assert found["a1"][0][:2] == ("ZD501", "warning")
    assert found["a1"][0][3] == 12
    assert [f[0] for f in found["b2"]] == ["ZD315"]


def test_a_history_of_a_real_project_shape_plans_in_order(project: tuple[Path, Path]) -> None:
    """36 revisions: tables, columns, indexes, foreign keys, data fixes, two branches and
    their merge, written in the order a team writes them; files named so that their names do
    not sort in revision order."""
    ini, versions = project
    down: str | tuple[str, ...] | None = None
    unsafe: dict[str, str] = {}
    for n in range(12):  # twelve tables, each created, given a column and an index
        table = f"t{n}"
        create = f"r{n:02d}c"
        revision_file(
            versions,
            create,
            down,
            f"op.create_table({table!r}, sa.Column('id', sa.BigInteger, primary_key=True),"
            " sa.Column('name', sa.String(50), nullable=False))",
        )
        add = f"r{n:02d}a"
        revision_file(
            versions, add, create, f"op.add_column({table!r}, sa.Column('note', sa.Text))"
        )
        index = f"r{n:02d}i"
        if n % 4 == 3:  # every fourth table's index is built the blocking way
            body = f"op.create_index('ix_{table}_name', {table!r}, ['name'])"
            unsafe[index] = "ZD301"
        else:
            body = (
                "with op.get_context().autocommit_block():\n"
                f"    op.create_index('ix_{table}_name', {table!r}, ['name'],"
                " postgresql_concurrently=True)"
            )
        revision_file(versions, index, add, body)
        down = index
    # two branches from the last revision, and their merge
    revision_file(versions, "zz_left", down, "op.add_column('t0', sa.Column('l', sa.Integer))")
    revision_file(versions, "aa_right", down, "op.drop_column('t1', 'note')")
    unsafe["aa_right"] = "ZD315"
    revision_file(versions, "mm_merge", ("zz_left", "aa_right"), "pass")
    revisions = read_history(ini)
    assert len(revisions) == 39
    order = [r.id for r in revisions]
    assert order.index("mm_merge") > max(order.index("zz_left"), order.index("aa_right"))
    assert order.index("r00c") == 0
    found = findings(ini)
    flagged = {rid: [f[0] for f in fs if f[1] != "info"] for rid, fs in found.items()}
    assert {rid: codes for rid, codes in flagged.items() if codes} == {
        rid: [code] for rid, code in unsafe.items()
    }


def test_select_reads_a_range_as_alembic_upgrade_does() -> None:
    def r(rid: str, *down: str) -> Revision:
        return Revision(rid, down, Path(f"{rid}.py"))

    chain = [r("aaa1"), r("bbb2", "aaa1"), r("ccc3", "bbb2"), r("ddd4", "ccc3")]
    assert select(chain, None) == ([], chain)
    assert select(chain, "base:head") == ([], chain)
    assert select(chain, "aaa:ccc") == (chain[:1], chain[1:3])
    assert select(chain, "bbb2:") == (chain[:2], chain[2:])
    with pytest.raises(BadInput, match="expected FROM:TO"):
        select(chain, "aaa1")
    with pytest.raises(BadInput, match="FROM 'x' matches no revision"):
        select(chain, "x:head")
    with pytest.raises(BadInput, match="no revision in it"):
        select(chain, "ddd4:head")


def test_a_broken_history_is_one_line_naming_the_file(project: tuple[Path, Path]) -> None:
    ini, versions = project
    revision_file(versions, "a1", "nosuch", "pass")
    with pytest.raises(MigrationLoadError, match=r"a1_rev.py: down_revision 'nosuch'"):
        read_history(ini)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--range", "nope:head"], "--range: FROM 'nope' matches no revision"),
        (["--range", "base"], "expected FROM:TO"),
    ],
)
def test_bad_input_on_the_command_line_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLE), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_range_needs_an_alembic_ini(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(tmp_path), "--range", "a:b"])
    assert result.exit_code == 2
    assert "a revision range is for an alembic.ini" in result.output


def test_an_ini_that_is_not_alembics_exits_2(tmp_path: Path) -> None:
    (tmp_path / "setup.ini").write_text("[metadata]\nname = x\n")
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "setup.ini")])
    assert result.exit_code == 2
    assert "setup.ini: not a usable alembic.ini" in result.output


def test_json_output_names_the_revision_file_and_line() -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    currency = next(m for m in report["migrations"] if m["id"] == "4d1f3b7c8e04")
    assert currency["path"].endswith("4d1f3b7c8e04_unsafe_order_currency.py")
    first = currency["findings"][0]
    assert (first["code"], first["line"], first["phase"]) == ("ZD307", 22, "expand")
    assert first["file"].endswith("4d1f3b7c8e04_unsafe_order_currency.py")


def test_a_comment_in_an_executed_statement_accepts_its_finding(
    project: tuple[Path, Path],
) -> None:
    ini, versions = project
    table_t(versions)
    revision_file(
        versions,
        "b2",
        "a1",
        """
        op.execute("-- zdmigrate: ignore ZD301 t holds ten rows\\nCREATE INDEX ix ON t (n)")
        op.execute("CREATE INDEX ix2 ON t (n)")
        """,
    )
    result = plan([ini], get_dialect("postgresql"))
    b2 = next(m for m in result.migrations if m.id == "b2")
    assert [(f.code, f.line) for f in b2.findings] == [("ZD301", 13)]
    assert [(s.finding.line, s.reason) for s in b2.suppressed] == [(12, "t holds ten rows")]


def test_the_example_project_runs_for_real_up_and_down(
    db: tuple[Engine, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example is a working Alembic project: upgraded to head and downgraded to base on a
    database of its own (the unsafe revisions run; on empty tables they do no harm)."""
    from alembic import command
    from alembic.config import Config

    engine, _ = db
    name = "zdm_alembic_example"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = engine.url.set(database=name)
    try:
        monkeypatch.setenv("ZDMIGRATE_DATABASE_URL", url.render_as_string(hide_password=False))
        config = Config(str(EXAMPLE))
        command.upgrade(config, "head")
        probe = create_engine(url)
        try:
            with probe.connect() as connection:
                version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                assert version.scalar() == "9c6e2f4a5b09"
                tables = set(inspect(connection).get_table_names())
                assert {"users", "products", "orders", "order_items"} <= tables
                columns = {c["name"] for c in inspect(connection).get_columns("users")}
                assert "email_address" in columns
            command.downgrade(config, "base")
            with probe.connect() as connection:
                left = set(inspect(connection).get_table_names())
                assert left.isdisjoint({"users", "products", "orders", "order_items"})
        finally:
            probe.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


def test_lines_are_found_with_a_relative_script_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "alembic.ini").write_text(INI.replace("%(here)s/alembic", "alembic"))
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    table_t(versions)
    revision_file(versions, "b2", "a1", "pass\nop.create_index('ix', 't', ['n'])")
    monkeypatch.chdir(tmp_path)
    assert findings(Path("alembic.ini"))["b2"] == [("ZD301", "error", "b2_rev.py", 13)]


def test_the_offline_connection_is_there_to_branch_on_and_to_write_through(
    project: tuple[Path, Path],
) -> None:
    """Alembic's offline ``op.get_bind()`` has a dialect and writes what it executes; only
    reading rows from it ends the record."""
    ini, versions = project
    table_t(versions)
    revision_file(
        versions,
        "b2",
        "a1",
        """
        if op.get_bind().dialect.name == "postgresql":
            op.create_index("ix", "t", ["n"])
        op.get_bind().execute(sa.text("ALTER TABLE t ADD COLUMN m int NOT NULL"))
        """,
    )
    assert [(f[0], f[3]) for f in findings(ini)["b2"]] == [("ZD301", 13), ("ZD307", 14)]


def test_depends_on_orders_and_ranges_as_a_parent(project: tuple[Path, Path]) -> None:
    ini, versions = project
    revision_file(versions, "a1", None, "pass")
    revision_file(versions, "x1", None, "op.execute('CREATE TABLE u (id int PRIMARY KEY, n int)')")
    path = revision_file(versions, "b2", "a1", "op.alter_column('u', 'n', type_=sa.BigInteger)")
    path.write_text(path.read_text().replace("depends_on = None", "depends_on = 'x1'"))
    order = [r.id for r in read_history(ini)]
    assert order.index("x1") < order.index("b2")
    _, wanted = select(read_history(ini), "base:b2")
    assert {r.id for r in wanted} == {"a1", "x1", "b2"}
    assert (
        "from INTEGER" in plan([ini], get_dialect("postgresql")).migrations[-1].findings[0].message
    )


def test_recursive_version_locations_and_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text(INI + "recursive_version_locations = true\n")
    versions = tmp_path / "alembic" / "versions"
    (versions / "2026").mkdir(parents=True)
    revision_file(versions, "a1", None, "pass")
    moved = revision_file(versions / "2026", "b2", "a1", "pass")
    moved.write_bytes(b"\xef\xbb\xbf" + moved.read_bytes())
    revision_file(versions, "c3", "b2", "pass")
    assert [r.id for r in read_history(tmp_path / "alembic.ini")] == ["a1", "b2", "c3"]


def test_what_cannot_be_recorded_says_where(project: tuple[Path, Path]) -> None:
    ini, versions = project
    path = revision_file(versions, "a1", None, "op.execute('CREATE TABLE t (id int PRIMARY KEY)')")
    path.write_text(path.read_text().replace("import sqlalchemy as sa\n", "import myapp.models\n"))
    revision_file(versions, "b2", "a1", "import sys\nsys.exit(3)")
    revision_file(versions, "c3", "b2", "op.drop_column('t', 'n')")
    found = findings(ini)
    assert [(f[0], f[3]) for f in found["a1"]] == [("ZD501", 2)]
    assert [(f[0], f[3]) for f in found["b2"]] == [("ZD501", 13)]
    # planned after b2, c3 says what it starts from is missing what a1 and b2 made
    in_range = findings(ini, revisions="b2:head")["c3"]
    assert [(f[0], f[2]) for f in in_range] == [
        ("ZD501", "a1_rev.py"),
        ("ZD501", "b2_rev.py"),
        ("ZD315", "c3_rev.py"),
    ]


def test_several_heads_need_heads_not_head(project: tuple[Path, Path]) -> None:
    ini, versions = project
    revision_file(versions, "a1", None, "pass")
    revision_file(versions, "b2", "a1", "pass")
    revision_file(versions, "c2", "a1", "pass")
    with pytest.raises(BadInput, match=r"2 heads \(b2, c2\): name one, or say heads"):
        select(read_history(ini), "a1:head")
    assert [r.id for r in select(read_history(ini), "a1:heads")[1]] == ["b2", "c2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[alembic\nscript_location = x\n", "not a usable alembic.ini"),
        ("[alembic]\nscript_location = %(nope)s/alembic\n", "not a usable alembic.ini"),
    ],
)
def test_a_broken_alembic_ini_exits_2(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "alembic.ini").write_text(text)
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "alembic.ini")])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_down_revision_that_is_not_an_id_is_one_line(project: tuple[Path, Path]) -> None:
    ini, versions = project
    revision_file(versions, "a1", None, "pass").write_text("revision = 'a1'\ndown_revision = 5\n")
    with pytest.raises(MigrationLoadError, match="down_revision is 5: expected a string"):
        read_history(ini)


def test_a_zdmigrate_revision_is_planned_as_its_phases(project: tuple[Path, Path]) -> None:
    ini, versions = project
    table_t(versions)
    revision_file(
        versions,
        "b2",
        "a1",
        """
        op.zd_rename_column("t", "n", "name")
        op.zd_create_index("ix_t_name", "t", ["name"])
        """,
    )
    result = plan([ini], get_dialect("postgresql"))
    b2 = next(m for m in result.migrations if m.id == "b2")
    assert [s.operation for s in b2.steps[Phase.EXPAND]][:1] == ["RenameColumn"]
    assert any(s.operation == "CreateIndex" for s in b2.steps[Phase.EXPAND])
    assert b2.steps[Phase.CONTRACT]  # the old column goes in contract
    lines = {f.line for f in b2.findings if f.code == "ZD201"}
    assert lines <= {12, 13} and lines


def test_a_revision_that_mixes_plain_and_zdmigrate_operations_is_an_error(
    project: tuple[Path, Path],
) -> None:
    ini, versions = project
    table_t(versions)
    revision_file(
        versions,
        "b2",
        "a1",
        """
        op.add_column("t", sa.Column("m", sa.Integer))
        op.zd_create_index("ix_t_n", "t", ["n"])
        """,
    )
    assert ("ZD503", "error", "b2_rev.py", 12) in findings(ini)["b2"]


def test_configure_takes_the_options_of_zdmigrate_run() -> None:
    import zdmigrate.alembic
    from zdmigrate.alembic.operations import OPTIONS

    given = zdmigrate.alembic.configure(sleep_ratio=0.5, lock_timeout_ms=200)
    assert given["transaction_per_migration"] is True
    assert (given[OPTIONS].sleep_ratio, given[OPTIONS].lock_timeout_ms) == (0.5, 200)
    with pytest.raises(BadInput, match="unknown option 'sleep'"):
        zdmigrate.alembic.configure(sleep=1)


def test_every_operation_has_its_op_name() -> None:
    from alembic.operations import Operations

    from zdmigrate.alembic.operations import operation_name
    from zdmigrate.ops import OPERATIONS

    names = {operation_name(o) for o in OPERATIONS.values()}
    assert {"zd_rename_column", "zd_change_column_type", "zd_run_sql", "zd_set_not_null"} <= names
    assert all(hasattr(Operations, name) for name in names | {"zd_rollback"})


def test_rollback_of_an_alembic_project_goes_through_alembic_downgrade() -> None:
    result = CliRunner().invoke(
        main, ["rollback", str(EXAMPLE), "--database-url", "postgresql://127.0.0.1:1/x"]
    )
    assert result.exit_code == 2
    assert "roll back Alembic revisions with `alembic downgrade`" in result.output


def test_sql_prints_the_revisions_phases() -> None:
    result = CliRunner().invoke(main, ["sql", str(EXAMPLE), "--phase", "expand"])
    assert result.exit_code == 0, result.output
    assert "-- migration 5e2a4c8d9f05" in result.output
    assert "CREATE INDEX ix_products_name ON products (name);" in result.output
    assert 'CREATE INDEX CONCURRENTLY "ix_orders_status" ON "orders" ("status");' in result.output
