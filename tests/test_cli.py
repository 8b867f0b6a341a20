"""The command line: output, exit codes, and one clear line for every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from zdmigrate.cli import main

INITIAL = """
from sqlalchemy import Column, Integer, String
from zdmigrate import Migration, ops

migration = Migration(
    id="0001_initial",
    operations=[
        ops.CreateTable(
            "users",
            Column("id", Integer, primary_key=True),
            Column("email", String(200), nullable=False),
        ),
    ],
)
"""

RENAME = """
from zdmigrate import Migration, ops

migration = Migration(id="0002_rename", operations=[ops.RenameColumn("users", "email", "{column}")])
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_rename.py", RENAME.format(column="email_address"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sql_prints_every_phase_with_lock_comments(migrations: Path) -> None:
    code, out, err = run("sql", str(migrations), "--dialect", "postgresql")
    assert code == 0, err
    assert "-- migration 0001_initial" in out
    assert "-- migration 0002_rename" in out
    for phase in ("expand", "backfill", "contract"):
        assert f"-- phase: {phase}" in out
    assert "-- RenameColumn: lock ACCESS EXCLUSIVE (blocks reads, writes)" in out
    assert 'ALTER TABLE "users" ADD COLUMN "email_address" VARCHAR(200);' in out
    assert "batched" in out


def test_sql_of_one_file_sees_the_migrations_before_it(migrations: Path) -> None:
    code, out, err = run("sql", str(migrations / "0002_rename.py"), "--dialect", "mariadb")
    assert code == 0, err
    assert "0001_initial" not in out
    assert "ALTER TABLE `users` ADD COLUMN `email_address` VARCHAR(200), ALGORITHM=INSTANT;" in out


def test_sql_one_phase(migrations: Path) -> None:
    code, out, _ = run("sql", str(migrations), "--phase", "rollback")
    assert code == 0
    assert "-- phase: rollback" in out
    assert "-- phase: expand" not in out
    assert 'DROP TABLE "users";' in out


def test_sql_server_version_changes_the_recipe(migrations: Path) -> None:
    _, new, _ = run("sql", str(migrations), "--dialect", "mysql", "--server-version", "8.0.36")
    _, old, _ = run("sql", str(migrations), "--dialect", "mysql", "--server-version", "8.0.11")
    assert "ADD COLUMN `email_address` VARCHAR(200), ALGORITHM=INSTANT" in new
    assert "ADD COLUMN `email_address` VARCHAR(200), ALGORITHM=INPLACE, LOCK=NONE" in old


def one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_column(tmp_path: Path) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_rename.py", RENAME.format(column="x").replace('"email"', '"mail"'))
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0002_rename.py", "'mail'", "'users'")


def test_duplicate_column(tmp_path: Path) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_rename.py", RENAME.format(column="id"))
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0002_rename.py", "'id'", "already exists")


def test_unknown_table(tmp_path: Path) -> None:
    write(tmp_path, "0002_rename.py", RENAME.format(column="x"))
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0002_rename.py", "table 'users' does not exist")


def test_migration_that_does_not_import(tmp_path: Path) -> None:
    write(tmp_path, "0001_broken.py", "from zdmigrate import Migration\nimport no_such_module\n")
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0001_broken.py", "line 2", "no_such_module")


def test_migration_with_a_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "0001_broken.py", "migration = (\n")
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0001_broken.py", "SyntaxError")


def test_file_without_migration(tmp_path: Path) -> None:
    write(tmp_path, "0001_empty.py", "x = 1\n")
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0001_empty.py", "migration = Migration")


def test_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0001_again.py", INITIAL)
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0001_initial", "also used by")


def test_unknown_dialect(migrations: Path) -> None:
    code, _, err = run("sql", str(migrations), "--dialect", "oracle")
    one_line_error(code, err, "--dialect", "oracle")


def test_malformed_server_version(migrations: Path) -> None:
    code, _, err = run("sql", str(migrations), "--server-version", "fifteen")
    one_line_error(code, err, "fifteen")


