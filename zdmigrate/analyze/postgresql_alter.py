"""ALTER TABLE: the lock, rewrite and scan of each subcommand, and what is unsafe in them.

Lock levels are those of the ALTER TABLE page of the PostgreSQL manual (AlterTableGetLockLevel
in the server): ACCESS EXCLUSIVE unless a subcommand says otherwise; a foreign key takes SHARE
ROW EXCLUSIVE on both tables; VALIDATE CONSTRAINT, SET STATISTICS, most storage parameters and
ATTACH PARTITION (on the parent, 12+) take SHARE UPDATE EXCLUSIVE; trigger switches take SHARE
ROW EXCLUSIVE. A statement with several subcommands takes the strongest of their locks.
Lock findings are raised only on a table that existed before the text ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from zdmigrate.analyze import postgresql_rules as rules
from zdmigrate.analyze.postgresql_facts import (
    ROW_SHARE,
    Context,
    Described,
    Node,
    qualified,
    what_it_blocks,
)
from zdmigrate.analyze.postgresql_model import ColumnSpec, column_spec, constraint_name
from zdmigrate.analyze.postgresql_types import (
    SERIAL_TYPES,
    model_type,
    parse_model_type,
    pg_type,
    type_change_rewrites,
    volatile_function,
)
from zdmigrate.dialects.postgresql import (
    ACCESS_EXCLUSIVE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
)
from zdmigrate.schema import uses_column

if TYPE_CHECKING:
    from zdmigrate.findings import Rule

AEL_BLOCKS = what_it_blocks(ACCESS_EXCLUSIVE)

_WEAK_LOCKS = {
    **dict.fromkeys(
        (
            AlterTableType.AT_SetStatistics,
            AlterTableType.AT_SetOptions,
            AlterTableType.AT_ResetOptions,
            AlterTableType.AT_ClusterOn,
            AlterTableType.AT_DropCluster,
            AlterTableType.AT_DetachPartitionFinalize,
        ),
        SHARE_UPDATE_EXCLUSIVE,
    ),
    **dict.fromkeys(
        (
            AlterTableType.AT_EnableTrig,
            AlterTableType.AT_EnableAlwaysTrig,
            AlterTableType.AT_EnableReplicaTrig,
            AlterTableType.AT_DisableTrig,
            AlterTableType.AT_EnableTrigAll,
            AlterTableType.AT_DisableTrigAll,
            AlterTableType.AT_EnableTrigUser,
            AlterTableType.AT_DisableTrigUser,
        ),
        SHARE_ROW_EXCLUSIVE,
    ),
}
"""Subcommands that take less than ACCESS EXCLUSIVE and need no more thought."""

_WEAK_STORAGE_PARAMETERS = (
    *("autovacuum_", "toast.autovacuum_", "fillfactor", "toast_tuple_target"),
    *("parallel_workers", "log_autovacuum_min_duration", "vacuum_"),
)
"""Storage parameters SET (…) changes under SHARE UPDATE EXCLUSIVE (the rest: ACCESS EXCLUSIVE)."""

_NARROW_INTEGERS = {"int2": ("smallint", "32,767"), "int4": ("integer", "2,147,483,647")}
_POOR_TYPES = {
    "bpchar": (rules.CHAR_COLUMN, "is char(n): values are padded with spaces"),
    "timestamp": (rules.PREFER_TIMESTAMPTZ, "is timestamp without time zone"),
}
"""Types a new column is better without, whether or not it is a key."""

_REWRITES = {
    AlterTableType.AT_SetLogged: "SET LOGGED",
    AlterTableType.AT_SetUnLogged: "SET UNLOGGED",
    AlterTableType.AT_SetAccessMethod: "SET ACCESS METHOD",
    AlterTableType.AT_SetTableSpace: "SET TABLESPACE",
    AlterTableType.AT_SetExpression: "SET EXPRESSION",
}


@dataclass(frozen=True)
class _Alter:
    """One subcommand, the table it alters, and where its facts go."""

    cmd: Node
    table: str
    live: bool
    """The table existed before the text: lock findings apply."""
    ctx: Context
    d: Described

    def find(
        self, rule: Rule, message: str, *, column: str | None = None, help: str | None = None
    ) -> None:
        """A finding on the altered table."""
        self.d.find(rule, message, table=self.table, column=column, help=help)


def describe_alter_table(node: Node, ctx: Context, d: Described) -> None:
    table = qualified(node.relation)
    for cmd in node.cmds:
        handler = _HANDLERS.get(cmd.subtype)
        if handler is not None:
            handler(_Alter(cmd, table, ctx.existing(table), ctx, d))
        else:
            d.take(table, _WEAK_LOCKS.get(cmd.subtype, ACCESS_EXCLUSIVE))
    d.table = table


def style_findings(spec: ColumnSpec, d: Described, table: str, *, key: bool) -> None:
    """Column types that are a poor choice for a new column (info)."""
    type_ = spec.type
    integer = SERIAL_TYPES.get(type_.name, type_.name)
    if (key or spec.identity or type_.serial) and integer in _NARROW_INTEGERS:
        spelled = type_.name if type_.serial else _NARROW_INTEGERS[integer][0]
        article = "an" if spelled[0] in "aeiou" else "a"
        d.find(
            rules.PREFER_BIGINT_KEY,
            f"{table}.{spec.name} is {article} {spelled} key: it runs out of values after "
            f"{_NARROW_INTEGERS[integer][1]}, and widening it later rewrites the table",
            table=table,
            column=spec.name,
        )
    if type_.name in _POOR_TYPES:
        rule, why = _POOR_TYPES[type_.name]
        d.find(rule, f"{table}.{spec.name} {why}", table=table, column=spec.name)


def _add_column(a: _Alter) -> None:
    spec = column_spec(a.cmd.def_)
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    known = a.ctx.table(a.table)
    if a.cmd.missing_ok and known is not None and spec.name in known.columns:
        return  # IF NOT EXISTS, and it exists: nothing happens
    style_findings(spec, a.d, a.table, key=spec.primary)
    computed = _computed_per_row(spec, a.ctx)
    if computed:
        a.d.rewrite = True
        a.d.notes.append(f"{computed} rewrites the whole table")
        if a.live:
            a.d.long_work = f"rewrites {a.table}"
            a.find(
                rules.ADD_COLUMN_REWRITE,
                f"ADD COLUMN {spec.name} with {computed} rewrites {a.table} and its indexes "
                f"under ACCESS EXCLUSIVE, which {AEL_BLOCKS} until it is done",
                column=spec.name,
            )
    fills = spec.default is not None or spec.identity or spec.type.serial or spec.generated
    if spec.not_null and not fills and a.live:
        a.find(
            rules.ADD_COLUMN_NOT_NULL,
            f"ADD COLUMN {spec.name} NOT NULL without a default fails if {a.table} has a row: "
            "existing rows would get NULL",
            column=spec.name,
        )
    checked = []
    if spec.checks:
        checked.append("a CHECK")
    for reference in spec.references:
        a.d.take(qualified(reference.pktable), SHARE_ROW_EXCLUSIVE)
        if spec.default is not None:
            checked.append("a default and REFERENCES")
    if checked:
        a.d.scan = True
        if a.live:
            a.d.long_work = f"checks every row of {a.table}"
            a.find(
                rules.NOT_VALID_MISSING,
                f"ADD COLUMN {spec.name} with {' and '.join(checked)} checks every row of "
                f"{a.table} under ACCESS EXCLUSIVE, which {AEL_BLOCKS} until the scan ends",
                help="add the column alone, then ops.AddCheckConstraint / ops.AddForeignKey "
                "(… NOT VALID, then VALIDATE CONSTRAINT)",
                column=spec.name,
            )
    if spec.primary or spec.unique:
        _builds_index(a, "PRIMARY KEY" if spec.primary else "UNIQUE", spec.name)


def _computed_per_row(spec: ColumnSpec, ctx: Context) -> str | None:
    """Why a new column's value has to be written into every existing row, if it has to."""
    if spec.type.serial:
        return f"a {spec.type.name} (nextval() for every row)"
    if spec.identity:
        return "an identity (a new value for every row)"
    if spec.generated is not None and spec.stored:
        return "a stored generated expression"
    if spec.default is not None:
        volatile = volatile_function(spec.default, ctx.functions)
        if volatile:
            return f"the volatile default {volatile}()"
        if not ctx.dialect.caps.instant_add_column:
            return "a default (before PostgreSQL 11 every default is written to every row)"
    return None


