"""Regenerate the compiled SQL on the operation pages, docs/operations/<operation>.md.

Each page shows its example's SQL, per dialect and phase, between the markers
``<!-- sql:begin -->`` and ``<!-- sql:end -->``. This script compiles the examples below with
zdmigrate and rewrites that region only; the prose around it is written by hand.

    python docs/gen_sql.py           # rewrite the pages whose SQL changed
    python docs/gen_sql.py --check   # list them and exit 1, writing nothing
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)

from zdmigrate import ops
from zdmigrate.dialects import get_dialect
from zdmigrate.migration import CompiledMigration, Migration, compile_migration
from zdmigrate.plan.report import annotated_sql
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

PAGES = Path(__file__).resolve().parent / "operations"
BEGIN, END = "<!-- sql:begin -->", "<!-- sql:end -->"
ALL = ("postgresql", "mysql", "mariadb")
POSTGRESQL = ("postgresql",)
NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}

# --- the shop example's tables, built afresh for each example ------------------------------


def users() -> ops.CreateTable:
    return ops.CreateTable(
        "users",
        Column("id", Integer, primary_key=True),
        Column("email", String(255), nullable=False),
        Column("full_name", String(200), nullable=False),
        Column("status", String(20), nullable=False, server_default="active"),
        Column("phone", String(30)),
        UniqueConstraint("email", name="uq_users_email"),
    )


def products() -> ops.CreateTable:
    return ops.CreateTable(
        "products",
        Column("id", Integer, primary_key=True),
        Column("sku", String(40), nullable=False),
        Column("name", String(200), nullable=False),
        Column("price", Integer, nullable=False),
        UniqueConstraint("sku", name="uq_products_sku"),
        UniqueConstraint("name", name="uq_products_name"),
    )


def orders() -> ops.CreateTable:
    return ops.CreateTable(
        "orders",
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", name="fk_orders_user"), nullable=False),
        Column("status", String(20), nullable=False, server_default="pending"),
        Column("shipping_address", String(500), nullable=False),
        Column("coupon_code", String(40)),
        Column("currency", String(3)),
        Column("created_at", DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")),
        Index("ix_orders_user_id", "user_id"),
    )


def order_items() -> ops.CreateTable:
    return ops.CreateTable(
        "order_items",
        Column("id", Integer, primary_key=True),
        Column(
            "order_id",
            Integer,
            ForeignKey("orders.id", name="fk_order_items_order"),
            nullable=False,
        ),
        Column("product_id", Integer, nullable=False),
        Column("quantity", Integer, nullable=False),
        Column("unit_price", Integer, nullable=False),
    )


def shop() -> list[ops.Operation]:
    return [users(), products(), orders(), order_items()]


def product_reviews() -> ops.CreateTable:
    return ops.CreateTable(
        "product_reviews",
        Column("id", Integer, primary_key=True),
        Column(
            "product_id",
            Integer,
            ForeignKey("products.id", name="fk_product_reviews_product"),
            nullable=False,
        ),
        Column("rating", Integer, nullable=False),
    )


def orders_without_defaults() -> ops.CreateTable:
    return ops.CreateTable(
        "orders",
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", name="fk_orders_user"), nullable=False),
        Column("currency", String(3)),
        Column("created_at", DateTime),
    )


PAYMENT_STATUS = ["unpaid", "authorized", "captured"]
FIRST_SPACE = "POSITION(' ' IN full_name)"

# --- each page's example: operation → (setup, operations, dialects) ------------------------


class Example(NamedTuple):
    setup: list[ops.Operation]
    """Tables and types the example needs, as in the shop example."""
    operations: list[ops.Operation]
    """The example on the page."""
    dialects: tuple[str, ...] = ALL


EXAMPLES: dict[str, Example] = {
    "CreateTable": Example(
        [users(), products()],
        [
            ops.CreateTable(
                "product_reviews",
                Column("id", Integer, primary_key=True),
                Column(
                    "product_id",
                    Integer,
                    ForeignKey(
                        "products.id", name="fk_product_reviews_product", ondelete="CASCADE"
                    ),
                    nullable=False,
                ),
                Column("rating", Integer, nullable=False),
                Column("body", Text),
                CheckConstraint("rating BETWEEN 1 AND 5", name="ck_product_reviews_rating"),
                Index("ix_product_reviews_product_id", "product_id"),
            )
        ],
    ),
    "DropTable": Example(
        [users(), products(), product_reviews()],
        [ops.DropTable("product_reviews")],
    ),
    "RenameTable": Example(shop(), [ops.RenameTable("order_items", "order_lines")]),
    "AddColumn": Example(
        [users()],
        [
            ops.AddColumn(
                "users",
                Column("marketing_opt_in", String(3), nullable=False, server_default="no"),
            )
        ],
    ),
    "DropColumn": Example(shop(), [ops.DropColumn("orders", "shipping_address")]),
    "RenameColumn": Example([users()], [ops.RenameColumn("users", "email", "email_address")]),
    "ChangeColumnType": Example(
        [products()],
        [
            ops.ChangeColumnType(
                "products",
                "price",
                Numeric(12, 2),
                up="CAST(price AS DECIMAL(12, 2))",
                down="ROUND(price)",
            )
        ],
    ),
    "TransformColumn": Example(
        [users()],
        [
            ops.TransformColumn(
                "users",
                add=[
                    Column("first_name", String(100), nullable=False),
                    Column("last_name", String(100), nullable=False),
                ],
                up={
                    "first_name": f"CASE WHEN {FIRST_SPACE} > 0 "
                    f"THEN SUBSTRING(full_name FROM 1 FOR {FIRST_SPACE} - 1) ELSE full_name END",
                    "last_name": f"CASE WHEN {FIRST_SPACE} > 0 "
                    f"THEN SUBSTRING(full_name FROM {FIRST_SPACE} + 1) ELSE '' END",
                },
                down={"full_name": "TRIM(CONCAT(first_name, ' ', last_name))"},
                drop=["full_name"],
            )
        ],
    ),
    "SetNotNull": Example(shop(), [ops.SetNotNull("orders", "currency", fill="'EUR'")]),
    "DropNotNull": Example(shop(), [ops.DropNotNull("orders", "shipping_address")]),
    "SetDefault": Example(
        [users(), orders_without_defaults()],
        [
            ops.SetDefault("orders", "currency", "EUR"),
            ops.SetDefault("orders", "created_at", text("CURRENT_TIMESTAMP")),
        ],
    ),
    "DropDefault": Example(shop(), [ops.DropDefault("orders", "status")]),
    "CreateIndex": Example(
        shop(),
        [ops.CreateIndex("ix_orders_user_id_created_at", "orders", ["user_id", "created_at"])],
    ),
    "DropIndex": Example(
        [
            *shop(),
            ops.CreateIndex("ix_orders_user_id_created_at", "orders", ["user_id", "created_at"]),
        ],
        [ops.DropIndex("ix_orders_user_id", "orders")],
    ),
    "AddUniqueConstraint": Example(
        shop(),
        [
            ops.AddUniqueConstraint(
                "uq_order_items_order_product", "order_items", ["order_id", "product_id"]
            )
        ],
    ),
    "AddCheckConstraint": Example(
        shop(),
        [ops.AddCheckConstraint("ck_order_items_quantity_positive", "order_items", "quantity > 0")],
    ),
    "AddForeignKey": Example(
        shop(),
        [
            ops.AddForeignKey(
                "fk_order_items_product",
                "order_items",
                ["product_id"],
                "products",
                ["id"],
                on_delete="RESTRICT",
            )
        ],
    ),
    "DropConstraint": Example(shop(), [ops.DropConstraint("uq_products_name", "products")]),
    "CreateEnum": Example(shop(), [ops.CreateEnum("payment_status", PAYMENT_STATUS)], POSTGRESQL),
    "AddEnumValue": Example(
        [*shop(), ops.CreateEnum("payment_status", PAYMENT_STATUS)],
        [ops.AddEnumValue("payment_status", "refunded")],
        POSTGRESQL,
    ),
    "Backfill": Example(
        shop(),
        [ops.Backfill("orders", set={"currency": "'EUR'"}, where="currency IS NULL")],
    ),
    "AlterTable": Example(
        [
            ops.CreateTable(
                "events",
                Column("id", Integer, primary_key=True),
                Column("kind", String(20), nullable=False),
                Column("amount", Integer, nullable=False),
            )
        ],
        [ops.AlterTable("events", "MODIFY amount BIGINT NOT NULL, ADD COLUMN note TEXT")],
        ("mysql", "mariadb"),
    ),
    "RunSQL": Example(
        shop(),
        [
            ops.RunSQL(
                "CREATE VIEW order_totals AS "
                "SELECT order_id, COUNT(*) AS line_count, "
                "SUM(quantity * unit_price) AS items_total "
                "FROM order_items GROUP BY order_id",
                phase="expand",
                reverse="DROP VIEW order_totals",
                lock="none",
            )
        ],
    ),
}

# --- rendering -----------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """``AddColumn`` → ``add_column``; ``RunSQL`` → ``run_sql``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def compiled(example: Example, dialect_name: str) -> CompiledMigration:
    dialect = get_dialect(dialect_name)
    schema = compile_migration(Migration("setup", example.setup), Schema(), dialect).after
    return compile_migration(Migration("example", example.operations), schema, dialect)


