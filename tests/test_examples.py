"""The shop example in migrations_examples/: every migration compiles for each server, the
migrations of each release bring the schema to that release's app models, and the whole history
runs for real — release by release, with the old and the new app both writing while they overlap.

The run uses its own database, ``zdm_examples``, on the test servers: the example's tables are
called users, products and orders, names other tests may use in the test database.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import server_dialect
from tests.lifecycle import fails
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.metadata import schema_from_metadata
from zdmigrate.migration import CompiledMigration, Migration, compile_migration, load_path
from zdmigrate.run.executor import run_phase
from zdmigrate.schema import Schema
from zdmigrate.steps import RUN_ORDER, Phase

ROOT = Path(__file__).resolve().parent.parent / "migrations_examples"
DATABASE = "zdm_examples"
VERSIONS = [importlib.import_module(f"migrations_examples.shop.v{n}") for n in range(1, 7)]
"""The app at each release; v6 is the PostgreSQL-only release."""


def history(dialect: Dialect) -> list[Migration]:
    """Every example migration this server can run, in order."""
    migrations = load_path(ROOT)
    if dialect.caps.enum_types:
        migrations += load_path(ROOT / "postgresql_only")
    return migrations


def releases(dialect: Dialect) -> list[tuple[ModuleType, list[Migration]]]:
    """Each release's app models with the migrations that bring the schema to them."""
    pending = history(dialect)
    result = []
    for version in VERSIONS:
        ids = [m.id for m in pending]
        if version.SCHEMA_AFTER not in ids:
            continue
        cut = ids.index(version.SCHEMA_AFTER) + 1
        result.append((version, pending[:cut]))
        pending = pending[cut:]
    assert pending == [], f"migrations after the last release: {[m.id for m in pending]}"
    return result


def release_of(version: ModuleType) -> str:
    """``migrations_examples.shop.v3`` → ``v3``."""
    return str(version.__name__.rsplit(".", 1)[1])


# --- without a database ------------------------------------------------------------------


def test_the_examples_use_every_operation() -> None:
    from zdmigrate.ops.base import OPERATIONS

    used = {
        type(operation).__name__
        for folder in (ROOT, ROOT / "postgresql_only", ROOT / "mysql_only")
        for migration in load_path(folder)
        for operation in migration.operations
    }
    assert sorted(set(OPERATIONS) - used) == []


KNOWN_DIFFERENCES = {
    ("postgresql", "v5"): "RenameTable keeps the primary key's name, order_items_pkey; "
    "the v5 models' unnamed primary key is order_lines_pkey",
    ("postgresql", "v6"): "as v5",
}


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two snapshot dicts differ, one line each."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [
            line
            for key in sorted(set(left) | set(right), key=str)
            for line in (
                differences(left[key], right[key], f"{path}/{key}")
                if key in left and key in right
                else [f"{path}/{key}: only in the {'models' if key in right else 'migrations'}"]
            )
        ]
    if isinstance(left, list) and isinstance(right, list) and left and isinstance(left[0], dict):
        return differences(
            {str(i.get("name")): i for i in left}, {str(i.get("name")): i for i in right}, path
        )
    return [] if left == right else [f"{path}: migrations {left!r}, models {right!r}"]


def release_cases() -> list[Any]:
    cases = []
    for name in ("postgresql", "mysql", "mariadb"):
        for version, _ in releases(get_dialect(name)):
            release = release_of(version)
            reason = KNOWN_DIFFERENCES.get((name, release))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            cases.append(pytest.param(name, release, marks=marks, id=f"{name}-{release}"))
    return cases


@pytest.mark.parametrize(("name", "release"), release_cases())
def test_each_release_brings_the_schema_to_its_models(name: str, release: str) -> None:
    dialect = get_dialect(name)
    schema = Schema()
    for version, migrations in releases(dialect):
        for migration in migrations:
            schema = compile_migration(migration, schema, dialect).after
        if release_of(version) == release:
            models = schema_from_metadata(version.metadata, dialect)
            assert differences(schema.to_dict(), models.to_dict()) == []
            assert schema == models
            return
    pytest.fail(f"no release {release}")


def test_the_main_folder_is_dialect_neutral() -> None:
    """Enum types exist only on PostgreSQL; they live in their own folder."""
    for name in ("mysql", "mariadb"):
        assert [m.id for m in history(get_dialect(name))] == [m.id for m in load_path(ROOT)]


# --- on the servers ----------------------------------------------------------------------


