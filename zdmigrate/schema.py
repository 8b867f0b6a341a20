"""A pure model of a database schema: what planning and validation reason about.

The model is built for one dialect: column types are kept as that dialect's SQL text
(``VARCHAR(20)``, ``NUMERIC(12, 2)``), normalised so that a model built from SQLAlchemy
metadata, one reflected from a live database and one loaded from a snapshot compare equal.

Tables are keyed by their qualified name as users write it: ``orders`` in the default
schema, ``billing.invoices`` elsewhere. The model holds no connection and imports no driver.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from zdmigrate.errors import (
    ColumnNotFound,
    ObjectNotFound,
    SnapshotError,
    TableNotFound,
)

SNAPSHOT_FORMAT = 1


def split_name(qualified: str) -> tuple[str | None, str]:
    """``"billing.invoices"`` → ``("billing", "invoices")``; ``"orders"`` → ``(None, "orders")``."""
    schema, dot, name = qualified.rpartition(".")
    return (schema if dot else None), name


def join_name(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def uses_column(sql: str, column: str) -> bool:
    """Whether SQL text (an index part, a CHECK expression) refers to ``column``, bare or quoted."""
    bare = _STRING_LITERAL.sub("''", sql)
    name = re.escape(column)
    # A bare name followed by "(" is a function call, not the column.
    pattern = rf'(?<![\w$"`]){name}(?![\w$"`]|\s*\()|"{name}"|`{name}`'
    return re.search(pattern, bare, re.IGNORECASE) is not None


def is_expression(part: str) -> bool:
    """An index part written as SQL (``lower(email)``) rather than a column name: expressions
    have parentheses, as PostgreSQL requires of them anyway."""
    return "(" in part


@dataclass
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    """The server default as SQL text, or None."""
    identity: bool = False
    """An identity, serial or AUTO_INCREMENT column: the server fills it."""
    generated: str | None = None
    """The expression of a generated (computed) column."""
    on_update: str | None = None
    """MySQL's ``ON UPDATE`` expression (``CURRENT_TIMESTAMP``): the server sets it on update."""
    app_default: bool = field(default=False, compare=False)
    """The app's SQLAlchemy model gives a Python-side ``default=``: the ORM writes a value on
    every insert that leaves the column out. Known only for a model built from metadata (the
    server never sees it, reflection cannot read it), so comparing models leaves it out."""

    @property
    def server_fills(self) -> bool:
        """An insert that leaves this column out still gets a value."""
        return self.nullable or self.default is not None or self.identity or bool(self.generated)


@dataclass
class PrimaryKey:
    columns: list[str]
    name: str | None = None


@dataclass
class Index:
    name: str
    columns: list[str]
    """Column names, or SQL text for expression parts."""
    unique: bool = False
    where: str | None = None
    valid: bool = True
    """False for an index a failed ``CREATE INDEX CONCURRENTLY`` left behind."""


@dataclass
class UniqueConstraint:
    name: str
    columns: list[str]


@dataclass
class CheckConstraint:
    name: str
    expression: str
    validated: bool = True


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str | None = None
    on_update: str | None = None
    validated: bool = True


@dataclass
class Trigger:
    name: str
    definition: str | None = None
    fills: list[str] = field(default_factory=list)
    """Columns the trigger sets when a write leaves them out: a zdmigrate sync trigger fills
    each side of a rename, type change or transform from the other, a fill trigger replaces a
    NULL. An insert that leaves out a NOT NULL column it fills still succeeds. Reflection cannot
    read this back: it is known only for triggers a phase state models."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Column → SQL default the trigger gives when an insert writes none of the columns it
    keeps in step: during a rename the old column's server default moves here."""


