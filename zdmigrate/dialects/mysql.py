"""MySQL 8 and MariaDB 10.6+: the SQL zdmigrate runs and the locks it takes.

Every online ALTER names its algorithm (``ALGORITHM=INSTANT`` or ``ALGORITHM=INPLACE,
LOCK=NONE``) so that the server refuses, rather than silently copies the table under a lock,
a change it cannot make online. Every ALTER still takes an exclusive metadata lock for a moment
at its start and end, and waits for it behind any open transaction on the table: the staged
runner bounds that wait with ``lock_wait_timeout`` and tries again (docs/running.md); the simple
executor leaves it to the caller (docs/concepts.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from zdmigrate.dialects.base import Capabilities, Dialect, SyncDirection
from zdmigrate.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Table,
    join_name,
    split_name,
)
from zdmigrate.steps import Statement

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from zdmigrate.dialects.mysql_shadow import ShadowSQL

METADATA = "EXCLUSIVE METADATA (brief)"
SHARED = "SHARED"
EXCLUSIVE = "EXCLUSIVE"
TABLE_WRITE = "WRITE (LOCK TABLES)"
ROW = "ROW"

INSTANT = "ALGORITHM=INSTANT"
INPLACE = "ALGORITHM=INPLACE, LOCK=NONE"
COPY = "ALGORITHM=COPY, LOCK=SHARED"

BACKFILL_VARIABLE = "@zdmigrate_backfill"

_RUNNER_LOCK = "LEFT(CONCAT('zdmigrate.', DATABASE()), 64)"
"""The runner lock's name: one runner per database, as on PostgreSQL."""

PLAIN_DEFAULT = re.compile(
    r"'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?|null|true|false|[bx]'[0-9a-f]*'"
    r"|(?:current_timestamp|now|localtimestamp|localtime)(?:\(\d*\))?",
    re.IGNORECASE,
)
"""Defaults that may follow DEFAULT bare; any other expression goes in parentheses."""