@pytest.fixture(params=["postgresql", "mysql"])
def shop(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, Dialect]]:
    """An engine on the examples' own database, emptied before and after the test."""
    base: sa.Engine = request.getfixturevalue(
        "pg_engine" if request.param == "postgresql" else "mysql_engine"
    )
    with base.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        if base.dialect.name == "postgresql":
            exists = connection.exec_driver_sql(
                f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
            ).first()
            if not exists:
                connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
        else:
            connection.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    engine = sa.create_engine(base.url.set(database=DATABASE))
    dialect = server_dialect(engine)
    drop_everything(engine, dialect)
    yield engine, dialect
    drop_everything(engine, dialect)
    engine.dispose()


def drop_everything(engine: sa.Engine, dialect: Dialect) -> None:
    """The database is the examples' own: every view and table in it goes."""
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        for view in inspector.get_view_names():
            connection.exec_driver_sql(f"DROP VIEW {dialect.quote(view)}")
        for table in ("product_reviews", "order_lines", "order_items", "orders", "products"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.quote(table)}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.quote('users')}")
        if dialect.caps.enum_types:
            connection.exec_driver_sql("DROP TYPE IF EXISTS payment_status")


@dataclass
class App:
    """One release of the shop app, writing and reading through its own models."""

    version: ModuleType

    def table(self, name: str) -> sa.Table:
        return self.version.metadata.tables[name]

    def has(self, name: str) -> bool:
        return name in self.version.metadata.tables

    @property
    def lines(self) -> sa.Table:
        return self.table("order_lines" if self.has("order_lines") else "order_items")

    def insert(self, connection: sa.Connection, table: sa.Table, row: dict[str, Any]) -> int:
        known = {k: v for k, v in row.items() if k in table.c}
        return int(connection.execute(table.insert().values(known)).inserted_primary_key[0])

    def place_order(self, connection: sa.Connection, tag: str) -> dict[str, int]:
        """A customer, a product, an order of it and its line, as this release writes them."""
        user = self.insert(
            connection,
            self.table("users"),
            {
                "email": f"{tag}@example.com",
                "email_address": f"{tag}@example.com",
                "full_name": f"Ada {tag}",
                "first_name": "Ada",
                "last_name": tag,
                "phone": "+44 20 7946 0000",
            },
        )
        price = 12 if isinstance(self.table("products").c.price.type, sa.Integer) else "12.50"
        product = self.insert(
            connection,
            self.table("products"),
            {"sku": f"MUG-{tag}", "name": f"Enamel mug {tag}", "price": price},
        )
        orders = self.table("orders")
        order = self.insert(
            connection,
            orders,
            {
                "user_id": user,
                "shipping_address": "12 Analytical Row, London",
                "coupon_code": "SPRING",
                "currency": "EUR",
                "payment_status": "refunded",
            }
            # A release whose status has no default sets it itself.
            | ({} if orders.c.status.server_default is not None else {"status": "paid"}),
        )
        line = self.insert(
            connection,
            self.lines,
            {"order_id": order, "product_id": product, "quantity": 2, "unit_price": price},
        )
        if self.has("product_reviews"):
            self.insert(
                connection,
                self.table("product_reviews"),
                {"product_id": product, "user_id": user, "rating": 5, "body": "Keeps tea hot."},
            )
        return {"user": user, "product": product, "order": order, "line": line}

    def read_order(self, connection: sa.Connection, ids: dict[str, int]) -> dict[str, Any]:
        """Everything this release reads about an order, selecting every column it knows."""
        users, products, orders = self.table("users"), self.table("products"), self.table("orders")
        row: dict[str, Any] = {}
        for table, key in ((users, "user"), (products, "product"), (orders, "order")):
            found = connection.execute(sa.select(table).where(table.c.id == ids[key])).one()
            row |= {f"{table.name}.{k}": v for k, v in found._mapping.items()}
        line = connection.execute(sa.select(self.lines).where(self.lines.c.id == ids["line"])).one()
        return row | {f"lines.{k}": v for k, v in line._mapping.items()}


def seed(connection: sa.Connection, app: App, count: int = 20) -> list[dict[str, int]]:
    """Orders from before the migrations, so that every backfill has batches of work."""
    return [app.place_order(connection, f"seed{i}") for i in range(count)]


def run(
    engine: sa.Engine,
    dialect: Dialect,
    compiled: list[CompiledMigration],
    phases: tuple[Phase, ...],
) -> None:
    """Each phase for every migration of a release, phase by phase, as a deploy pipeline runs
    a folder."""
    for phase in phases:
        for migration in compiled:
            run_phase(engine, migration, phase, dialect, batch_size=7)