@dataclass
class Table:
    name: str
    schema: str | None = None
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: PrimaryKey | None = None
    indexes: dict[str, Index] = field(default_factory=dict)
    uniques: dict[str, UniqueConstraint] = field(default_factory=dict)
    checks: dict[str, CheckConstraint] = field(default_factory=dict)
    foreign_keys: dict[str, ForeignKey] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return join_name(self.schema, self.name)

    def column(self, name: str) -> Column:
        try:
            return self.columns[name]
        except KeyError:
            raise ColumnNotFound(self.qualified_name, name) from None

    def column_types(self) -> dict[str, str]:
        """Column name → model type: what expression normalizing needs to drop implicit casts."""
        return {name: column.type for name, column in self.columns.items()}

    def constraint_names(self) -> set[str]:
        names = set(self.uniques) | set(self.checks) | set(self.foreign_keys)
        if self.primary_key and self.primary_key.name:
            names.add(self.primary_key.name)
        return names

    def key_columns(self) -> list[str] | None:
        """The columns that identify a row: the primary key, else a unique NOT NULL key."""
        if self.primary_key:
            return list(self.primary_key.columns)
        candidates = [u.columns for u in self.uniques.values()] + [
            i.columns for i in self.indexes.values() if i.unique and i.valid and i.where is None
        ]
        for columns in candidates:
            if all(c in self.columns and not self.columns[c].nullable for c in columns):
                return list(columns)
        return None

    def drop_column(self, name: str) -> None:
        """Remove a column and every index and constraint that uses it, as the server does."""
        del self.columns[name]
        self.indexes = {
            k: v
            for k, v in self.indexes.items()
            if not any(uses_column(part, name) for part in v.columns)
        }
        self.uniques = {k: v for k, v in self.uniques.items() if name not in v.columns}
        self.checks = {k: v for k, v in self.checks.items() if not uses_column(v.expression, name)}
        self.foreign_keys = {k: v for k, v in self.foreign_keys.items() if name not in v.columns}
        if self.primary_key and name in self.primary_key.columns:
            self.primary_key = None

    def rename_column(self, old: str, new: str) -> None:
        """Rename a column in place, keeping its position and every reference to it."""
        self.columns = {
            (new if k == old else k): (Column(**{**asdict(c), "name": new}) if k == old else c)
            for k, c in self.columns.items()
        }

        def swap(cols: list[str]) -> list[str]:
            return [new if c == old else c for c in cols]

        for index in self.indexes.values():
            index.columns = swap(index.columns)
        for unique in self.uniques.values():
            unique.columns = swap(unique.columns)
        for fk in self.foreign_keys.values():
            fk.columns = swap(fk.columns)
        if self.primary_key:
            self.primary_key.columns = swap(self.primary_key.columns)


@dataclass
class EnumType:
    name: str
    values: list[str]
    schema: str | None = None

    @property
    def qualified_name(self) -> str:
        return join_name(self.schema, self.name)


