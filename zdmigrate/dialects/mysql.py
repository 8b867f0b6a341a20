"""MySQL 8 and MariaDB 10.6+: the SQL zdmigrate runs and the locks it takes.

Every online ALTER names its algorithm (``ALGORITHM=INSTANT`` or ``ALGORITHM=INPLACE,
LOCK=NONE``) so that the server refuses, rather than silently copies the table under a lock,
a change it cannot make online. Every ALTER still takes an exclusive metadata lock for a moment
at its start and end; the runner bounds that wait with ``lock_wait_timeout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from zdmigrate.dialects.base import Capabilities, Dialect, SyncDirection
from zdmigrate.schema import CheckConstraint, Column, ForeignKey, Index, Table, split_name
from zdmigrate.steps import Statement

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

METADATA = "EXCLUSIVE METADATA (brief)"
SHARED = "SHARED"
EXCLUSIVE = "EXCLUSIVE"
ROW = "ROW"

INSTANT = "ALGORITHM=INSTANT"
INPLACE = "ALGORITHM=INPLACE, LOCK=NONE"
COPY = "ALGORITHM=COPY, LOCK=SHARED"

BACKFILL_VARIABLE = "@zdmigrate_backfill"


class MySQLDialect(Dialect):
    name = "mysql"
    default_version: ClassVar[tuple[int, ...]] = (8, 0, 36)
    elsif = "ELSEIF"
    lock_blocks: ClassVar[dict[str, tuple[str, ...]]] = {
        SHARED: ("writes",),
        EXCLUSIVE: ("reads", "writes"),
    }

    def capabilities(self) -> Capabilities:
        v = self.version
        return Capabilities(
            transactional_ddl=False,
            concurrent_index=False,
            not_valid_constraints=False,
            not_null_from_check=False,
            enum_types=False,
            schemas=True,
            online_alter_clauses=True,
            instant_add_column=v >= (8, 0, 12),
            instant_drop_column=v >= (8, 0, 29),
            instant_rename_column=v >= (8, 0, 28),
            nullable_change_rebuilds=True,
            partial_indexes=False,
            foreign_key_validation_scan=True,
            max_identifier_length=64,
        )

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects import mysql

        return mysql.dialect()

    def normalize_type(self, text: str) -> str:
        text = super().normalize_type(text)
        if text in ("BOOL", "BOOLEAN", "TINYINT(1)"):
            return "BOOL"
        for name in ("TINYINT", "SMALLINT", "MEDIUMINT", "INTEGER", "INT", "BIGINT"):
            if text.startswith(f"{name}(") or text == name:
                rest = text.partition(")")[2] if "(" in text else text[len(name) :]
                return ("INTEGER" if name == "INT" else name) + rest
        return text

    def identity_clause(self) -> str:
        return "AUTO_INCREMENT"

    def generated_clause(self, expression: str) -> str:
        return f"AS ({expression}) STORED"

    def new_table_lock(self, table: Table) -> str:
        return METADATA if table.foreign_keys else "none"

    def row_lock(self) -> str:
        return ROW

    def _alter(self, table: str, action: str, algorithm: str, **facts: object) -> Statement:
        online = algorithm != COPY
        facts.setdefault("table", table)
        facts.setdefault("online", online)
        facts.setdefault("rewrite", algorithm == COPY)
        return self.statement(
            f"ALTER TABLE {self.table(table)} {action}, {algorithm}",
            METADATA if online else SHARED,
            **facts,
        )

    # --- tables ----------------------------------------------------------------------------

    def drop_table(self, qualified: str) -> Statement:
        return self.statement(f"DROP TABLE {self.table(qualified)}", METADATA, table=qualified)

    def rename_table(self, old: str, new: str) -> Statement:
        return self.statement(
            f"RENAME TABLE {self.table(old)} TO {self.table(new)}", METADATA, table=old
        )

    # --- columns ---------------------------------------------------------------------------

    def add_column(self, table: str, column: Column) -> Statement:
        algorithm = INSTANT if self.caps.instant_add_column else INPLACE
        return self._alter(table, f"ADD COLUMN {self.column_definition(column)}", algorithm)

    def drop_column(self, table: str, column: str, *, indexed: bool = False) -> Statement:
        if self.caps.instant_drop_column and not indexed:
            return self._alter(table, f"DROP COLUMN {self.quote(column)}", INSTANT)
        return self._alter(
            table,
            f"DROP COLUMN {self.quote(column)}",
            INPLACE,
            rewrite=True,
            note="rebuilds the table in place; reads and writes go on",
        )

    def rename_column(self, table: str, old: str, new: str) -> Statement:
        algorithm = INSTANT if self.caps.instant_rename_column else INPLACE
        return self._alter(
            table, f"RENAME COLUMN {self.quote(old)} TO {self.quote(new)}", algorithm
        )

    def set_nullable(self, table: Table, column: str, nullable: bool) -> Statement:
        col = table.column(column)
        changed = Column(
            name=col.name,
            type=col.type,
            nullable=nullable,
            default=col.default,
            identity=col.identity,
            generated=col.generated,
        )
        return self._alter(
            table.qualified_name,
            f"MODIFY COLUMN {self.column_definition(changed)}",
            INPLACE,
            rewrite=True,
            scan=not nullable,
            note="rebuilds the table in place; reads and writes go on",
        )

    def set_default(self, table: Table, column: str, default: str | None) -> Statement:
        action = f"SET DEFAULT {default}" if default is not None else "DROP DEFAULT"
        return self._alter(
            table.qualified_name, f"ALTER COLUMN {self.quote(column)} {action}", INSTANT
        )

    def alter_column_type(self, table: Table, column: str, type_: str, using: str) -> Statement:
        col = table.column(column)
        changed = Column(
            name=col.name,
            type=type_,
            nullable=col.nullable,
            default=col.default,
            identity=col.identity,
            generated=col.generated,
        )
        return self._alter(
            table.qualified_name,
            f"MODIFY COLUMN {self.column_definition(changed)}",
            COPY,
            scan=True,
            note="copies the table and blocks writes; use a shadow-table copy instead",
        )

    # --- indexes and constraints -----------------------------------------------------------

    def create_index_sql(self, table: str, index: Index, *, concurrently: bool) -> str:
        unique = "UNIQUE " if index.unique else ""
        return (
            f"CREATE {unique}INDEX {self.quote(index.name)} "
            f"ON {self.table(table)} ({self.index_parts(index)})"
        )

    def create_index(self, table: str, index: Index) -> list[Statement]:
        unique = "UNIQUE " if index.unique else ""
        return [
            self._alter(
                table,
                f"ADD {unique}INDEX {self.quote(index.name)} ({self.index_parts(index)})",
                INPLACE,
                scan=True,
                note="built in place: reads and writes go on",
            )
        ]

    def drop_index(self, table: str, name: str) -> Statement:
        return self._alter(table, f"DROP INDEX {self.quote(name)}", INPLACE)

    def rename_index(self, table: str, old: str, new: str) -> Statement:
        return self._alter(table, f"RENAME INDEX {self.quote(old)} TO {self.quote(new)}", INPLACE)

    def add_unique(self, table: str, name: str, columns: list[str]) -> list[Statement]:
        return self.create_index(table, Index(name=name, columns=columns, unique=True))

    def unique_from_index(self, table: str, name: str, index: str) -> list[Statement]:
        # A unique index is the unique constraint here: only its name changes.
        return [self.rename_index(table, index, name)] if name != index else []

    def add_check(self, table: str, check: CheckConstraint) -> Statement:
        return self._alter(
            table,
            f"ADD CONSTRAINT {self.quote(check.name)} CHECK ({check.expression})",
            COPY,
            note="the server checks a new CHECK only by copying the table under a write lock",
        )

    def add_foreign_key(self, table: str, fk: ForeignKey) -> Statement:
        return self._alter(
            table,
            f"ADD {self.foreign_key_clause(fk)}",
            INPLACE,
            note="in place only with foreign_key_checks off; rows are checked by a later scan",
        )

    def foreign_key_checks(self, on: bool) -> Statement:
        return self.statement(f"SET SESSION foreign_key_checks = {int(on)}", "none")

    def foreign_key_orphans(self, fk: ForeignKey, table: str) -> Statement:
        """A query returning one orphan row if any: the check a NOT VALID + VALIDATE would do."""
        join = " AND ".join(
            f"p.{self.quote(r)} = c.{self.quote(c)}"
            for c, r in zip(fk.columns, fk.ref_columns, strict=True)
        )
        present = " AND ".join(f"c.{self.quote(c)} IS NOT NULL" for c in fk.columns)
        missing = f"p.{self.quote(fk.ref_columns[0])} IS NULL"
        return self.statement(
            f"SELECT 1 FROM {self.table(table)} AS c "
            f"LEFT JOIN {self.table(fk.ref_table)} AS p ON {join} "
            f"WHERE {present} AND {missing} LIMIT 1",
            "none",
            table=table,
            scan=True,
            expect_no_rows=True,
            note=f"checks that every existing row has its parent (constraint {fk.name})",
        )

    def validate_constraint(self, table: Table, name: str) -> Statement:
        return self.foreign_key_orphans(table.foreign_keys[name], table.qualified_name)

    def drop_constraint(self, table: str, name: str, kind: str) -> Statement:
        action = {
            "foreign key": f"DROP FOREIGN KEY {self.quote(name)}",
            "unique": f"DROP INDEX {self.quote(name)}",
        }.get(kind, f"DROP CONSTRAINT {self.quote(name)}")
        return self._alter(table, action, INPLACE)

    # --- sync triggers ---------------------------------------------------------------------

    def create_sync_trigger(
        self,
        table: Table,
        name: str,
        forward: SyncDirection,
        backward: SyncDirection | None,
    ) -> list[Statement]:
        statements = []
        for event, inserting in (("INSERT", True), ("UPDATE", False)):
            branch = self.sync_branch(table, forward, backward, inserting=inserting)
            statements.append(
                self.statement(
                    f"CREATE TRIGGER {self._trigger(table.qualified_name, name, event)} "
                    f"BEFORE {event} ON {self.table(table.qualified_name)} FOR EACH ROW\n"
                    f"BEGIN\n  IF {BACKFILL_VARIABLE} IS NULL THEN\n{branch}\n  END IF;\nEND",
                    METADATA,
                    table=table.qualified_name,
                    note="keeps the old and the new columns in step for both app versions",
                )
            )
        return statements

    def drop_sync_trigger(self, table: str, name: str) -> list[Statement]:
        return [
            self.statement(
                f"DROP TRIGGER IF EXISTS {self._trigger(table, name, event)}", METADATA, table=table
            )
            for event in ("INSERT", "UPDATE")
        ]

    def _trigger(self, table: str, name: str, event: str) -> str:
        schema, _ = split_name(table)
        trigger = f"{name[: self.caps.max_identifier_length - 2]}_{event[0].lower()}"
        return self.table(f"{schema}.{trigger}" if schema else trigger)

    def assign(self, target: str, expression: str) -> str:
        return f"SET NEW.{self.quote(target)} = {expression};"

    def distinct(self, left: str, right: str) -> str:
        return f"NOT ({left} <=> {right})"

    def same(self, left: str, right: str) -> str:
        return f"{left} <=> {right}"

    # --- batched work ----------------------------------------------------------------------

    def backfill_session_sql(self) -> str:
        return f"SET {BACKFILL_VARIABLE} = 1"

    def backfill_session_end_sql(self) -> str | None:
        return f"SET {BACKFILL_VARIABLE} = NULL"


class MariaDBDialect(MySQLDialect):
    name = "mariadb"
    default_version = (10, 11)

    def capabilities(self) -> Capabilities:
        v = self.version
        base = super().capabilities()
        return Capabilities(
            **{
                **base.__dict__,
                "instant_add_column": v >= (10, 3, 2),
                "instant_drop_column": v >= (10, 4),
                "instant_rename_column": v >= (10, 5, 2),
            }
        )

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects.mysql import mariadbconnector

        return mariadbconnector.dialect()
