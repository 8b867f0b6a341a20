"""Schema.copy shares tables until they are asked for: compiling must never change the schema
it started from, or the planner's phase states would leak into each other."""

from __future__ import annotations

import copy

import pytest

from tests.test_examples import ROOT
from zdmigrate.dialects import get_dialect
from zdmigrate.migration import compile_migration, load_path
from zdmigrate.schema import Column, ForeignKey, Schema, Table


def test_a_copy_changed_leaves_the_original_alone() -> None:
    schema = Schema()
    schema.add_table(Table("users", columns={"id": Column("id", "INTEGER")}))
    twin = schema.copy()
    twin.table("users").columns["email"] = Column("email", "TEXT")
    schema.table("users").columns["name"] = Column("name", "TEXT")
    assert list(schema.tables["users"].columns) == ["id", "name"]
    assert list(twin.tables["users"].columns) == ["id", "email"]


def test_a_renamed_table_moves_the_foreign_keys_of_the_copy_only() -> None:
    from zdmigrate.ops import RenameTable

    dialect = get_dialect("postgresql")
    schema = Schema()
    schema.add_table(Table("users", columns={"id": Column("id", "INTEGER")}))
    fk = ForeignKey("fk_orders_user", ["user_id"], "users", ["id"])
    schema.add_table(
        Table(
            "orders",
            columns={"user_id": Column("user_id", "INTEGER")},
            foreign_keys={fk.name: fk},
        )
    )
    twin = schema.copy()
    RenameTable("users", "customers").apply(twin, dialect)
    assert schema.tables["orders"].foreign_keys["fk_orders_user"].ref_table == "users"
    assert twin.tables["orders"].foreign_keys["fk_orders_user"].ref_table == "customers"


@pytest.mark.parametrize("dialect_name", ["postgresql", "mariadb"])
def test_compiling_the_examples_leaves_each_starting_schema_alone(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    migrations = load_path(ROOT)
    if dialect.caps.enum_types:
        migrations += load_path(ROOT / "postgresql_only")
    schema = Schema()
    for migration in migrations:
        frozen = copy.deepcopy(schema.to_dict())
        compiled = compile_migration(migration, schema, dialect)
        compiled.rollback("backfill")
        assert schema.to_dict() == frozen, migration.id
        assert compiled.before.to_dict() == frozen, migration.id
        schema = compiled.after
