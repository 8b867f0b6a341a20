"""ALTER TABLE read clause by clause: what each clause costs on the server, and what it does to
the schema model.

:class:`TableEditor` reads the clauses of one ALTER TABLE (and the CREATE INDEX / DROP INDEX
forms of the same changes) into :class:`Change` objects, each with its
:class:`~zdmigrate.analyze.mysql_online.Cost` from the server's facts, and applies each change to
the model as it goes, so a later clause (and a later statement) sees what an earlier one made.
A table the model does not know is read all the same; where a verdict needs the table's old
definition (the type a MODIFY changes from), the change's cost is None: unknown, said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from sqlglot import TokenType

from zdmigrate.analyze import mysql_online as online
from zdmigrate.analyze import mysql_rules as rules
from zdmigrate.analyze.mysql_online import Algorithm, Cost, Lock, Server
from zdmigrate.analyze.mysql_tokens import (
    INDEX_KINDS,
    ColumnDefinition,
    ColumnType,
    Cursor,
    KeyDefinition,
    Unreadable,
    column_definition,
    key_definition,
    model_type,
    split_top,
)
from zdmigrate.schema import (
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
    split_name,
    uses_column,
)

if TYPE_CHECKING:
    from sqlglot import Token

    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Rule
    from zdmigrate.schema import Column, Schema

TYPE_REMEDY = (
    "ops.ChangeColumnType adds a new column kept in sync by triggers, fills it in batches and "
    f"swaps it in contract; {rules.SHADOW_COPY}."
)
REBUILD_REMEDY = f"Run it at a quiet time with replication lag watched; {rules.SHADOW_COPY}."
REMEDIES = {
    "type": TYPE_REMEDY,
    "not null": "ops.SetNotNull fills the NULLs in batches first; the rebuild itself stays "
    f"in place. {rules.SHADOW_COPY}.",
    "foreign key": "Run SET SESSION foreign_key_checks = 0 before it (the key is then added "
    "in place) and check the existing rows with a query apart: ops.AddForeignKey does both.",
    "check": f"ops.AddCheckConstraint checks the rows first; {rules.SHADOW_COPY}.",
    "primary key": "Drop and add the primary key in the same ALTER TABLE (in place), or "
    f"{rules.SHADOW_COPY}.",
    "stored": "A VIRTUAL generated column is added instantly; a STORED one needs "
    f"{rules.SHADOW_COPY}.",
    "index": f"{rules.SHADOW_COPY[0].upper()}{rules.SHADOW_COPY[1:]}; or build the index on a "
    "replica and fail over.",
    "add column": "Add the column as the last one (instant from MySQL 8.0.12, anywhere from "
    f"8.0.29); {rules.SHADOW_COPY}.",
    "rebuild": REBUILD_REMEDY,
    "unknown": rules.VERDICT_UNKNOWN.help,
}
METADATA_OPTIONS = frozenset(
    {
        *("AUTO_INCREMENT", "COMMENT", "STATS_PERSISTENT", "STATS_AUTO_RECALC"),
        *("STATS_SAMPLE_PAGES", "AVG_ROW_LENGTH", "MAX_ROWS", "MIN_ROWS", "PACK_KEYS"),
        *("CHECKSUM", "DELAY_KEY_WRITE", "CONNECTION", "PASSWORD", "INSERT_METHOD"),
    }
)
REBUILD_OPTIONS = frozenset(
    {"ROW_FORMAT", "KEY_BLOCK_SIZE", "PAGE_COMPRESSED", "PAGE_COMPRESSION_LEVEL"}
    | {"COMPRESSION", "ENCRYPTION", "ENCRYPTED", "ENCRYPTION_KEY_ID", "TRANSACTIONAL"}
)
UNANALYSED = (
    *("PARTITION BY", "REMOVE PARTITIONING", "ADD PARTITION", "DROP PARTITION"),
    *("REORGANIZE PARTITION", "COALESCE PARTITION", "TRUNCATE PARTITION", "EXCHANGE PARTITION"),
    *("ANALYZE PARTITION", "CHECK PARTITION", "OPTIMIZE PARTITION", "REBUILD PARTITION"),
    *("REPAIR PARTITION", "DISCARD", "IMPORT", "ORDER BY", "ADD PERIOD", "DROP PERIOD"),
    *("ADD SYSTEM VERSIONING", "DROP SYSTEM VERSIONING", "WITH VALIDATION"),
    *("WITHOUT VALIDATION", "SECONDARY_LOAD", "SECONDARY_UNLOAD", "UPGRADE PARTITIONING"),
)
"""Clauses of the grammar whose online facts are not modelled here: their verdict is unknown."""
Choice = TypeVar("Choice", Algorithm, Lock)


@dataclass(frozen=True)
class Change:
    what: str
    """What the change does, for messages: "changes orders.amount from INTEGER to BIGINT"."""
    cost: Cost | None
    """None where the analyser cannot tell (the old definition is not in the model)."""
    remedy: str
    column: str | None = None
    breaks: tuple[Rule, str] | None = None
    """A rule the change breaks for the app version still running, and why."""
    primary_key: str | None = None
    """"drop" or "add" for a change of the primary key: the two together are in place."""


@dataclass
class Session:
    """Session settings that earlier statements of the text made."""

    foreign_key_checks: bool = True
    lock_wait_timeout: bool = False


@dataclass
class AlterRequest:
    """One ALTER TABLE (or CREATE/DROP INDEX) as read: its changes and explicit clauses."""

    table: str
    changes: list[Change] = field(default_factory=list)
    algorithm: Algorithm | None = None
    lock: Lock | None = None
    own_timeout: bool = False
    """MariaDB's WAIT n / NOWAIT bound this statement's wait for its metadata lock."""


class TableEditor:
    """Reads the changes of statements on one table and applies them to ``schema``."""

    def __init__(
        self,
        schema: Schema,
        table: str,
        dialect: Dialect,
        session: Session,
        charsets: dict[str, str],
        sql: str,
    ) -> None:
        self.schema = schema
        self.name = table
        self.dialect = dialect
        self.server = Server(dialect.name == "mariadb", dialect.version)
        self.session = session
        self.charsets = charsets
        """Default character set of tables created in the text."""
        self.sql = sql

    @property
    def table(self) -> Table | None:
        """The model of the table, to read or change; None where the model does not know it.
        (``Schema.table`` hands out a private copy of a table the schema shares.)"""
        return self.schema.table(self.name) if self.name in self.schema.tables else None

    # --- reading ---------------------------------------------------------------------------

    def alter(self, cursor: Cursor, request: AlterRequest) -> None:
        """The clauses after ``ALTER TABLE name`` (and MariaDB's WAIT/NOWAIT)."""
        if cursor.accept("WAIT"):
            cursor.value()
            request.own_timeout = True
        elif cursor.accept("NOWAIT"):
            request.own_timeout = True
        for clause in split_top(cursor.rest()):
            self.clause(Cursor(clause, self.sql), request)
        keys = {change.primary_key for change in request.changes}
        if {"drop", "add"} <= keys:
            request.changes = [
                replace(change, cost=self.server.drop_primary_key(replaced=True))
                if change.primary_key == "drop"
                else change
                for change in request.changes
            ]

    def clause(self, c: Cursor, request: AlterRequest) -> None:
        if c.accept("ALGORITHM"):
            request.algorithm = option_value(c, Algorithm, "ALGORITHM")
        elif c.accept("LOCK"):
            request.lock = option_value(c, Lock, "LOCK")
        elif c.at(*UNANALYSED):
            request.changes.append(self._unknown(c.rest()))
        elif c.accept("ADD"):
            request.changes += self._add(c)
        elif c.accept("DROP"):
            request.changes += self._drop(c)
        elif c.accept("MODIFY"):
            c.accept("COLUMN")
            c.accept("IF EXISTS")
            definition = self._column(c.rest())
            request.changes += self.modify_column(definition.column.name, definition)
        elif c.accept("CHANGE"):
            c.accept("COLUMN")
            c.accept("IF EXISTS")
            old = c.name()
            request.changes += self.modify_column(old, self._column(c.rest()))
        elif c.accept("ALTER"):
            request.changes.append(self._alter_part(c))
        elif c.accept("RENAME"):
            request.changes.append(self._rename(c))
        elif c.accept("CONVERT TO"):
            c.rest()
            request.changes.append(
                Change(
                    f"converts every text column of {self.name} to another character set",
                    online.COPY,
                    f"{TYPE_REMEDY} (column by column)",
                )
            )
        else:
            request.changes += self._options(c)
        if not c.done():
            raise Unreadable(f"unexpected {c.where()}")

    def _column(self, tokens: list[Token]) -> ColumnDefinition:
        if not tokens:
            raise Unreadable("expected a column definition")
        return column_definition(tokens, self.sql, self.dialect.normalize_type)

    def _add(self, c: Cursor) -> list[Change]:
        if c.at("CONSTRAINT", "PRIMARY KEY", "FOREIGN KEY", "CHECK", "INDEX", "KEY", *INDEX_KINDS):
            return self.add_key(key_definition(c))
        c.accept("COLUMN")
        if c.at_punct(TokenType.L_PAREN):
            return [
                change
                for part in split_top(c.group())
                for change in self.add_column(self._column(part))
            ]
        return self.add_column(self._column(c.rest()))

    def _drop(self, c: Cursor) -> list[Change]:
        if c.accept("PRIMARY KEY"):
            return [self.drop_primary_key()]
        if c.accept("INDEX", "KEY"):
            c.accept("IF EXISTS")
            return [self.drop_index(c.name())]
        if c.accept("FOREIGN KEY"):
            c.accept("IF EXISTS")
            return [self._drop_foreign_key(c.name())]
        if c.accept("CHECK", "CONSTRAINT"):
            c.accept("IF EXISTS")
            return [self._drop_constraint(c.name())]
        c.accept("COLUMN")
        c.accept("IF EXISTS")
        changes = [self.drop_column(c.name())]
        c.accept("RESTRICT", "CASCADE")
        return changes

    def _alter_part(self, c: Cursor) -> Change:
        if c.accept("INDEX", "KEY"):
            name = c.name()
            c.expect("VISIBLE", "INVISIBLE", "IGNORED", "NOT IGNORED")
            return Change(
                f"changes the visibility of index {name}", self.server.index_visibility(), ""
            )
        if c.accept("CHECK", "CONSTRAINT"):
            name = c.name()
            enforced = c.expect("NOT ENFORCED", "ENFORCED") == "ENFORCED"
            return Change(
                f"{'enforces' if enforced else 'stops enforcing'} check {name}",
                self.server.add_check(enforced=enforced),
                REMEDIES["check"],
            )
        c.accept("COLUMN")
        name = c.name()
        if c.accept("SET DEFAULT"):
            default = self.dialect.normalize_default(_rest_text(c))
            self._edit_column(name, default=default)
        elif c.accept("DROP DEFAULT"):
            self._edit_column(name, default=None)
        else:
            c.expect("SET VISIBLE", "SET INVISIBLE")
            return Change(
                f"changes the visibility of column {name}", self.server.column_metadata(), "", name
            )
        return Change(f"changes the default of column {name}", self.server.set_default(), "", name)

    def _rename(self, c: Cursor) -> Change:
        if c.accept("COLUMN"):
            old = c.name()
            c.expect("TO")
            new = c.name()
            return self.rename_column(old, new)
        if c.accept("INDEX", "KEY"):
            old = c.name()
            c.expect("TO")
            new = c.name()
            self._rename_key(old, new)
            return Change(f"renames index {old} to {new}", self.server.rename_index(), "")
        c.accept("TO", "AS")
        return self.rename_table(c.qualified_name())

    def _options(self, c: Cursor) -> list[Change]:
        """Table options, which may follow one another without commas."""
        changes = []
        while not c.done():
            if c.accept("FORCE"):
                changes.append(
                    Change(f"rebuilds {self.name}", self.server.rebuild(), REBUILD_REMEDY)
                )
                continue
            c.accept("DEFAULT")
            if c.accept("CHARACTER SET", "CHARSET", "COLLATE"):
                value = c.value()
                if not c.at("COLLATE"):
                    self.charsets[self.name] = value.split("_")[0]
                changes.append(
                    Change(
                        f"changes the default character set of {self.name} to {value}",
                        self.server.table_default_charset(),
                        REBUILD_REMEDY,
                    )
                )
                continue
            option = c.name().upper()
            value = c.value()
            if option == "ENGINE":
                same = value.lower() == "innodb"
                cost = self.server.rebuild() if same else online.COPY
                changes.append(
                    Change(f"rebuilds {self.name} (ENGINE={value})", cost, REBUILD_REMEDY)
                )
            elif option in REBUILD_OPTIONS:
                changes.append(
                    Change(
                        f"rebuilds {self.name} ({option}={value})",
                        self.server.rebuild(),
                        REBUILD_REMEDY,
                    )
                )
            elif option in METADATA_OPTIONS:
                changes.append(
                    Change(f"sets {option} of {self.name}", self.server.table_metadata(), "")
                )
            else:
                raise Unreadable(f"unknown ALTER TABLE clause {option}")
        return changes

    def _unknown(self, tokens: list[Token]) -> Change:
        clause = " ".join(t.text for t in tokens[:3])
        return Change(
            f"{clause} … (how the server runs this clause is not modelled)",
            None,
            REMEDIES["unknown"],
        )

    # --- columns ---------------------------------------------------------------------------

    def add_column(self, definition: ColumnDefinition) -> list[Change]:
        column = definition.column
        cost = self.server.add_column(
            last=definition.position is None,
            auto_increment=column.identity,
            generated=definition.generated_kind,
        )
        remedy = REMEDIES["stored" if definition.generated_kind == "STORED" else "add column"]
        if column.identity:
            remedy = REMEDIES["index"]
        breaks = None
        if not column.server_fills:
            breaks = (
                rules.REQUIRED_COLUMN,
                f"column {self.name}.{column.name} is NOT NULL without a default: inserts that "
                "leave it out fail with error 1364",
            )
        changes = [Change(f"adds column {column.name}", cost, remedy, column.name, breaks)]
        table = self.table
        if table is not None:
            table.columns[column.name] = column
            _place(table, column.name, definition.position)
        changes += self._column_keys(definition)
        return changes

    def drop_column(self, name: str) -> Change:
        table = self.table
        column = _find_column(table, name) if table else None
        breaks = (rules.DROP_COLUMN, f"drops column {self.name}.{name}")
        if table is None or column is None:
            return Change(
                f"drops column {name}; whether an index uses it is unknown",
                None,
                REMEDIES["unknown"],
                name,
                breaks,
            )
        in_key = bool(table.primary_key and column in table.primary_key.columns)
        cost = self.server.drop_column(indexed=self._indexed(column), in_primary_key=in_key)
        table.drop_column(column)
        return Change(f"drops column {column}", cost, REMEDIES["primary key"], column, breaks)

    def rename_column(self, old: str, new: str) -> Change:
        table = self.table
        if table is not None and (found := _find_column(table, old)) is not None:
            table.rename_column(found, new)
        return Change(
            f"renames column {old} to {new}",
            self.server.rename_column(),
            "",
            old,
            (rules.RENAME_COLUMN, f"renames column {self.name}.{old} to {new}"),
        )

    def modify_column(self, old_name: str, definition: ColumnDefinition) -> list[Change]:
        """MODIFY / CHANGE: the column restated in full. Each aspect that differs from the old
        definition is a change of its own."""
        new = definition.column
        table = self.table
        found = _find_column(table, old_name) if table else None
        changes = []
        if found is not None and found != new.name:
            changes.append(self.rename_column(found, new.name))
        if table is None or found is None:
            return [
                *changes,
                Change(
                    f"changes column {old_name}, whose current definition the schema model does "
                    "not have",
                    None,
                    REMEDIES["unknown"],
                    old_name,
                ),
            ]
        old = table.columns[new.name]
        changes += self._column_changes(old, definition)
        if definition.position is not None:
            changes.append(
                Change(
                    f"moves column {new.name}",
                    self.server.reorder_column(),
                    REBUILD_REMEDY,
                    new.name,
                )
            )
        table.columns[new.name] = new
        _place(table, new.name, definition.position)
        return [*changes, *self._column_keys(definition)]

    def _column_changes(self, old: Column, definition: ColumnDefinition) -> list[Change]:
        new, name = definition.column, definition.column.name
        changes = []
        old_type = model_type(old.type, self.dialect.normalize_type)
        if old_type is None:
            changes.append(
                Change(
                    f"changes column {name} from type {old.type}, which the analyser cannot read",
                    None,
                    REMEDIES["unknown"],
                    name,
                )
            )
        else:
            changes += self._type_changes(name, old_type, definition.type)
        if old.nullable != new.nullable:
            what = "NOT NULL" if not new.nullable else "NULL"
            changes.append(
                Change(
                    f"makes column {name} {what}",
                    self.server.change_nullability(),
                    REMEDIES["not null"],
                    name,
                )
            )
        if old.identity != new.identity or old.generated != new.generated:
            changes.append(
                Change(f"changes how column {name} is filled", online.COPY, TYPE_REMEDY, name)
            )
        if (
            self.dialect.normalize_default(old.default or "NULL")
            != self.dialect.normalize_default(new.default or "NULL")
            or old.on_update != new.on_update
        ):
            changes.append(
                Change(f"changes the default of column {name}", self.server.set_default(), "", name)
            )
        if not changes:
            changes.append(
                Change(f"restates column {name}", self.server.column_metadata(), "", name)
            )
        return changes

    def _type_changes(self, name: str, old: ColumnType, new: ColumnType) -> list[Change]:
        """The type, and separately the character set or collation, of a restated column. A
        character set not written is the table's default, assumed utf8mb4 where unknown; a
        collation written on one side only counts as a change (it may be the default one)."""
        changes = []
        table_charset = self.charsets.get(self.name) or online.ASSUMED_CHARSET
        if old.text != new.text:
            cost = self.server.retype(old, new, table_charset)
            changes.append(
                Change(
                    f"changes column {name} from {old.text} to {new.text}", cost, TYPE_REMEDY, name
                )
            )
        old_charset = old.effective_charset or table_charset
        new_charset = new.effective_charset or table_charset
        if new.is_text and (old_charset != new_charset or old.collation != new.collation):
            cost = self.server.charset_change(old_charset, new_charset, indexed=self._indexed(name))
            what = f"changes the character set or collation of column {name}"
            changes.append(Change(what, cost, TYPE_REMEDY, name))
        return changes

    def _column_keys(self, definition: ColumnDefinition) -> list[Change]:
        """Keys and checks declared on the column itself."""
        name = definition.column.name
        keys = [KeyDefinition(kind, None, (name,)) for kind in definition.keys]
        if definition.check:
            keys.append(KeyDefinition("CHECK", None, expression=definition.check))
        return [change for key in keys for change in self.add_key(key)]

    def _edit_column(self, name: str, **values: str | None) -> None:
        table = self.table
        found = _find_column(table, name) if table else None
        if table is not None and found is not None:
            table.columns[found] = replace(table.columns[found], **values)  # type: ignore[arg-type]

    def _indexed(self, column: str) -> bool:
        table = self.table
        if table is None:
            return False
        keys = [i.columns for i in table.indexes.values()] + [
            u.columns for u in table.uniques.values()
        ]
        keys += [fk.columns for fk in table.foreign_keys.values()]
        return any(uses_column(part, column) for key in keys for part in key)

    # --- keys ------------------------------------------------------------------------------

    def add_key(self, key: KeyDefinition) -> list[Change]:
        table = self.table
        columns = list(key.columns)
        if key.kind == "PRIMARY KEY":
            if table is not None:
                table.primary_key = PrimaryKey(columns)
            return [
                Change(
                    f"adds a primary key on {', '.join(columns)}",
                    self.server.add_primary_key(),
                    REBUILD_REMEDY,
                    primary_key="add",
                )
            ]
        if key.kind == "FOREIGN KEY":
            return [self._add_foreign_key(key)]
        if key.kind == "CHECK":
            if table is not None:
                name = key.name or self.dialect.implicit_name(
                    "check", table.name, [], ordinal=len(table.checks) + 1
                )
                table.checks[name] = CheckConstraint(name, key.expression or "")
            return [
                Change(
                    f"adds check {key.expression}",
                    self.server.add_check(enforced=key.enforced),
                    REMEDIES["check"],
                )
            ]
        name = key.name or (columns[0] if columns else "index")
        if table is not None:
            if key.kind == "UNIQUE" and self.dialect.caps.unique_indexes_are_constraints:
                table.uniques[name] = UniqueConstraint(name, columns)
            else:
                table.indexes[name] = Index(name, columns, unique=key.kind == "UNIQUE")
        kind = key.kind if key.kind in ("FULLTEXT", "SPATIAL") else None
        label = f"{key.kind.lower()} index" if kind or key.kind == "UNIQUE" else "index"
        return [Change(f"adds {label} {name}", self.server.add_index(kind), REMEDIES["index"])]

    def _add_foreign_key(self, key: KeyDefinition) -> Change:
        table = self.table
        index_exists = False
        if table is not None:
            ordinal = len(table.foreign_keys) + 1
            name = key.name or self.dialect.implicit_name(
                "foreign key", table.name, list(key.columns), ordinal=ordinal
            )
            fk = ForeignKey(
                name,
                list(key.columns),
                key.ref_table or "",
                list(key.ref_columns),
                key.on_delete,
                key.on_update,
            )
            implied = self.dialect.foreign_key_index(table, fk)
            index_exists = implied is None
            table.foreign_keys[name] = fk
            if implied is not None:
                table.indexes[implied.name] = implied
        checks_off = not self.session.foreign_key_checks
        return Change(
            f"adds a foreign key on {', '.join(key.columns)} with foreign_key_checks "
            f"{'off' if checks_off else 'on'}",
            self.server.add_foreign_key(checks_off=checks_off, index_exists=index_exists),
            REMEDIES["foreign key"],
        )

    def drop_primary_key(self) -> Change:
        if self.table is not None:
            self.table.primary_key = None
        return Change(
            "drops the primary key",
            self.server.drop_primary_key(replaced=False),
            REMEDIES["primary key"],
            primary_key="drop",
        )

    def drop_index(self, name: str) -> Change:
        table = self.table
        if table is not None:
            table.indexes.pop(name, None)
            table.uniques.pop(name, None)
        return Change(f"drops index {name}", self.server.drop_index(), "")

    def _drop_foreign_key(self, name: str) -> Change:
        if self.table is not None:
            self.table.foreign_keys.pop(name, None)
        return Change(f"drops foreign key {name}", self.server.drop_foreign_key(), "")

    def _drop_constraint(self, name: str) -> Change:
        table = self.table
        if table is not None and name in table.foreign_keys:
            return self._drop_foreign_key(name)
        if table is not None and name in table.uniques:
            return self.drop_index(name)
        if table is not None:
            table.checks.pop(name, None)
        return Change(f"drops constraint {name}", self.server.drop_check(), "")

    def _rename_key(self, old: str, new: str) -> None:
        table = self.table
        if table is None:
            return
        if old in table.indexes:
            table.indexes[new] = replace(table.indexes.pop(old), name=new)
        if old in table.uniques:
            table.uniques[new] = replace(table.uniques.pop(old), name=new)

    # --- the table -------------------------------------------------------------------------

    def rename_table(self, new: str) -> Change:
        table = self.table
        if table is not None:
            del self.schema.tables[self.name]
            table.schema, table.name = split_name(new)
            self.schema.add_table(table)
        if self.name in self.charsets:
            self.charsets[new] = self.charsets.pop(self.name)
        old, self.name = self.name, new
        return Change(
            f"renames table {old} to {new}",
            self.server.rename_table(),
            "",
            breaks=(rules.RENAME_TABLE, f"renames table {old} to {new}"),
        )


def option_value(c: Cursor, kind: type[Choice], clause: str) -> Choice | None:
    """The value of ALGORITHM= or LOCK=; None for DEFAULT."""
    value = c.value().upper()
    if value == "DEFAULT":
        return None
    try:
        return kind[value]
    except KeyError:
        raise Unreadable(f"unknown {clause}={value}") from None


def _rest_text(c: Cursor) -> str:
    tokens = c.rest()
    if not tokens:
        raise Unreadable("expected a default value")
    return c.sql[tokens[0].start : tokens[-1].end + 1]


def _find_column(table: Table | None, name: str) -> str | None:
    """The model's name of column ``name``: MySQL column names ignore case."""
    if table is None:
        return None
    if name in table.columns:
        return name
    folded = name.casefold()
    return next((c for c in table.columns if c.casefold() == folded), None)


def _place(table: Table, name: str, position: str | None) -> None:
    """Move column ``name`` to ``FIRST`` or ``AFTER x`` in the model's column order."""
    if position is None:
        return
    column = table.columns.pop(name)
    order = list(table.columns.items())
    if position.upper() == "FIRST":
        at = 0
    else:
        after = _find_column(table, position.split(None, 1)[1].strip("`"))
        at = next((i + 1 for i, (k, _) in enumerate(order) if k == after), len(order))
    order.insert(at, (name, column))
    table.columns = dict(order)
