"""Reflection of live servers, and the promise that the three sources of a schema model agree:
SQLAlchemy metadata, reflection after ``create_all()``, and a JSON snapshot of either.

Every table, schema and type here is named ``rf_<token>_…`` with a token per test session, so
that runs sharing a server do not trip over each other; each test drops what it made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from zdmigrate.dialects import Dialect, MariaDBDialect, get_dialect
from zdmigrate.engine import dialect_for
from zdmigrate.metadata import schema_from_metadata
from zdmigrate.reflect import list_views, reflect_schema
from zdmigrate.schema import CheckConstraint, Schema

TOKEN = secrets.token_hex(3)
P = f"rf_{TOKEN}_"
OTHER_SCHEMA = f"rf_schema_{TOKEN}"


def shop(schema: str | None = None, *, expression_indexes: bool) -> sa.MetaData:
    """A small shop: users, products, orders and their items.

    Left out because the sources cannot agree on them: CHECK (… IN (…)) on PostgreSQL, which
    the server rewrites to ``= ANY (ARRAY[…])``; and sub-expressions in redundant parentheses
    inside generated columns, which PostgreSQL's inspector prints with every parenthesis.
    """
    md = sa.MetaData(schema=schema)
    users = sa.Table(
        f"{P}users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column(
            "status",
            sa.Enum("active", "disabled", name=f"{P}user_status"),
            nullable=False,
            server_default="active",
        ),
        sa.Column("role", sa.String(20), nullable=False, server_default="customer"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("login_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("profile", sa.JSON),
    )
    products = sa.Table(
        f"{P}products",
        md,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column(
            "stock",
            sa.Integer,
            sa.CheckConstraint("stock >= 0"),
            nullable=False,
            server_default=sa.text("0"),
        ),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("gross", sa.Numeric(12, 2), sa.Computed("price * 1.2", persisted=True)),
        sa.UniqueConstraint("sku", name=f"uq_{P}products_sku"),
        sa.CheckConstraint("price >= 0"),
        sa.Index(f"ix_{P}products_title", "title", postgresql_where=sa.text("active")),
        # A unique index: on MySQL the same thing as a unique constraint.
        sa.Index(f"ux_{P}products_title_sku", "title", "sku", unique=True),
    )
    orders = sa.Table(
        f"{P}orders",
        md,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(users.c.id, ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("pending", "paid", "cancelled", name=f"{P}order_status"),
            nullable=False,
            server_default="pending",
        ),
        sa.Column("total", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("note", sa.String(500), server_default=""),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("total >= 0", name=f"ck_{P}orders_total"),
        # Leads with user_id, so MySQL needs no index of its own for the foreign key.
        sa.Index(f"ix_{P}orders_user_status", "user_id", "status"),
        sa.Index(
            f"ix_{P}orders_pending", "placed_at", postgresql_where=sa.text("status = 'pending'")
        ),
    )
    sa.Table(
        f"{P}order_items",
        md,
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey(orders.c.id, ondelete="CASCADE"),
            primary_key=True,
        ),
        # No index leads with product_id: MySQL adds one for the foreign key.
        sa.Column(
            "product_id",
            sa.BigInteger,
            sa.ForeignKey(products.c.id, ondelete="RESTRICT", onupdate="CASCADE"),
            primary_key=True,
        ),
        sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.CheckConstraint("quantity > 0"),
        sa.CheckConstraint("unit_price >= 0 AND quantity <= 1000"),
    )
    if expression_indexes:
        sa.Index(f"ix_{P}users_email_lower", sa.func.lower(users.c.email), unique=True)
    return md


@contextmanager
def created(engine: sa.Engine, metadata: sa.MetaData) -> Iterator[Dialect]:
    """The metadata's tables (and schema) on the server for the length of the block."""
    schema = metadata.schema
    with engine.begin() as connection:
        if schema:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        metadata.create_all(connection)
    try:
        with engine.connect() as connection:
            yield dialect_for(connection)
    finally:
        with engine.begin() as connection:
            if schema:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            else:
                metadata.drop_all(connection)


def reflected(engine: sa.Engine, dialect: Dialect, schemas: list[str] | None = None) -> Schema:
    with engine.connect() as connection:
        return reflect_schema(connection, dialect, schemas)


def mine(schema: Schema) -> Schema:
    """Only what this session made: other tests and people share the server."""
    return Schema(
        tables={k: t for k, t in schema.tables.items() if t.name.startswith(P)},
        enums={k: e for k, e in schema.enums.items() if e.name.startswith(P)},
    )


def assert_same(actual: Schema, expected: Schema) -> None:
    assert sorted(actual.tables) == sorted(expected.tables)
    for key, table in expected.tables.items():
        assert actual.tables[key] == table, key
    assert actual.enums == expected.enums


