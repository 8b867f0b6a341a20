"""``zdmigrate plan`` from the command line: formats, exit codes, suppressions, configuration."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from zdmigrate.cli import main

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "plan-json.schema.json").read_text())

# The foreign key keeps MySQL's check off a shadow-table copy: it gets the blocking ALTER.
INITIAL = """
from sqlalchemy import Column, ForeignKey, Integer, String
from zdmigrate import Migration, ops

migration = Migration(
    id="0001_initial",
    operations=[
        ops.CreateTable(
            "orders",
            Column("id", Integer, primary_key=True),
            Column("quantity", Integer, nullable=False),
            Column("note", String(200)),
            Column("reorder_of", Integer, ForeignKey("orders.id")),
        ),
    ],
)
"""

CHECK = """
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_check",
    operations=[
        ops.CreateIndex("ix_orders_quantity", "orders", ["quantity"]),
        ops.AddCheckConstraint("ck_orders_quantity", "orders", "quantity > 0"{ignore}),
    ],
)
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Path]:
    """A folder of two migrations; the test runs in it, so a pyproject.toml it writes counts."""
    write(tmp_path, "0001_initial.py", INITIAL)
    write(tmp_path, "0002_check.py", CHECK.format(ignore=""))
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def plan_json(*args: str) -> tuple[int, dict[str, object]]:
    code, out, err = run("plan", *args, "--format", "json")
    assert code in (0, 1), err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return code, document


def codes(document: dict[str, object]) -> list[str]:
    migrations = document["migrations"]
    assert isinstance(migrations, list)
    return [f["code"] for m in migrations for f in m["findings"]]


def test_a_check_copied_by_mysql_is_an_error_and_exits_1(release: Path) -> None:
    code, document = plan_json(str(release / "0002_check.py"), "--dialect", "mysql")
    assert code == 1
    assert "ZD202" in codes(document)
    finding = next(
        f
        for m in document["migrations"]  # type: ignore[attr-defined]
        for f in m["findings"]
        if f["code"] == "ZD202"
    )
    # The line of the operation in the file, for review comments and annotations.
    path = release / "0002_check.py"
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "ck_" in text)
    assert (finding["file"], finding["line"], finding["phase"]) == (str(path), line, "expand")
    assert finding["table"] == "orders"


def test_the_same_check_on_postgresql_is_not_valid_then_validated_and_exits_0(
    release: Path,
) -> None:
    code, document = plan_json(str(release / "0002_check.py"), "--dialect", "postgresql")
    assert code == 0
    assert "ZD202" not in codes(document) and "ZD203" not in codes(document)
    assert document["summary"] == {"errors": 0, "warnings": 0, "infos": len(codes(document))}


def test_a_table_the_release_creates_needs_no_lock_finding_before_contract(
    release: Path,
) -> None:
    """The folder is one release: orders is new in it, and no app uses it before contract."""
    code, document = plan_json(str(release), "--dialect", "mysql")
    assert code == 0
    assert codes(document) == []


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)]
)
def test_fail_on_sets_the_exit_code(release: Path, fail_on: str, expected: int) -> None:
    code, _, _ = run(
        "plan", str(release / "0002_check.py"), "--dialect", "mysql", "--fail-on", fail_on
    )
    assert code == expected


def test_info_findings_fail_only_at_fail_on_info(release: Path) -> None:
    assert run("plan", str(release / "0002_check.py"), "--fail-on", "warning")[0] == 0
    assert run("plan", str(release / "0002_check.py"), "--fail-on", "info")[0] == 1


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "github", "sarif"])
def test_every_format_names_the_finding(release: Path, fmt: str) -> None:
    code, out, err = run(
        "plan", str(release / "0002_check.py"), "--dialect", "mysql", "--format", fmt
    )
    assert code == 1, err
    assert "ZD202" in out


def test_an_operation_can_accept_a_finding_with_a_reason(release: Path) -> None:
    write(release, "0002_check.py", CHECK.format(ignore=', ignore={"ZD202": "40 rows"}'))
    code, document = plan_json(str(release / "0002_check.py"), "--dialect", "mysql")
    assert code == 0
    assert "ZD202" not in codes(document)
    suppressed = [s for m in document["migrations"] for s in m["suppressed"]]  # type: ignore[attr-defined]
    assert [(s["code"], s["reason"], s["source"]) for s in suppressed] == [
        ("ZD202", "40 rows", "operation")
    ]


@pytest.mark.parametrize(
    ("ignore", "message"),
    [
        (', ignore={"ZD999": "why"}', "unknown rule 'ZD999'"),
        (', ignore={"ZD202": " "}', "ZD202 needs a reason"),
    ],
)
def test_a_wrong_ignore_is_bad_input(release: Path, ignore: str, message: str) -> None:
    write(release, "0002_check.py", CHECK.format(ignore=ignore))
    code, out, err = run("plan", str(release / "0002_check.py"), "--dialect", "mysql")
    assert code == 2
    assert out == ""
    assert message in err and "0002_check.py: operation 2 (AddCheckConstraint)" in err
    assert len(err.strip().splitlines()) == 1