def test_the_shop_runs_release_by_release(shop: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = shop
    schema = Schema()
    written: list[dict[str, int]] = []
    old: App | None = None
    for version, migrations in releases(dialect):
        new, number = App(version), release_of(version)[1:]
        compiled = []
        for migration in migrations:
            compiled.append(compile_migration(migration, schema, dialect))
            schema = compiled[-1].after
        if old is None:
            run(engine, dialect, compiled, RUN_ORDER)
            with engine.begin() as connection:
                written += seed(connection, new)
            old = new
            continue

        # The new release is deployed after backfill, while the old one still runs.
        run(engine, dialect, compiled, (Phase.EXPAND, Phase.BACKFILL))
        with engine.begin() as connection:
            by_old = old.place_order(connection, f"old{number}")
            by_new = new.place_order(connection, f"new{number}")
            written += [by_old, by_new]
            for app in (old, new):
                for ids in written:
                    app.read_order(connection, ids)
            overlap(connection, version, old, new, by_old, by_new)

        run(engine, dialect, compiled, (Phase.CONTRACT,))
        with engine.begin() as connection:
            for ids in written:
                new.read_order(connection, ids)
            written.append(new.place_order(connection, f"after{number}"))
            after_contract(connection, version, old)
        old = new

    assert old is not None
    with engine.begin() as connection:
        totals = connection.exec_driver_sql(
            "SELECT COUNT(*), SUM(line_count) FROM order_totals"
        ).one()
        assert tuple(totals) == (len(written), len(written))
        orders, users, products = (old.table(n) for n in ("orders", "users", "products"))
        # Release 1's orders were backfilled, release 3's were filled when currency became NOT NULL.
        assert set(connection.execute(sa.select(orders.c.currency)).scalars()) == {"EUR"}
        # A customer from release 1, after the split and the rename.
        seed3 = connection.execute(sa.select(users).where(users.c.last_name == "seed3")).one()
        assert (seed3.first_name, seed3.email_address) == ("Ada", "seed3@example.com")
        assert isinstance(seed3.created_at, datetime)
        prices = set(connection.execute(sa.select(products.c.price)).scalars())
        assert prices == {Decimal("12.00"), Decimal("12.50")}


def overlap(
    connection: sa.Connection,
    version: ModuleType,
    old: App,
    new: App,
    by_old: dict[str, int],
    by_new: dict[str, int],
) -> None:
    """What each release's change looks like to the two apps while both run."""
    release = release_of(version)
    old_sees_new = old.read_order(connection, by_new)
    new_sees_old = new.read_order(connection, by_old)
    if release == "v2":
        # Prices are NUMERIC(12, 2) for both apps once backfill has swapped the column in.
        assert new_sees_old["products.price"] == Decimal("12.00")
        assert old_sees_new["products.price"] == Decimal("12.50")
        assert old_sees_new["lines.unit_price"] == Decimal("12.50")
    if release == "v3":
        # The old app wrote a full name, the new one first and last names: each sees the other.
        assert (new_sees_old["users.first_name"], new_sees_old["users.last_name"]) == (
            "Ada",
            "old3",
        )
        assert old_sees_new["users.full_name"] == "Ada new3"
    if release == "v4":
        assert new_sees_old["users.email_address"] == "old4@example.com"
        assert old_sees_new["users.email"] == "new4@example.com"
        # The old app still relies on the status default, the new one sets the status.
        assert new_sees_old["orders.status"] == "pending"
        assert old_sees_new["orders.status"] == "paid"
    if release == "v5":
        # The old app writes order_items through the view, the new one order_lines.
        assert new_sees_old["lines.order_id"] == by_old["order"]
        assert old_sees_new["lines.order_id"] == by_new["order"]
    if release == "v6":
        # The old app's orders get the default; the new app writes the label 0102 added.
        assert new_sees_old["orders.payment_status"] == "unpaid"
        assert new.read_order(connection, by_new)["orders.payment_status"] == "refunded"


def after_contract(connection: sa.Connection, version: ModuleType, old: App) -> None:
    """Once contract ran, the old release's use of what is gone fails."""
    release = release_of(version)
    users, orders = old.table("users"), old.table("orders")
    if release == "v3":
        fails(connection, sa.select(users.c.full_name))
    if release == "v4":
        fails(connection, sa.select(users.c.email))
        # Release 4 must set the status itself now.
        fails(connection, orders.insert().values(user_id=1, shipping_address="x"))
    if release == "v5":
        fails(connection, sa.select(orders.c.coupon_code))
        fails(connection, sa.select(old.table("product_reviews")))
        fails(connection, sa.select(old.table("order_items")))
