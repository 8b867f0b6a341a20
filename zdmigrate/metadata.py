"""Schema models from SQLAlchemy: a MetaData, a declarative base, or one Column.

``load_spec("shop.models:Base", dialect)`` resolves the ``module:attribute`` form the CLI
takes (``--old-app``, ``snapshot SPEC``); a path ending in ``.json`` is a snapshot instead.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.errors import SnapshotError
from zdmigrate.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect


def column_model(column: sa.Column[Any], dialect: Dialect) -> Column:
    table = column.table if isinstance(getattr(column, "table", None), sa.Table) else None
    identity = column.identity is not None or (
        table is not None and table.autoincrement_column is column
    )
    return Column(
        name=column.name,
        type=dialect.render_type(column.type),
        nullable=bool(column.nullable) and not column.primary_key,
        default=server_default_sql(column, dialect),
        identity=identity,
        generated=(_sql(column.computed.sqltext, dialect) if column.computed is not None else None),
    )


def server_default_sql(column: sa.Column[Any], dialect: Dialect) -> str | None:
    default = column.server_default
    if default is None or not isinstance(default, sa.DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return dialect.literal(arg)
    return _sql(arg, dialect)


def _sql(clause: Any, dialect: Dialect) -> str:
    compiled = clause.compile(
        dialect=dialect.sqlalchemy_dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def table_model(table: sa.Table, dialect: Dialect) -> Table:
    model = Table(
        name=table.name,
        schema=table.schema,
        columns={c.name: column_model(c, dialect) for c in table.columns},
    )
    pk = table.primary_key
    if pk is not None and pk.columns:
        columns = [c.name for c in pk.columns]
        model.primary_key = PrimaryKey(
            columns=columns,
            name=_name(pk.name) or dialect.implicit_name("primary key", table.name, columns),
        )
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            name = _name(constraint.name) or dialect.implicit_name("unique", table.name, columns)
            model.uniques[name] = UniqueConstraint(name=name, columns=columns)
        elif isinstance(constraint, sa.CheckConstraint):
            name = _name(constraint.name) or dialect.implicit_name("check", table.name, [])
            model.checks[name] = CheckConstraint(
                name=name, expression=_sql(constraint.sqltext, dialect)
            )
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            columns = [c.name for c in constraint.columns]
            name = _name(constraint.name) or dialect.implicit_name(
                "foreign key", table.name, columns
            )
            # target_fullname ("users.id", "billing.users.id") needs no resolved target table,
            # so a table can be modelled on its own, as CreateTable does.
            targets = [e.target_fullname.rsplit(".", 1) for e in constraint.elements]
            model.foreign_keys[name] = ForeignKey(
                name=name,
                columns=columns,
                ref_table=targets[0][0],
                ref_columns=[column for _, column in targets],
                on_delete=constraint.ondelete,
                on_update=constraint.onupdate,
            )
    for index in table.indexes:
        where = index.dialect_options["postgresql"].get("where")
        model.indexes[str(index.name)] = Index(
            name=str(index.name),
            columns=[
                e.name if isinstance(e, sa.Column) else _sql(e, dialect) for e in index.expressions
            ],
            unique=bool(index.unique),
            where=_sql(where, dialect) if where is not None else None,
        )
    return model


def _name(name: Any) -> str | None:
    """A constraint's explicit name; SQLAlchemy's placeholder for "no name" counts as none."""
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def schema_from_metadata(metadata: sa.MetaData, dialect: Dialect) -> Schema:
    schema = Schema()
    for table in metadata.sorted_tables:
        schema.add_table(table_model(table, dialect))
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.Enum) and column.type.name and dialect.caps.enum_types:
                enum = EnumType(
                    name=column.type.name,
                    values=list(column.type.enums),
                    schema=column.type.schema or table.schema,
                )
                schema.enums[enum.qualified_name] = enum
    return schema


def resolve_metadata(spec: str) -> sa.MetaData:
    """``module:attribute`` → the MetaData it names (a MetaData or a declarative base)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SnapshotError(spec, "expected module:attribute or a snapshot .json file")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's input, not our crash
        raise SnapshotError(spec, f"cannot import {module_name}: {exc}") from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise SnapshotError(spec, f"{module_name} has no attribute {attribute}")
        target = getattr(target, part)
    metadata = target if isinstance(target, sa.MetaData) else getattr(target, "metadata", None)
    if not isinstance(metadata, sa.MetaData):
        raise SnapshotError(spec, "is neither a MetaData nor a declarative base")
    return metadata


def load_spec(spec: str, dialect: Dialect) -> Schema:
    """A schema model from ``module:attribute`` or from a snapshot ``.json`` file."""
    if spec.endswith(".json"):
        path = Path(spec)
        try:
            text = path.read_text()
        except OSError as exc:
            raise SnapshotError(spec, exc.strerror or str(exc)) from None
        return Schema.from_json(text, spec)
    return schema_from_metadata(resolve_metadata(spec), dialect)
