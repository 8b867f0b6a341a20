"""How long ``zdmigrate plan`` takes on a folder of 500 migrations, against squawk on the same
release written as 500 plain .sql files. Target: zdmigrate under 2 s; ``--help`` under 0.3 s.
And on a plain Alembic history of 40 revisions, against ``alembic upgrade head --sql`` (Alembic
itself rendering the same revisions offline). Target: under 3 s.

    .venv/bin/python benchmarks/plan_speed.py [--count 500] [--revisions 40] [--runs 3]

Both are timed as the user runs them: a fresh process each time, best of ``--runs``. The folder
is written once per run of this script into a temporary directory: 100 tables, each made by a
CreateTable and then changed by four more migrations (AddColumn, CreateIndex, RenameColumn,
SetNotNull with a fill), so the schema the planner carries grows to 100 tables.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV = Path(sys.executable).parent

PY_TEMPLATES = [
    """ops.CreateTable("t{n}", Column("id", Integer, primary_key=True), Column("name", String(50)),
        Column("amount", Integer))""",
    'ops.AddColumn("t{n}", Column("note", String(200), nullable=True))',
    'ops.CreateIndex("ix_t{n}_name", "t{n}", ["name"])',
    'ops.RenameColumn("t{n}", "note", "remark")',
    'ops.SetNotNull("t{n}", "amount", fill="0")',
]
SQL_TEMPLATES = [
    "CREATE TABLE t{n} (id integer PRIMARY KEY, name varchar(50), amount integer);",
    "ALTER TABLE t{n} ADD COLUMN note varchar(200);",
    "CREATE INDEX CONCURRENTLY ix_t{n}_name ON t{n} (name);",
    "ALTER TABLE t{n} RENAME COLUMN note TO remark;",
    "ALTER TABLE t{n} ALTER COLUMN amount SET NOT NULL;",
]

ALEMBIC_TEMPLATES = [
    """op.create_table("t{n}", sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(50)), sa.Column("amount", sa.Integer))""",
    'op.add_column("t{n}", sa.Column("note", sa.String(200), nullable=True))',
    """with op.get_context().autocommit_block():
        op.create_index("ix_t{n}_name", "t{n}", ["name"], postgresql_concurrently=True)""",
    'op.alter_column("t{n}", "note", new_column_name="remark")',
    'op.alter_column("t{n}", "amount", nullable=False, existing_type=sa.Integer)',
]
ALEMBIC_ENV = """\
from alembic import context

context.configure(url="postgresql://", literal_binds=True, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
"""


def write_alembic_history(folder: Path, count: int) -> Path:
    """A plain Alembic project of ``count`` revisions in one line; returns its alembic.ini."""
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic" / "env.py").write_text(ALEMBIC_ENV)
    (folder / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/alembic\npath_separator = os\n"
    )
    for i in range(count):
        table, kind = i // len(ALEMBIC_TEMPLATES), i % len(ALEMBIC_TEMPLATES)
        down = repr(f"{i - 1:04d}abcdef01") if i else None
        (versions / f"{i:04d}abcdef01_m.py").write_text(
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = '{i:04d}abcdef01'\ndown_revision = {down}\n\n\n"
            f"def upgrade():\n    {ALEMBIC_TEMPLATES[kind].format(n=table)}\n"
        )
    return folder / "alembic.ini"


def write_release(folder: Path, count: int) -> tuple[Path, Path]:
    py, sql = folder / "py", folder / "sql"
    py.mkdir()
    sql.mkdir()
    for i in range(count):
        table, kind = i // len(PY_TEMPLATES), i % len(PY_TEMPLATES)
        body = PY_TEMPLATES[kind].format(n=table)
        (py / f"{i:04d}_m.py").write_text(
            "from sqlalchemy import Column, Integer, String\n"
            "from zdmigrate import Migration, ops\n\n"
            f'migration = Migration(id="{i:04d}_m", operations=[{body}])\n'
        )
        (sql / f"V{i:04d}__m.sql").write_text(SQL_TEMPLATES[kind].format(n=table) + "\n")
    return py, sql


def best_of(runs: int, command: list[str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--revisions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    zdmigrate = str(VENV / "zdmigrate")
    with tempfile.TemporaryDirectory() as tmp:
        py, sql = write_release(Path(tmp), args.count)
        ini = write_alembic_history(Path(tmp) / "alembic_project", args.revisions)
        alembic_plan = f"zdmigrate plan alembic.ini ({args.revisions} revisions)"
        alembic_sql = f"alembic upgrade head --sql ({args.revisions} revisions)"
        results = {
            "zdmigrate --help": best_of(args.runs, [zdmigrate, "--help"]),
            f"zdmigrate plan ({args.count} .py)": best_of(
                args.runs, [zdmigrate, "plan", str(py), "--format", "json", "--fail-on", "never"]
            ),
            f"zdmigrate plan ({args.count} .sql)": best_of(
                args.runs, [zdmigrate, "plan", str(sql), "--format", "json", "--fail-on", "never"]
            ),
        }
        results[alembic_plan] = best_of(
            args.runs, [zdmigrate, "plan", str(ini), "--format", "json", "--fail-on", "never"]
        )
        results[alembic_sql] = best_of(
            args.runs, [str(VENV / "alembic"), "-c", str(ini), "upgrade", "head", "--sql"]
        )
        squawk = shutil.which("squawk", path=str(VENV)) or shutil.which("squawk")
        if squawk:
            files = sorted(str(p) for p in sql.iterdir())
            results[f"squawk ({args.count} .sql)"] = best_of(
                args.runs, [squawk, "--reporter", "json", *files]
            )
    width = max(map(len, results))
    for name, seconds in results.items():
        print(f"{name:<{width}}  {seconds:6.3f} s")
    plan_py = results[f"zdmigrate plan ({args.count} .py)"]
    print(f"target: plan < 2 s -> {'met' if plan_py < 2 else 'MISSED'} ({plan_py:.2f} s)")
    print(f"target: --help < 0.3 s -> {'met' if results['zdmigrate --help'] < 0.3 else 'MISSED'}")
    alembic = results[alembic_plan]
    print(f"target: plan of the Alembic history < 3 s -> {'met' if alembic < 3 else 'MISSED'}")
    print(f"zdmigrate plan / alembic upgrade --sql: {alembic / results[alembic_sql]:.2f}x")
    if squawk:
        ratio = (
            results[f"zdmigrate plan ({args.count} .sql)"] / results[f"squawk ({args.count} .sql)"]
        )
        print(f"zdmigrate / squawk on the same .sql files: {ratio:.2f}x (best of {args.runs} each)")


if __name__ == "__main__":
    main()
