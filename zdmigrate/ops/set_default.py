"""SetDefault: a new server default, used by inserts that leave the column out.

Expand sets it: a default is catalog metadata on both servers (PostgreSQL stores it, MySQL and
MariaDB change it INSTANT), applies only to rows inserted from then on, and neither rewrites nor
scans the table, so both apps go on working through it. Rollback puts back the default the
column had, or drops it where it had none.

``default`` follows SQLAlchemy's ``server_default``: a ``str`` is a literal value, quoted as one;
``sqlalchemy.text("...")`` (or another SQL expression) is SQL, used as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zdmigrate.errors import InvalidOperation
from zdmigrate.metadata import default_sql
from zdmigrate.ops.base import Operation, register

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class SetDefault(Operation):
    table: str
    column: str
    default: str | sa.TextClause | sa.ColumnElement[Any]

    def sql(self, schema: Schema, dialect: Dialect) -> str | None:
        """The default as SQL text for this column's type; None for NULL (no default)."""
        column = schema.table(self.table).column(self.column)
        return default_sql(self.default, column.type, dialect)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        column = schema.table(self.table).column(self.column)
        if column.identity or column.generated:
            kind = "an identity" if column.identity else "a generated"
            raise InvalidOperation(
                f"cannot set a default on column {self.column!r} of {self.table!r}: it is "
                f"{kind} column, which the server fills itself",
                table=self.table,
                column=self.column,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).column(self.column).default = self.sql(schema, dialect)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        table = schema.table(self.table)
        return [dialect.set_default(table, self.column, self.sql(schema, dialect))]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        table = schema.table(self.table)
        return [dialect.set_default(table, self.column, table.column(self.column).default)]