class MySQLDialect(Dialect):
    name = "mysql"
    default_version: ClassVar[tuple[int, ...]] = (8, 0, 36)
    isolation_variable = "transaction_isolation"
    elsif = "ELSEIF"
    lock_blocks: ClassVar[dict[str, tuple[str, ...]]] = {
        # Brief, but an exclusive metadata lock waiting behind a long transaction holds up
        # every statement queued after it, as PostgreSQL's ACCESS EXCLUSIVE does.
        METADATA: ("reads", "writes"),
        SHARED: ("writes",),
        EXCLUSIVE: ("reads", "writes"),
        TABLE_WRITE: ("reads", "writes"),
    }

    def capabilities(self) -> Capabilities:
        v = self.version
        return Capabilities(
            transactional_ddl=False,
            not_valid_constraints=False,
            not_null_from_check=False,
            enum_types=False,
            instant_add_column=v >= (8, 0, 12),
            instant_drop_column=v >= (8, 0, 29),
            instant_rename_column=v >= (8, 0, 28),
            drop_column_shrinks_indexes=True,
            index_names_per_schema=False,
            partial_indexes=False,
            foreign_key_validation_scan=True,
            max_identifier_length=64,
            unique_indexes_are_constraints=True,
        )

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects import mysql

        return mysql.dialect()

    def normalize_type(self, text: str) -> str:
        text = super().normalize_type(text)
        if text in ("BOOL", "BOOLEAN", "TINYINT(1)"):
            return "BOOL"
        # NUMERIC is a synonym the server reads back as DECIMAL, (10,0) when left out.
        if text in ("NUMERIC", "DECIMAL"):
            return "DECIMAL(10,0)"
        if text.startswith("NUMERIC("):
            return "DECIMAL" + text[len("NUMERIC") :]
        for name in ("TINYINT", "SMALLINT", "MEDIUMINT", "INTEGER", "INT", "BIGINT"):
            if text.startswith(f"{name}(") or text == name:
                rest = text.partition(")")[2] if "(" in text else text[len(name) :]
                return ("INTEGER" if name == "INT" else name) + rest
        return text

    def identity_clause(self) -> str:
        return "AUTO_INCREMENT"

    # --- one spelling for expressions and defaults -------------------------------------------

    identifier_quote = "`"
    backslash_escapes = True
    hash_comments = True

    def numeric_default(self, number: str, type_: str) -> str:
        # The server keeps a DECIMAL default at the column's scale: DEFAULT 0 reads back as 0.00.
        match = re.fullmatch(r"DECIMAL\(\d+,(\d+)\).*", type_)
        if match is None:
            return number
        try:
            return str(Decimal(number).quantize(Decimal(1).scaleb(-int(match.group(1)))))
        except InvalidOperation:
            return number

    def boolean_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def normalize_referential_action(self, action: str | None) -> str | None:
        # InnoDB's RESTRICT is NO ACTION, the default, and the server does not print it back.
        action = super().normalize_referential_action(action)
        return None if action == "RESTRICT" else action

    # --- names the server chooses ----------------------------------------------------------

    def implicit_name(
        self,
        kind: str,
        table: str,
        columns: list[str],
        *,
        ordinal: int = 1,
        column: str | None = None,
    ) -> str:
        # A unique key takes its first column's name (a clash gets "_2", not modelled).
        if kind == "primary key":
            return "PRIMARY"
        if kind == "unique":
            return columns[0]
        if kind == "foreign key":
            return f"{table}_ibfk_{ordinal}"
        return f"{table}_chk_{ordinal}"

    shared_check_numbering = True

    def primary_key_name(self, name: str | None, table: str, columns: list[str]) -> str:
        return "PRIMARY"  # whatever name it was declared with

    # --- reading a live schema -------------------------------------------------------------

    def identify_server(self, version: str) -> tuple[str, str]:
        return ("mariadb" if "mariadb" in version.lower() else "mysql"), version

    def column_types_sql(self) -> str:
        return """
            SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table"""

    def checks_sql(self) -> str:
        return """
            SELECT tc.TABLE_SCHEMA AS schema_name, tc.TABLE_NAME AS table_name,
                   tc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS expression, 1 AS validated
            FROM information_schema.TABLE_CONSTRAINTS tc
            JOIN information_schema.CHECK_CONSTRAINTS cc
              ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
             AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
            WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA IN :schemas"""

    def on_update_sql(self) -> str:
        # EXTRA reads "on update current_timestamp()" (with the precision, if any); the
        # inspector only reports it inside the default, and only when that is CURRENT_TIMESTAMP.
        return """
            SELECT TABLE_SCHEMA AS schema_name, TABLE_NAME AS table_name,
                   COLUMN_NAME AS column_name, SUBSTRING(EXTRA, 11) AS expression
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA IN :schemas AND EXTRA LIKE 'on update %%'"""

    def triggers_sql(self) -> str:
        return """
            SELECT EVENT_OBJECT_SCHEMA AS schema_name, EVENT_OBJECT_TABLE AS table_name,
                   TRIGGER_NAME AS name,
                   CONCAT('CREATE TRIGGER ', TRIGGER_NAME, ' ', ACTION_TIMING, ' ',
                          EVENT_MANIPULATION, ' ON ', EVENT_OBJECT_TABLE, ' FOR EACH ROW ',
                          ACTION_STATEMENT) AS definition
            FROM information_schema.TRIGGERS
            WHERE EVENT_OBJECT_SCHEMA IN :schemas"""

    def fold_implied_objects(self, table: Table) -> None:
        # A foreign key whose columns no index leads with gets one from the server, named after
        # the constraint, or after its first column when the constraint has no declared name.
        for fk in table.foreign_keys.values():
            implied = re.compile(rf"{re.escape(fk.name)}|{re.escape(fk.columns[0])}(_\d+)?")
            for index in list(table.indexes.values()):
                if (
                    not index.unique
                    and index.columns == fk.columns
                    and implied.fullmatch(index.name)
                ):
                    del table.indexes[index.name]
                    break

    def generated_clause(self, expression: str) -> str:
        return f"AS ({expression}) STORED"

    def literal(self, value: str) -> str:
        # Backslash escapes in string literals unless sql_mode has NO_BACKSLASH_ESCAPES.
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"

    def default_sql(self, default: str) -> str:
        # An expression default needs parentheses (MySQL 8.0.13+, MariaDB 10.2+).
        return default if PLAIN_DEFAULT.fullmatch(default.strip()) else f"({default})"

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

    def rename_table_with_view(self, old: str, new: str) -> list[Statement]:
        # DDL is not transactional here, so the swap is one atomic RENAME TABLE. An empty
        # stand-in takes the new name first so that the view can be created over it; then the
        # stand-in steps aside, the table takes the new name and the view the old one, at once.
        # A view looks its table up by name when queried: from then on it reads the real table.
        stand_in, view = self._rename_helpers(old)
        return [
            self.statement(
                f"CREATE TABLE {self.table(new)} LIKE {self.table(old)}",
                "none",
                table=new,
                note="an empty stand-in, so that the view can be created before the swap",
            ),
            self.create_view(view, new),
            self.statement(
                f"RENAME TABLE {self.table(new)} TO {self.table(stand_in)}, "
                f"{self.table(old)} TO {self.table(new)}, {self.table(view)} TO {self.table(old)}",
                METADATA,
                table=old,
                note="one atomic rename: the old name is never missing",
            ),
            self.drop_table(stand_in),
        ]

    def undo_rename_table_with_view(self, old: str, new: str) -> list[Statement]:
        _, view = self._rename_helpers(old)
        return [
            self.statement(
                f"RENAME TABLE {self.table(old)} TO {self.table(view)}, "
                f"{self.table(new)} TO {self.table(old)}",
                METADATA,
                table=new,
                note="one atomic rename: the view steps aside as the table takes its name back",
            ),
            self.drop_view(view),
        ]

    def _rename_helpers(self, old: str) -> tuple[str, str]:
        """The stand-in table and the view a table rename passes through, beside ``old``."""
        schema, name = split_name(old)
        return (
            join_name(schema, self.object_name(name, "stand_in")),
            join_name(schema, self.object_name(name, "view")),
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
        # MODIFY restates the whole column: everything but the nullability stays as it was.
        changed = dataclasses.replace(table.column(column), nullable=nullable)
        return self._alter(
            table.qualified_name,
            f"MODIFY COLUMN {self.column_definition(changed)}",
            INPLACE,
            rewrite=True,
            scan=not nullable,
            note="rebuilds the table in place; reads and writes go on",
        )

    def set_default(self, table: Table, column: str, default: str | None) -> Statement:
        action = (
            f"SET DEFAULT {self.default_sql(default)}" if default is not None else "DROP DEFAULT"
        )
        return self._alter(
            table.qualified_name, f"ALTER COLUMN {self.quote(column)} {action}", INSTANT
        )

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

    # ER_CANT_DROP_FIELD_OR_KEY, ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR, ER_TRG_DOES_NOT_EXIST.
    missing_object_errors = frozenset({"1091", "1146", "1054", "1360"})

    def error_code(self, error: BaseException) -> str | None:
        args = getattr(getattr(error, "orig", error), "args", ())
        return str(args[0]) if args and isinstance(args[0], int) else None

    def split_on_update(self, text: str) -> tuple[str, str | None]:
        # "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP": the clause is outside any quotes.
        match = re.match(r"^(.*?)\s+ON\s+UPDATE\s+(.+)$", text, re.IGNORECASE | re.DOTALL)
        if match is None or match.group(1).count("'") % 2:
            return text, None
        return match.group(1), match.group(2).strip()

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

    def foreign_key_index(self, table: Table, fk: ForeignKey) -> Index | None:
        # InnoDB needs an index whose leading columns are the foreign key's; it adds one, named
        # after the constraint, where none exists, and keeps it when the constraint is dropped.
        keys = [i.columns for i in table.indexes.values() if i.valid]
        keys += [u.columns for u in table.uniques.values()]
        if table.primary_key:
            keys.append(table.primary_key.columns)
        if any(key[: len(fk.columns)] == fk.columns for key in keys):
            return None
        return Index(name=fk.name, columns=list(fk.columns))

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
        return [
            self._row_trigger(
                table,
                name,
                event,
                f"  IF {BACKFILL_VARIABLE} IS NULL THEN\n"
                f"{self.sync_branch(table, forward, backward, inserting=inserting)}\n  END IF;",
                "keeps the old and the new columns in step for both app versions",
            )
            for event, inserting in (("INSERT", True), ("UPDATE", False))
        ]

    def row_triggers(self, table: Table, name: str, body: str, note: str) -> list[Statement]:
        return [self._row_trigger(table, name, event, body, note) for event in ("INSERT", "UPDATE")]

    def _row_trigger(self, table: Table, name: str, event: str, body: str, note: str) -> Statement:
        """A BEFORE ``event`` row trigger running ``body``; one per event, as MySQL needs."""
        return self.statement(
            f"CREATE TRIGGER {self._trigger(table.qualified_name, name, event)} "
            f"BEFORE {event} ON {self.table(table.qualified_name)} FOR EACH ROW\n"
            f"BEGIN\n{body}\nEND",
            METADATA,
            table=table.qualified_name,
            note=note,
        )

    def drop_sync_trigger(self, table: str, name: str) -> list[Statement]:
        return [
            self.statement(
                f"DROP TRIGGER IF EXISTS {self._trigger(table, name, event)}", METADATA, table=table
            )
            for event in ("INSERT", "UPDATE")
        ]

    def atomically(self, table: str, statements: list[Statement]) -> list[Statement]:
        # DDL commits on its own here, so the statements are fenced by LOCK TABLES … WRITE on
        # the executor's one connection: other sessions wait (for milliseconds: every statement
        # between only changes the catalog) instead of writing while no sync trigger is there.
        # RENAME COLUMN, ALTER COLUMN … DEFAULT and CREATE/DROP TRIGGER are allowed under it.
        lock = self.statement(
            f"LOCK TABLES {self.table(table)} WRITE",
            TABLE_WRITE,
            table=table,
            note="holds off reads and writes until UNLOCK TABLES, a few catalog changes later",
            fence="open",
        )
        unlock = self.statement("UNLOCK TABLES", "none", table=table, fence="close")
        return [lock, *statements, unlock]

    def row_trigger_names(self, name: str) -> list[str]:
        return [self._trigger_name(name, event) for event in ("INSERT", "UPDATE")]

    def _trigger_name(self, name: str, event: str) -> str:
        """One trigger per event: MySQL/MariaDB triggers fire on a single event."""
        return f"{name[: self.caps.max_identifier_length - 2]}_{event[0].lower()}"

    def _trigger(self, table: str, name: str, event: str) -> str:
        return self.beside(table, self._trigger_name(name, event))

    def assign(self, target: str, expression: str) -> str:
        return f"SET NEW.{self.quote(target)} = {expression};"

    def distinct(self, left: str, right: str) -> str:
        return f"NOT ({left} <=> {right})"

    def same(self, left: str, right: str) -> str:
        return f"{left} <=> {right}"

    # --- batched work ----------------------------------------------------------------------

    def locking_read(self, select: str, *, nowait: bool = False) -> str:
        if nowait:  # FOR SHARE and its NOWAIT are MySQL 8's alone
            return f"{select} FOR SHARE NOWAIT"
        return f"{select} LOCK IN SHARE MODE"

    def backfill_session_sql(self) -> str:
        return f"SET {BACKFILL_VARIABLE} = 1"

    def backfill_session_end_sql(self) -> str | None:
        return f"SET {BACKFILL_VARIABLE} = NULL"

    # --- running ---------------------------------------------------------------------------

    # ER_LOCK_WAIT_TIMEOUT (a row lock or a metadata lock waited too long; MariaDB's NOWAIT
    # too), ER_LOCK_DEADLOCK, ER_LOCK_NOWAIT (MySQL 8's NOWAIT)
    retryable_errors = frozenset({"1205", "1213", "3572"})

    def timeouts_sql(
        self, *, lock_timeout_ms: int | None, statement_timeout_ms: int, local: bool
    ) -> list[str]:
        # Whole seconds, at least one; session-wide even for ``local``, so callers reset them.
        # No statement limit: MySQL's max_execution_time covers only SELECT.
        if lock_timeout_ms is None:
            return []
        seconds = max(1, -(-lock_timeout_ms // 1000))
        return [
            f"SET SESSION lock_wait_timeout = {seconds}",
            f"SET SESSION innodb_lock_wait_timeout = {seconds}",
        ]

    def reset_timeouts_sql(self) -> list[str]:
        return [
            "SET SESSION lock_wait_timeout = DEFAULT",
            "SET SESSION innodb_lock_wait_timeout = DEFAULT",
        ]

    # A user lock per database (GET_LOCK names are server-wide, at most 64 characters).
    def runner_lock_sql(self) -> str:
        return f"SELECT GET_LOCK({_RUNNER_LOCK}, 0)"

    def runner_unlock_sql(self) -> str:
        return f"SELECT RELEASE_LOCK({_RUNNER_LOCK})"

    def runner_lock_holder_sql(self) -> str:
        # The connection id is there for anyone; user@host only with the PROCESS privilege.
        return f"""
            SELECT holder.pid, (SELECT CONCAT(USER, '@', HOST)
                                FROM information_schema.PROCESSLIST WHERE ID = holder.pid
                               ) AS application
            FROM (SELECT IS_USED_LOCK({_RUNNER_LOCK}) AS pid) AS holder"""

    def shadow_sql(self) -> ShadowSQL | None:
        from zdmigrate.dialects.mysql_shadow import ShadowSQL  # which takes this module's locks

        return ShadowSQL(self)

    def row_estimate_sql(self) -> str | None:
        # InnoDB's estimate from its index statistics: no scan, often 10-40 % off.
        return """
            SELECT TABLE_ROWS AS estimate FROM information_schema.TABLES
            WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name"""

    # --- throttling probes -----------------------------------------------------------------

    load_metrics: ClassVar[tuple[str, ...]] = ("Threads_running", "Threads_connected")
    """Server status variables ``--max-load`` and ``--critical-load`` take, as gh-ost's and
    pt-online-schema-change's do."""

    global_status: ClassVar[str] = "performance_schema.global_status"
    """Where the server's status variables can be selected."""

    def load_metrics_sql(self) -> dict[str, str]:
        # Names compare case-insensitively there: MariaDB's view has them in capitals.
        return {
            name: f"SELECT VARIABLE_VALUE AS value FROM {self.global_status} "
            f"WHERE VARIABLE_NAME = '{name}'"
            for name in self.load_metrics
        }

    def replica_lag_sql(self) -> str | None:
        return "SHOW REPLICA STATUS" if self.version >= (8, 0, 22) else "SHOW SLAVE STATUS"

    def replica_lag(self, row: Mapping[str, Any] | None) -> float | None:
        # No row: not a replica. Whole seconds; NULL while replication is stopped or broken,
        # when nobody knows how far behind it is: wait, as for a replica that does not answer.
        if row is None:
            return None
        seconds = row.get("Seconds_Behind_Source", row.get("Seconds_Behind_Master"))
        return float("inf") if seconds is None else float(seconds) * 1000


class MariaDBDialect(MySQLDialect):
    name = "mariadb"
    default_version = (10, 11)
    isolation_variable = "tx_isolation"  # transaction_isolation from 11.1 only

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

    def locking_read(self, select: str, *, nowait: bool = False) -> str:
        return f"{select} LOCK IN SHARE MODE" + (" NOWAIT" if nowait else "")

    # performance_schema is off by default on MariaDB; this view is always there.
    global_status = "information_schema.GLOBAL_STATUS"

    def replica_lag_sql(self) -> str | None:
        return "SHOW REPLICA STATUS"  # MariaDB 10.5.1 and later

    shared_check_numbering = False

    def implicit_name(
        self,
        kind: str,
        table: str,
        columns: list[str],
        *,
        ordinal: int = 1,
        column: str | None = None,
    ) -> str:
        # A column-level check takes its column's name; table-level ones are numbered.
        if kind == "check":
            return column if column is not None else f"CONSTRAINT_{ordinal}"
        return super().implicit_name(kind, table, columns, ordinal=ordinal, column=column)

    def checks_sql(self) -> str:
        # Check names are unique per table here, not per schema: no join on the name alone.
        return """
            SELECT CONSTRAINT_SCHEMA AS schema_name, TABLE_NAME AS table_name,
                   CONSTRAINT_NAME AS name, CHECK_CLAUSE AS expression, 1 AS validated
            FROM information_schema.CHECK_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA IN :schemas"""

    def fold_implied_objects(self, table: Table) -> None:
        # JSON is LONGTEXT with a column-level CHECK (json_valid(col)) named after the column;
        # the model keeps the type the column was declared with.
        super().fold_implied_objects(table)
        for name, column in table.columns.items():
            check = table.checks.get(name)
            implied = self.normalize_expression(f"json_valid({self.quote(name)})")
            if (
                check is not None
                and column.type.startswith("LONGTEXT")
                and check.expression == implied
            ):
                column.type = "JSON"
                del table.checks[name]
