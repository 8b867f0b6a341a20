"""Does an app version work on a phase state? The ZD1xx rules.

The old app must work on the states after expand and backfill, the new app on those after
backfill and contract. :func:`check_app` compares what an app's model maps (its tables, columns,
types, defaults and constraints) with one state, and reports what would break: a table or column
it uses that is gone, an insert or update the state refuses, a type that changes its values on
the way in or out, a constraint its writes do not know about.

Two facts about SQLAlchemy decide what the app writes. An insert through the ORM leaves out the
columns the app does not map, and leaves out a mapped column with a server default when the
object gives no value; but a mapped column with no default at all is written as an explicit
NULL (the ORM's long-standing behaviour), so a server default on the state's side cannot save
it. A Python-side ``default=`` (``Column.app_default``) gives a value on every insert; nothing
stops an update from setting None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.findings import Rule, Severity, rule
from zdmigrate.plan.types import Effect, parse_type, type_changes
from zdmigrate.schema import is_expression, uses_column

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.schema import Column, Schema, Table

TABLE_MISSING = rule(
    "ZD101",
    "app-table-missing",
    Severity.ERROR,
    "A table the app maps does not exist in the state.",
    "Rename tables with ops.RenameTable (the old name stays as an updatable view until "
    "contract) and drop them with ops.DropTable (in contract, after the old app is gone); "
    "create the new app's tables in expand with ops.CreateTable.",
)
COLUMN_MISSING = rule(
    "ZD102",
    "app-column-missing",
    Severity.ERROR,
    "A column the app maps does not exist in the state: its reads and writes fail.",
    "Rename columns with ops.RenameColumn (both names kept in sync until contract), drop them "
    "with ops.DropColumn (in contract, after the old app is gone), and add the new app's "
    "columns in expand with ops.AddColumn.",
)
REQUIRED_UNWRITTEN = rule(
    "ZD103",
    "insert-misses-required-column",
    Severity.ERROR,
    "A NOT NULL column the app never writes has no default: every insert of the app fails.",
    "Give the column a server default in the same phase (ops.AddColumn with server_default, "
    "ops.SetDefault), or add it nullable and set it NOT NULL with ops.SetNotNull(fill=...) "
    "once the app that does not write it is gone.",
)
NULL_INTO_REQUIRED = rule(
    "ZD104",
    "null-into-not-null",
    Severity.ERROR,
    "The app maps a column as nullable that the state refuses NULL in: its writes of None fail.",
    "Set NOT NULL with ops.SetNotNull(fill=...): a trigger turns the NULLs the old app writes "
    "into the fill value until contract; or make the app write a value (a Python-side "
    "default=) and deploy it before the constraint.",
)
SERVER_DEFAULT_GONE = rule(
    "ZD105",
    "server-default-gone",
    Severity.ERROR,
    "The app relies on a server default the state no longer has.",
    "Drop defaults with ops.DropDefault, which waits for contract, when the old app is gone; a "
    "column that is renamed or retyped keeps its default through ops.RenameColumn and "
    "ops.ChangeColumnType.",
)
TYPE_BREAKS_WRITES = rule(
    "ZD106",
    "type-breaks-writes",
    Severity.ERROR,
    "The state's column type refuses or changes values the app's type lets it write.",
    "Change types with ops.ChangeColumnType and a type every app version on that state can "
    "write (widen first, narrow only after the app that writes wide values is gone); add enum "
    "values with ops.AddEnumValue before the app that writes them.",
)
TYPE_BREAKS_READS = rule(
    "ZD107",
    "type-breaks-reads",
    Severity.ERROR,
    "The state's column type hands the app another kind of value than its model reads.",
    "Keep the app's type on the column the app reads: change types with ops.ChangeColumnType "
    "only to types the app still reads, or deploy an app that reads the new type first.",
)
TYPE_CHANGES_READS = rule(
    "ZD108",
    "type-changes-reads",
    Severity.WARNING,
    "Reads may return values the app's type does not describe (more decimals, enum labels, "
    "time zones).",
    "Make sure the app tolerates those values (or update its model first); ops.ChangeColumnType "
    "keeps both versions writing while they overlap.",
)
GENERATED_WRITTEN = rule(
    "ZD109",
    "writes-generated-column",
    Severity.ERROR,
    "The app writes a column that is generated in the state: the server refuses the write.",
    "Map the column as computed in the app (sqlalchemy.Computed) before it becomes generated, "
    "or add the generated column under a new name with ops.AddColumn.",
)
UNDECLARED_UNIQUE = rule(
    "ZD110",
    "undeclared-unique",
    Severity.WARNING,
    "The state has a unique constraint or index the app's model does not declare: its writes "
    "may be refused as duplicates.",
    "Make sure the app already writes no duplicates (add the constraint to its model), then add "
    "it with ops.AddUniqueConstraint or ops.CreateIndex(unique=True).",
)
UNDECLARED_CHECK = rule(
    "ZD111",
    "undeclared-check",
    Severity.WARNING,
    "The state has a CHECK constraint the app's model does not declare: its writes may be "
    "refused (a NOT VALID check refuses new writes too).",
    "Make sure the app writes only rows that pass it (add it to its model), then add it with "
    "ops.AddCheckConstraint.",
)
UNDECLARED_FOREIGN_KEY = rule(
    "ZD112",
    "undeclared-foreign-key",
    Severity.WARNING,
    "The state has a foreign key the app's model does not declare: its writes may be refused.",
    "Make sure the app writes only rows whose references exist (add the key to its model), "
    "then add it with ops.AddForeignKey.",
)


def check_app(
    app: Schema, state: Schema, dialect: Dialect, *, app_label: str, phase: str
) -> list[Finding]:
    """Findings for app version ``app_label`` ("old" or "new") on the state after ``phase``
    (expand, backfill or contract); one per rule, table and column."""
    findings: dict[tuple[str, str | None, str | None], Finding] = {}
    for key, app_table in app.tables.items():
        place = _Place(app_label, phase, key)
        visible = state.relation(key) if key in state.views else state.tables.get(key)
        if visible is None:
            found = [_missing_table(place, app_table, state, app)]
        else:
            behind = state.tables.get(state.views[key].table if key in state.views else key)
            check = _TableCheck(place, app, app_table, state, visible, behind or visible, dialect)
            found = check.findings()
        for finding in found:
            findings.setdefault((finding.code, finding.table, finding.column), finding)
    return list(findings.values())


@dataclass(frozen=True)
class _Place:
    app: str
    phase: str
    table: str

    def finding(
        self,
        rule: Rule,
        column: str | None,
        message: str,
        *,
        help: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding whose message starts with the app, the phase and the table or column."""
        subject = f"{self.table}.{column}" if column else f"table {self.table}"
        return rule.finding(
            f"{self.app} app after {self.phase}: {subject} {message}",
            help=help,
            severity=severity,
            phase=self.phase,
            app=self.app,
            table=self.table,
            column=column,
        )