# --- metadata == reflection == snapshot ------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.parametrize("schema", [None, OTHER_SCHEMA], ids=["public", "other-schema"])
def test_postgresql_reflection_equals_metadata(pg_engine: sa.Engine, schema: str | None) -> None:
    metadata = shop(schema, expression_indexes=True)
    with created(pg_engine, metadata) as dialect:
        expected = schema_from_metadata(metadata, dialect)
        actual = mine(reflected(pg_engine, dialect))
        assert_same(actual, expected)
        assert Schema.from_json(actual.to_json()) == actual

    # Spot checks that the agreement is on what the server has, not on a shared mistake.
    q = f"{schema}." if schema else ""
    users, products = actual.table(f"{q}{P}users"), actual.table(f"{q}{P}products")
    orders, items = actual.table(f"{q}{P}orders"), actual.table(f"{q}{P}order_items")
    assert users.primary_key is not None and users.primary_key.name == f"{P}users_pkey"
    assert users.columns["id"].identity and users.columns["id"].default is None
    assert users.columns["status"].default == "'active'"
    assert users.columns["created_at"].default == "CURRENT_TIMESTAMP"
    assert users.columns["is_admin"].default == "FALSE"
    assert set(users.uniques) == {f"{P}users_email_key"}
    assert users.indexes[f"ix_{P}users_email_lower"].columns == ["lower(email)"]
    assert set(products.checks) == {f"{P}products_stock_check", f"{P}products_price_check"}
    assert products.columns["gross"].generated == "price * 1.2"
    assert products.indexes[f"ix_{P}products_title"].where == "active"
    assert products.indexes[f"ux_{P}products_title_sku"].unique
    assert orders.indexes[f"ix_{P}orders_pending"].where == "status = 'pending'"
    assert orders.foreign_keys[f"{P}orders_user_id_fkey"].on_delete == "CASCADE"
    assert set(items.checks) == {f"{P}order_items_quantity_check", f"{P}order_items_check"}
    assert items.foreign_keys[f"{P}order_items_product_id_fkey"].on_update == "CASCADE"
    assert set(actual.enums) == {f"{q}{P}user_status", f"{q}{P}order_status"}


@pytest.mark.mysql
def test_mysql_reflection_equals_metadata(mysql_engine: sa.Engine) -> None:
    metadata = shop(expression_indexes=False)
    with created(mysql_engine, metadata) as dialect:
        expected = schema_from_metadata(metadata, dialect)
        actual = mine(reflected(mysql_engine, dialect))
        assert_same(actual, expected)
        assert Schema.from_json(actual.to_json()) == actual

    users, products = actual.table(f"{P}users"), actual.table(f"{P}products")
    items = actual.table(f"{P}order_items")
    assert users.primary_key is not None and users.primary_key.name == "PRIMARY"
    assert users.columns["id"].identity
    assert users.columns["profile"].type == "JSON"
    assert users.columns["is_admin"].default == "0"
    assert users.columns["created_at"].default == "CURRENT_TIMESTAMP"
    assert set(users.uniques) == {"email"}
    # A unique index is a unique constraint here, and a partial index is a plain one.
    assert set(products.uniques) == {f"uq_{P}products_sku", f"ux_{P}products_title_sku"}
    assert set(products.indexes) == {f"ix_{P}products_title"}
    assert products.indexes[f"ix_{P}products_title"].where is None
    assert products.columns["price"].default == "0.00"
    if isinstance(dialect, MariaDBDialect):
        assert set(products.checks) == {"stock", "CONSTRAINT_1"}
        assert set(items.checks) == {"CONSTRAINT_1", "CONSTRAINT_2"}
    else:  # MySQL 8 numbers column-level and table-level checks in one sequence
        assert set(products.checks) == {f"{P}products_chk_1", f"{P}products_chk_2"}
        assert set(items.checks) == {f"{P}order_items_chk_1", f"{P}order_items_chk_2"}
    assert set(items.foreign_keys) == {f"{P}order_items_ibfk_1", f"{P}order_items_ibfk_2"}
    assert not items.indexes, "the index MySQL made for the foreign key is the key's own"
    assert not actual.enums


# --- what only reflection sees ----------------------------------------------------------------


