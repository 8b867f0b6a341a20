"""What every dialect provides: capabilities, quoting, type rendering and statement builders.

Operations never compare dialect names. They read :class:`Capabilities` and call the builders
below, which return :class:`~zdmigrate.steps.Statement` objects carrying the SQL text and the
lock facts for that server. The text of every statement zdmigrate runs is written in this package.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from zdmigrate.dialects.script import split_statements
from zdmigrate.dialects.sqltext import Normalizer, is_number
from zdmigrate.errors import InvalidOperation
from zdmigrate.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Table,
    is_expression,
    join_name,
    split_name,
)
from zdmigrate.steps import BatchedUpdate, Statement

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect
    from sqlalchemy.types import TypeEngine

    from zdmigrate.dialects.mysql_shadow import ShadowSQL

BACKFILL_FLAG = "zdmigrate.backfill"
"""Set in a backfill's own transactions so that sync triggers leave its writes alone."""

OBJECT_PREFIX = "zdm_"
"""Every trigger, function, view and temporary column zdmigrate creates starts with this."""

_DROPS = re.compile(
    r"""\s*(ALTER\s+TABLE\s+(?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|[^\s"`])+\s+)?DROP\s""",
    re.IGNORECASE,
)
"""A statement that drops something: a whole object, or a table's column or constraint."""


@dataclass(frozen=True)
class Capabilities:
    transactional_ddl: bool
    not_valid_constraints: bool
    """Constraints added NOT VALID and validated later under a weak lock."""
    not_null_from_check: bool
    """SET NOT NULL skips its scan when a validated CHECK (col IS NOT NULL) exists."""
    enum_types: bool
    """Named enum types (CREATE TYPE … AS ENUM)."""
    instant_add_column: bool
    instant_drop_column: bool
    instant_rename_column: bool
    drop_column_shrinks_indexes: bool
    """Dropping a column takes it out of an index of several columns instead of dropping the
    index (and refuses to, for a unique key)."""
    index_names_per_schema: bool
    """Index names are unique in a whole schema, not per table."""
    partial_indexes: bool
    """CREATE INDEX … WHERE."""
    foreign_key_validation_scan: bool
    """Adding a checked foreign key in place is impossible; rows are checked by a separate scan."""
    max_identifier_length: int
    unique_indexes_are_constraints: bool = False
    """A unique index is the server's only kind of unique constraint (MySQL): the model keeps
    every unique index as a :class:`~zdmigrate.schema.UniqueConstraint`, never as an Index."""


@dataclass(frozen=True)
class IndexBuild:
    """An index that a statement builds outside a transaction (CREATE INDEX CONCURRENTLY)."""

    schema: str | None
    """None: the schema the table's unqualified name finds."""
    name: str
    drop: Statement
    """Drops the index, valid or not, without blocking the apps."""


@dataclass(frozen=True)
class SyncDirection:
    """One direction of a sync trigger: when a write set ``sources`` but left every target
    alone, set each target to its expression over the row's columns."""

    sources: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    defaults: tuple[tuple[str, str], ...] = ()
    """For the forward direction: columns set to a default expression on an insert that gave
    neither side. During a rename the old column's server default moves here, because a server
    default would make the old column look written by an app that never wrote it."""

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(target for target, _ in self.assignments)


