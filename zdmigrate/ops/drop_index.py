"""DropIndex: removed in contract, once the old app, which may rely on it for speed, is gone.

PostgreSQL drops it CONCURRENTLY: outside a transaction, waiting for the queries that use it
instead of blocking new ones behind an ACCESS EXCLUSIVE lock. MySQL/MariaDB drop it in place
(``ALGORITHM=INPLACE, LOCK=NONE``), a metadata change. An index that backs a unique constraint or
the primary key is refused (DropConstraint removes a unique constraint with its index) — except
on MySQL/MariaDB, where a unique index is the only kind of unique constraint — and so is the last
index a foreign key needs on servers that need one (the server would refuse it).
"""

from __future__ import annotations

import copy
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
class DropIndex(Operation):
    name: str
    table: str

    lands_in = Phase.CONTRACT

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        unique = self.name in table.uniques
        refused = None
        if unique and not dialect.caps.unique_indexes_are_constraints:
            refused = (
                f"backs the unique constraint {self.name!r}: drop it with "
                f"DropConstraint({self.name!r}, {self.table!r})"
            )
        elif table.primary_key and table.primary_key.name == self.name:
            refused = "backs the primary key"
        elif not unique and self.name not in table.indexes:
            raise ObjectNotFound("index", self.name, self.table)
        else:
            without = copy.deepcopy(table)
            without.indexes.pop(self.name, None)
            without.uniques.pop(self.name, None)
            needed_by = [
                fk.name
                for fk in table.foreign_keys.values()
                if dialect.foreign_key_index(table, fk) is None
                and dialect.foreign_key_index(without, fk) is not None
            ]
            if needed_by:
                refused = (
                    f"is the index foreign key {needed_by[0]!r} needs on this server: "
                    "drop the foreign key first"
                )
        if refused:
            raise InvalidOperation(
                f"cannot drop index {self.name!r} on {self.table!r}: it {refused}",
                table=self.table,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        table.indexes.pop(self.name, None)
        table.uniques.pop(self.name, None)

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_index(self.table, self.name)]