@pytest.mark.postgresql
def test_postgresql_unvalidated_and_invalid_objects(pg_engine: sa.Engine) -> None:
    parent, child = f"{P}parent", f"{P}child"
    with pg_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        run = connection.exec_driver_sql
        run(f"CREATE TABLE {parent} (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY)")
        run(f"CREATE TABLE {child} (id bigserial PRIMARY KEY, parent_id integer, n integer)")
        try:
            run(f"INSERT INTO {child} (parent_id, n) VALUES (42, -1), (43, -1)")
            run(
                f"ALTER TABLE {child} ADD CONSTRAINT {child}_parent FOREIGN KEY (parent_id) "
                f"REFERENCES {parent} (id) NOT VALID"
            )
            run(f"ALTER TABLE {child} ADD CONSTRAINT {child}_n CHECK (n > 0) NOT VALID")
            with pytest.raises(sa.exc.IntegrityError):
                run(f"CREATE UNIQUE INDEX CONCURRENTLY {child}_n_key ON {child} (n)")
            dialect = dialect_for(connection)
            table = mine(reflect_schema(connection, dialect)).table(child)
        finally:
            run(f"DROP TABLE {child}, {parent}")
    assert table.foreign_keys[f"{child}_parent"].validated is False
    assert table.checks[f"{child}_n"] == CheckConstraint(f"{child}_n", "n > 0", validated=False)
    assert table.indexes[f"{child}_n_key"].valid is False
    assert table.columns["id"].identity and table.columns["id"].default is None
    assert not table.triggers, "a foreign key's internal triggers are not the app's"
    assert Schema.from_json(Schema(tables={child: table}).to_json()).tables[child] == table


@pytest.mark.postgresql
def test_postgresql_triggers_views_leftovers_and_schemas(pg_engine: sa.Engine) -> None:
    table, leftover, view = f"{P}t", f"zdm_{P}old", f"zdm_{P}view"
    with pg_engine.begin() as connection:
        run = connection.exec_driver_sql
        run(f"CREATE SCHEMA {OTHER_SCHEMA}")
        run(f"CREATE TABLE {OTHER_SCHEMA}.{table} (id integer PRIMARY KEY, n integer)")
        run(f"CREATE TABLE {leftover} (id integer)")
        run(f"CREATE VIEW {view} AS SELECT * FROM {leftover}")
        run(
            f"CREATE FUNCTION {OTHER_SCHEMA}.{P}f() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$"
        )
        run(
            f"CREATE TRIGGER {P}trg BEFORE INSERT ON {OTHER_SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {OTHER_SCHEMA}.{P}f()"
        )
    try:
        with pg_engine.connect() as connection:
            dialect = dialect_for(connection)
            everything = mine_or_leftover(reflect_schema(connection, dialect))
            only_other = reflect_schema(connection, dialect, [OTHER_SCHEMA])
            views = list_views(connection, dialect)
    finally:
        with pg_engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {OTHER_SCHEMA} CASCADE")
            connection.exec_driver_sql(f"DROP VIEW {view}")
            connection.exec_driver_sql(f"DROP TABLE {leftover}")
    assert sorted(everything.tables) == sorted([f"{OTHER_SCHEMA}.{table}", leftover])
    assert list(only_other.tables) == [f"{OTHER_SCHEMA}.{table}"]
    trigger = only_other.tables[f"{OTHER_SCHEMA}.{table}"].triggers[f"{P}trg"]
    assert trigger.definition is not None
    assert trigger.definition.startswith(f"CREATE TRIGGER {P}trg BEFORE INSERT ON")
    assert view in views
    assert Schema.from_json(only_other.to_json()) == only_other


@pytest.mark.mysql
def test_mysql_triggers_views_and_leftovers(mysql_engine: sa.Engine) -> None:
    table, leftover, view = f"{P}t", f"zdm_{P}old", f"zdm_{P}view"
    with mysql_engine.begin() as connection:
        run = connection.exec_driver_sql
        run(f"CREATE TABLE {table} (id integer PRIMARY KEY, n integer)")
        run(f"CREATE TABLE {leftover} (id integer)")
        run(f"CREATE VIEW {view} AS SELECT * FROM {leftover}")
        run(f"CREATE TRIGGER {P}trg BEFORE INSERT ON {table} FOR EACH ROW SET NEW.n = 1")
    try:
        with mysql_engine.connect() as connection:
            dialect = dialect_for(connection)
            schema = mine_or_leftover(reflect_schema(connection, dialect))
            views = list_views(connection, dialect)
    finally:
        with mysql_engine.begin() as connection:
            connection.exec_driver_sql(f"DROP VIEW {view}")
            connection.exec_driver_sql(f"DROP TABLE {table}, {leftover}")
    assert sorted(schema.tables) == sorted([table, leftover])
    trigger = schema.tables[table].triggers[f"{P}trg"]
    assert trigger.definition == (
        f"CREATE TRIGGER {P}trg BEFORE INSERT ON {table} FOR EACH ROW SET NEW.n = 1"
    )
    assert view in views


def test_a_type_sqlalchemy_does_not_know_keeps_the_servers_spelling(
    db: tuple[sa.Engine, Dialect],
) -> None:
    engine, _ = db
    table = f"{P}odd"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {table} (id integer PRIMARY KEY, at point)")
    try:
        with engine.connect() as connection:
            dialect = dialect_for(connection)
            reflected_table = reflect_schema(connection, dialect).table(table)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {table}")
    assert reflected_table.columns["at"].type == "point"
    assert reflected_table.columns["id"].type == "INTEGER"


