"""Dialect facts that need no server: versions, capabilities, names and quoting."""

from __future__ import annotations

import pytest

from zdmigrate.dialects import get_dialect, parse_version
from zdmigrate.errors import BadInput, UnknownDialect


def test_parse_version() -> None:
    assert parse_version("15") == (15,)
    assert parse_version("10.11.6-MariaDB-0+deb12u1") == (10, 11, 6)
    assert parse_version("8.0.36") == (8, 0, 36)
    with pytest.raises(BadInput, match="fifteen"):
        parse_version("fifteen")


def test_unknown_dialect() -> None:
    with pytest.raises(UnknownDialect, match="oracle"):
        get_dialect("oracle")


@pytest.mark.parametrize(
    ("name", "version", "instant_drop"),
    [
        ("mysql", "8.0.28", False),
        ("mysql", "8.0.29", True),
        ("mariadb", "10.3", False),
        ("mariadb", "10.6", True),
    ],
)
def test_capabilities_follow_the_version(name: str, version: str, instant_drop: bool) -> None:
    assert get_dialect(name, version).caps.instant_drop_column is instant_drop


def test_postgresql_not_null_from_check_needs_12() -> None:
    assert not get_dialect("postgresql", "11").caps.not_null_from_check
    assert get_dialect("postgresql", "12").caps.not_null_from_check


@pytest.mark.parametrize(("name", "limit"), [("postgresql", 63), ("mysql", 64), ("mariadb", 64)])
def test_generated_names_fit_the_server(name: str, limit: int) -> None:
    dialect = get_dialect(name)
    long = dialect.object_name(
        "a_very_long_table_name_for_orders", "rename", "customer_reference_x"
    )
    assert len(long) <= limit
    assert long.startswith("zdm_")
    other = dialect.object_name(
        "a_very_long_table_name_for_orders", "rename", "customer_reference_y"
    )
    assert other != long
    assert dialect.object_name("users", "nn") == "zdm_users_nn"


def test_identifiers_are_always_quoted_and_escaped() -> None:
    assert get_dialect("postgresql").table('we"ird.na me') == '"we""ird"."na me"'
    assert get_dialect("mysql").quote("or`ders") == "`or``ders`"
    assert get_dialect("mariadb").table("users") == "`users`"


def test_literals_are_escaped() -> None:
    assert get_dialect("postgresql").literal("it's") == "'it''s'"
