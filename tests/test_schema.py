"""The pure schema model: snapshots round-trip, and the model's own edits keep it consistent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zdmigrate.errors import ColumnNotFound, SnapshotError, TableNotFound
from zdmigrate.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
    split_name,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20)
types = st.sampled_from(["INTEGER", "BIGINT", "VARCHAR(20)", "NUMERIC(12,2)", "TEXT", "BOOL"])


@st.composite
def tables(draw: st.DrawFn) -> Table:
    column_names = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    columns = {
        n: Column(
            name=n,
            type=draw(types),
            nullable=draw(st.booleans()),
            default=draw(st.none() | st.just("0")),
            identity=draw(st.booleans()),
        )
        for n in column_names
    }
    table = Table(name=draw(names), schema=draw(st.none() | names), columns=columns)
    table.primary_key = PrimaryKey(columns=column_names[:1], name=f"{table.name}_pkey")
    table.indexes["ix"] = Index(name="ix", columns=column_names[-1:], valid=draw(st.booleans()))
    table.uniques["uq"] = UniqueConstraint(name="uq", columns=column_names[:1])
    table.checks["ck"] = CheckConstraint(
        name="ck", expression="1 = 1", validated=draw(st.booleans())
    )
    table.foreign_keys["fk"] = ForeignKey(
        name="fk",
        columns=column_names[:1],
        ref_table="other",
        ref_columns=["id"],
        on_delete="CASCADE",
    )
    return table


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tables(), max_size=4))
def test_snapshot_round_trip(generated: list[Table]) -> None:
    schema = Schema()
    for table in generated:
        schema.add_table(table)
    assert Schema.from_json(schema.to_json()) == schema


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '{"format": 99, "tables": []}', '{"format": 1, "tables": [{"name": "t"}]}'],
)
def test_bad_snapshots_are_bad_input(text: str) -> None:
    with pytest.raises(SnapshotError, match=r"snap\.json"):
        Schema.from_json(text, "snap.json")


def test_lookups_name_what_is_missing() -> None:
    schema = Schema()
    schema.add_table(Table(name="users", columns={"id": Column("id", "INTEGER")}))
    with pytest.raises(TableNotFound, match="'orders'"):
        schema.table("orders")
    with pytest.raises(ColumnNotFound, match=r"'email'.*'users'"):
        schema.table("users").column("email")


def test_drop_column_drops_what_uses_it() -> None:
    table = Table(
        name="t",
        columns={c: Column(c, "INTEGER") for c in ("id", "a", "b")},
        primary_key=PrimaryKey(["id"]),
        indexes={"ix_a": Index("ix_a", ["a"]), "ix_b": Index("ix_b", ["b"])},
        uniques={"uq_a": UniqueConstraint("uq_a", ["a", "b"])},
    )
    table.drop_column("a")
    assert list(table.columns) == ["id", "b"]
    assert list(table.indexes) == ["ix_b"]
    assert table.uniques == {}


def test_rename_column_keeps_position_and_references() -> None:
    table = Table(
        name="t",
        columns={c: Column(c, "INTEGER") for c in ("id", "a", "b")},
        indexes={"ix_a": Index("ix_a", ["a", "b"])},
    )
    table.rename_column("a", "z")
    assert list(table.columns) == ["id", "z", "b"]
    assert table.columns["z"].name == "z"
    assert table.indexes["ix_a"].columns == ["z", "b"]


def test_key_columns_fall_back_to_a_unique_not_null_key() -> None:
    table = Table(
        name="t",
        columns={"a": Column("a", "INTEGER", nullable=False), "b": Column("b", "INTEGER")},
        uniques={"uq_b": UniqueConstraint("uq_b", ["b"]), "uq_a": UniqueConstraint("uq_a", ["a"])},
    )
    assert table.key_columns() == ["a"]
    table.columns["a"].nullable = True
    assert table.key_columns() is None


def test_split_name() -> None:
    assert split_name("billing.invoices") == ("billing", "invoices")
    assert split_name("orders") == (None, "orders")
