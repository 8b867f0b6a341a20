"""The schema of a live database, read into the model of :mod:`zdmigrate.schema`. Read-only.

SQLAlchemy's inspector reads tables, columns, keys, indexes, foreign keys and enum types. The
dialect's catalog queries read what the inspector does not: check constraints (with column-level
ones on MariaDB, and whether PostgreSQL has validated them), foreign key validation, index
validity and partial-index predicates on PostgreSQL, and triggers.

Every type, default and expression goes through the dialect's normalisation, as in
:mod:`zdmigrate.metadata`, so that a model reflected after ``metadata.create_all()`` equals the
one built from that metadata. Views are left out; :func:`list_views` names them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import PGInspector

from zdmigrate.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
    join_name,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine.interfaces import ReflectedColumn
    from sqlalchemy.engine.reflection import Inspector

    from zdmigrate.dialects import Dialect


STATE_TABLE_PREFIX = "zdmigrate_"
"""The runner's state tables on MySQL/MariaDB, which live in the target database beside the
app's tables (:mod:`zdmigrate.run.state`): not part of the app's schema, never reflected."""


def reflect_schema(
    connection: Connection, dialect: Dialect, schemas: list[str] | None = None
) -> Schema:
    """The tables (and enum types) of ``schemas``; by default, of every schema that holds an
    application's tables (PostgreSQL: all but the system ones; MySQL: the connected database).
    Tables in the connection's default schema are keyed by bare name, others ``schema.table``."""
    inspector = sa.inspect(connection)
    default = str(inspector.default_schema_name)
    names = _schema_names(inspector, dialect, schemas)
    model = Schema()
    for schema in names:
        for table in _tables(inspector, connection, dialect, schema, default):
            model.add_table(table)
    _add_catalog_facts(connection, dialect, model, names, default)
    for table in model.tables.values():
        dialect.fold_implied_objects(table)
    # Only PostgreSQL has named enum types, and only its inspector reads them.
    if isinstance(inspector, PGInspector):
        for enum in inspector.get_enums(schema="*"):
            if enum["schema"] in names:
                enum_schema = None if enum["schema"] == default else enum["schema"]
                model_enum = EnumType(enum["name"], list(enum["labels"]), enum_schema)
                model.enums[model_enum.qualified_name] = model_enum
    return model


def list_views(
    connection: Connection, dialect: Dialect, schemas: list[str] | None = None
) -> list[str]:
    """The qualified names of the views in ``schemas`` (chosen as by :func:`reflect_schema`)."""
    inspector = sa.inspect(connection)
    default = str(inspector.default_schema_name)
    views = []
    for schema in _schema_names(inspector, dialect, schemas):
        key = None if schema == default else schema
        views += [join_name(key, view) for view in inspector.get_view_names(schema=key)]
    return sorted(views)


def _schema_names(
    inspector: Inspector, dialect: Dialect, schemas: Sequence[str] | None
) -> list[str]:
    if schemas is not None:
        return list(schemas)
    return dialect.user_schemas(inspector.get_schema_names(), str(inspector.default_schema_name))


def _tables(
    inspector: Inspector, connection: Connection, dialect: Dialect, name: str, default: str
) -> Iterator[Table]:
    """Every table of one schema, from one inspector query per kind of object."""
    schema = None if name == default else name
    with warnings.catch_warnings():
        # A type SQLAlchemy does not know comes back as NullType: _column_types handles it.
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        columns = inspector.get_multi_columns(schema=schema)
    primary_keys = inspector.get_multi_pk_constraint(schema=schema)
    uniques = inspector.get_multi_unique_constraints(schema=schema)
    indexes = inspector.get_multi_indexes(schema=schema)
    foreign_keys = inspector.get_multi_foreign_keys(schema=schema)
    for key in sorted(columns, key=lambda k: k[1]):
        table_name = key[1]
        if table_name.startswith(STATE_TABLE_PREFIX) and dialect.name != "postgresql":
            continue
        types = _column_types(connection, dialect, name, table_name, columns[key])
        table = Table(
            name=table_name,
            schema=schema,
            columns={c["name"]: _column(c, types, dialect) for c in columns[key]},
        )
        pk = primary_keys.get(key)
        if pk and pk["constrained_columns"]:
            pk_columns = list(pk["constrained_columns"])
            table.primary_key = PrimaryKey(
                columns=pk_columns,
                name=dialect.primary_key_name(pk.get("name"), table_name, pk_columns),
            )
        for unique in uniques.get(key, []):
            unique_name = str(unique["name"])
            table.uniques[unique_name] = UniqueConstraint(unique_name, list(unique["column_names"]))
        for index in indexes.get(key, []):
            index_name = str(index["name"])
            # The index behind a unique constraint is the constraint (on MySQL, every unique
            # index: Capabilities.unique_indexes_are_constraints).
            if index_name in table.uniques or index.get("duplicates_constraint"):
                continue
            expressions = index.get("expressions") or []
            parts = [
                column
                if column is not None
                else dialect.normalize_expression(expressions[i], types)
                for i, column in enumerate(index["column_names"])
            ]
            table.indexes[index_name] = Index(index_name, parts, unique=bool(index["unique"]))
        for fk in foreign_keys.get(key, []):
            ref_schema = fk["referred_schema"]
            fk_name = str(fk["name"])
            table.foreign_keys[fk_name] = ForeignKey(
                name=fk_name,
                columns=list(fk["constrained_columns"]),
                ref_table=join_name(
                    None if ref_schema in (None, default) else ref_schema, fk["referred_table"]
                ),
                ref_columns=list(fk["referred_columns"]),
                on_delete=dialect.normalize_referential_action(fk["options"].get("ondelete")),
                on_update=dialect.normalize_referential_action(fk["options"].get("onupdate")),
            )
        yield table


