"""RenameTable: the new app uses the new name while the old app keeps using the old one.

Expand renames the table (a catalog change under a brief lock, no copy) and puts a view under
the old name that selects every column of the renamed table. A view over one table and nothing
else is updatable on both servers (PostgreSQL's automatically updatable views, MySQL/MariaDB's
MERGE views), so the old app goes on reading, inserting, updating and deleting through it while
the new app does the same through the table, and each sees the other's rows. The old name is
never missing: on PostgreSQL rename and view commit together; on MySQL/MariaDB they swap in one
atomic RENAME TABLE. Contract drops the view; rollback drops it and renames the table back.

The view is new, so privileges granted on the table by name do not cover it: an old app that
connects as a role without rights on the whole schema needs a GRANT on the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, absent_table, register
from zdmigrate.schema import View, join_name, split_name
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class RenameTable(Operation):
    old: str
    new: str

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.old)
        absent_table(schema, self.new)
        old_schema, _ = split_name(self.old)
        new_schema, new_name = split_name(self.new)
        if old_schema != new_schema:
            raise InvalidOperation(
                f"cannot rename table {self.old!r} to {self.new!r}: a rename keeps the table in "
                f"its schema, so write the new name as {join_name(old_schema, new_name)!r}",
                table=self.old,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.old)
        del schema.tables[self.old]
        table.name = split_name(self.new)[1]
        schema.add_table(table)
        # The servers keep foreign keys pointing at the table through a rename.
        for referencing, fk in schema.foreign_keys_to(self.old):
            schema.table(referencing.qualified_name).foreign_keys[fk.name].ref_table = self.new

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Expand renames the table and leaves a view of its columns under the old name, for
        the old app; contract drops the view."""
        if phase is Phase.EXPAND:
            columns = list(schema.table(self.old).columns)
            self.apply(schema, dialect)
            view_schema, name = split_name(self.old)
            schema.views[self.old] = View(
                name=name, table=self.new, columns=columns, schema=view_schema
            )
        elif phase is Phase.CONTRACT:
            schema.views.pop(self.old, None)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.rename_table_with_view(self.old, self.new)

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_view(self.old)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.undo_rename_table_with_view(self.old, self.new)
