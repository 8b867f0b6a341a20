"""DropConstraint: a unique, check or foreign-key constraint, removed in contract.

The old app may rely on it (to refuse a duplicate, a bad value, an orphan), so it stays until
contract. Its kind comes from the schema model, because the servers drop each kind differently
(MySQL/MariaDB drop a unique constraint as its index and a foreign key by DROP FOREIGN KEY). Each
drop is a brief lock and no scan: PostgreSQL's DROP CONSTRAINT, MySQL/MariaDB in place. A primary
key is refused (the table's identity, its batched jobs and replication depend on it), and so is a
unique constraint a foreign key references (the server would refuse it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation, ObjectNotFound
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class DropConstraint(Operation):
    name: str
    table: str

    lands_in = Phase.CONTRACT

    def kind(self, schema: Schema) -> str:
        """The kind as the dialect's drop_constraint takes it: unique, check or foreign key."""
        table = schema.table(self.table)
        if self.name in table.uniques:
            return "unique"
        if self.name in table.checks:
            return "check"
        if self.name in table.foreign_keys:
            return "foreign key"
        if table.primary_key and table.primary_key.name == self.name:
            raise InvalidOperation(
                f"cannot drop constraint {self.name!r} on {self.table!r}: it is the primary key",
                table=self.table,
            )
        raise ObjectNotFound("constraint", self.name, self.table)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        if self.kind(schema) != "unique":
            return
        columns = set(schema.table(self.table).uniques[self.name].columns)
        for referencing, fk in schema.foreign_keys_to(self.table):
            if set(fk.ref_columns) == columns:
                raise InvalidOperation(
                    f"cannot drop constraint {self.name!r} on {self.table!r}: foreign key "
                    f"{fk.name!r} on {referencing.qualified_name!r} references it; drop that first",
                    table=self.table,
                )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        kind = self.kind(schema)
        table = schema.table(self.table)
        if kind == "unique":
            del table.uniques[self.name]
            table.indexes.pop(self.name, None)  # where the model lists its index too
        elif kind == "check":
            del table.checks[self.name]
        else:
            del table.foreign_keys[self.name]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_constraint(self.table, self.name, self.kind(schema))]
