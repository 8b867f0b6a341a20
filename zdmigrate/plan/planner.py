"""``zdmigrate plan``: compile a release, then judge every step and both app versions. Pure.

A release is the migrations given, run the way ``zdmigrate run`` runs a folder: expand of each
in id order, then backfill of each, then the new app is deployed, then contract of each. The
planner reports, for every migration:

- the lock, rewrite and scan facts of every step (:mod:`zdmigrate.plan.locks`), and what the
  SQL analysers find in SQL the user wrote (RunSQL bodies and plain ``.sql`` files);
- with ``old_app`` / ``new_app``: whether the old app works on the states after expand and
  backfill, and the new app on the states after backfill and contract
  (:mod:`zdmigrate.plan.compat` over :mod:`zdmigrate.plan.states`).

Findings the user accepted — ``ignore=`` on an operation, ``-- zdmigrate: ignore CODE reason``
in SQL, ``[tool.zdmigrate.ignore]`` — are kept apart with their reasons.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zdmigrate.errors import BadInput, SchemaError
from zdmigrate.findings import RULES, Finding, Severity, rule
from zdmigrate.migration import compile_release, load_any_release
from zdmigrate.ops.run_sql import RunSQL
from zdmigrate.plan.locks import merge, step_findings
from zdmigrate.plan.result import PlannedMigration, PlanResult, Suppressed
from zdmigrate.schema import Schema
from zdmigrate.steps import RUN_ORDER, Phase

if TYPE_CHECKING:
    from zdmigrate.analyze import Analysis
    from zdmigrate.dialects import Dialect
    from zdmigrate.migration import CompiledMigration

RELEASE_ORDER = rule(
    "ZD190",
    "release-order",
    Severity.ERROR,
    "A migration's phase needs an earlier migration of the same release to be contracted first.",
    "Put the two migrations in separate releases: deploy and contract the first, then the second.",
)


@dataclass
class _Accepted:
    """Suppressions in force for one migration."""

    by_position: dict[int, Mapping[str, str]] = field(default_factory=dict)
    everywhere: Mapping[str, str] = field(default_factory=dict)


def plan(
    paths: Sequence[Path],
    dialect: Dialect,
    *,
    baseline: Schema | None = None,
    old_app: Schema | None = None,
    new_app: Schema | None = None,
    external_runner: bool = False,
    ignore: Mapping[str, str] | None = None,
    revisions: str | None = None,
) -> PlanResult:
    """Plan the release of the migrations at ``paths`` (files or folders), or of the
    revisions of the Alembic project whose ``alembic.ini`` is the one path given (``revisions``:
    ``A:B``, as ``alembic upgrade A:B``; all of them by default).

    ``baseline`` is the schema before them (S0): reflected from a database or read from a
    snapshot. Without one, S0 is what the earlier migrations of the same folder make, or, where
    there are none, the old app's schema.
    """
    everywhere = dict(ignore or {})
    _known_codes(everywhere, "pyproject.toml [tool.zdmigrate.ignore]")
    history, wanted = load_any_release(paths, dialect, revisions)
    if baseline is None:
        baseline = old_app if old_app is not None and not history else Schema()
    before, compiled = compile_release(history, wanted, dialect, baseline)
    existing = set(before.tables)
    planned = [_plan_migration(m, dialect, external_runner, everywhere, existing) for m in compiled]
    if old_app is not None or new_app is not None:
        _check_apps(compiled, planned, before, dialect, old_app, new_app, everywhere)
    for p in planned:
        p.findings.sort(key=_order)
    return PlanResult(
        migrations=planned,
        dialect=dialect.name,
        server_version=".".join(map(str, dialect.version)),
    )


def _order(f: Finding) -> tuple[int, int, str]:
    phase = [str(p) for p in RUN_ORDER].index(f.phase) if f.phase in RUN_ORDER else -1
    return (phase, f.line or 0, f.code)


def _plan_migration(
    compiled: CompiledMigration,
    dialect: Dialect,
    external_runner: bool,
    everywhere: Mapping[str, str],
    existing: set[str],
) -> PlannedMigration:
    """``existing``: the tables there before the release. Until the new app is deployed (after
    backfill), a lock on a table the release creates is nobody's wait: no app uses it yet."""
    migration = compiled.migration
    path = migration.path
    lines = operation_lines(Path(path)) if path and path.endswith(".py") else {}
    analyses = _analyses(compiled, dialect, external_runner)
    by_position = {}
    for position, operation in enumerate(migration.operations, 1):
        if operation.ignore:
            where = f"{path or migration.id}: operation {position} ({type(operation).__name__})"
            _known_codes(operation.ignore, where)
            by_position[position] = operation.ignore
    planned = PlannedMigration(
        id=migration.id, path=path, steps={p: compiled.phase(p) for p in RUN_ORDER}
    )

    def report(finding: Finding, position: int | None, in_sql: Mapping[str, str]) -> None:
        if finding in planned.findings:  # two statements of one operation, the same lock
            return
        for source, accepted in (
            ("sql comment", in_sql),
            ("operation", by_position.get(position or 0, {})),
            ("pyproject.toml", everywhere),
        ):
            if finding.code in accepted:
                planned.suppressed.append(Suppressed(finding, accepted[finding.code], source))
                return
        planned.findings.append(finding)

    for phase in RUN_ORDER:
        seen: dict[int, int] = {}  # position → statements of that operation seen in this phase
        for step in compiled.phase(phase):
            position = step.position or 0
            line = lines.get(position)
            specific: list[Finding] = []
            in_sql: Mapping[str, str] = {}
            if position in analyses:
                index = seen.get(position, 0)
                seen[position] = index + 1
                statements = analyses[position].statements
                if index < len(statements):
                    analysed = statements[index]
                    specific = list(analysed.findings)
                    in_sql = _sql_ignores(analysed.ignores, path or migration.id, analysed.line)
                    line = migration.source_line(analysed.line) or line
            table = step.statement.table
            unused = phase is not Phase.CONTRACT and table is not None and table not in existing
            generic = [] if unused else step_findings(step)
            for finding in merge(generic, specific):
                report(finding.at(file=path, line=line).with_phase(phase), position, in_sql)
    for finding in migration.findings:
        report(finding, None, {})
    for position, analysis in analyses.items():
        runs_in = getattr(migration.operations[position - 1], "phase", Phase.EXPAND)
        for finding in analysis.findings:
            report(finding.at(file=path, line=None).with_phase(runs_in), position, {})
    return planned


