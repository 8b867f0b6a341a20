"""Schema models from SQLAlchemy: a MetaData, a declarative base, or one Column.

``load_spec("shop.models:Base", dialect)`` resolves the ``module:attribute`` form the CLI
takes (``--old-app``, ``snapshot SPEC``); a path ending in ``.json`` is a snapshot instead.
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from zdmigrate.errors import InvalidOperation, SchemaError, SnapshotError
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
    from sqlalchemy.engine.default import DefaultDialect

    from zdmigrate.dialects import Dialect


def column_model(column: sa.Column[Any], dialect: Dialect) -> Column:
    table = column.table if isinstance(getattr(column, "table", None), sa.Table) else None
    identity = column.identity is not None or (
        table is not None and table.autoincrement_column is column
    )
    generated = None
    if column.computed is not None:
        siblings = table.columns if table is not None else [column]
        generated = dialect.normalize_expression(
            _sql(column.computed.sqltext, dialect),
            {c.name: column_type(c, dialect) for c in siblings},
        )
    default, on_update = server_default_sql(column, dialect)
    return Column(
        name=column.name,
        type=column_type(column, dialect),
        nullable=bool(column.nullable) and not column.primary_key,
        default=default,
        identity=identity,
        generated=generated,
        on_update=on_update,
    )


def column_type(column: sa.Column[Any], dialect: Dialect) -> str:
    """The column's type as the model spells it; one the server cannot take is refused naming
    the column."""
    try:
        return dialect.render_type(column.type)
    except InvalidOperation as exc:
        table = (
            column.table.fullname if isinstance(getattr(column, "table", None), sa.Table) else None
        )
        where = f"column {column.name!r}" + (f" of {table!r}" if table else "")
        raise InvalidOperation(f"{where}: {exc}", table=table, column=column.name) from None


def server_default_sql(column: sa.Column[Any], dialect: Dialect) -> tuple[str | None, str | None]:
    """The server default and its ON UPDATE clause (MySQL), in the spelling reflection reads
    back (dialect.normalize_default)."""
    default = column.server_default
    if default is None or not isinstance(default, sa.DefaultClause):
        return None, None
    arg = default.arg
    text, on_update = dialect.split_on_update(
        dialect.literal(arg) if isinstance(arg, str) else _sql(arg, dialect)
    )
    type_ = column_type(column, dialect)
    return (
        dialect.normalize_default(text, type_),
        dialect.normalize_default(on_update, type_) if on_update else None,
    )


def default_sql(arg: Any, type_: str, dialect: Dialect) -> str | None:
    """A server_default argument as the model spells it for a column of model type ``type_``:
    a ``str`` is a literal value, a clause (``text(...)``) is SQL. None for NULL."""
    text = dialect.literal(arg) if isinstance(arg, str) else _sql(arg, dialect)
    return dialect.normalize_default(text, type_)


def _sql(clause: Any, dialect: Dialect) -> str:
    """A clause's SQL as DDL writes it: values inline, columns without their table's name."""
    # The drivers' "format" paramstyle would double every % in the text; "named" leaves it alone.
    dialect_class = cast("type[DefaultDialect]", type(dialect.sqlalchemy_dialect()))
    sa_dialect = dialect_class(paramstyle="named")
    compiled = clause.compile(
        dialect=sa_dialect, compile_kwargs={"literal_binds": True, "include_table": False}
    )
    return str(compiled)


def table_model(table: sa.Table, dialect: Dialect) -> Table:
    model = Table(
        name=table.name,
        schema=table.schema,
        columns={c.name: column_model(c, dialect) for c in table.columns},
    )
    types = model.column_types()
    pk = table.primary_key
    if pk is not None and pk.columns:
        columns = [c.name for c in pk.columns]
        model.primary_key = PrimaryKey(
            columns=columns, name=dialect.primary_key_name(_name(pk.name), table.name, columns)
        )
    unnamed: Counter[str] = Counter()

    def name_of(constraint: sa.Constraint, kind: str, columns: list[str], owner: str | None) -> str:
        """The declared name, or the one the server chooses (numbered in declaration order)."""
        declared = _name(constraint.name)
        if declared:
            return declared
        per_level = kind == "check" and not dialect.shared_check_numbering
        sequence = f"{kind} {per_level and owner is not None}"
        unnamed[sequence] += 1
        return dialect.implicit_name(
            kind, table.name, columns, ordinal=unnamed[sequence], column=owner
        )

    # CREATE TABLE declares column-level checks with their columns, then the table's constraints
    # in the order they were made (SQLAlchemy's _sorted_constraints), and the server numbers
    # unnamed ones in that order.
    declared: list[tuple[sa.Constraint, str | None]] = [
        (check, c.name)
        for c in table.columns
        for check in c.constraints
        if isinstance(check, sa.CheckConstraint)
    ]
    declared += [(constraint, None) for constraint in table._sorted_constraints]
    for constraint, owner in declared:
        if isinstance(constraint, sa.UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            name = name_of(constraint, "unique", columns, None)
            model.uniques[name] = UniqueConstraint(name=name, columns=columns)
        elif isinstance(constraint, sa.CheckConstraint):
            expression = dialect.normalize_expression(_sql(constraint.sqltext, dialect), types)
            mentioned = dialect.expression_columns(expression, list(types))
            name = name_of(constraint, "check", mentioned, owner)
            model.checks[name] = CheckConstraint(name=name, expression=expression)
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            columns = [c.name for c in constraint.columns]
            name = name_of(constraint, "foreign key", columns, None)
            # target_fullname ("users.id", "billing.users.id") needs no resolved target table,
            # so a table can be modelled on its own, as CreateTable does.
            targets = [e.target_fullname.rsplit(".", 1) for e in constraint.elements]
            model.foreign_keys[name] = ForeignKey(
                name=name,
                columns=columns,
                ref_table=targets[0][0],
                ref_columns=[column for _, column in targets],
                on_delete=dialect.normalize_referential_action(constraint.ondelete),
                on_update=dialect.normalize_referential_action(constraint.onupdate),
            )
    for index in table.indexes:
        name = str(index.name)
        parts = [
            e.name
            if isinstance(e, sa.Column)
            else dialect.normalize_expression(_sql(e, dialect), types)
            for e in index.expressions
        ]
        plain = all(isinstance(e, sa.Column) for e in index.expressions)
        if index.unique and plain and dialect.caps.unique_indexes_are_constraints:
            model.uniques[name] = UniqueConstraint(name=name, columns=parts)
            continue
        # postgresql_where means nothing to a server without partial indexes, which ignores it.
        where = index.dialect_options["postgresql"].get("where")
        model.indexes[name] = Index(
            name=name,
            columns=parts,
            unique=bool(index.unique),
            where=(
                dialect.normalize_expression(_sql(where, dialect), types)
                if where is not None and dialect.caps.partial_indexes
                else None
            ),
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
        model = table_model(table, dialect)
        # Only an app's model says what its ORM writes; the models of operations (table_model,
        # column_model) describe the database, which never sees a Python-side default.
        for column in table.columns:
            model.columns[column.name].app_default = column.default is not None
        schema.add_table(model)
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.Enum) and column.type.name and dialect.caps.enum_types:
                enum = EnumType(
                    name=column.type.name,
                    values=list(column.type.enums),
                    schema=column.type.schema,
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
    try:
        return schema_from_metadata(resolve_metadata(spec), dialect)
    except SchemaError as exc:  # a table the server cannot hold (a type it does not have)
        raise SnapshotError(spec, str(exc)) from None
