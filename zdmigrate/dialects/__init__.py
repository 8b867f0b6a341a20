"""Dialects: everything that differs between PostgreSQL, MySQL and MariaDB."""

from __future__ import annotations

from zdmigrate.dialects.base import Capabilities, Dialect, SyncDirection
from zdmigrate.dialects.mysql import MariaDBDialect, MySQLDialect
from zdmigrate.dialects.postgresql import PostgreSQLDialect
from zdmigrate.errors import BadInput, UnknownDialect

DIALECTS: dict[str, type[Dialect]] = {
    "postgresql": PostgreSQLDialect,
    "mysql": MySQLDialect,
    "mariadb": MariaDBDialect,
}

ALIASES = {"postgres": "postgresql", "pg": "postgresql"}


def parse_version(text: str) -> tuple[int, ...]:
    """``"15"`` → (15,); ``"10.11.6-MariaDB"`` → (10, 11, 6); ``"8.0.36"`` → (8, 0, 36)."""
    numbers = []
    for part in text.strip().split("-")[0].split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    if not numbers:
        raise BadInput(f"server version {text!r} is not a version number such as 15 or 8.0.36")
    return tuple(numbers)


def get_dialect(name: str, version: str | tuple[int, ...] | None = None) -> Dialect:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        cls = DIALECTS[key]
    except KeyError:
        raise UnknownDialect(name) from None
    parsed = parse_version(version) if isinstance(version, str) else version
    return cls(parsed)


__all__ = [
    "DIALECTS",
    "Capabilities",
    "Dialect",
    "MariaDBDialect",
    "MySQLDialect",
    "PostgreSQLDialect",
    "SyncDirection",
    "get_dialect",
    "parse_version",
]