def phases(migration: CompiledMigration) -> str:
    """The four phases' steps as `zdmigrate sql` prints them, one SQL block per phase."""
    parts = []
    for phase in (Phase.EXPAND, Phase.BACKFILL, Phase.CONTRACT, Phase.ROLLBACK):
        steps = migration.steps[phase]
        if steps:
            sql = "\n".join(annotated_sql(step) for step in steps)
            parts.append(f"**{phase}**\n\n```sql\n{sql}\n```\n")
        else:
            parts.append(f"**{phase}** — nothing\n")
    return "\n".join(parts)


def label(dialect_name: str) -> str:
    """``PostgreSQL 15``: the server and the default version the SQL was compiled for."""
    version = get_dialect(dialect_name).default_version[:2]
    return f"{NAMES[dialect_name]} {'.'.join(map(str, version))}"


def sql_tabs(example: Example) -> str:
    """One content tab per dialect; MySQL and MariaDB share one where their SQL is the same."""
    bodies = {label(name): phases(compiled(example, name)) for name in example.dialects}
    mysql, mariadb = label("mysql"), label("mariadb")
    if mysql in bodies and bodies[mysql] == bodies.get(mariadb):
        bodies[f"{mysql} / {mariadb}"] = bodies.pop(mysql)
        del bodies[mariadb]
    return "\n".join(
        f'=== "{title}"\n\n{textwrap.indent(body, "    ")}' for title, body in bodies.items()
    )


def regenerated(page: Path, tabs: str) -> str:
    """The page with the region between the markers replaced by ``tabs``."""
    before, begin, rest = page.read_text().partition(BEGIN)
    _, end, after = rest.partition(END)
    if not (begin and end):
        raise ValueError(f"{page}: no {BEGIN} … {END} region for the SQL")
    return f"{before}{BEGIN}\n\n{tabs}\n{END}{after}"


def update(*, write: bool) -> list[Path]:
    """The pages whose SQL region is out of date, rewritten if ``write``."""
    stale = []
    for name, example in EXAMPLES.items():
        page = PAGES / f"{snake_case(name)}.md"
        new = regenerated(page, sql_tabs(example))
        if new != page.read_text():
            stale.append(page)
            if write:
                page.write_text(new)
    return stale


def stale_pages() -> list[Path]:
    """The pages whose SQL region would change: the check mode, writing nothing."""
    return update(write=False)


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__, file=sys.stderr)
        return 2
    stale = update(write=not check)
    for page in stale:
        print(f"{'stale' if check else 'rewrote'}: {page.relative_to(PAGES.parent.parent)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
