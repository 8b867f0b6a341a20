"""The planner on the shop example: every release passes with its own apps, and broken
variants of several migrations are caught, with the app, phase, table and column named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.test_examples import ROOT, releases
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.findings import Finding, Severity
from zdmigrate.metadata import load_spec
from zdmigrate.plan.planner import plan

DIALECTS = ["postgresql", "mariadb"]


def app(release: int, dialect: Dialect):  # type: ignore[no-untyped-def]
    return load_spec(f"migrations_examples.shop.v{release}:Base", dialect)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("name", DIALECTS)
def test_every_release_works_for_both_of_its_apps(name: str) -> None:
    dialect = get_dialect(name)
    checked = 0
    for number, (_, migrations) in enumerate(releases(dialect), 1):
        if number == 1:
            continue  # the first release creates the tables: there is no old app
        result = plan(
            [Path(str(m.path)) for m in migrations],
            dialect,
            old_app=app(number - 1, dialect),
            new_app=app(number, dialect),
        )
        assert errors(result.findings) == [], f"release {number}"
        checked += len(migrations)
    assert checked == (17 if dialect.caps.enum_types else 15)


def broken(tmp_path: Path, migration: str, operations: str) -> Path:
    """The examples with one migration's operations replaced; returns that file."""
    folder = tmp_path / "migrations"
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = next(folder.glob(f"{migration}_*.py"))
    text = path.read_text()
    start = text.index("operations=[")
    end = text.index("],\n)", start)
    path.write_text(
        "from sqlalchemy import Numeric\n" + text[:start] + f"operations=[{operations}" + text[end:]
    )
    return path


BROKEN = {
    "rename as raw SQL": (
        "0011",
        4,
        'ops.RunSQL("ALTER TABLE users RENAME COLUMN email TO email_address")',
        ("ZD102", "old", "expand", "users", "email"),
    ),
    "drop as raw SQL while the old app maps it": (
        "0014",
        5,
        'ops.RunSQL("ALTER TABLE orders DROP COLUMN coupon_code")',
        ("ZD102", "old", "expand", "orders", "coupon_code"),
    ),
    "NOT NULL with no fill while the old app writes NULL": (
        "0013",
        5,
        'ops.SetDefault("orders", "currency", "EUR"), ops.SetNotNull("orders", "currency")',
        ("ZD104", "old", "expand", "orders", "currency"),
    ),
    "a default the old app relies on dropped in expand": (
        "0009",
        4,
        'ops.DropNotNull("orders", "shipping_address"), '
        'ops.RunSQL("ALTER TABLE orders ALTER COLUMN status DROP DEFAULT")',
        ("ZD105", "old", "expand", "orders", "status"),
    ),
    "prices narrower than the new app writes": (
        "0002",
        2,
        'ops.ChangeColumnType("products", "price", Numeric(5, 2), up="price", down="price")',
        ("ZD106", "new", "backfill", "products", "price"),
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_variant_is_caught(tmp_path: Path, case: str) -> None:
    migration, release, operations, expected = BROKEN[case]
    dialect = get_dialect("postgresql")
    path = broken(tmp_path, migration, operations)
    result = plan([path], dialect, old_app=app(release - 1, dialect), new_app=app(release, dialect))
    found = {(f.code, f.app, f.phase, f.table, f.column) for f in errors(result.findings)}
    assert expected in found, result.findings