@dataclass
class View:
    """An updatable view showing ``columns`` of one table under another name: what RenameTable
    leaves under a table's old name while the old app still uses it. Writes through it are the
    table's writes, with the table's defaults, constraints and triggers."""

    name: str
    table: str
    """The qualified name of the table behind it."""
    columns: list[str]
    schema: str | None = None

    @property
    def qualified_name(self) -> str:
        return join_name(self.schema, self.name)


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    enums: dict[str, EnumType] = field(default_factory=dict)
    """PostgreSQL enum types, keyed by qualified name."""
    views: dict[str, View] = field(default_factory=dict)
    """Updatable views over one table, keyed by qualified name (see :class:`View`)."""
    _shared: set[str] = field(default_factory=set, init=False, repr=False, compare=False)
    """Tables this schema shares with a copy of it: :meth:`table` copies one before handing
    it out, so that copying a schema costs only the tables that then change."""

    def table(self, qualified: str) -> Table:
        """The table, for reading or changing. Change tables only through this method:
        ``tables`` may hold objects shared with copies of this schema."""
        try:
            table = self.tables[qualified]
        except KeyError:
            raise TableNotFound(qualified) from None
        if qualified in self._shared:
            self._shared.discard(qualified)
            table = self.tables[qualified] = copy.deepcopy(table)
        return table

    def enum(self, qualified: str) -> EnumType:
        try:
            return self.enums[qualified]
        except KeyError:
            raise ObjectNotFound("enum type", qualified) from None

    def add_table(self, table: Table) -> None:
        self.tables[table.qualified_name] = table
        self._shared.discard(table.qualified_name)

    def relation(self, qualified: str) -> Table:
        """The table an app reaches by the name ``qualified``: the table itself, or, through a
        view, a copy of the table behind it named as the view and holding the view's columns."""
        view = self.views.get(qualified)
        if view is None:
            return self.table(qualified)
        shown = copy.deepcopy(self.table(view.table))
        shown.schema, shown.name = split_name(qualified)
        shown.columns = {k: c for k, c in shown.columns.items() if k in view.columns}
        return shown

    def copy(self) -> Schema:
        """An independent copy; tables are copied when first asked for (see :meth:`table`)."""
        twin = Schema(
            tables=dict(self.tables),
            enums=copy.deepcopy(self.enums),
            views=copy.deepcopy(self.views),
        )
        self._shared = set(self.tables)
        twin._shared = set(self.tables)
        return twin

    def foreign_keys_to(self, qualified: str) -> list[tuple[Table, ForeignKey]]:
        return [
            (t, fk)
            for t in self.tables.values()
            for fk in t.foreign_keys.values()
            if fk.ref_table == qualified
        ]

    # --- snapshots -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "tables": [_snapshot_table(t) for t in sorted(self.tables.values(), key=_table_key)],
            "enums": [
                asdict(e) for e in sorted(self.enums.values(), key=lambda e: e.qualified_name)
            ],
            "views": [
                asdict(v) for v in sorted(self.views.values(), key=lambda v: v.qualified_name)
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "snapshot") -> Schema:
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotError(source, f"not a zdmigrate snapshot (format {SNAPSHOT_FORMAT})")
        try:
            schema = cls()
            for t in data["tables"]:
                pk = t.get("primary_key")
                schema.add_table(
                    Table(
                        name=t["name"],
                        schema=t.get("schema"),
                        columns={c["name"]: Column(**c) for c in _by_name(t["columns"])},
                        primary_key=PrimaryKey(**pk) if pk else None,
                        indexes={i["name"]: Index(**i) for i in _by_name(t.get("indexes", {}))},
                        uniques={
                            u["name"]: UniqueConstraint(**u) for u in _by_name(t.get("uniques", {}))
                        },
                        checks={
                            c["name"]: CheckConstraint(**c) for c in _by_name(t.get("checks", {}))
                        },
                        foreign_keys={
                            f["name"]: ForeignKey(**f) for f in _by_name(t.get("foreign_keys", {}))
                        },
                        triggers={g["name"]: Trigger(**g) for g in _by_name(t.get("triggers", {}))},
                    )
                )
            for e in data.get("enums", []):
                enum = EnumType(**e)
                schema.enums[enum.qualified_name] = enum
            for v in data.get("views", []):
                view = View(**v)
                schema.views[view.qualified_name] = view
        except (KeyError, TypeError, AttributeError) as exc:
            raise SnapshotError(source, f"malformed snapshot: {exc}") from None
        return schema

    @classmethod
    def from_json(cls, text: str, source: str = "snapshot") -> Schema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotError(source, f"invalid JSON: {exc}") from None
        return cls.from_dict(data, source)


def _table_key(table: Table) -> tuple[str, str]:
    return (table.schema or "", table.name)


def _snapshot_table(table: Table) -> dict[str, Any]:
    """A table as a snapshot keeps it: ``app_default`` only where an app's model sets it, so a
    snapshot of a database reads as it did before the field existed."""
    data = asdict(table)
    for column in data["columns"].values():
        if not column["app_default"]:
            del column["app_default"]
    return data


def _by_name(items: Any) -> list[dict[str, Any]]:
    """Snapshot collections are written as lists; dicts keyed by name are accepted too."""
    if isinstance(items, dict):
        return list(items.values())
    return list(items)
