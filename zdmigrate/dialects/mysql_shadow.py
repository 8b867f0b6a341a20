"""The SQL of a shadow-table copy on MySQL and MariaDB (see :class:`~zdmigrate.steps.ShadowCopy`
for the plan, :mod:`zdmigrate.run.shadow` for the run).

The triggers apply each write of the original to the shadow table in the app's own
transaction, by key: an insert or update is a ``REPLACE`` of the row (an update that moves the
key then deletes the row at its old key), a delete a ``DELETE``. Where
``innodb_autoinc_lock_mode`` is 1 (MariaDB's default), a chunk's ``INSERT … SELECT`` holds the
shadow table's AUTO-INC lock to its end, which an app's trigger waits for; so a chunk must
never wait for an app while it holds that lock, or an app whose transaction goes on to write
again deadlocks with it, and is the one rolled back. Three rules keep it so:

- the chunk's rows are share-locked first, by a read that gives way (``NOWAIT``, then the
  chunk again) rather than wait for a row an app holds;
- a trigger's delete places the row before it deletes it (``INSERT IGNORE``, then
  ``DELETE``), so that it locks that row alone: a delete that finds nothing (a row the copy
  has not reached) would hold the gap after the last row copied, which the next chunk
  inserts into;
- the insert, at READ COMMITTED, reads the rows it has locked as committed (an app's insert
  it cannot see is in the shadow table through its trigger already).

The insert keeps what is there (``IGNORE``): a row the triggers placed is the newer one.
Names are the original's with a suffix, cut with a hash to the
server's 64 characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zdmigrate.dialects.mysql import METADATA
from zdmigrate.schema import join_name, split_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from zdmigrate.dialects.mysql import MySQLDialect
    from zdmigrate.steps import ShadowCopy, Statement

NAME_LIMIT = 64

_INTEGER = re.compile(r"(TINY|SMALL|MEDIUM|BIG)?INT(EGER)?\b|BOOL")
_DECIMAL = re.compile(r"(DECIMAL|NUMERIC)(\(\d+(,\d+)?\))?")
_FRACTIONAL = re.compile(r"(DATETIME|TIMESTAMP|TIME)\b")
_TEXT = re.compile(r"(VAR)?CHAR\b|(TINY|MEDIUM|LONG)?TEXT\b|ENUM\b|SET\b|JSON\b")


def shadow_name(table: str, suffix: str) -> str:
    """``table_suffix`` beside ``table``, cut with a hash to the server's limit.

    The table's name comes first so that it sorts before the copy's: a ``RENAME TABLE`` takes
    its metadata locks in name order, and must wait for the table's before it holds the
    others, which the apps' writes reach through the triggers once they hold the table's (the
    other order deadlocks the swap with them). A name cut short may sort the other way."""
    schema, name = split_name(table)
    full = f"{name}_{suffix}"
    if len(full) > NAME_LIMIT:
        digest = hashlib.sha1(full.encode()).hexdigest()[:8]
        full = f"{full[: NAME_LIMIT - len(suffix) - 10]}_{digest}_{suffix}"
    return join_name(schema, full)


@dataclass(frozen=True)
class CopiedColumns:
    """What a copy moves and how its checksum reads it, from the two tables as built."""

    names: tuple[str, ...]
    """The columns of the original the shadow table keeps, generated in neither."""
    compared: tuple[tuple[str, str], ...]
    """Column → the SQL expression (over ``{}``, the column) that reads it the same in both
    tables: as stored where the change keeps its type, else as the new type reads it."""


def compared_expression(before: str, after: str) -> str:
    """How the checksum reads a column whose type (with its character set) was ``before`` and
    is ``after``, ``{}`` standing for the column: as stored where the type is kept, else as the
    new type reads it, so that a converted value sums the same as the original it came from."""
    if before == after:
        return "{}"
    new = after.upper()
    if _INTEGER.match(new):
        return "CAST({} AS UNSIGNED)" if "UNSIGNED" in new else "CAST({} AS SIGNED)"
    if decimal := _DECIMAL.match(new):
        return f"CAST({{}} AS DECIMAL{decimal.group(2) or '(10,0)'})"
    if new.startswith(("FLOAT", "DOUBLE", "REAL")):
        return "CAST({} AS DOUBLE)"
    if new.startswith("DATE") and not new.startswith("DATETIME"):
        return "CAST({} AS DATE)"
    if fractional := _FRACTIONAL.match(new):
        kind = "TIME" if fractional.group(1) == "TIME" else "DATETIME"
        return f"CAST({{}} AS {kind}(6))"
    if _TEXT.match(new):
        return "CONVERT({} USING utf8mb4)"
    return "{}"


class ShadowSQL:
    """The statements of a shadow-table copy, quoted through the dialect."""

    def __init__(self, dialect: MySQLDialect) -> None:
        self.dialect = dialect

    def _key_match(self, copy: ShadowCopy, row: str) -> str:
        q = self.dialect.quote
        return " AND ".join(f"{q(k)} = {row}.{q(k)}" for k in copy.key)

    def statement(
        self, copy: ShadowCopy, sql: str, *, blocking: bool, **facts: object
    ) -> Statement:
        """One statement of a copy, outside any transaction; ``blocking``: it takes a table's
        metadata lock for a moment (a trigger made or dropped, a rename)."""
        facts.setdefault("table", copy.table)
        return self.dialect.statement(
            sql, METADATA if blocking else "none", transactional=False, **facts
        )

    def planned(self, copy: ShadowCopy) -> Statement:
        """The copy as plans and dry runs show it; a runner runs ``shadow``, not this text."""
        t = self.dialect.table
        outline = "\n".join(
            [
                f"-- a shadow-table copy of {t(copy.table)}, run by zdmigrate:",
                f"CREATE TABLE {t(copy.shadow)} LIKE {t(copy.table)};",
                f"ALTER TABLE {t(copy.shadow)} {copy.spec};",
                f"-- triggers on {t(copy.table)} apply every insert, update and delete to it;",
                "-- rows copied in key-ordered chunks (rows share-locked, then INSERT IGNORE … "
                "SELECT), each checked by a checksum;",
                f"-- triggers on {t(copy.shadow)} apply every write to {t(copy.old)} (a stand-in "
                "now, the original after the swap);",
                f"RENAME TABLE {t(copy.table)} TO {t(copy.old)}, {t(copy.shadow)} TO "
                f"{t(copy.table)}",
            ]
        )
        return self.statement(
            copy,
            outline,
            blocking=True,
            rewrite=True,
            scan=True,
            note=(
                "a shadow-table copy, online: the apps read and write the table throughout, "
                "and wait only for the triggers' creation and the swap, each under the lock "
                "timeout"
            ),
            shadow=copy,
        )

    def undone(self, copy: ShadowCopy) -> Statement:
        """The copy's undoing as plans show it; a runner undoes ``shadow``, not this text."""
        t = self.dialect.table
        outline = (
            f"-- the shadow-table copy of {t(copy.table)} undone, run by zdmigrate:\n"
            f"RENAME TABLE {t(copy.table)} TO {t(copy.shadow)}, {t(copy.old)} TO "
            f"{t(copy.table)};  -- if swapped in\n"
            f"-- the triggers dropped;\nDROP TABLE {t(copy.shadow)}"
        )
        note = "the original, kept in step since the swap, takes the table's name back"
        return self.statement(copy, outline, blocking=True, note=note, shadow=copy)

    def contracted(self, copy: ShadowCopy, *, keep_old: bool) -> list[Statement]:
        """After the swap: the reverse triggers dropped, then (unless ``keep_old``) the
        original."""
        drops = [
            self.statement(copy, drop, blocking=True)
            for drop in self.drop_triggers(copy, copy.reverse)
        ]
        if not keep_old:
            drop = f"DROP TABLE IF EXISTS {self.dialect.table(copy.old)}"
            note = "the original, kept in step since the swap"
            drops.append(self.statement(copy, drop, blocking=False, table=copy.old, note=note))
        return drops

    # --- building and tearing down ----------------------------------------------------------

    def build(self, copy: ShadowCopy) -> list[str]:
        """The shadow table under a scratch name, then renamed: a name ``shadow`` that exists
        is a finished build."""
        t = self.dialect.table
        building = shadow_name(copy.table, "zdm_build")
        return [
            f"DROP TABLE IF EXISTS {t(building)}",
            f"CREATE TABLE {t(building)} LIKE {t(copy.table)}",
            f"ALTER TABLE {t(building)} {copy.spec}",
            f"RENAME TABLE {t(building)} TO {t(copy.shadow)}",
        ]

    def triggers(self, copy: ShadowCopy, copied: CopiedColumns) -> list[tuple[str, str]]:
        """(name, CREATE TRIGGER) for the insert, update and delete triggers."""
        t, q = self.dialect.table, self.dialect.quote
        columns = self.dialect.columns(copied.names)
        new_values = ", ".join(f"NEW.{q(c)}" for c in copied.names)
        old_values = ", ".join(f"OLD.{q(c)}" for c in copied.names)
        replace_new = f"REPLACE INTO {t(copy.shadow)} ({columns}) VALUES ({new_values})"
        # Placed first, so that the delete locks the row alone (see the module).
        delete_old = (
            f"INSERT IGNORE INTO {t(copy.shadow)} ({columns}) VALUES ({old_values}); "
            f"DELETE FROM {t(copy.shadow)} WHERE {self._key_match(copy, 'OLD')}"
        )
        moved = " OR ".join(f"NOT (OLD.{q(k)} <=> NEW.{q(k)})" for k in copy.key)
        insert, update, delete = copy.triggers
        on = t(copy.table)
        return [
            (insert, f"CREATE TRIGGER {self._beside(copy, insert)} AFTER INSERT ON {on} "
                     f"FOR EACH ROW {replace_new}"),
            (update, f"CREATE TRIGGER {self._beside(copy, update)} AFTER UPDATE ON {on} "
                     f"FOR EACH ROW BEGIN {replace_new}; IF {moved} THEN {delete_old}; "
                     "END IF; END"),
            (delete, f"CREATE TRIGGER {self._beside(copy, delete)} AFTER DELETE ON {on} "
                     f"FOR EACH ROW BEGIN {delete_old}; END"),
        ]  # fmt: skip

    def reverse_triggers(self, copy: ShadowCopy, copied: CopiedColumns) -> list[tuple[str, str]]:
        """(name, CREATE TRIGGER) for the triggers on the shadow table that apply each write
        to ``old``, the original's name once swapped: an insert is a ``REPLACE``, an update
        an ``UPDATE`` of the shared columns (a column the change dropped keeps its value), a
        delete a ``DELETE``. Made before the swap, when ``old`` is a stand-in."""
        t, q = self.dialect.table, self.dialect.quote
        columns = self.dialect.columns(copied.names)
        new_values = ", ".join(f"NEW.{q(c)}" for c in copied.names)
        sets = ", ".join(f"{q(c)} = NEW.{q(c)}" for c in copied.names)
        key = self._key_match(copy, "OLD")
        insert, update, delete = copy.reverse
        on, old = t(copy.shadow), t(copy.old)
        return [
            (insert, f"CREATE TRIGGER {self._beside(copy, insert)} AFTER INSERT ON {on} "
                     f"FOR EACH ROW REPLACE INTO {old} ({columns}) VALUES ({new_values})"),
            (update, f"CREATE TRIGGER {self._beside(copy, update)} AFTER UPDATE ON {on} "
                     f"FOR EACH ROW UPDATE {old} SET {sets} WHERE {key}"),
            (delete, f"CREATE TRIGGER {self._beside(copy, delete)} AFTER DELETE ON {on} "
                     f"FOR EACH ROW DELETE FROM {old} WHERE {key}"),
        ]  # fmt: skip

    def drop_triggers(self, copy: ShadowCopy, names: tuple[str, ...]) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self._beside(copy, name)}" for name in names]

    def _beside(self, copy: ShadowCopy, name: str) -> str:
        return self.dialect.beside(copy.table, name)

    def objects_sql(self) -> str:
        """Rows of ``name`` and ``on_table`` (a trigger's table; for a table its type, 'BASE
        TABLE' or 'VIEW') for the tables and triggers among :names in the schema :schema
        (None: the connection's own)."""
        return """
            SELECT TABLE_NAME AS name, TABLE_TYPE AS on_table FROM information_schema.TABLES
            WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME IN :names
            UNION ALL
            SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS
            WHERE TRIGGER_SCHEMA = COALESCE(:schema, DATABASE()) AND TRIGGER_NAME IN :names"""

    def stand_in_sql(self, copy: ShadowCopy, copied: CopiedColumns) -> list[str]:
        """``old`` made before the swap, so that the reverse triggers have something to
        write: a view that shows no row of a scratch table without indexes. Writes through
        it lock nothing an app waits for: an insert appends to the scratch table, an update or
        a delete finds its WHERE impossible. (A table would take gap locks for every update
        and delete of a row it does not hold, and deadlock the apps' writes with each other.)"""
        t = self.dialect.table
        columns = self.dialect.columns(copied.names)
        sink = t(shadow_name(copy.table, "zdm_sink"))
        return [
            f"CREATE TABLE IF NOT EXISTS {sink} AS SELECT {columns} FROM {t(copy.table)} "
            "WHERE FALSE",
            f"CREATE OR REPLACE VIEW {t(copy.old)} AS SELECT {columns} FROM {sink} WHERE FALSE",
        ]

    def stand_in_drops(self, copy: ShadowCopy, view: str) -> list[str]:
        """Drop the stand-in, its view now named ``view``."""
        t = self.dialect.table
        return [
            f"DROP VIEW IF EXISTS {t(view)}",
            f"DROP TABLE IF EXISTS {t(shadow_name(copy.table, 'zdm_sink'))}",
        ]

    def columns_sql(self) -> str:
        """Rows of ``table_name``, ``name``, ``type`` (with its character set and collation)
        and ``generated`` for the columns of the tables :names in the schema :schema."""
        return """
            SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name,
                   CONCAT_WS(' ', COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME) AS type,
                   EXTRA LIKE '%%GENERATED%%' AS generated
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME IN :names
            ORDER BY ORDINAL_POSITION"""

    def copied_columns(self, copy: ShadowCopy, rows: Iterable[Any]) -> CopiedColumns:
        """The columns to copy and compare, from :meth:`columns_sql`'s rows for the original
        and the shadow table."""
        original, shadow = split_name(copy.table)[1], split_name(copy.shadow)[1]
        tables: dict[str, dict[str, tuple[str, bool]]] = {original: {}, shadow: {}}
        for row in rows:
            tables[row.table_name][row.name] = (row.type, bool(row.generated))
        before, after = tables[original], tables[shadow]
        names = tuple(
            name
            for name, (_, generated) in before.items()
            if name in after and not generated and not after[name][1]
        )
        compared = tuple(
            (name, compared_expression(before[name][0], after[name][0])) for name in names
        )
        return CopiedColumns(names, compared)

    def reads_committed_sql(self) -> str:
        """One row: whether the copy may read at READ COMMITTED, which is anywhere but where
        statements are binlogged as text (InnoDB refuses an ``INSERT … SELECT`` there)."""
        return "SELECT @@log_bin = 0 OR @@session.binlog_format <> 'STATEMENT'"

    def session_sql(self, *, on: bool, read_committed: bool) -> list[str]:
        """The copy's session keeps every warning, so that a chunk's are all read; and, where
        ``read_committed``, reads at that level (see :meth:`copy_chunk_sql`)."""
        settings = ["SET SESSION max_error_count = " + ("65535" if on else "DEFAULT")]
        if read_committed:
            level = "'READ-COMMITTED'" if on else "DEFAULT"
            settings.append(f"SET SESSION {self.dialect.isolation_variable} = {level}")
        return settings

    # --- the copy ---------------------------------------------------------------------------

    def _range(self, copy: ShadowCopy, *, first: bool, of: str | None = None) -> str:
        where = [self.dialect.key_compare(copy.key, "<=", "upto", of=of)]
        if not first:
            where.insert(0, self.dialect.key_compare(copy.key, ">", "after", of=of))
        return " AND ".join(where)

    def copy_chunk_sql(
        self,
        copy: ShadowCopy,
        copied: CopiedColumns,
        *,
        first: bool,
        locking: bool,
        overwrite: bool = False,
    ) -> str:
        """The rows after :after… (unless first) up to :upto… into the shadow table; a row
        already there stays (the triggers put the newer one), unless ``overwrite``.

        The chunk's rows are share-locked already (by the walk's boundary read, or by
        :meth:`lock_chunk_sql`), so at READ COMMITTED the copy reads them as committed, without
        locking them again (not ``locking``): a third less time than a locking read at
        REPEATABLE READ, whose next-key locks an app's insert into the chunk then waits for.
        An app's insert the chunk cannot see is in the shadow table through its trigger, and
        an app's write to a row the chunk has locked waits for it. At REPEATABLE READ the
        read locks (``locking``), as an ``INSERT … SELECT`` there does anyway."""
        t = self.dialect.table
        columns = self.dialect.columns(copied.names)
        verb = "REPLACE" if overwrite else "INSERT IGNORE"
        select = f"SELECT {columns} FROM {t(copy.table)} WHERE {self._range(copy, first=first)}"
        if locking:
            select = self.dialect.locking_read(select)
        return f"{verb} INTO {t(copy.shadow)} ({columns}) {select}"

    def lock_chunk_sql(self, copy: ShadowCopy, *, first: bool) -> str:
        """Share-lock the chunk's rows in the original, as the walk's boundary read does,
        giving way to a row an app holds: a repair then waits for no row while it holds the
        AUTO-INC lock."""
        select = f"SELECT COUNT(*) FROM {self.dialect.table(copy.table)}"
        where = self._range(copy, first=first)
        return self.dialect.locking_read(f"{select} WHERE {where}", nowait=True)

    def delete_extra_sql(self, copy: ShadowCopy, *, first: bool) -> str:
        """Delete the shadow table's rows of the chunk that the original lacks."""
        t = self.dialect.table
        return (
            f"DELETE s FROM {t(copy.shadow)} AS s WHERE {self._range(copy, first=first, of='s')} "
            f"AND NOT EXISTS (SELECT 1 FROM {t(copy.table)} WHERE {self._key_match(copy, 's')})"
        )

    def _row_crc(self, copied: CopiedColumns) -> str:
        """A row's CRC32 over the compared columns, NULLs told apart from empty values."""
        q = self.dialect.quote
        values = [template.format(q(column)) for column, template in copied.compared]
        nulls = ", ".join(f"ISNULL({q(column)})" for column, _ in copied.compared)
        return f"CRC32(CONCAT_WS('#', {', '.join(values)}, CONCAT({nulls})))"

    def chunk_sum_sql(
        self, copy: ShadowCopy, copied: CopiedColumns, table: str, *, first: bool
    ) -> str:
        """One row, ``n`` and ``summed``: the count and checksum of the chunk's rows in
        ``table``, the original or the shadow table."""
        where = self._range(copy, first=first)
        return (
            f"SELECT COUNT(*) AS n, BIT_XOR({self._row_crc(copied)}) AS summed "
            f"FROM {self.dialect.table(table)} WHERE {where}"
        )

    def both_sums_sql(self, copy: ShadowCopy, copied: CopiedColumns, *, first: bool) -> str:
        """:meth:`chunk_sum_sql` of the original and of the shadow table, in one statement (one
        snapshot): ``n``, ``summed``, then the shadow's ``n``, ``summed``."""
        source = self.chunk_sum_sql(copy, copied, copy.table, first=first)
        target = self.chunk_sum_sql(copy, copied, copy.shadow, first=first)
        return f"SELECT * FROM ({source}) AS source, ({target}) AS target"

    def counts_sql(self, copy: ShadowCopy) -> str:
        """One row, ``source`` and ``target``: the rows of both tables in one snapshot."""
        t = self.dialect.table
        return (
            f"SELECT (SELECT COUNT(*) FROM {t(copy.table)}) AS source, "
            f"(SELECT COUNT(*) FROM {t(copy.shadow)}) AS target"
        )

    def swap_sql(self, copy: ShadowCopy) -> str:
        """The swap, atomic, so that no app ever finds the table missing: the copy takes the
        table's name, the original ``old``'s, and the stand-in view that held ``old`` the
        shadow's (it is dropped after)."""
        t = self.dialect.table
        scratch = t(shadow_name(copy.table, "zdm_build"))
        return (
            f"RENAME TABLE {t(copy.old)} TO {scratch}, {t(copy.table)} TO {t(copy.old)}, "
            f"{t(copy.shadow)} TO {t(copy.table)}, {scratch} TO {t(copy.shadow)}"
        )

    def swap_back_sql(self, copy: ShadowCopy) -> str:
        """A rollback's swap: the original, kept in step, takes the table's name again."""
        t = self.dialect.table
        return f"RENAME TABLE {t(copy.table)} TO {t(copy.shadow)}, {t(copy.old)} TO {t(copy.table)}"