def _missing_table(place: _Place, app_table: Table, state: Schema, app: Schema) -> Finding:
    wanted = app_table.column_types()
    twins = [
        key
        for key, table in state.tables.items()
        if key not in app.tables
        and all(
            name in table.columns and table.columns[name].type == t for name, t in wanted.items()
        )
    ]
    if twins:
        return place.finding(
            TABLE_MISSING,
            None,
            f"is gone but {', '.join(twins)} has the same columns: a rename without sync? use "
            "ops.RenameTable",
            help="Rename tables with ops.RenameTable: the old name stays as an updatable view "
            "until contract, so the old app keeps working.",
        )
    return place.finding(TABLE_MISSING, None, "does not exist: the app reads and writes it")


@dataclass(frozen=True)
class _TableCheck:
    """One table of the app against the table (or view) of the same name in the state."""

    place: _Place
    app: Schema
    app_table: Table
    state: Schema
    visible: Table
    """What the app reaches by the table's name: the table, or a view's share of it."""
    behind: Table
    """The table itself (behind a view): an insert leaves out every column the app does not
    map, the view's hidden ones too."""
    dialect: Dialect

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        for name, column in self.app_table.columns.items():
            state_column = self.visible.columns.get(name)
            if state_column is None:
                found.append(self._missing_column(name, column))
            else:
                found += self._column(name, column, state_column)
        found += self._unwritten_columns()
        found += self._constraints()
        return found

    # --- columns ----------------------------------------------------------------------------

    def _missing_column(self, name: str, column: Column) -> Finding:
        twins = [
            other
            for other, candidate in self.visible.columns.items()
            if other not in self.app_table.columns and candidate.type == column.type
        ]
        if twins:
            names = ", ".join(f"{self.place.table}.{twin}" for twin in twins)
            return self.place.finding(
                COLUMN_MISSING,
                name,
                f"is gone but {names} {'has' if len(twins) == 1 else 'have'} the same type: a "
                "rename without sync? use ops.RenameColumn",
                help="Rename columns with ops.RenameColumn: triggers keep both names in sync "
                "until contract, so the old app keeps working.",
            )
        return self.place.finding(
            COLUMN_MISSING, name, "does not exist: the app reads and writes it"
        )

    def _column(self, name: str, column: Column, state_column: Column) -> list[Finding]:
        found = []
        if state_column.generated and not column.generated:
            found.append(
                self.place.finding(
                    GENERATED_WRITTEN,
                    name,
                    f"is generated ({state_column.generated}) but the app maps a plain column "
                    "and writes it",
                )
            )
        required = self._required(name)
        filled = name in self._filled()
        if required and column.nullable and not column.generated and not filled:
            found.append(self._null_into_required(name, column, state_column, required))
        if (
            column.default is not None
            and not column.nullable
            and not column.app_default
            and state_column.default is None
            and not (state_column.identity or state_column.generated or filled)
        ):
            found.append(self._default_gone(name, column, required))
        found += self._types(name, column, state_column)
        return found

    def _null_into_required(
        self, name: str, column: Column, state_column: Column, required: str
    ) -> Finding:
        covered_by = (
            "its Python-side default"
            if column.app_default
            else "the server default"
            if column.default is not None and state_column.default is not None
            else None
        )
        if covered_by:
            return self.place.finding(
                NULL_INTO_REQUIRED,
                name,
                f"is {required} and the app maps it nullable: {covered_by} covers inserts, but "
                "an update that sets it to None fails",
                severity=Severity.WARNING,
            )
        return self.place.finding(
            NULL_INTO_REQUIRED,
            name,
            f"is {required} but the app maps it nullable with no default: its inserts that "
            "give no value, and any write of None, fail",
        )

    def _default_gone(self, name: str, column: Column, required: str | None) -> Finding:
        if required:
            return self.place.finding(
                SERVER_DEFAULT_GONE,
                name,
                f"has no server default and is {required}, but the app relies on its default "
                f"{column.default}: its inserts that give no value fail",
            )
        return self.place.finding(
            SERVER_DEFAULT_GONE,
            name,
            f"has no server default: inserts that give no value store NULL where the app "
            f"expects its default {column.default}",
            severity=Severity.WARNING,
        )

    def _types(self, name: str, column: Column, state_column: Column) -> list[Finding]:
        app_type = parse_type(column.type, self.dialect, self.app.enums)
        state_type = parse_type(state_column.type, self.dialect, self.state.enums)
        rules = {
            Effect.WRITES_BREAK: TYPE_BREAKS_WRITES,
            Effect.READS_BREAK: TYPE_BREAKS_READS,
            Effect.READS_DIFFER: TYPE_CHANGES_READS,
        }
        reasons: dict[Effect, list[str]] = {}
        for change in type_changes(app_type, state_type):
            reasons.setdefault(change.effect, []).append(change.reason)
        return [
            self.place.finding(
                rules[effect],
                name,
                f"is {state_column.type} where the app maps {column.type}: {'; '.join(why)}",
            )
            for effect, why in reasons.items()
        ]

    def _unwritten_columns(self) -> list[Finding]:
        """Columns the app does not map, which its inserts leave out."""
        filled = self._filled()
        found = []
        for name, column in self.behind.columns.items():
            if name in self.app_table.columns or name in filled:
                continue
            if column.default is not None or column.identity or column.generated:
                continue
            required = self._required(name)
            if required:
                found.append(
                    self.place.finding(
                        REQUIRED_UNWRITTEN,
                        name,
                        f"is {required} with no server default and nothing fills it, and the "
                        "app does not map it: every insert of the app fails",
                    )
                )
        return found

    def _required(self, name: str) -> str | None:
        """How the state refuses NULL in a column, or None where it takes NULL."""
        column = self.behind.columns.get(name)
        if column is not None and not column.nullable:
            return "NOT NULL"
        for check in self.behind.checks.values():
            if self._normalized(check.expression) == self._not_null(name):
                valid = "" if check.validated else " (NOT VALID, still checked on writes)"
                return f"kept NOT NULL by CHECK {check.name}{valid}"
        return None

    def _not_null(self, name: str) -> str:
        return self._normalized(self.dialect.is_not_null(name))

    def _filled(self) -> set[str]:
        """Columns a zdmigrate trigger gives a value when a write leaves them out (or, for a
        fill trigger, writes NULL)."""
        return {
            column
            for trigger in self.behind.triggers.values()
            for column in [*trigger.fills, *trigger.defaults]
        }

    def _normalized(self, expression: str) -> str:
        return self.dialect.normalize_expression(expression)

    # --- constraints ------------------------------------------------------------------------

    def _constraints(self) -> list[Finding]:
        return [*self._uniques(), *self._checks(), *self._foreign_keys()]

    def _writes(self, parts: list[str]) -> bool:
        """Whether the app writes any of these columns (or expression parts). Constraints on
        columns it never writes hold values the state gives, which are not its writes."""
        mapped = list(self.app_table.columns)
        return any(
            any(uses_column(part, name) for name in mapped)
            if is_expression(part)
            else part in mapped
            for part in parts
        )

    def _uniques(self) -> list[Finding]:
        app_keys = [(frozenset(columns), where) for columns, where in _unique_keys(self.app_table)]

        def declared(columns: list[str], where: str | None) -> bool:
            # A key the app declares on fewer columns makes every wider one hold too.
            return any(
                key <= frozenset(columns) and (app_where is None or app_where == where)
                for key, app_where in app_keys
            )

        found = []
        for columns, where in _unique_keys(self.behind):
            if declared(columns, where) or not self._writes(columns):
                continue
            names = ", ".join(columns)
            found.append(
                self.place.finding(
                    UNDECLARED_UNIQUE,
                    names,
                    f"must be unique{f' where {where}' if where else ''} in the state, which the "
                    "app's model does not declare: its writes may be refused as duplicates",
                )
            )
        return found

    def _checks(self) -> list[Finding]:
        declared = {self._normalized(c.expression) for c in self.app_table.checks.values()}
        columns = list(self.behind.columns)
        found = []
        for check in self.behind.checks.values():
            expression = self._normalized(check.expression)
            mentioned = self.dialect.expression_columns(check.expression, columns)
            if expression in declared or not self._writes(mentioned):
                continue
            if len(mentioned) == 1 and expression == self._not_null(mentioned[0]):
                continue  # NOT NULL by a check: ZD103 and ZD104 judge it
            found.append(
                self.place.finding(
                    UNDECLARED_CHECK,
                    ", ".join(mentioned),
                    f"has CHECK {check.name} ({check.expression})"
                    f"{'' if check.validated else ' NOT VALID, still checked on writes,'} "
                    "which the app's model does not declare: its writes may be refused",
                )
            )
        return found

    def _foreign_keys(self) -> list[Finding]:
        declared = {
            (tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns))
            for fk in self.app_table.foreign_keys.values()
        }
        found = []
        for fk in self.behind.foreign_keys.values():
            key = (tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns))
            if key in declared or not self._writes(fk.columns):
                continue
            found.append(
                self.place.finding(
                    UNDECLARED_FOREIGN_KEY,
                    ", ".join(fk.columns),
                    f"references {fk.ref_table} ({', '.join(fk.ref_columns)}) by foreign key "
                    f"{fk.name}, which the app's model does not declare: its writes may be "
                    "refused",
                )
            )
        return found


def _unique_keys(table: Table) -> list[tuple[list[str], str | None]]:
    """Every set of columns (and partial-index predicate) the table keeps unique. An invalid
    unique index counts: PostgreSQL keeps checking it on writes."""
    keys: list[tuple[list[str], str | None]] = []
    if table.primary_key:
        keys.append((table.primary_key.columns, None))
    keys += [(u.columns, None) for u in table.uniques.values()]
    keys += [(i.columns, i.where) for i in table.indexes.values() if i.unique]
    return keys
