"""The facts of one PostgreSQL statement, and the findings its syntax alone gives.

Locks per the manual's "Explicit Locking" table and each command's page: CREATE INDEX takes
SHARE (writes wait for the build), CONCURRENTLY SHARE UPDATE EXCLUSIVE; DROP INDEX, DROP TABLE,
TRUNCATE, CLUSTER, VACUUM FULL, REFRESH MATERIALIZED VIEW and renames take ACCESS EXCLUSIVE;
REINDEX holds SHARE on the table and ACCESS EXCLUSIVE on the index, which stops every query the
planner would consider that index for; CREATE TRIGGER takes SHARE ROW EXCLUSIVE; UPDATE, DELETE
and INSERT take ROW EXCLUSIVE and lock the rows they write. ALTER TABLE is in
:mod:`zdmigrate.analyze.postgresql_alter`. A statement zdmigrate cannot see into (DO, CALL)
gets the lock "unknown", which planners read as blocking everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import (
    ConstrType,
    DropBehavior,
    ObjectType,
    ReindexObjectType,
    TransactionStmtKind,
)

from zdmigrate.analyze import postgresql_rules as rules
from zdmigrate.analyze.postgresql_alter import AEL_BLOCKS, describe_alter_table, style_findings
from zdmigrate.analyze.postgresql_facts import (
    ACCESS_SHARE,
    EXCLUSIVE,
    LOCK_MODES,
    ROW_EXCLUSIVE,
    UNKNOWN_LOCK,
    Context,
    Described,
    Node,
    dotted,
    object_name,
    qualified,
    what_it_blocks,
)
from zdmigrate.analyze.postgresql_model import column_spec
from zdmigrate.analyze.postgresql_types import parse_model_type, walk
from zdmigrate.dialects.postgresql import (
    ACCESS_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
)

_VOLATILITY = {"immutable": "i", "stable": "s", "volatile": "v"}


def describe(node: Node, ctx: Context) -> Described:
    d = Described()
    handler = _HANDLERS.get(type(node))
    if handler is not None:
        handler(node, ctx, d)
    elif not isinstance(node, _CATALOG_ONLY):
        d.take(None, UNKNOWN_LOCK)
        d.notes.append("zdmigrate cannot see what this statement locks: declare it")
    return d


def _has_option(options: Node, name: str) -> bool:
    """A boolean option such as FULL or CONCURRENTLY in a parenthesised list, not turned off."""
    for option in options or ():
        if option.defname == name:
            value = getattr(option.arg, "sval", getattr(option.arg, "boolval", True))
            return str(value).lower() not in ("false", "off", "0")
    return False


def _create_table(node: Node, ctx: Context, d: Described) -> None:
    table = qualified(node.relation)
    d.table = table
    primary = {
        key.sval
        for element in node.tableElts or ()
        if isinstance(element, ast.Constraint) and element.keys
        for key in element.keys
        if element.contype == ConstrType.CONSTR_PRIMARY
    }
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            spec = column_spec(element)
            style_findings(spec, d, table, key=spec.primary or spec.name in primary)
            for reference in spec.references:
                d.take(qualified(reference.pktable), SHARE_ROW_EXCLUSIVE)
        elif isinstance(element, ast.Constraint) and element.pktable is not None:
            d.take(qualified(element.pktable), SHARE_ROW_EXCLUSIVE)
    if node.partbound is not None:
        for parent in node.inhRelations or ():
            d.take(qualified(parent), ACCESS_EXCLUSIVE)
    d.notes.append("a new table: nothing else uses it yet")


def _create_table_as(node: Node, ctx: Context, d: Described) -> None:
    d.table = qualified(node.into.rel)
    _reads_tables(node.query, ctx, d, "fills a new table from")


def _reads_tables(query: Node, ctx: Context, d: Described, doing: str) -> None:
    """Long work where a query reads tables that were there before the text ran."""
    sources = sorted({qualified(n) for n in walk(query) if isinstance(n, ast.RangeVar)})
    existing = [t for t in sources if ctx.existing(t)]
    for table in existing:
        d.locks.append((table, ACCESS_SHARE))
    if existing:
        d.scan = True
        d.long_work = f"{doing} {', '.join(existing)}"


def _index(node: Node, ctx: Context, d: Described) -> None:
    table = qualified(node.relation)
    d.scan = True
    if node.concurrent:
        d.take(table, SHARE_UPDATE_EXCLUSIVE)
        d.transactional = False
        d.notes.append("CONCURRENTLY: reads and writes go on while the index builds")
        return
    d.take(table, SHARE)
    known = ctx.table(table)
    if node.if_not_exists and known is not None and node.idxname in known.indexes:
        return
    if not ctx.existing(table):
        return
    d.long_work = f"builds an index on {table}"
    d.find(
        rules.CREATE_INDEX,
        f"CREATE INDEX on {table} takes SHARE, which {what_it_blocks(SHARE)} until the index is "
        "built",
        table=table,
    )


def _drop(node: Node, ctx: Context, d: Described) -> None:
    kind = node.removeType
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    names = [object_name(item) for item in node.objects or ()]
    if kind in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
        for name in names:
            _drop_type(name, cascade, ctx, d)
        return
    if kind == ObjectType.OBJECT_INDEX:
        _drop_index(names, node, ctx, d)
    elif kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_VIEW):
        what = {ObjectType.OBJECT_TABLE: "TABLE", ObjectType.OBJECT_VIEW: "VIEW"}
        also = " and, with CASCADE, the views and foreign keys that use it" if cascade else ""
        for name in names:
            d.take(name, ACCESS_EXCLUSIVE)
            if ctx.existing(name):
                d.find(
                    rules.DROP_TABLE,
                    f"DROP {what.get(kind, 'MATERIALIZED VIEW')} {name}{also}: the app version "
                    "still running fails if it uses it",
                    table=name,
                )
    elif kind == ObjectType.OBJECT_SCHEMA and cascade:
        d.take(None, ACCESS_EXCLUSIVE)
        d.find(
            rules.DROP_TABLE,
            f"DROP SCHEMA {', '.join(names)} CASCADE drops every table in it",
        )
    elif kind == ObjectType.OBJECT_TRIGGER:
        d.take(dotted(node.objects[0][:-1]), ACCESS_EXCLUSIVE)


def _drop_index(names: list[str], node: Node, ctx: Context, d: Described) -> None:
    for name in names:
        table = ctx.index_table(name)
        if node.concurrent:
            d.take(table, SHARE_UPDATE_EXCLUSIVE)
            d.transactional = False
            continue
        d.take(table, ACCESS_EXCLUSIVE)
        if ctx.existing(table) or table is None:
            on = f" on {table}" if table else ""
            d.find(
                rules.DROP_INDEX,
                f"DROP INDEX {name} takes ACCESS EXCLUSIVE{on}, which {AEL_BLOCKS} while it "
                "waits for running transactions and while it runs",
                table=table,
            )


def _drop_type(name: str, cascade: bool, ctx: Context, d: Described) -> None:
    users = [
        f"{table.qualified_name}.{column.name}"
        for table in ctx.model.tables.values()
        for column in table.columns.values()
        if getattr(parse_model_type(column.type), "name", None) == name
    ]
    if users and not cascade:
        message = f"DROP TYPE {name} fails: {' and '.join(users)} still use it"
    elif users:
        message = f"DROP TYPE {name} CASCADE drops the columns that use it: {' and '.join(users)}"
    elif cascade:
        message = f"DROP TYPE {name} CASCADE drops every column that uses it"
    else:
        return
    d.find(rules.DROP_TYPE_IN_USE, message)


def _rename(node: Node, ctx: Context, d: Described) -> None:
    kind = node.renameType
    if node.relation is None:
        return
    name = qualified(node.relation)
    if kind == ObjectType.OBJECT_INDEX:
        # ALTER INDEX … RENAME locks only the index, with SHARE UPDATE EXCLUSIVE since 12.
        d.take(name, SHARE_UPDATE_EXCLUSIVE if ctx.version >= (12,) else ACCESS_EXCLUSIVE)
        d.table = ctx.index_table(name) or name
        return
    d.take(name, ACCESS_EXCLUSIVE)
    if not ctx.existing(name):
        return
    if kind == ObjectType.OBJECT_COLUMN:
        d.find(
            rules.RENAME_COLUMN,
            f"RENAME COLUMN {node.subname} TO {node.newname} on {name}: the app version still "
            f"running reads and writes {node.subname} and fails",
            table=name,
            column=node.subname,
        )
    elif kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
        d.find(
            rules.RENAME_TABLE,
            f"RENAME {name} TO {node.newname}: the app version still running uses {name} and fails",
            table=name,
        )


def _set_schema(node: Node, ctx: Context, d: Described) -> None:
    """ALTER TABLE … SET SCHEMA: a rename, as far as the running app can tell."""
    if node.relation is None:
        return  # a type, function or other object: no table lock
    name = qualified(node.relation)
    d.take(name, ACCESS_EXCLUSIVE)
    if ctx.existing(name):
        d.find(
            rules.RENAME_TABLE,
            f"SET SCHEMA {node.newschema} moves {name}: the app version still running uses "
            f"{name} and fails",
            table=name,
        )


def _alter_enum(node: Node, ctx: Context, d: Described) -> None:
    name = dotted(node.typeName)
    if node.oldVal:
        if name not in ctx.new_types:
            d.find(
                rules.ENUM_RENAME_VALUE,
                f"RENAME VALUE {node.oldVal!r} TO {node.newVal!r} in {name}: the app version "
                f"still running writes {node.oldVal!r}, which is no longer a valid value",
            )
        return
    # Before PostgreSQL 12, ADD VALUE cannot run inside a transaction block at all.
    d.transactional = ctx.version >= (12,)
    d.notes.append("the new value can be used once this transaction commits")


def _vacuum(node: Node, ctx: Context, d: Described) -> None:
    tables = [qualified(r.relation) for r in node.rels or () if r.relation is not None]
    if not node.is_vacuumcmd:  # ANALYZE: samples rows, runs in a transaction
        for table in tables:
            d.take(table, SHARE_UPDATE_EXCLUSIVE)
        return
    d.transactional = False
    full = _has_option(node.options, "full")
    targets: list[str | None] = [*tables] or [None]  # none named: every table
    for target in targets:
        d.take(target, ACCESS_EXCLUSIVE if full else SHARE_UPDATE_EXCLUSIVE)
        if full:
            _rewrites_everything(d, ctx, target, "VACUUM FULL")


def _cluster(node: Node, ctx: Context, d: Described) -> None:
    table = qualified(node.relation) if node.relation is not None else None
    if table is None:
        d.transactional = False  # every table clustered before, each in its own transaction
    d.take(table, ACCESS_EXCLUSIVE)
    _rewrites_everything(d, ctx, table, "CLUSTER")


def _rewrites_everything(d: Described, ctx: Context, table: str | None, command: str) -> None:
    d.rewrite = True
    if table is None or ctx.existing(table):
        on = table or "every table it covers"
        d.long_work = f"rewrites {on}"
        d.find(
            rules.VACUUM_FULL,
            f"{command} rewrites {on} under ACCESS EXCLUSIVE, which {AEL_BLOCKS} until it is done",
            table=table,
        )


def _reindex(node: Node, ctx: Context, d: Described) -> None:
    relation = qualified(node.relation) if node.relation is not None else None
    on_index = node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX
    table = ctx.index_table(relation) if on_index and relation else relation
    if node.kind not in (
        ReindexObjectType.REINDEX_OBJECT_INDEX,
        ReindexObjectType.REINDEX_OBJECT_TABLE,
    ):
        d.transactional = False  # SCHEMA, DATABASE, SYSTEM
    d.scan = True
    if _has_option(node.params, "concurrently"):
        d.take(table or relation, SHARE_UPDATE_EXCLUSIVE)
        d.transactional = False
        return
    d.take(table or relation, ACCESS_EXCLUSIVE)
    d.notes.append("SHARE on the table, ACCESS EXCLUSIVE on each index it rebuilds")
    if table is None or ctx.existing(table):
        what = f"{relation}" if relation else "every index of it"
        d.long_work = f"rebuilds {what}"
        d.find(
            rules.REINDEX,
            f"REINDEX {what} takes SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the "
            "index (queries that could use it wait) until it is rebuilt",
            help=None if ctx.version >= (12,) else "drop and re-create the index CONCURRENTLY",
            table=table,
        )


def _truncate(node: Node, ctx: Context, d: Described) -> None:
    for relation in node.relations:
        table = qualified(relation)
        d.take(table, ACCESS_EXCLUSIVE)
        if ctx.existing(table):
            d.find(
                rules.TRUNCATE,
                f"TRUNCATE {table} takes ACCESS EXCLUSIVE, which {AEL_BLOCKS}, and empties a "
                "table the running app uses",
                table=table,
            )


def _lock(node: Node, ctx: Context, d: Described) -> None:
    mode = LOCK_MODES[node.mode - 1]
    for relation in node.relations:
        table = qualified(relation)
        d.take(table, mode)
        if what_it_blocks(mode) != what_it_blocks(ACCESS_SHARE) and ctx.existing(table):
            d.find(
                rules.LOCK_TABLE,
                f"LOCK TABLE {table} IN {mode} MODE {what_it_blocks(mode)} until the transaction "
                "ends",
                table=table,
            )


def _write_rows(node: Node, ctx: Context, d: Described) -> None:
    table = qualified(node.relation)
    d.take(table, ROW_EXCLUSIVE)
    if node.whereClause is not None or not ctx.existing(table):
        return
    command = "UPDATE" if isinstance(node, ast.UpdateStmt) else "DELETE"
    d.scan = True
    d.long_work = f"{command.lower()}s every row of {table}"
    d.find(
        rules.WHOLE_TABLE_WRITE,
        f"{command} without WHERE writes every row of {table} in one transaction, holding each "
        "row's lock until it commits: concurrent writes to those rows wait",
        table=table,
    )


def _insert(node: Node, ctx: Context, d: Described) -> None:
    d.take(qualified(node.relation), ROW_EXCLUSIVE)
    _reads_tables(node.selectStmt, ctx, d, "copies rows from")


def _select(node: Node, ctx: Context, d: Described) -> None:
    for table in sorted({qualified(n) for n in walk(node) if isinstance(n, ast.RangeVar)}):
        d.take(table, ACCESS_SHARE)


def _create_trigger(node: Node, ctx: Context, d: Described) -> None:
    d.take(qualified(node.relation), SHARE_ROW_EXCLUSIVE)


def _create_policy(node: Node, ctx: Context, d: Described) -> None:
    d.take(qualified(node.table), ACCESS_EXCLUSIVE)


def _create_function(node: Node, ctx: Context, d: Described) -> None:
    volatility = "v"
    for option in node.options or ():
        if option.defname == "volatility":
            volatility = _VOLATILITY[option.arg.sval]
    name = dotted(node.funcname)
    ctx.functions[name] = ctx.functions[name.rpartition(".")[2]] = volatility


def _view(node: Node, ctx: Context, d: Described) -> None:
    if node.replace:
        d.take(qualified(node.view), ACCESS_EXCLUSIVE)


def _refresh(node: Node, ctx: Context, d: Described) -> None:
    view = qualified(node.relation)
    d.scan = True
    if node.concurrent:
        d.take(view, EXCLUSIVE)
        d.blocks = ()  # EXCLUSIVE holds off writes, and nothing but a refresh writes a view
        d.notes.append("CONCURRENTLY: reads of the view go on")
        return
    d.take(view, ACCESS_EXCLUSIVE)
    d.rewrite = True
    if ctx.existing(view):
        d.long_work = f"refreshes {view}"
        d.find(
            rules.REFRESH_MATVIEW,
            f"REFRESH MATERIALIZED VIEW {view} takes ACCESS EXCLUSIVE, which {AEL_BLOCKS} of "
            "the view until the refresh ends",
            table=view,
        )


def _alter_domain(node: Node, ctx: Context, d: Described) -> None:
    if node.subtype != "C":  # only ADD CONSTRAINT checks existing values
        return
    domain = dotted(node.typeName)
    d.take(None, SHARE)
    d.notes.append(f"SHARE on every table with a column of type {domain}")
    if node.def_.skip_validation or domain in ctx.new_types:
        return
    d.scan = True
    d.long_work = f"checks every column of type {domain}"
    d.find(
        rules.NOT_VALID_MISSING,
        f"ALTER DOMAIN {domain} ADD CONSTRAINT checks every row of every table using the domain "
        f"under SHARE, which {what_it_blocks(SHARE)} until the scans end",
        help="ADD CONSTRAINT … NOT VALID, then ALTER DOMAIN … VALIDATE CONSTRAINT",
    )


def _comment(node: Node, ctx: Context, d: Described) -> None:
    d.take(None, SHARE_UPDATE_EXCLUSIVE)


def _drop_database(node: Node, ctx: Context, d: Described) -> None:
    d.transactional = False
    d.find(rules.DROP_TABLE, f"DROP DATABASE {node.dbname} drops every table the apps use")


def _transaction_only(node: Node, ctx: Context, d: Described) -> None:
    """Statements that cannot run in a transaction block and lock no table."""
    d.transactional = False


_HANDLERS: dict[type, Callable[[Any, Context, Described], None]] = {
    ast.CreateStmt: _create_table,
    ast.CreateTableAsStmt: _create_table_as,
    ast.AlterTableStmt: describe_alter_table,
    ast.IndexStmt: _index,
    ast.DropStmt: _drop,
    ast.RenameStmt: _rename,
    ast.AlterObjectSchemaStmt: _set_schema,
    ast.AlterEnumStmt: _alter_enum,
    ast.VacuumStmt: _vacuum,
    ast.ClusterStmt: _cluster,
    ast.ReindexStmt: _reindex,
    ast.TruncateStmt: _truncate,
    ast.LockStmt: _lock,
    ast.UpdateStmt: _write_rows,
    ast.DeleteStmt: _write_rows,
    ast.InsertStmt: _insert,
    ast.SelectStmt: _select,
    ast.CreateTrigStmt: _create_trigger,
    ast.CreatePolicyStmt: _create_policy,
    ast.AlterPolicyStmt: _create_policy,
    ast.CreateFunctionStmt: _create_function,
    ast.ViewStmt: _view,
    ast.RefreshMatViewStmt: _refresh,
    ast.AlterDomainStmt: _alter_domain,
    ast.CommentStmt: _comment,
    ast.CreateStatsStmt: _comment,
    ast.DropdbStmt: _drop_database,
    ast.CreatedbStmt: _transaction_only,
    ast.AlterSystemStmt: _transaction_only,
}

_CATALOG_ONLY = (
    ast.TransactionStmt,
    ast.VariableSetStmt,
    ast.VariableShowStmt,
    ast.CreateEnumStmt,
    ast.CreateDomainStmt,
    ast.CompositeTypeStmt,
    ast.DefineStmt,
    ast.CreateSchemaStmt,
    ast.CreateExtensionStmt,
    ast.AlterExtensionStmt,
    ast.CreateSeqStmt,
    ast.AlterSeqStmt,
    ast.GrantStmt,
    ast.GrantRoleStmt,
    ast.CreateRoleStmt,
    ast.AlterRoleStmt,
    ast.AlterOwnerStmt,
    ast.AlterFunctionStmt,
    ast.CreateCastStmt,
    ast.AlterDefaultPrivilegesStmt,
)
"""Statements that change only the catalog and lock no table in a way that matters."""


def ends_transaction(node: Node) -> bool:
    return isinstance(node, ast.TransactionStmt) and node.kind in (
        TransactionStmtKind.TRANS_STMT_COMMIT,
        TransactionStmtKind.TRANS_STMT_ROLLBACK,
        TransactionStmtKind.TRANS_STMT_PREPARE,
    )


def begins_transaction(node: Node) -> bool:
    return isinstance(node, ast.TransactionStmt) and node.kind in (
        TransactionStmtKind.TRANS_STMT_BEGIN,
        TransactionStmtKind.TRANS_STMT_START,
    )