def _column_types(
    connection: Connection,
    dialect: Dialect,
    schema: str,
    table: str,
    columns: list[ReflectedColumn],
) -> dict[str, str]:
    """Each column's model type; the server's own spelling of a type SQLAlchemy does not know
    (a model from metadata then agrees only if it spells the type the same way)."""
    types = {
        c["name"]: dialect.render_type(c["type"])
        for c in columns
        if not isinstance(c["type"], sa.types.NullType)
    }
    if len(types) < len(columns):
        rows = connection.execute(
            sa.text(dialect.column_types_sql()), {"schema": schema, "table": table}
        )
        server = {row.name: row.type for row in rows}
        unknown = [c["name"] for c in columns if c["name"] not in types]
        types |= {name: dialect.normalize_type(server[name]) for name in unknown}
    return {c["name"]: types[c["name"]] for c in columns}


def _column(info: ReflectedColumn, types: dict[str, str], dialect: Dialect) -> Column:
    type_ = types[info["name"]]
    identity = info.get("identity") is not None or bool(info.get("autoincrement"))
    computed = info.get("computed")
    default, on_update = dialect.split_on_update(info.get("default") or "")
    return Column(
        name=info["name"],
        type=type_,
        nullable=bool(info["nullable"]),
        # A serial's nextval(…) is how the server fills an identity, not a default to copy.
        default=None if identity or not default else dialect.normalize_default(default, type_),
        identity=identity,
        generated=(dialect.normalize_expression(computed["sqltext"], types) if computed else None),
        on_update=dialect.normalize_default(on_update, type_) if on_update else None,
    )


def _add_catalog_facts(
    connection: Connection, dialect: Dialect, model: Schema, schemas: list[str], default: str
) -> None:
    """What the inspector does not read, from the dialect's catalog queries."""

    def rows(sql: str | None) -> Iterator[tuple[Table, Any]]:
        if sql is None:
            return
        statement = sa.text(sql).bindparams(sa.bindparam("schemas", expanding=True))
        for row in connection.execute(statement, {"schemas": schemas}).mappings():
            schema = None if row["schema_name"] == default else row["schema_name"]
            table = model.tables.get(join_name(schema, row["table_name"]))
            if table is not None:  # not a view's, nor a table outside the reflected ones
                yield table, row

    for table, row in rows(dialect.checks_sql()):
        table.checks[row["name"]] = CheckConstraint(
            name=row["name"],
            expression=dialect.normalize_expression(row["expression"], table.column_types()),
            validated=bool(row["validated"]),
        )
    for table, row in rows(dialect.foreign_key_validity_sql()):
        if row["name"] in table.foreign_keys:
            table.foreign_keys[row["name"]].validated = bool(row["validated"])
    for table, row in rows(dialect.index_details_sql()):
        index = table.indexes.get(row["name"])
        if index is not None:
            predicate = row["predicate"]
            index.valid = bool(row["valid"])
            index.where = (
                dialect.normalize_expression(predicate, table.column_types()) if predicate else None
            )
    for table, row in rows(dialect.on_update_sql()):
        column = table.columns[row["column_name"]]
        column.on_update = dialect.normalize_default(row["expression"], column.type)
    for table, row in rows(dialect.triggers_sql()):
        table.triggers[row["name"]] = Trigger(name=row["name"], definition=row["definition"])
