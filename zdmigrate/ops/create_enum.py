"""CreateEnum: a new PostgreSQL enum type, ``CreateEnum("billing.status", ["open", "paid"])``.

Expand creates it; nothing uses it yet, so CREATE TYPE takes no lock on any table. Rollback
drops it (after the operations of the same migration that used it are rolled back, as rollback
runs in reverse). MySQL and MariaDB have no enum types: their ENUM is written inline in a
column's type, and a change to it is a ChangeColumnType.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation, ObjectExists
from zdmigrate.ops.base import Operation, register
from zdmigrate.schema import EnumType, split_name

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


def enum_types_exist(dialect: Dialect) -> None:
    """Refuse an enum type operation on a server that has no enum types."""
    if not dialect.caps.enum_types:
        raise InvalidOperation(
            f"{dialect.name} has no enum types; change an inline ENUM column with ChangeColumnType"
        )


@register
@dataclass(frozen=True)
class CreateEnum(Operation):
    name: str
    values: list[str] = field(hash=False)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        enum_types_exist(dialect)
        if self.name in schema.enums:
            raise ObjectExists("enum type", self.name)
        if not self.values or len(set(self.values)) != len(self.values):
            raise InvalidOperation(
                f"enum type {self.name!r} needs one or more values, each once: {self.values!r}"
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        type_schema, name = split_name(self.name)
        schema.enums[self.name] = EnumType(name=name, values=list(self.values), schema=type_schema)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.create_enum(self.name, list(self.values))]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_enum(self.name)]