def test_unknown_option(migrations: Path) -> None:
    code, _, err = run("sql", str(migrations), "--bogus")
    one_line_error(code, err, "--bogus")


def test_missing_path() -> None:
    code, _, err = run("sql", "no/such/place")
    one_line_error(code, err, "no/such/place")


def test_snapshot_of_app_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        "snapmodels.py",
        """
        import sqlalchemy as sa
        metadata = sa.MetaData()
        sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True))
        """,
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    out_file = tmp_path / "snap.json"
    code, _, err = run("snapshot", "snapmodels:metadata", "-o", str(out_file))
    assert code == 0, err
    data = json.loads(out_file.read_text())
    assert [t["name"] for t in data["tables"]] == ["things"]


def test_snapshot_needs_exactly_one_source() -> None:
    code, _, err = run("snapshot")
    one_line_error(code, err, "either SPEC")


def test_snapshot_of_a_missing_module() -> None:
    code, _, err = run("snapshot", "no_such_module_xyz:metadata")
    one_line_error(code, err, "no_such_module_xyz")


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zdmigrate", "--version"], capture_output=True, text=True, check=True
    )
    assert "0.1.0" in result.stdout


@pytest.mark.parametrize("engine_fixture", ["pg_engine", "mysql_engine"])
def test_snapshot_of_a_live_database_loads_back_equal(
    engine_fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """reflect → snapshot (through the CLI) → load gives the same model."""
    import sqlalchemy as sa

    from tests.conftest import server_dialect
    from zdmigrate.reflect import reflect_schema
    from zdmigrate.schema import Schema

    engine: sa.Engine = request.getfixturevalue(engine_fixture)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS cli_snap")
        connection.exec_driver_sql(
            "CREATE TABLE cli_snap (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x')"
        )
    url = engine.url.render_as_string(hide_password=False)
    out_file = tmp_path / "live.json"
    code, _, err = run("snapshot", "--database-url", url, "-o", str(out_file))
    assert code == 0, err
    loaded = Schema.from_json(out_file.read_text())
    with engine.connect() as connection:
        assert loaded == reflect_schema(connection, server_dialect(engine))
    assert loaded.table("cli_snap").column("name").default == "'x'"
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE cli_snap")


def test_unreachable_database_is_one_line_with_the_password_masked() -> None:
    url = "postgresql://app:s3cret@127.0.0.1:1/nowhere"
    code, out, err = run("snapshot", "--database-url", url)
    one_line_error(code, err, "cannot connect", "app:***@127.0.0.1:1")
    assert "s3cret" not in out + err


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZDMIGRATE_DATABASE_URL", "mysql://root:hunter2@127.0.0.1:1/x")
    code, out, err = run("snapshot")
    one_line_error(code, err, "root:***@")
    assert "hunter2" not in out + err


BAD_OPERATION = """
from sqlalchemy import ARRAY, Column, Integer
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_bad",
    {arguments},
)
"""


def test_a_type_the_dialect_cannot_render_in_the_schema_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "arraymodels.py",
        """
        import sqlalchemy as sa
        metadata = sa.MetaData()
        sa.Table(
            "tagged",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("tags", sa.ARRAY(sa.Integer)),
        )
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_initial.py", INITIAL)
    code, _, err = run("sql", str(folder), "--schema", "arraymodels:metadata", "--dialect", "mysql")
    one_line_error(code, err, "arraymodels:metadata", "'tags'", "'tagged'", "ARRAY", "mysql")


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        pytest.param(
            'operations=[ops.AddColumn("users", Column("tags", ARRAY(Integer)))]',
            ("0002_bad.py", "'tags'", "ARRAY(Integer())", "mysql"),
            id="ARRAY column",
        ),
        pytest.param(
            'operations=[ops.ChangeColumnType("users", "email", "TEXT", "email", "email")]',
            ("0002_bad.py", "'TEXT'", "not a SQLAlchemy type"),
            id="type as a string",
        ),
    ],
)
def test_a_type_the_dialect_cannot_render_in_a_migration(
    tmp_path: Path, arguments: str, fragments: tuple[str, ...]
) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_bad.py", BAD_OPERATION.format(arguments=arguments))
    code, _, err = run("sql", str(tmp_path), "--dialect", "mysql")
    one_line_error(code, err, *fragments)


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        pytest.param(
            'operations=ops.DropColumn("users", "email")',
            ("line 5", "operations must be a list", "[DropColumn(...)]"),
            id="one operation, not a list",
        ),
        pytest.param(
            "operations=[ops.AddColumn]",
            ("line 5", "operation 1 is the class AddColumn"),
            id="a class",
        ),
        pytest.param(
            'operations=[ops.RenameColumn("users", "email", "mail"), "drop it"]',
            ("line 5", "operation 2 is 'drop it', not an operation"),
            id="not an operation",
        ),
        pytest.param(
            'operations=[ops.TransformColumn("users", add=["first"], up={"first": "email"}, '
            'down={"email": "first"})]',
            ("operation 1 (TransformColumn)", "AttributeError", "'str'"),
            id="TransformColumn add names",
        ),
        pytest.param(
            'operations=[ops.AddForeignKey("fk", "users", ["id"], "users", ["id"], on_delete=1)]',
            ("operation 1 (AddForeignKey)", "'int'"),
            id="on_delete not a str",
        ),
    ],
)
def test_a_badly_shaped_migration_is_one_line_naming_the_file(
    tmp_path: Path, arguments: str, fragments: tuple[str, ...]
) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_bad.py", BAD_OPERATION.format(arguments=arguments))
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0002_bad.py", *fragments)


def test_a_migration_id_that_is_not_a_string(tmp_path: Path) -> None:
    write(
        tmp_path, "0001_bad.py", "from zdmigrate import Migration\n\nmigration = Migration(4, [])\n"
    )
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0001_bad.py", "line 3", "id must be a non-empty string", "4")


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        pytest.param(
            'operations=[ops.CreateIndex("ix_email", "users", "email")]',
            ("index 'ix_email' on 'users'", "columns must be a list", "['email']"),
            id="CreateIndex",
        ),
        pytest.param(
            'operations=[ops.AddUniqueConstraint("uq_email", "users", "email")]',
            ("unique constraint 'uq_email' on 'users'", "columns must be a list", "['email']"),
            id="AddUniqueConstraint",
        ),
        pytest.param(
            'operations=[ops.AddForeignKey("fk_self", "users", "id", "users", ["id"])]',
            ("foreign key 'fk_self' on 'users'", "columns must be a list", "['id']"),
            id="AddForeignKey columns",
        ),
        pytest.param(
            'operations=[ops.AddForeignKey("fk_self", "users", ["id"], "users", "id")]',
            ("foreign key 'fk_self' on 'users'", "ref_columns must be a list", "['id']"),
            id="AddForeignKey ref_columns",
        ),
    ],
)
def test_a_string_where_a_list_of_columns_goes(
    tmp_path: Path, arguments: str, fragments: tuple[str, ...]
) -> None:
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_bad.py", BAD_OPERATION.format(arguments=arguments))
    code, _, err = run("sql", str(tmp_path))
    one_line_error(code, err, "0002_bad.py", *fragments)
    assert "'e'" not in err


def test_snapshot_with_no_source_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZDMIGRATE_DATABASE_URL", raising=False)
    code, _, err = run("snapshot")
    one_line_error(code, err, "nothing to snapshot", "SPEC", "--database-url")
    assert "not both" not in err


def test_snapshot_with_both_sources_says_not_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZDMIGRATE_DATABASE_URL", raising=False)
    code, _, err = run("snapshot", "models:metadata", "--database-url", "postgresql://x@h/db")
    one_line_error(code, err, "models:metadata", "not both")