class Dialect:
    name: ClassVar[str]
    default_version: ClassVar[tuple[int, ...]]
    lock_blocks: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, version: tuple[int, ...] | None = None) -> None:
        self.version = version or self.default_version
        self.caps = self.capabilities()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({'.'.join(map(str, self.version))})"

    # --- facts -----------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        raise NotImplementedError

    def sqlalchemy_dialect(self) -> SADialect:
        raise NotImplementedError

    def statement(self, sql: str, lock: str, **facts: object) -> Statement:
        """A statement whose ``blocks`` follow from the lock it takes. A lock nobody declared is
        assumed to block everything: the safe reading for a planner."""
        unknown = ("reads", "writes") if lock == "unknown" else ()
        facts.setdefault("blocks", self.lock_blocks.get(lock, unknown))
        return Statement(sql=sql, lock=lock, **facts)  # type: ignore[arg-type]

    # --- names -----------------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        preparer = self.sqlalchemy_dialect().identifier_preparer
        return str(preparer.quote_identifier(identifier))

    def table(self, qualified: str) -> str:
        schema, name = split_name(qualified)
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def beside(self, table: str, name: str) -> str:
        """The quoted name of object ``name`` (an index, trigger or function) in ``table``'s
        schema."""
        return self.table(join_name(split_name(table)[0], name))

    def columns(self, names: list[str] | tuple[str, ...]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def is_null(self, column: str) -> str:
        """``column IS NULL``: the rows a NOT NULL change must fill first."""
        return f"{self.quote(column)} IS NULL"

    def is_not_null(self, column: str) -> str:
        """``column IS NOT NULL``: the CHECK that stands in for NOT NULL until contract, and the
        one a validated copy of lets PostgreSQL's SET NOT NULL skip its scan."""
        return f"{self.quote(column)} IS NOT NULL"

    def object_name(self, *parts: str) -> str:
        """A zdmigrate object name from its parts, shortened with a hash to fit the server."""
        name = OBJECT_PREFIX + "_".join(parts)
        limit = self.caps.max_identifier_length
        if len(name) <= limit:
            return name
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        return f"{name[: limit - 9]}_{digest}"

    # --- types -----------------------------------------------------------------------------

    def render_type(self, type_: TypeEngine[object]) -> str:
        """The SQL of a SQLAlchemy type on this server. A type class stands for its instance, as
        in a SQLAlchemy Column. Anything else, or a type the server has no spelling for (ARRAY
        on MySQL), is refused with an InvalidOperation naming the type."""
        if isinstance(type_, type) and issubclass(type_, sa.types.TypeEngine):
            type_ = type_()
        if not isinstance(type_, sa.types.TypeEngine):
            raise InvalidOperation(
                f"{type_!r} is not a SQLAlchemy type such as sqlalchemy.Text() or Numeric(12, 2)"
            )
        try:
            text = str(type_.compile(dialect=self.sqlalchemy_dialect()))
        except sa.exc.UnsupportedCompilationError:
            raise InvalidOperation(f"type {type_!r} does not exist on {self.name}") from None
        except sa.exc.CompileError as exc:
            reason = exc.args[0] if exc.args else type(exc).__name__
            raise InvalidOperation(
                f"type {type_!r} cannot be used on {self.name}: {reason}"
            ) from None
        return self.normalize_type(text)

    def normalize_type(self, text: str) -> str:
        """One spelling per type, so that models from metadata, reflection and snapshots agree."""
        return re.sub(r"\s+", " ", text.strip()).replace(", ", ",")

    # --- one spelling for expressions and defaults -------------------------------------------

    identifier_quote: ClassVar[str] = '"'
    backslash_escapes: ClassVar[bool] = False
    """Backslash escapes a character inside a string literal."""
    hash_comments: ClassVar[bool] = False
    """``#`` starts a comment that runs to the end of the line."""
    dollar_quotes: ClassVar[bool] = False
    """``$tag$ … $tag$`` quotes a string (function bodies)."""

    def split_script(self, sql: str) -> list[str]:
        """The statements of a script written by a user, one per driver call."""
        return split_statements(
            sql,
            backslash_escapes=self.backslash_escapes,
            hash_comments=self.hash_comments,
            dollar_quotes=self.dollar_quotes,
        )

    @cached_property
    def normalizer(self) -> Normalizer:
        preparer = self.sqlalchemy_dialect().identifier_preparer
        return Normalizer(self.identifier_quote, self.backslash_escapes, preparer.quote)

    def normalize_expression(self, text: str, column_types: Mapping[str, str] | None = None) -> str:
        """The one spelling of a check, index predicate or expression, or generated column, that
        metadata and reflection both produce. ``column_types`` maps the table's column names to
        their model types (see :meth:`Normalizer.normalize`)."""
        return self.normalizer.normalize(text, column_types)

    def expression_columns(self, text: str, columns: list[str]) -> list[str]:
        """Which of ``columns`` the expression ``text`` mentions."""
        return self.normalizer.columns(text, columns)

    def normalize_default(self, text: str, type_: str | None = None) -> str | None:
        """The one spelling of a server default for a column of model type ``type_``, as metadata
        and reflection both produce it; None for ``NULL``, which is no default at all."""
        value = self.normalize_expression(text)
        # A literal cast to anything is redundant in a default: the server assigns it to the column.
        # The type may be quoted, or in a quoted schema ('free'::"Billing".tier).
        value = re.sub(
            r"""^('(?:[^']|'')*'|-?[\d.]+)::(?:[\w. ]|"(?:[^"]|"")*")+(\[\])*$""", r"\1", value
        )
        if value == "NULL":
            return None
        if value in ("now()", "CURRENT_TIMESTAMP()"):
            return "CURRENT_TIMESTAMP"
        family = _type_family(type_)
        if family == "numeric" and value.startswith("'") and is_number(value[1:-1]):
            value = value[1:-1]
        if family == "numeric" and is_number(value):
            return self.numeric_default(value, type_ or "")
        if family == "boolean":
            truth = _truth(value)
            if truth is not None:
                return self.boolean_literal(truth)
        return value

    def numeric_default(self, number: str, type_: str) -> str:
        """How the server prints a number default back for a column of type ``type_``."""
        return number

    def boolean_literal(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    def normalize_referential_action(self, action: str | None) -> str | None:
        """ON DELETE/ON UPDATE as the model keeps it: upper case, None for the server's default."""
        if action is None or action.upper() == "NO ACTION":
            return None
        return action.upper()

    # --- names the server chooses ----------------------------------------------------------

    shared_check_numbering: ClassVar[bool] = False
    """Unnamed column-level and table-level checks are numbered in one sequence (MySQL 8)."""

    def split_on_update(self, text: str) -> tuple[str, str | None]:
        """A server default as written or read back, and the ON UPDATE clause it carries where
        the server has one (MySQL keeps both in one place)."""
        return text, None

    def implicit_name(
        self,
        kind: str,
        table: str,
        columns: list[str],
        *,
        ordinal: int = 1,
        column: str | None = None,
    ) -> str:
        """The name the server gives an unnamed constraint ("primary key", "unique", "foreign key",
        "check"). ``columns`` are the constraint's columns; for a check, the columns its expression
        mentions. ``ordinal`` is the constraint's 1-based position among the table's unnamed
        constraints of the same kind, in the order CREATE TABLE declares them (column-level
        checks first); checks are counted per level, table or column, unless
        :attr:`shared_check_numbering`. ``column`` is the column a column-level check is
        declared on."""
        suffix = {"primary key": "pkey", "unique": "key", "foreign key": "fkey", "check": "check"}
        parts = [table] if kind in ("primary key", "check") else [table, *columns]
        return "_".join([*parts, suffix[kind]])[: self.caps.max_identifier_length]

    def primary_key_name(self, name: str | None, table: str, columns: list[str]) -> str:
        """The name a primary key has on the server, given the name it was declared with."""
        return name or self.implicit_name("primary key", table, columns)

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def default_sql(self, default: str) -> str:
        """A server default (SQL text: a literal or an expression) as it follows DEFAULT."""
        return default

    # --- reading a live schema -------------------------------------------------------------
    # Each query takes the bind parameter :schemas (a list) and returns the named columns.

    server_version_sql: ClassVar[str] = "SELECT VERSION()"

    def identify_server(self, version: str) -> tuple[str, str]:
        """The dialect name and version number of a server that answered server_version_sql."""
        return self.name, version

    def user_schemas(self, names: list[str], default: str) -> list[str]:
        """The schemas reflection reads when not told which: those that hold the app's tables."""
        return [default]

    def column_types_sql(self) -> str:
        """Rows of name, type: the server's spelling of each column type of table :table in
        schema :schema, for the types SQLAlchemy does not know."""
        raise NotImplementedError

    def checks_sql(self) -> str:
        """Rows of schema_name, table_name, name, expression, validated."""
        raise NotImplementedError

    def foreign_key_validity_sql(self) -> str | None:
        """Rows of schema_name, table_name, name, validated; None where every FK is validated."""
        return None

    def index_details_sql(self) -> str | None:
        """Rows of schema_name, table_name, name, valid, predicate (a partial index's WHERE)."""
        return None

    def on_update_sql(self) -> str | None:
        """Rows (schema_name, table_name, column_name, expression) of columns the server sets
        on every update (MySQL's ON UPDATE), or None where there is no such thing."""
        return None

    def triggers_sql(self) -> str:
        """Rows of schema_name, table_name, name, definition."""
        raise NotImplementedError

    def fold_implied_objects(self, table: Table) -> None:
        """Remove from a reflected table what the server made on its own for something declared
        (and what metadata therefore never lists), so that the two models agree."""

    # --- rendering pieces ------------------------------------------------------------------

    def column_definition(self, column: Column, *, with_default: bool = True) -> str:
        parts = [self.quote(column.name), column.type]
        if column.generated:
            parts.append(self.generated_clause(column.generated))
        if with_default and column.default is not None:
            parts.append(f"DEFAULT {self.default_sql(column.default)}")
        if column.on_update is not None:
            parts.append(f"ON UPDATE {column.on_update}")
        if not column.nullable:
            parts.append("NOT NULL")
        if column.identity:
            parts.append(self.identity_clause())
        return " ".join(parts)

    def generated_clause(self, expression: str) -> str:
        return f"GENERATED ALWAYS AS ({expression}) STORED"

    def identity_clause(self) -> str:
        raise NotImplementedError

    def foreign_key_clause(self, fk: ForeignKey) -> str:
        sql = (
            f"CONSTRAINT {self.quote(fk.name)} FOREIGN KEY ({self.columns(fk.columns)}) "
            f"REFERENCES {self.table(fk.ref_table)} ({self.columns(fk.ref_columns)})"
        )
        if fk.on_delete:
            sql += f" ON DELETE {fk.on_delete}"
        if fk.on_update:
            sql += f" ON UPDATE {fk.on_update}"
        return sql

    def index_parts(self, index: Index) -> str:
        return ", ".join(f"({c})" if is_expression(c) else self.quote(c) for c in index.columns)

    def row_expression(self, table: Table, expression: str, row: str) -> str:
        """``expression`` (over bare column names) evaluated against trigger row ``row`` (NEW)."""
        if expression in {self.quote(c) for c in table.columns}:
            return f"{row}.{expression}"
        select = ", ".join(f"{row}.{self.quote(c)} AS {self.quote(c)}" for c in table.columns)
        return f"(SELECT {expression} FROM (SELECT {select}) AS {self.quote('zdm_row')})"

    # --- tables ----------------------------------------------------------------------------

    def create_table(self, table: Table) -> list[Statement]:
        lines = [self.column_definition(c) for c in table.columns.values()]
        if table.primary_key:
            pk_name = (
                f"CONSTRAINT {self.quote(table.primary_key.name)} "
                if table.primary_key.name
                else ""
            )
            lines.append(f"{pk_name}PRIMARY KEY ({self.columns(table.primary_key.columns)})")
        lines += [
            f"CONSTRAINT {self.quote(u.name)} UNIQUE ({self.columns(u.columns)})"
            for u in table.uniques.values()
        ]
        lines += [
            f"CONSTRAINT {self.quote(c.name)} CHECK ({c.expression})" for c in table.checks.values()
        ]
        lines += [self.foreign_key_clause(fk) for fk in table.foreign_keys.values()]
        body = ",\n    ".join(lines)
        statements = [
            self.statement(
                f"CREATE TABLE {self.table(table.qualified_name)} (\n    {body}\n)",
                self.new_table_lock(table),
                table=table.qualified_name,
                note="a new table: nothing else uses it yet",
            )
        ]
        statements += [
            self.statement(
                self.create_index_sql(table.qualified_name, index, concurrently=False),
                self.new_table_lock(table),
                table=table.qualified_name,
            )
            for index in table.indexes.values()
        ]
        return statements

    def new_table_lock(self, table: Table) -> str:
        raise NotImplementedError

    def drop_table(self, qualified: str) -> Statement:
        raise NotImplementedError

    def rename_table(self, old: str, new: str) -> Statement:
        raise NotImplementedError

    def create_view(self, view: str, table: str) -> Statement:
        """An updatable view named ``view`` showing every column of ``table``."""
        return self.statement(
            f"CREATE VIEW {self.table(view)} AS SELECT * FROM {self.table(table)}",
            "none",
            table=table,
            note="the old name stays usable through a simple, updatable view",
        )

    def drop_view(self, view: str) -> Statement:
        return self.statement(f"DROP VIEW IF EXISTS {self.table(view)}", "none", table=view)

    def rename_table_with_view(self, old: str, new: str) -> list[Statement]:
        """Rename ``old`` to ``new`` and leave an updatable view under the old name, so that
        at no moment is the old name missing. Here both run in one transaction, which needs
        transactional DDL; servers without it override this."""
        return [self.rename_table(old, new), self.create_view(old, new)]

    def undo_rename_table_with_view(self, old: str, new: str) -> list[Statement]:
        """Drop the view ``old`` and give the table ``new`` its old name back, atomically."""
        return [self.drop_view(old), self.rename_table(new, old)]

    # --- columns ---------------------------------------------------------------------------

    def add_column(self, table: str, column: Column) -> Statement:
        raise NotImplementedError

    def drop_column(self, table: str, column: str, *, indexed: bool = False) -> Statement:
        """``indexed``: an index uses the column, which some servers cannot drop instantly."""
        raise NotImplementedError

    def rename_column(self, table: str, old: str, new: str) -> Statement:
        raise NotImplementedError

    def set_nullable(self, table: Table, column: str, nullable: bool) -> Statement:
        raise NotImplementedError

    def set_default(self, table: Table, column: str, default: str | None) -> Statement:
        raise NotImplementedError

    def create_index_sql(self, table: str, index: Index, *, concurrently: bool) -> str:
        raise NotImplementedError

    def create_index(self, table: str, index: Index) -> list[Statement]:
        raise NotImplementedError

    def drop_index(self, table: str, name: str) -> Statement:
        raise NotImplementedError

    missing_object_errors: ClassVar[frozenset[str]] = frozenset()
    """The server's error codes for "no such table, column, index, constraint or function"."""

    def missing_object(self, error: BaseException) -> bool:
        """``error`` says the object a statement names does not exist."""
        return self.error_code(error) in self.missing_object_errors

    def error_code(self, error: BaseException) -> str | None:
        raise NotImplementedError

    def rename_index(self, table: str, old: str, new: str) -> Statement:
        raise NotImplementedError

    def unique_from_index(self, table: str, name: str, index: str) -> list[Statement]:
        """Make the unique index ``index`` into the unique constraint ``name``."""
        raise NotImplementedError

    def add_unique(self, table: str, name: str, columns: list[str]) -> list[Statement]:
        """Every statement that turns ``columns`` into a unique constraint without a long lock."""
        raise NotImplementedError

    def add_check(self, table: str, check: CheckConstraint) -> Statement:
        raise NotImplementedError

    def add_foreign_key(self, table: str, fk: ForeignKey) -> Statement:
        raise NotImplementedError

    def foreign_key_checks(self, on: bool) -> Statement:
        """Turn the session's foreign-key checks on or off (servers that check by a scan)."""
        raise NotImplementedError

    def foreign_key_index(self, table: Table, fk: ForeignKey) -> Index | None:
        """The index the server adds by itself to back ``fk``, if it adds one. It stays when the
        foreign key is dropped."""
        return None

    def validate_constraint(self, table: Table, name: str) -> Statement:
        raise NotImplementedError

    def violating_rows(self, table: str, check: CheckConstraint) -> Statement:
        """A query returning a row that breaks ``check``, if any: the scan that stands in for
        VALIDATE on servers without NOT VALID constraints."""
        return self.statement(
            f"SELECT 1 FROM {self.table(table)} WHERE NOT ({check.expression}) LIMIT 1",
            "none",
            table=table,
            scan=True,
            expect_no_rows=True,
            note=f"every existing row of {table} must satisfy {check.expression}",
        )

    def drop_constraint(self, table: str, name: str, kind: str) -> Statement:
        raise NotImplementedError

    # --- enum types ------------------------------------------------------------------------

    def create_enum(self, qualified: str, values: list[str]) -> Statement:
        raise NotImplementedError

    def drop_enum(self, qualified: str) -> Statement:
        raise NotImplementedError

    def add_enum_value(self, qualified: str, value: str, before: str | None) -> Statement:
        raise NotImplementedError

    # --- sync triggers ---------------------------------------------------------------------

    def create_sync_trigger(
        self,
        table: Table,
        name: str,
        forward: SyncDirection,
        backward: SyncDirection | None,
    ) -> list[Statement]:
        raise NotImplementedError

    def create_fill_trigger(
        self, table: Table, name: str, column: str, expression: str
    ) -> list[Statement]:
        """A trigger that replaces a NULL written into ``column`` (on insert and update) with
        ``expression`` over the row's columns. ``drop_sync_trigger`` drops it."""
        fill = self.assign(column, self.row_expression(table, expression, "NEW"))
        body = f"  IF NEW.{self.quote(column)} IS NULL THEN {fill} END IF;"
        note = "fills the NULLs an app that does not know the column's rule writes"
        return self.row_triggers(table, name, body, note)

    def row_triggers(self, table: Table, name: str, body: str, note: str) -> list[Statement]:
        """BEFORE INSERT and BEFORE UPDATE row triggers named after ``name`` that run ``body``,
        the server's procedural SQL, on the NEW row."""
        raise NotImplementedError

    def drop_sync_trigger(self, table: str, name: str) -> list[Statement]:
        raise NotImplementedError

    def row_trigger_names(self, name: str) -> list[str]:
        """The names the server knows the row triggers made for ``name`` by: one trigger
        serves every event here; servers with one trigger per event override this."""
        return [name]

    def atomically(self, table: str, statements: list[Statement]) -> list[Statement]:
        """``statements`` (all transactional) made to take effect together, with no write to
        ``table`` landing between them: a column swap whose sync trigger is replaced. Where DDL
        is transactional the executor already runs consecutive transactional statements in one
        transaction; servers without it override this."""
        return statements

    elsif: ClassVar[str]

    def assign(self, target: str, expression: str) -> str:
        """One assignment to the trigger's NEW row."""
        raise NotImplementedError

    def distinct(self, left: str, right: str) -> str:
        return f"{left} IS DISTINCT FROM {right}"

    def same(self, left: str, right: str) -> str:
        return f"{left} IS NOT DISTINCT FROM {right}"

    def sync_branch(
        self,
        table: Table,
        forward: SyncDirection,
        backward: SyncDirection | None,
        *,
        inserting: bool,
    ) -> str:
        """The IF … END IF that picks the direction a write needs.

        An insert goes forward when it left every forward target NULL but gave a source; an
        update goes forward when it changed a source and left every target as it was. The
        backward direction is the mirror image, for the app version that writes the new side.
        """

        def new(column: str) -> str:
            return f"NEW.{self.quote(column)}"

        def wants(d: SyncDirection) -> str:
            if inserting:
                unset = " AND ".join(f"{new(t)} IS NULL" for t in d.targets)
                given = " OR ".join(f"{new(s)} IS NOT NULL" for s in d.sources)
                return f"{unset} AND ({given})"
            changed = " OR ".join(self.distinct(new(s), f"OLD.{self.quote(s)}") for s in d.sources)
            kept = " AND ".join(self.same(new(t), f"OLD.{self.quote(t)}") for t in d.targets)
            return f"({changed}) AND {kept}"

        def assignments(d: SyncDirection) -> str:
            return " ".join(
                self.assign(t, self.row_expression(table, e, "NEW")) for t, e in d.assignments
            )

        sql = f"    IF {wants(forward)} THEN {assignments(forward)}"
        if backward:
            sql += f"\n    {self.elsif} {wants(backward)} THEN {assignments(backward)}"
        if inserting and forward.defaults:
            columns = (*forward.sources, *forward.targets)
            unset = " AND ".join(f"{new(c)} IS NULL" for c in columns)
            defaults = " ".join(self.assign(c, e) for c, e in forward.defaults)
            sql += f"\n    {self.elsif} {unset} THEN {defaults}"
        return sql + "\n    END IF;"

    # --- batched work ----------------------------------------------------------------------

    def backfill(self, update: BatchedUpdate) -> Statement:
        """The statement a planner shows for a batched backfill; runners use ``batched``."""
        sets = ", ".join(f"{self.quote(c)} = {e}" for c, e in update.assignments)
        where = f" WHERE {update.where}" if update.where else ""
        return self.statement(
            f"UPDATE {self.table(update.table)} SET {sets}{where}",
            self.row_lock(),
            table=update.table,
            scan=True,
            batched=update,
            note=f"runs in batches of rows ordered by ({', '.join(update.key)})",
        )

    def row_lock(self) -> str:
        raise NotImplementedError

    def key_compare(
        self, key: tuple[str, ...], op: str, prefix: str, *, of: str | None = None
    ) -> str:
        """``(k1, k2) > (:prefix0, :prefix1)`` for a key of any width; ``of``: the columns
        qualified by that table alias."""
        cols = ", ".join(f"{of}.{self.quote(k)}" if of else self.quote(k) for k in key)
        params = ", ".join(f":{prefix}{i}" for i in range(len(key)))
        if len(key) == 1:
            return f"{cols} {op} {params}"
        return f"({cols}) {op} ({params})"

    def batch_end_sql(self, update: BatchedUpdate) -> str:
        """The key of the table's last row: where a backfill's walk ends. Rows the apps insert
        past it come after the sync triggers, which have filled them already."""
        order = ", ".join(f"{self.quote(c)} DESC" for c in update.key)
        return (
            f"SELECT {self.columns(update.key)} FROM {self.table(update.table)} "
            f"ORDER BY {order} LIMIT 1"
        )

    def batch_boundary_sql(
        self, update: BatchedUpdate, *, first: bool, bounded: bool = False, rows: int = 1
    ) -> str:
        """The key of the last row of the next batch (bind :offset, and :after0… past the
        first); ``bounded``: among the rows up to :end0…, the walk's end. ``rows``: that many
        rows from there (a locking read's of the row after the batch too)."""
        where = [] if first else [self.key_compare(update.key, ">", "after")]
        if bounded:
            where.append(self.key_compare(update.key, "<=", "end"))
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        key = self.columns(update.key)
        return (
            f"SELECT {key} FROM {self.table(update.table)}{where_sql} "
            f"ORDER BY {key} LIMIT {rows} OFFSET :offset"
        )

    def batch_update_sql(
        self, update: BatchedUpdate, *, first: bool, last: bool, restate: tuple[str, ...] = ()
    ) -> str:
        """One batch: rows after :after… (unless first) up to :upto… (unless last). Each column
        in ``restate`` is set to itself (see :meth:`restated_columns_sql`).

        The text is for ``sqlalchemy.text``: a colon in the user's expressions is escaped, so
        that ``':x'`` in a literal is not taken for a bind parameter."""

        def escaped(expression: str) -> str:
            return expression.replace(":", "\\:")

        assignments = [*update.assignments, *((c, self.quote(c)) for c in restate)]
        sets = ", ".join(f"{self.quote(c)} = {escaped(e)}" for c, e in assignments)
        where = []
        if not first:
            where.append(self.key_compare(update.key, ">", "after"))
        if not last:
            where.append(self.key_compare(update.key, "<=", "upto"))
        if update.where:
            where.append(f"({escaped(update.where)})")
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        return f"UPDATE {self.table(update.table)} SET {sets}{where_sql}"

    def locking_read(self, select: str, *, nowait: bool = False) -> str:
        """``select`` as a read that share-locks the rows it reads, to the transaction's end;
        ``nowait``: one that fails at once (a retryable error) on a row locked by another."""
        return f"{select} FOR SHARE" + (" NOWAIT" if nowait else "")

    def backfill_session_sql(self) -> str:
        """Run at the start of each backfill transaction: marks writes as the backfill's own."""
        raise NotImplementedError

    def backfill_session_end_sql(self) -> str | None:
        """Run when a backfill is done, where the mark outlives its transaction."""
        return None

    def backfill_connection_sql(self, *, on: bool) -> list[str]:
        """Settings of the connection a backfill runs its batches on (``on``), or their reset
        when it is done with it (not ``on``)."""
        return []

    def restated_columns_sql(self) -> str | None:
        """The columns (rows of ``name``) of table :table that a batch should set to
        themselves, because the server indexes a row written that way more cheaply; None
        where no column gains from it."""
        return None

    def shadow_sql(self) -> ShadowSQL | None:
        """The statements of a shadow-table copy; None where zdmigrate cannot copy a table
        online on this server."""
        return None

    def row_estimate_sql(self) -> str | None:
        """One row, ``estimate``: the server's cheap guess of the rows in a table (None or a
        negative number when it has none). Binds: :table, the quoted qualified name; :schema
        (None: the connection's own) and :name, the bare parts."""
        return None

    def batch_range_count_sql(self, update: BatchedUpdate, *, first: bool) -> str:
        """The rows after :after… (unless first) up to :end0…: a backfill's work left."""
        where = [self.key_compare(update.key, "<=", "end")]
        if not first:
            where.insert(0, self.key_compare(update.key, ">", "after"))
        return f"SELECT COUNT(*) FROM {self.table(update.table)} WHERE {' AND '.join(where)}"

    # --- throttling probes -----------------------------------------------------------------

    def replication_lag_sql(self) -> str | None:
        """On the primary: one row, ``lag_ms``, the largest replay lag of its replicas (NULL
        or 0 when none lags); None where the primary cannot tell."""
        return None

    def replica_lag_sql(self) -> str | None:
        """On a replica: the statement whose first row :meth:`replica_lag` reads; None where
        zdmigrate cannot ask a replica."""
        return None

    def replica_lag(self, row: Mapping[str, Any] | None) -> float | None:
        """How far the replica replays behind its primary, in ms, from the first row of
        :meth:`replica_lag_sql` (None: no row); None when the server is not a replica."""
        if row is None or not row["replica"]:
            return None
        return float(row["lag_ms"] or 0)

    def load_metrics_sql(self) -> dict[str, str]:
        """Load metric name → a query of one row, ``value``: what ``--max-load NAME=N`` and
        ``--critical-load NAME=N`` compare N with."""
        return {}

    # --- running: lock waits, retries, resuming, the runner's own lock ----------------------

    retryable_errors: ClassVar[frozenset[str]] = frozenset()
    """Error codes after which the same statement or batch can simply be tried again: a lock
    wait that timed out, a deadlock, a serialization failure."""

    def retryable(self, error: BaseException) -> bool:
        return self.error_code(error) in self.retryable_errors

    def timeouts_sql(
        self, *, lock_timeout_ms: int | None, statement_timeout_ms: int, local: bool
    ) -> list[str]:
        """Set how long a statement may wait for a lock (None: leave as is) and run (0: no
        limit); ``local``: for the current transaction only."""
        raise NotImplementedError

    def reset_timeouts_sql(self) -> list[str]:
        """Undo :meth:`timeouts_sql` with ``local=False``."""
        raise NotImplementedError

    def already_applied(self, error: BaseException, statement: Statement) -> bool:
        """``statement``, run again after an interruption, failed because the interrupted run
        had finished it: a drop of what is gone. Only asked of statements outside a
        transaction, whose effect a runner cannot record atomically with its own state."""
        return self.missing_object(error) and _DROPS.match(statement.sql) is not None

    def index_build(self, statement: Statement) -> IndexBuild | None:
        """The index ``statement`` builds outside a transaction, where a failed build leaves an
        invalid index behind under its name; else None."""
        return None

    def index_validity_sql(self) -> str:
        """One row with the column ``valid`` for the index named :name in schema :schema (NULL:
        the current schema), or no row when there is no such index."""
        raise NotImplementedError

    def runner_lock_sql(self) -> str:
        """Try to take the session lock that keeps one runner per database: one row, true if
        taken. The lock lasts until :meth:`runner_unlock_sql` or the session's end."""
        raise NotImplementedError

    def runner_unlock_sql(self) -> str:
        raise NotImplementedError

    def runner_lock_holder_sql(self) -> str:
        """Rows of ``pid`` and ``application`` for the session that holds the runner lock (no
        row, or a NULL pid: nobody holds it)."""
        raise NotImplementedError

    def session_name_sql(self) -> str | None:
        """Name the session (bind :name) where the server shows names to other sessions."""
        return None


def _type_family(type_: str | None) -> str | None:
    """The family ("numeric", "boolean") of a type whose defaults need one spelling of a value."""
    if type_ is None:
        return None
    head = type_.split("(")[0].split()[0].upper() if type_.strip() else ""
    if head in ("BOOL", "BOOLEAN"):
        return "boolean"
    numeric = ("SMALLINT", "INTEGER", "INT", "BIGINT", "TINYINT", "MEDIUMINT", "NUMERIC", "DECIMAL")
    if head in (*numeric, "REAL", "FLOAT", "DOUBLE"):
        return "numeric"
    return None


def _truth(value: str) -> bool | None:
    """The truth value a boolean default spells, however it is written."""
    bare = value.strip("'").lower()
    if bare in ("true", "t", "1", "yes", "on"):
        return True
    if bare in ("false", "f", "0", "no", "off"):
        return False
    return None