def mine_or_leftover(schema: Schema) -> Schema:
    return Schema(tables={k: t for k, t in schema.tables.items() if P in t.name})


# --- one spelling, without a server ------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "printed", "written"),
    [
        ("postgresql", "((kind)::text = 'active'::text)", "kind = 'active'"),
        ("postgresql", "amt >= 0::numeric", "amt >= 0"),
        ("postgresql", "lower(email::text)", "LOWER(email)"),
        ("postgresql", "n > '-1'::integer", "n > -1"),
        ("postgresql", "(n * 2)", "n*2"),
        ("postgresql", "\"kind\"::text = 'a'", "kind = 'a'"),
        ("postgresql", "state = 'paid'::order_state", "state = 'paid'"),
        ("postgresql", 'n % 2 = 0 AND "order" IS NOT NULL', 'n % 2 = 0 and "order" is not null'),
        ("mariadb", "`n` >= 0 and `big` > `n`", "n >= 0 AND big > n"),
        ("mariadb", "`state` in ('a','b')", "state IN ('a', 'b')"),
        ("mariadb", "(`n` * 2)", "n * 2"),
        ("mysql", "(`state` = _utf8mb4'paid')", "state = 'paid'"),
    ],
)
def test_expressions_have_one_spelling(dialect: str, printed: str, written: str) -> None:
    types = {"kind": "VARCHAR(20)", "email": "VARCHAR(255)", "state": "order_state"}
    d = get_dialect(dialect)
    assert d.normalize_expression(printed, types) == d.normalize_expression(written, types)


def test_an_integer_cast_to_text_is_kept() -> None:
    # Only the cast the server adds to a VARCHAR column goes: n::text on an integer means it.
    d = get_dialect("postgresql")
    assert d.normalize_expression("lower(n::text)", {"n": "INTEGER"}) == "lower(n::text)"


@pytest.mark.parametrize(
    ("dialect", "type_", "printed", "written", "spelling"),
    [
        ("postgresql", "VARCHAR(20)", "'active'::character varying", "'active'", "'active'"),
        ("postgresql", "TIMESTAMP", "now()", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("postgresql", "NUMERIC(12,2)", "'0'::numeric", "'0'", "0"),
        ("postgresql", "INTEGER", "'-1'::integer", "'-1'", "-1"),
        ("postgresql", "BOOLEAN", "false", "'f'", "FALSE"),
        ("postgresql", "mood", "'happy'::mood", "'happy'", "'happy'"),
        ("mariadb", "DATETIME", "current_timestamp()", "now()", "CURRENT_TIMESTAMP"),
        ("mariadb", "DECIMAL(12,2)", "0.00", "'0'", "0.00"),
        ("mariadb", "BOOL", "1", "true", "1"),
    ],
)
def test_defaults_have_one_spelling(
    dialect: str, type_: str, printed: str, written: str, spelling: str
) -> None:
    d = get_dialect(dialect)
    assert d.normalize_default(printed, type_) == spelling
    assert d.normalize_default(written, type_) == spelling


def test_default_null_is_no_default() -> None:
    assert get_dialect("postgresql").normalize_default("NULL::character varying", "TEXT") is None


@pytest.mark.parametrize(
    ("dialect", "kind", "columns", "keywords", "name"),
    [
        ("postgresql", "check", ["qty"], {}, "items_qty_check"),
        ("postgresql", "check", ["a", "b"], {}, "items_check"),
        ("postgresql", "foreign key", ["a", "b"], {}, "items_a_b_fkey"),
        ("mariadb", "foreign key", ["a"], {"ordinal": 2}, "items_ibfk_2"),
        ("mariadb", "check", ["qty"], {"column": "qty"}, "qty"),
        ("mariadb", "check", ["qty"], {"ordinal": 3}, "CONSTRAINT_3"),
        ("mariadb", "unique", ["email", "x"], {}, "email"),
        ("mysql", "check", ["qty"], {"ordinal": 1}, "items_chk_1"),
    ],
)
def test_implicit_names(
    dialect: str, kind: str, columns: list[str], keywords: dict[str, object], name: str
) -> None:
    d = get_dialect(dialect)
    assert d.implicit_name(kind, "items", columns, **keywords) == name  # type: ignore[arg-type]


def test_postgresql_shortens_long_implicit_names_as_the_server_does() -> None:
    # makeObjectName trims the longer part until table_columns_key fits in 63 characters.
    name = get_dialect("postgresql").implicit_name("unique", "t" * 20, ["c" * 60])
    assert name == "t" * 20 + "_" + "c" * 38 + "_key"