def test_pyproject_sets_defaults_and_accepts_findings(release: Path) -> None:
    (release / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.zdmigrate]
            dialect = "mysql"
            fail-on = "warning"

            [tool.zdmigrate.ignore]
            ZD202 = "the orders table is tiny"
            """
        )
    )
    code, document = plan_json(str(release / "0002_check.py"))
    assert document["dialect"] == "mysql"
    assert "ZD202" not in codes(document)
    suppressed = [s for m in document["migrations"] for s in m["suppressed"]]  # type: ignore[attr-defined]
    assert {(s["code"], s["source"]) for s in suppressed} == {("ZD202", "pyproject.toml")}
    assert code == 0
    # The command line wins over the file.
    assert run("plan", str(release / "0002_check.py"), "--fail-on", "info")[0] == 1


HEADER = "from zdmigrate import Migration, ops\n\nmigration = "


def test_a_dialect_other_than_the_databases_is_bad_input(release: Path, pg_engine: Engine) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    code, out, err = run("plan", "0002_check.py", "--dialect", "mysql", "--database-url", url)
    assert (code, out) == (2, "")
    assert "--dialect mysql, but --database-url is a postgresql server" in err


def test_flyway_versions_are_ordered_as_numbers(tmp_path: Path) -> None:
    (tmp_path / "V1__orders.sql").write_text("CREATE TABLE orders (id int, note text);\n")
    (tmp_path / "V2__index.sql").write_text("CREATE INDEX ix_orders_note ON orders (note);\n")
    drop = 'ops.DropIndex("ix_orders_note", "orders")'
    write(tmp_path, "V10__drop.py", f'{HEADER}Migration(id="V10__drop", operations=[{drop}])\n')
    _, document = plan_json(str(tmp_path))
    ids = [m["id"] for m in document["migrations"]]  # type: ignore[attr-defined]
    assert ids == ["V1__orders", "V2__index", "V10__drop"]
    # One file is planned on what the earlier versions made: the index of V2 is there to drop.
    plan_json(str(tmp_path / "V10__drop.py"))


def test_a_sql_file_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "V1__orders.sql"
    path.write_bytes("\ufeffCREATE TABLE orders (id int);\n".encode())
    assert plan_json(str(path))[0] == 0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.zdmigrate]\ncolour = "red"\n', "unknown key 'colour'"),
        ('[tool.zdmigrate]\nfail-on = "sometimes"\n', "fail-on = 'sometimes'"),
        ('[tool.zdmigrate.ignore]\nZD202 = ""\n', "ZD202 needs a reason"),
        ("[tool.zdmigrate\n", "pyproject.toml"),
        ("tool = 3\n", "[tool.zdmigrate] must be a table"),
        ("[tool]\nzdmigrate = 3\n", "[tool.zdmigrate] must be a table"),
    ],
)
def test_a_broken_pyproject_is_bad_input(release: Path, toml: str, message: str) -> None:
    (release / "pyproject.toml").write_text(toml)
    code, out, err = run("plan", str(release / "0002_check.py"))
    assert (code, out) == (2, "")
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing_folder"], "missing_folder: no such file or folder"),
        (["0002_check.py", "--format", "yaml"], "'yaml' is not one of"),
        (["0002_check.py", "--old-app", "no_such_module:Base"], "no_such_module"),
        (["0002_check.py", "--database-url", "postgresql://u:secret@127.0.0.1:1/x"], "***"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(release: Path, args: list[str], message: str) -> None:
    code, out, err = run("plan", *args)
    assert (code, out) == (2, "")
    assert message in err
    assert "secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_migration_that_does_not_fit_names_its_file_table_and_column(release: Path) -> None:
    write(
        release,
        "0003_bad.py",
        """
        from zdmigrate import Migration, ops

        migration = Migration(id="0003_bad", operations=[ops.DropColumn("orders", "missing")])
        """,
    )
    code, _, err = run("plan", str(release / "0003_bad.py"))
    assert code == 2
    assert "0003_bad.py" in err and "orders" in err and "missing" in err


def test_a_file_level_finding_of_sql_is_placed_in_the_phase_the_sql_runs_in(
    release: Path,
) -> None:
    write(
        release,
        "0002_check.py",
        """
        from zdmigrate import Migration, ops

        migration = Migration(
            id="0002_check",
            operations=[ops.RunSQL("ALTER TABLE orders DROP COLUMN note", phase="contract")],
        )
        """,
    )
    _, document = plan_json(str(release / "0002_check.py"), "--external-runner")
    findings = [f for m in document["migrations"] for f in m["findings"]]  # type: ignore[attr-defined]
    timeouts = [f for f in findings if f["code"] == "ZD321"]
    assert timeouts, findings
    assert {f["phase"] for f in timeouts} == {"contract"}


def test_a_broken_file_named_after_the_planned_one_does_not_matter(release: Path) -> None:
    """Only the files named before a planned file are its history."""
    write(release, "0003_being_written.py", "migration = Migration(  # not finished\n")
    code, document = plan_json(str(release / "0002_check.py"), "--dialect", "mysql")
    assert code == 1 and "ZD202" in codes(document)
    write(release, "0000_broken.py", "migration = Migration(  # not finished\n")
    code, out, err = run("plan", str(release / "0002_check.py"))
    assert (code, out) == (2, "")
    assert "0000_broken.py" in err
