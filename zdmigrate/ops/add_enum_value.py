"""AddEnumValue: one more value in a PostgreSQL enum type, usable by the new app after expand.

Expand runs ``ALTER TYPE … ADD VALUE IF NOT EXISTS`` outside a transaction: a value added inside
one cannot be used until it commits, and IF NOT EXISTS makes a rerun after a rollback a no-op.
It changes only the catalog and takes no lock on the tables using the type.

PostgreSQL cannot remove a value from an enum type, so rollback leaves the value in place (the
expand step's note says so). The old app keeps working: it never writes the new value, though
it must tolerate reading it once the new app writes it. MySQL and MariaDB have no enum types;
an inline ENUM gains a value with ChangeColumnType.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.ops.create_enum import enum_types_exist
from zdmigrate.steps import add_note

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

IRREVERSIBLE = "PostgreSQL cannot remove an enum value: a rollback leaves it in the type"


@register
@dataclass(frozen=True)
class AddEnumValue(Operation):
    enum: str
    value: str
    before: str | None = None

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        enum_types_exist(dialect)
        values = schema.enum(self.enum).values
        if self.value in values:
            raise InvalidOperation(f"enum type {self.enum!r} already has the value {self.value!r}")
        if self.before is not None and self.before not in values:
            raise InvalidOperation(
                f"enum type {self.enum!r} has no value {self.before!r} to add {self.value!r} before"
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        values = schema.enum(self.enum).values
        at = values.index(self.before) if self.before is not None else len(values)
        values.insert(at, self.value)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statement = dialect.add_enum_value(self.enum, self.value, self.before)
        return [add_note(statement, IRREVERSIBLE)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        """Nothing: PostgreSQL cannot remove an enum value, so it stays."""
        return []
