"""Carry the schema model through PostgreSQL statements: what each one makes, changes or drops.

The model is what later statements are judged against (a table created earlier in the text is
new; SET NOT NULL looks for a validated check; ALTER COLUMN TYPE compares with the old type), and
what the planner sees after the text ran. A statement on something the model does not know
changes nothing in it: the text may rightly act on tables the model was never told about.
Expressions are kept as the parser prints them back, in the dialect's one spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream

from zdmigrate.analyze.postgresql_facts import (
    Context,
    Node,
    dotted,
    name_of,
    object_name,
    qualified,
)
from zdmigrate.analyze.postgresql_types import PgType, model_type, pg_type
from zdmigrate.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
    View,
    split_name,
)

_REFERENTIAL_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
# RawStream prints every cast as CAST(x AS t); the catalog prints x::t, which the dialect's
# normaliser knows. A cast of a literal or a bare name is put back in that form.
_SIMPLE_CAST = re.compile(
    r"""CAST\(((?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|\w+)) AS ([\w ."]+(?:\[\])*)\)"""
)


def sql_text(node: Node) -> str:
    return _SIMPLE_CAST.sub(r"\1::\2", RawStream()(node))


@dataclass
class ColumnSpec:
    """A column definition with its inline constraints sorted out."""

    name: str
    type: PgType
    not_null: bool = False
    default: Node = None
    identity: bool = False
    generated: Node = None
    stored: bool = False
    """A generated column whose values are stored (all of them before PostgreSQL 18)."""
    primary: bool = False
    unique: bool = False
    checks: list[Node] = field(default_factory=list)
    references: list[Node] = field(default_factory=list)


def column_spec(definition: Node) -> ColumnSpec:
    spec = ColumnSpec(str(definition.colname), pg_type(definition.typeName))
    spec.not_null = bool(definition.is_not_null)
    for constraint in definition.constraints or ():
        kind = constraint.contype
        if kind == ConstrType.CONSTR_NOTNULL:
            spec.not_null = True
        elif kind == ConstrType.CONSTR_DEFAULT:
            spec.default = constraint.raw_expr
        elif kind == ConstrType.CONSTR_IDENTITY:
            spec.identity = True
        elif kind == ConstrType.CONSTR_GENERATED:
            spec.generated = constraint.raw_expr
            spec.stored = constraint.generated_kind != "v"
        elif kind == ConstrType.CONSTR_PRIMARY:
            spec.primary = spec.not_null = True
        elif kind == ConstrType.CONSTR_UNIQUE:
            spec.unique = True
        elif kind == ConstrType.CONSTR_CHECK:
            spec.checks.append(constraint)
        elif kind == ConstrType.CONSTR_FOREIGN:
            spec.references.append(constraint)
    return spec


def apply(node: Node, ctx: Context) -> None:
    """Change ``ctx``'s model as ``node`` changes the database."""
    change = _CHANGES.get(type(node))
    if change is not None:
        change(node, ctx)


def _create_table_as(node: Node, ctx: Context) -> None:
    ctx.new_tables.add(qualified(node.into.rel))


def _alter(node: Node, ctx: Context) -> None:
    if node.objtype != ObjectType.OBJECT_TABLE:
        return
    name = qualified(node.relation)
    for cmd in node.cmds:
        table = ctx.writable(name)
        if table is not None:
            _alter_table(cmd, table, ctx)


def _set_schema(node: Node, ctx: Context) -> None:
    table = ctx.writable(qualified(node.relation)) if node.relation is not None else None
    if table is None:
        return
    del ctx.model.tables[table.qualified_name]
    table.schema = None if node.newschema == "public" else node.newschema
    ctx.model.add_table(table)


def _create_view(node: Node, ctx: Context) -> None:
    """A view of some columns of one table, unfiltered and unjoined, is what the model calls a
    view: the app reads and writes the table through it (the rename-with-a-view recipe)."""
    name = qualified(node.view)
    ctx.model.views.pop(name, None)
    query = node.query
    sources: Node = query.fromClause or ()
    if len(sources) != 1 or type(sources[0]) is not ast.RangeVar or query.whereClause:
        return
    table = ctx.table(qualified(sources[0]))
    if table is None:
        return
    columns: list[str] = []
    for target in query.targetList or ():
        fields: Node = getattr(target.val, "fields", None) or ()
        if target.name or type(target.val) is not ast.ColumnRef:
            return  # a computed or renamed column: not a plain view of the table
        if type(fields[-1]) is ast.A_Star:
            columns += list(table.columns)
        else:
            columns.append(str(fields[-1].sval))
    schema, bare = split_name(name)
    ctx.model.views[name] = View(bare, table.qualified_name, columns, schema)


def _create_enum(node: Node, ctx: Context) -> None:
    name = dotted(node.typeName)
    schema, bare = split_name(name)
    labels = [str(v.sval) for v in node.vals or ()]
    ctx.model.enums[name] = EnumType(bare, labels, schema)
    ctx.new_types.add(name)


def _create_table(node: Node, ctx: Context) -> None:
    name = qualified(node.relation)
    if node.if_not_exists and name in ctx.model.tables:
        return
    table = Table(node.relation.relname, split_name(name)[0])
    parents = [*(node.inhRelations or ())]
    parents += [e.relation for e in node.tableElts or () if isinstance(e, ast.TableLikeClause)]
    for parent in parents:
        known = ctx.table(qualified(parent))
        for column in known.columns.values() if known else ():
            table.columns[column.name] = Column(column.name, column.type, column.nullable)
    specs = [column_spec(e) for e in node.tableElts or () if isinstance(e, ast.ColumnDef)]
    for spec in specs:
        table.columns[spec.name] = _column(spec, ctx)
    ctx.model.add_table(table)
    ctx.new_tables.add(name)
    for spec in specs:
        if spec.primary:
            _add_constraint(table, ast.Constraint(contype=ConstrType.CONSTR_PRIMARY), ctx, spec)
        if spec.unique:
            _add_constraint(table, ast.Constraint(contype=ConstrType.CONSTR_UNIQUE), ctx, spec)
        for constraint in spec.checks + spec.references:
            _add_constraint(table, constraint, ctx, spec)
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint):
            _add_constraint(table, element, ctx)


def _column(spec: ColumnSpec, ctx: Context) -> Column:
    type_ = model_type(spec.type)
    default = None
    if spec.default is not None:
        default = ctx.dialect.normalize_default(sql_text(spec.default), type_)
    return Column(
        name=spec.name,
        type=type_,
        nullable=not spec.not_null and not spec.identity and not spec.type.serial,
        default=default,
        identity=spec.identity or spec.type.serial,
        generated=sql_text(spec.generated) if spec.generated is not None else None,
    )


def _names(strings: Node) -> list[str]:
    return [str(s.sval) for s in strings or ()]


def constraint_name(
    table: str, constraint: Node, ctx: Context, column: ColumnSpec | None = None
) -> str:
    """The name of ``constraint`` on model table ``table``: its own, or the one the server
    chooses for it (``column``: the column it is declared inline on)."""
    if constraint.conname:
        return str(constraint.conname)
    known = ctx.table(table)
    bare = split_name(table)[1]
    kind = constraint.contype
    if kind == ConstrType.CONSTR_CHECK:
        columns = [column.name] if column else []
        if not column and known is not None:
            expression = sql_text(constraint.raw_expr)
            columns = ctx.dialect.expression_columns(expression, [*known.columns])
        return ctx.dialect.implicit_name("check", bare, columns)
    if kind == ConstrType.CONSTR_FOREIGN:
        columns = [column.name] if column else _names(constraint.fk_attrs)
        return ctx.dialect.implicit_name("foreign key", bare, columns)
    columns = [column.name] if column else _names(constraint.keys)
    if kind == ConstrType.CONSTR_PRIMARY:
        return ctx.dialect.primary_key_name(None, bare, columns)
    if kind == ConstrType.CONSTR_UNIQUE:
        return ctx.dialect.implicit_name("unique", bare, columns)
    return f"{bare}_excl"[:63]


def _add_constraint(
    table: Table, constraint: Node, ctx: Context, column: ColumnSpec | None = None
) -> None:
    """Add a table constraint to ``table`` (in the model already), or an inline one of
    ``column``. On a table the text created, NOT VALID is ignored, as the server ignores it: an
    empty table has nothing to check."""
    kind = constraint.contype
    validated = not constraint.skip_validation or table.qualified_name in ctx.new_tables
    name = constraint_name(table.qualified_name, constraint, ctx, column)
    columns = [column.name] if column else _names(constraint.keys)
    if kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        if constraint.indexname and not columns:
            index = table.indexes.pop(constraint.indexname, None)
            columns = index.columns if index else []
        if kind == ConstrType.CONSTR_UNIQUE:
            table.uniques[name] = UniqueConstraint(name, columns)
            return
        table.primary_key = PrimaryKey(columns, name)
        for key in columns:
            if key in table.columns:
                table.columns[key].nullable = False
    elif kind == ConstrType.CONSTR_CHECK:
        types = table.column_types()
        expression = ctx.dialect.normalize_expression(sql_text(constraint.raw_expr), types)
        table.checks[name] = CheckConstraint(name, expression, validated)
    elif kind == ConstrType.CONSTR_FOREIGN:
        ref_table = qualified(constraint.pktable)
        ref_columns = _names(constraint.pk_attrs)
        referenced = ctx.table(ref_table)
        if not ref_columns and referenced and referenced.primary_key:
            ref_columns = list(referenced.primary_key.columns)
        table.foreign_keys[name] = ForeignKey(
            name,
            [column.name] if column else _names(constraint.fk_attrs),
            ref_table,
            ref_columns,
            on_delete=_REFERENTIAL_ACTIONS.get(constraint.fk_del_action),
            on_update=_REFERENTIAL_ACTIONS.get(constraint.fk_upd_action),
            validated=validated,
        )


def _alter_table(cmd: Node, table: Table, ctx: Context) -> None:
    kind, column = cmd.subtype, table.columns.get(cmd.name or "")
    if kind == AlterTableType.AT_AddColumn:
        spec = column_spec(cmd.def_)
        if spec.name in table.columns:
            return  # ADD COLUMN IF NOT EXISTS on a column that is there
        table.columns[spec.name] = _column(spec, ctx)
        for constraint in spec.checks + spec.references:
            _add_constraint(table, constraint, ctx, spec)
        if spec.primary or spec.unique:
            kind_ = ConstrType.CONSTR_PRIMARY if spec.primary else ConstrType.CONSTR_UNIQUE
            _add_constraint(table, ast.Constraint(contype=kind_), ctx, spec)
    elif kind == AlterTableType.AT_DropColumn and column:
        table.drop_column(column.name)
    elif kind == AlterTableType.AT_AlterColumnType and column:
        column.type = model_type(pg_type(cmd.def_.typeName))
    elif kind in (AlterTableType.AT_SetNotNull, AlterTableType.AT_DropNotNull) and column:
        column.nullable = kind == AlterTableType.AT_DropNotNull
    elif kind == AlterTableType.AT_ColumnDefault and column:
        default = sql_text(cmd.def_) if cmd.def_ is not None else None
        column.default = ctx.dialect.normalize_default(default, column.type) if default else None
    elif kind == AlterTableType.AT_AddConstraint:
        _add_constraint(table, cmd.def_, ctx)
    elif kind == AlterTableType.AT_ValidateConstraint:
        for constraint in (table.checks.get(cmd.name), table.foreign_keys.get(cmd.name)):
            if constraint is not None:
                constraint.validated = True
    elif kind == AlterTableType.AT_DropConstraint:
        _drop_constraint(table, cmd.name)
    elif kind == AlterTableType.AT_AddIdentity and column:
        column.identity, column.default = True, None
    elif kind == AlterTableType.AT_DropIdentity and column:
        column.identity = False


def _drop_constraint(table: Table, name: str) -> None:
    table.uniques.pop(name, None)
    table.checks.pop(name, None)
    table.foreign_keys.pop(name, None)
    if table.primary_key and table.primary_key.name == name:
        table.primary_key = None


def _rename(node: Node, ctx: Context) -> None:
    kind = node.renameType
    if kind == ObjectType.OBJECT_INDEX:
        old_name = qualified(node.relation)
        owner = ctx.writable(ctx.index_table(old_name))
        if owner is not None:
            _rename_in(owner.indexes, node.relation.relname, node.newname)
            _rename_in(owner.uniques, node.relation.relname, node.newname)
        return
    if node.relation is None:
        return
    name = qualified(node.relation)
    if name in ctx.model.views and kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
        view = ctx.model.views.pop(name)
        view.name = node.newname
        ctx.model.views[view.qualified_name] = view
        return
    if kind == ObjectType.OBJECT_TABLE:
        new_name = name_of(node.relation.schemaname, node.newname)
        table = ctx.writable(name)
        if table is not None:
            del ctx.model.tables[name]
            table.name = node.newname
            ctx.model.add_table(table)
        if name in ctx.new_tables:
            ctx.new_tables.discard(name)
            ctx.new_tables.add(new_name)
        return
    table = ctx.writable(name)
    if table is None:
        return
    if kind == ObjectType.OBJECT_COLUMN and node.subname in table.columns:
        table.rename_column(node.subname, node.newname)
    elif kind == ObjectType.OBJECT_TABCONSTRAINT:
        _rename_in(table.uniques, node.subname, node.newname)
        _rename_in(table.checks, node.subname, node.newname)
        _rename_in(table.foreign_keys, node.subname, node.newname)
        if table.primary_key and table.primary_key.name == node.subname:
            table.primary_key.name = node.newname


_Named = TypeVar("_Named", Index, UniqueConstraint, CheckConstraint, ForeignKey)


def _rename_in(group: dict[str, _Named], old: str, new: str) -> None:
    """Rename the object ``old`` of ``group`` (keyed by name), if it is there."""
    if old in group:
        item = group.pop(old)
        item.name = new
        group[new] = item


def _create_index(node: Node, ctx: Context) -> None:
    table = ctx.writable(qualified(node.relation))
    if table is None:
        return
    parts = [e.name if e.name else f"({sql_text(e.expr)})" for e in node.indexParams]
    types = table.column_types()
    parts = [
        p if not p.startswith("(") else ctx.dialect.normalize_expression(p, types) for p in parts
    ]
    name = node.idxname or "_".join([table.name, *(p for p in parts if p.isidentifier()), "idx"])
    if node.if_not_exists and name in table.indexes:
        return
    where = node.whereClause
    table.indexes[name] = Index(
        name,
        parts,
        unique=bool(node.unique),
        where=ctx.dialect.normalize_expression(sql_text(where), types) if where else None,
    )


def _drop(node: Node, ctx: Context) -> None:
    kind = node.removeType
    for item in node.objects or ():
        name = object_name(item)
        if kind in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
            ctx.model.enums.pop(name, None)
        elif kind == ObjectType.OBJECT_VIEW:
            ctx.model.views.pop(name, None)
        elif kind == ObjectType.OBJECT_TABLE:
            ctx.model.tables.pop(name, None)
            ctx.new_tables.discard(name)
            for view in [v for v in ctx.model.views.values() if v.table == name]:
                del ctx.model.views[view.qualified_name]  # CASCADE, or the drop failed
            for referencing, fk in ctx.model.foreign_keys_to(name):
                writable = ctx.writable(referencing.qualified_name)
                if writable is not None:
                    writable.foreign_keys.pop(fk.name, None)
        elif kind == ObjectType.OBJECT_INDEX:
            owner = ctx.writable(ctx.index_table(name))
            if owner is not None:
                owner.indexes.pop(split_name(name)[1], None)


def _alter_enum(node: Node, ctx: Context) -> None:
    enum = ctx.model.enums.get(dotted(node.typeName))
    if enum is None:
        return
    if node.oldVal:
        enum.values = [node.newVal if v == node.oldVal else v for v in enum.values]
    elif node.newVal not in enum.values:
        at = len(enum.values)
        if node.newValNeighbor in enum.values:
            at = enum.values.index(node.newValNeighbor) + (1 if node.newValIsAfter else 0)
        enum.values.insert(at, node.newVal)


_CHANGES: dict[type, Callable[[Node, Context], None]] = {
    ast.CreateStmt: _create_table,
    ast.CreateTableAsStmt: _create_table_as,
    ast.AlterTableStmt: _alter,
    ast.RenameStmt: _rename,
    ast.AlterObjectSchemaStmt: _set_schema,
    ast.ViewStmt: _create_view,
    ast.IndexStmt: _create_index,
    ast.DropStmt: _drop,
    ast.CreateEnumStmt: _create_enum,
    ast.AlterEnumStmt: _alter_enum,
}