def _builds_index(a: _Alter, kind: str, subject: str) -> None:
    a.d.scan = True
    a.d.notes.append(f"{kind} builds its index under ACCESS EXCLUSIVE")
    if not a.live:
        return
    a.d.long_work = f"builds an index on {a.table}"
    help_ = None
    if kind == "EXCLUDE":
        help_ = (
            "an exclusion constraint cannot use an index built CONCURRENTLY: add it when the "
            "table is new or small, or in a maintenance window"
        )
    a.find(
        rules.UNIQUE_BUILDS_INDEX,
        f"{kind} {subject} builds its index on {a.table} under ACCESS EXCLUSIVE, which "
        f"{AEL_BLOCKS} until the build ends",
        help=help_,
    )


def _set_not_null(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    column_name: str = a.cmd.name
    known = a.ctx.table(a.table)
    column = known.columns.get(column_name) if known else None
    if known is not None and column is not None:
        if not column.nullable:
            return  # already NOT NULL: nothing to check
        if not a.ctx.dialect.set_nullable(known, column_name, False).scan:
            a.d.notes.append("a validated CHECK (… IS NOT NULL) proves it: no scan")
            return
    a.d.scan = True
    if not a.live:
        return
    a.d.long_work = f"scans {a.table}"
    proof = (
        "no validated CHECK (… IS NOT NULL) is known to prove it"
        if a.ctx.dialect.caps.not_null_from_check
        else "before PostgreSQL 12 even a validated CHECK does not spare it"
    )
    a.find(
        rules.SET_NOT_NULL,
        f"SET NOT NULL on {a.table}.{column_name} scans every row under ACCESS EXCLUSIVE, "
        f"which {AEL_BLOCKS} until the scan ends ({proof})",
        column=column_name,
    )


def _alter_type(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    column_name: str = a.cmd.name
    new = pg_type(a.cmd.def_.typeName)
    style_findings(ColumnSpec(column_name, new), a.d, a.table, key=False)
    known = a.ctx.table(a.table)
    column = known.columns.get(column_name) if known else None
    old = parse_model_type(column.type) if column else None
    using = a.cmd.def_.raw_default
    if old is None:
        why = "; its current type is unknown to the schema model, so a rewrite is assumed"
    elif using is not None and not _is_column(using, column_name):
        why = f" from {column.type}, computing each value with USING"  # type: ignore[union-attr]
    elif type_change_rewrites(old, new):
        why = f" from {column.type}"  # type: ignore[union-attr]
    else:
        a.d.notes.append("the old values are valid as they are: no rewrite")
        _checks_again(a, column_name, model_type(new))
        return
    a.d.rewrite = True
    if not a.live:
        return
    a.d.long_work = f"rewrites {a.table}"
    a.find(
        rules.CHANGE_TYPE,
        f"ALTER COLUMN {column_name} TYPE {model_type(new)}{why}: it rewrites {a.table} and its "
        f"indexes under ACCESS EXCLUSIVE, which {AEL_BLOCKS} until it is done",
        column=column_name,
    )


def _checks_again(a: _Alter, column: str, new_type: str) -> None:
    """A type change re-creates the CHECK constraints on the column, and the validated ones
    check every row again: a scan under ACCESS EXCLUSIVE even where nothing is rewritten."""
    known = a.ctx.table(a.table)
    checks = [
        c.name
        for c in (known.checks.values() if known else ())
        if c.validated and uses_column(c.expression, column)
    ]
    if not checks:
        return
    a.d.scan = True
    if a.live:
        a.d.long_work = f"checks every row of {a.table}"
        a.find(
            rules.CHANGE_TYPE,
            f"ALTER COLUMN {column} TYPE {new_type} rewrites nothing, but it re-creates "
            f"{', '.join(checks)} and checks every row of {a.table} again under ACCESS "
            f"EXCLUSIVE, which {AEL_BLOCKS} until the scan ends",
            help="drop the CHECK first and add it back NOT VALID, then VALIDATE it "
            "(ops.DropConstraint, ops.AddCheckConstraint)",
            column=column,
        )


def _is_column(expression: Node, column: str) -> bool:
    """USING that only reads the column (perhaps cast, or collated): no per-row computation."""
    while type(expression) in (ast.CollateClause, ast.TypeCast):
        expression = expression.arg
    if type(expression) is not ast.ColumnRef:
        return False
    fields: Node = expression.fields
    return getattr(fields[-1], "sval", None) == column


def _add_constraint(a: _Alter) -> None:
    constraint: Node = a.cmd.def_
    kind = constraint.contype
    if kind == ConstrType.CONSTR_FOREIGN:
        referenced = qualified(constraint.pktable)
        a.d.take(a.table, SHARE_ROW_EXCLUSIVE)
        a.d.take(referenced, SHARE_ROW_EXCLUSIVE)
        _validated_now(
            a,
            constraint,
            f"FOREIGN KEY on {a.table} checks every row under SHARE ROW EXCLUSIVE on {a.table} "
            f"and {referenced}, which blocks writes to both until the scan ends",
        )
    elif kind == ConstrType.CONSTR_CHECK:
        a.d.take(a.table, ACCESS_EXCLUSIVE)
        _validated_now(
            a,
            constraint,
            f"CHECK on {a.table} checks every row under ACCESS EXCLUSIVE, which {AEL_BLOCKS} "
            "until the scan ends",
        )
    elif kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_EXCLUSION):
        a.d.take(a.table, ACCESS_EXCLUSIVE)
        label = {ConstrType.CONSTR_PRIMARY: "PRIMARY KEY", ConstrType.CONSTR_UNIQUE: "UNIQUE"}
        if not constraint.indexname:
            name = constraint_name(a.table, constraint, a.ctx)
            _builds_index(a, label.get(kind, "EXCLUDE"), name)
        elif kind == ConstrType.CONSTR_PRIMARY:
            _primary_key_using_index(a, constraint.indexname)
    else:
        a.d.take(a.table, ACCESS_EXCLUSIVE)


def _validated_now(a: _Alter, constraint: Node, message: str) -> None:
    """A CHECK or FOREIGN KEY: checked now, unless NOT VALID leaves that to VALIDATE."""
    name = constraint_name(a.table, constraint, a.ctx)
    if constraint.skip_validation:
        a.d.not_valid.append((a.table, name))
        a.d.notes.append("NOT VALID: existing rows are checked later")
        return
    a.d.scan = True
    if a.live:
        a.d.long_work = f"checks every row of {a.table}"
        a.find(rules.NOT_VALID_MISSING, message)


def _primary_key_using_index(a: _Alter, index_name: str) -> None:
    """PRIMARY KEY USING INDEX makes its columns NOT NULL: a scan where one is nullable."""
    known = a.ctx.table(a.table)
    index = known.indexes.get(index_name) if known else None
    nullable = [
        c
        for c in (index.columns if index else [])
        if c in known.columns and known.columns[c].nullable  # type: ignore[union-attr]
    ]
    if not nullable:
        return
    a.d.scan = True
    if a.live:
        a.d.long_work = f"scans {a.table}"
        a.find(
            rules.SET_NOT_NULL,
            f"PRIMARY KEY USING INDEX {index_name} sets NOT NULL on {', '.join(nullable)}: it "
            f"scans every row of {a.table} under ACCESS EXCLUSIVE, which {AEL_BLOCKS}",
            help=f"use ops.SetNotNull on {', '.join(nullable)} first",
            column=nullable[0],
        )


def _validate(a: _Alter) -> None:
    a.d.take(a.table, SHARE_UPDATE_EXCLUSIVE)
    name: str = a.cmd.name
    known = a.ctx.table(a.table)
    fk = known.foreign_keys.get(name) if known else None
    check = known.checks.get(name) if known else None
    if fk is not None:
        a.d.take(fk.ref_table, ROW_SHARE)
    constraint = fk or check
    if constraint is not None and constraint.validated:
        a.d.notes.append("already validated: nothing to check")
        return
    a.d.scan = True
    a.d.validates.append((a.table, name))
    if a.live:
        a.d.long_work = f"validates {name}, a scan of {a.table}"


def _drop_column(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    column: str = a.cmd.name
    known = a.ctx.table(a.table)
    if not a.live or (a.cmd.missing_ok and known is not None and column not in known.columns):
        return
    a.find(
        rules.DROP_COLUMN,
        f"DROP COLUMN {column} of {a.table}: the app version still running fails if it reads or "
        "writes the column (SELECT *, an INSERT naming it, an ORM model that lists it)",
        column=column,
    )


def _column_default(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    if a.cmd.def_ is not None or not a.live:
        return  # SET DEFAULT: instant, and it only changes what new inserts get
    name: str = a.cmd.name
    known = a.ctx.table(a.table)
    column = known.columns.get(name) if known else None
    if column is not None and column.default is None:
        return  # no default to drop
    not_null = column is not None and not column.nullable
    a.find(
        rules.DROP_DEFAULT,
        f"DROP DEFAULT on {a.table}.{name}: the app version still running may leave {name} out of "
        "its inserts and rely on the default"
        + (" — those inserts fail, the column is NOT NULL" if not_null else ""),
        column=name,
    )


def _drop_constraint(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    name: str = a.cmd.name
    known = a.ctx.table(a.table)
    if not a.live or (a.cmd.missing_ok and known and name not in known.constraint_names()):
        return
    refused = "what it refuses"
    if known is not None:
        if name in known.uniques or (known.primary_key and known.primary_key.name == name):
            refused = "duplicates"
        elif name in known.checks:
            refused = f"values outside {known.checks[name].expression}"
        elif name in known.foreign_keys:
            refused = f"rows that point nowhere in {known.foreign_keys[name].ref_table}"
    a.find(
        rules.DROP_CONSTRAINT,
        f"DROP CONSTRAINT {name} on {a.table}: the app version still running may rely on it to "
        f"refuse {refused}",
    )


def _rewrite(a: _Alter) -> None:
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    a.d.rewrite = True
    if a.live:
        a.d.long_work = f"rewrites {a.table}"
        a.find(
            rules.TABLE_REWRITE,
            f"{_REWRITES[a.cmd.subtype]} rewrites {a.table} under ACCESS EXCLUSIVE, which "
            f"{AEL_BLOCKS} until it is done",
        )


def _storage_parameters(a: _Alter) -> None:
    names = [option.defname for option in a.cmd.def_ or ()]
    weak = all(name.startswith(_WEAK_STORAGE_PARAMETERS) for name in names)
    a.d.take(a.table, SHARE_UPDATE_EXCLUSIVE if weak else ACCESS_EXCLUSIVE)


def _attach_partition(a: _Alter) -> None:
    a.d.take(a.table, SHARE_UPDATE_EXCLUSIVE if a.ctx.version >= (12,) else ACCESS_EXCLUSIVE)
    a.d.take(qualified(a.cmd.def_.name), ACCESS_EXCLUSIVE)
    a.d.notes.append(
        "the partition is scanned for rows outside its bound unless a CHECK constraint proves it"
    )


def _detach_partition(a: _Alter) -> None:
    partition = qualified(a.cmd.def_.name)
    if a.cmd.def_.concurrent:
        a.d.take(a.table, SHARE_UPDATE_EXCLUSIVE)
        a.d.take(partition, SHARE_UPDATE_EXCLUSIVE)
        a.d.transactional = False
        return
    a.d.take(a.table, ACCESS_EXCLUSIVE)
    a.d.take(partition, ACCESS_EXCLUSIVE)
    if a.live and a.ctx.version >= (14,):
        a.find(
            rules.DETACH_PARTITION,
            f"DETACH PARTITION {partition} takes ACCESS EXCLUSIVE on {a.table}, which "
            f"{AEL_BLOCKS} of every partition while it waits and runs",
        )


_HANDLERS: dict[AlterTableType, Callable[[_Alter], None]] = {
    AlterTableType.AT_AddColumn: _add_column,
    AlterTableType.AT_SetNotNull: _set_not_null,
    AlterTableType.AT_AlterColumnType: _alter_type,
    AlterTableType.AT_AddConstraint: _add_constraint,
    AlterTableType.AT_ValidateConstraint: _validate,
    AlterTableType.AT_DropColumn: _drop_column,
    AlterTableType.AT_ColumnDefault: _column_default,
    AlterTableType.AT_DropConstraint: _drop_constraint,
    AlterTableType.AT_SetRelOptions: _storage_parameters,
    AlterTableType.AT_ResetRelOptions: _storage_parameters,
    AlterTableType.AT_AttachPartition: _attach_partition,
    AlterTableType.AT_DetachPartition: _detach_partition,
    **dict.fromkeys(_REWRITES, _rewrite),
}