def _analyses(
    compiled: CompiledMigration, dialect: Dialect, external_runner: bool
) -> dict[int, Analysis]:
    """The analysis of each RunSQL of the migration, read against the schema it runs on."""
    from zdmigrate.analyze import analyze

    found: dict[int, Analysis] = {}
    operations = compiled.migration.operations
    if not any(isinstance(o, RunSQL) for o in operations):
        return found
    current = compiled.before.copy()
    for position, operation in enumerate(operations, 1):
        if isinstance(operation, RunSQL):
            found[position] = analyze(
                operation.sql, dialect, current, external_runner=external_runner
            )
        operation.apply(current, dialect)
    return found


def _sql_ignores(ignores: Mapping[str, str], where: str, line: int) -> Mapping[str, str]:
    _known_codes(ignores, f"{where}: line {line}")
    return ignores


def _known_codes(ignores: Mapping[str, str], where: str) -> None:
    if any(code not in RULES for code in ignores):
        register_every_rule()
    for code, reason in ignores.items():
        if code not in RULES:
            raise BadInput(f"{where}: ignore names an unknown rule {code!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise BadInput(f"{where}: ignore {code} needs a reason")


def _check_apps(
    compiled: list[CompiledMigration],
    planned: list[PlannedMigration],
    before: Schema,
    dialect: Dialect,
    old_app: Schema | None,
    new_app: Schema | None,
    everywhere: Mapping[str, str],
) -> None:
    """The old app on every state up to the end of backfill, the new app from the end of
    backfill on. Each problem is reported once, at the first state where it shows."""
    from zdmigrate.plan.compat import check_app
    from zdmigrate.plan.states import phase_states

    by_id = {p.id: p for p in planned}
    reported: set[tuple[str, str | None, str | None, str | None]] = set()
    last_backfill = (compiled[-1].migration.id, Phase.BACKFILL)

    def check(app: Schema, label: str, m: CompiledMigration, phase: Phase, state: Schema) -> None:
        target = by_id[m.migration.id]
        for finding in check_app(app, state, dialect, app_label=label, phase=str(phase)):
            key = (finding.code, finding.app, finding.table, finding.column)
            if key in reported:
                continue
            reported.add(key)
            finding = finding.at(file=m.migration.path, line=None)
            if finding.code in everywhere:
                target.suppressed.append(
                    Suppressed(finding, everywhere[finding.code], "pyproject.toml")
                )
            else:
                target.findings.append(finding)

    try:
        for m, phase, state in phase_states(compiled, before, dialect):
            if old_app is not None and phase in (Phase.EXPAND, Phase.BACKFILL):
                check(old_app, "old", m, phase, state)
            is_new = phase is Phase.CONTRACT or (m.migration.id, phase) == last_backfill
            if new_app is not None and is_new:
                check(new_app, "new", m, phase, state)
    except SchemaError as exc:
        planned[-1].findings.append(
            RELEASE_ORDER.finding(str(exc), table=exc_table(exc), file=planned[-1].path)
        )


def register_every_rule() -> None:
    """Import the modules whose rules register on import (the analysers load lazily)."""
    import zdmigrate.alembic.record
    import zdmigrate.analyze.mysql
    import zdmigrate.analyze.postgresql
    import zdmigrate.plan.compat  # noqa: F401


def exc_table(exc: SchemaError) -> str | None:
    table = getattr(exc, "table", None)
    return table if isinstance(table, str) else None


def operation_lines(path: Path) -> dict[int, int]:
    """Operation position → the line it starts on, read from ``migration = Migration(...)``, or
    from the ``op.zd_*(...)`` calls of an Alembic revision's ``upgrade()``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            calls = [
                n
                for n in ast.walk(node)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr.startswith("zd_")
            ]
            calls.sort(key=lambda n: (n.lineno, n.col_offset))
            return {i: call.lineno for i, call in enumerate(calls, 1)}
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        name = node.func.id if isinstance(node.func, ast.Name) else name
        if name != "Migration":
            continue
        listed = [k.value for k in node.keywords if k.arg == "operations"]
        listed += node.args[1:2]
        for value in listed:
            if isinstance(value, ast.List | ast.Tuple):
                return {i: element.lineno for i, element in enumerate(value.elts, 1)}
    return {}
