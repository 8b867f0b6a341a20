"""AddUniqueConstraint: a unique constraint built without blocking writes.

PostgreSQL builds the unique index CONCURRENTLY (reads and writes go on during the scan) and
then attaches it with ``ADD CONSTRAINT … UNIQUE USING INDEX``, a brief lock with no scan.
MySQL/MariaDB build the unique index in place (``ALGORITHM=INPLACE, LOCK=NONE``); there the index
is the constraint.

It goes in expand, not backfill: the old app keeps writing while both apps run, and only a
constraint in place refuses the duplicates it might write; built later, those would make the
build fail. So the old app must already write no duplicates. Existing duplicates make the build
fail loudly, naming the constraint; on PostgreSQL that leaves an INVALID index, which the next
expand (after the data is cleaned) drops and builds again. A rollback drops the constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, column_list, columns_exist, free_index_name, register
from zdmigrate.schema import UniqueConstraint

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class AddUniqueConstraint(Operation):
    name: str
    table: str
    columns: list[str] = field(hash=False)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        column_list(self.columns, f"unique constraint {self.name!r} on {self.table!r}", self.table)
        if not self.columns:
            raise InvalidOperation(
                f"unique constraint {self.name!r} on {self.table!r} names no columns",
                table=self.table,
            )
        columns_exist(schema, self.table, self.columns)
        free_index_name(schema, self.table, self.name, "constraint", index_in=dialect)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        table.indexes.pop(self.name, None)  # an INVALID leftover the build replaced
        table.uniques[self.name] = UniqueConstraint(name=self.name, columns=list(self.columns))

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.add_unique(self.table, self.name, list(self.columns))

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        # Where the constraint is not its index, a build that failed on duplicates left the
        # index (INVALID) without the constraint: drop it too. Dropping the constraint drops
        # a valid one, and the rollback then skips the index as not there.
        statements = [dialect.drop_constraint(self.table, self.name, "unique")]
        if not dialect.caps.unique_indexes_are_constraints:
            statements.append(dialect.drop_index(self.table, self.name))
        return statements
