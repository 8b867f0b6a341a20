"""The ``zdmigrate`` command. Thin: parse, call the library, render.

Exit codes: 0 success; 1 a failed run; 2 bad input (one line on stderr naming the file, table
or column; nothing changed in any database). Heavy imports happen inside the commands, so that
``zdmigrate --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema

P = ParamSpec("P")
R = TypeVar("R")

PHASES = ("expand", "backfill", "contract", "rollback")
DIALECT_NAMES = ("postgresql", "mysql", "mariadb")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn zdmigrate's errors into one line on stderr and the contract's exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from zdmigrate.errors import BadInput, ZdmigrateError

        try:
            return command(*args, **kwargs)
        except BadInput as exc:
            click.echo(f"zdmigrate: error: {exc}", err=True)
            sys.exit(2)
        except ZdmigrateError as exc:
            click.echo(f"zdmigrate: failed: {exc}", err=True)
            sys.exit(1)

    return wrapper


class Group(click.Group):
    """Usage errors (an unknown option, a malformed value) are one line on stderr and exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "zdmigrate"
            click.echo(f"{command}: error: {exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"zdmigrate: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("zdmigrate: aborted", err=True)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zdmigrate")
def main() -> None:
    """Zero-downtime schema migrations for PostgreSQL and MySQL/MariaDB.

    Migrations are written as operations that compile into three phases — expand, backfill,
    contract — so the old and the new version of an app both keep working during a deploy.
    """


dialect_option = click.option(
    "--dialect",
    type=click.Choice(DIALECT_NAMES, case_sensitive=False),
    default="postgresql",
    show_default=True,
    help="The database the SQL is for.",
)
version_option = click.option(
    "--server-version",
    metavar="V",
    default=None,
    help="Server version, e.g. 15 or 8.0.36 or 10.11 (default: a current release).",
)

schema_option = click.option(
    "--schema",
    "schema_spec",
    metavar="SPEC",
    default=None,
    help="The schema before the first migration: module:attribute or a snapshot .json.",
)


def baseline(spec: str | None, dialect: Dialect) -> Schema:
    from zdmigrate.metadata import load_spec
    from zdmigrate.schema import Schema

    return load_spec(spec, dialect) if spec else Schema()


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@dialect_option
@version_option
@click.option(
    "--phase",
    type=click.Choice(PHASES),
    default=None,
    help="Print only this phase (default: expand, backfill and contract).",
)
@schema_option
@reports_errors
def sql(
    path: Path, dialect: str, server_version: str | None, phase: str | None, schema_spec: str | None
) -> None:
    """Print the SQL of each phase of the migrations at PATH (a file or a folder, or the
    revisions of an Alembic project's alembic.ini, recorded offline).

    Each statement comes with a comment naming its operation and the lock it takes.
    """
    from zdmigrate.dialects import get_dialect
    from zdmigrate.plan.report import annotated_sql
    from zdmigrate.steps import RUN_ORDER, Phase

    target = get_dialect(dialect, server_version)
    phases = [Phase(phase)] if phase else list(RUN_ORDER)
    from zdmigrate.migration import compile_release, load_any_release

    history, wanted = load_any_release([path], target)
    _, release = compile_release(history, wanted, target, baseline(schema_spec, target))
    for compiled in release:
        migration = compiled.migration
        click.echo(f"-- migration {migration.id} ({migration.path})")
        for p in phases:
            click.echo(f"\n-- phase: {p}")
            for step in compiled.phase(p):
                click.echo(annotated_sql(step))
        click.echo("")


@main.command()
@click.argument("spec", required=False)
@click.option("--database-url", envvar="ZDMIGRATE_DATABASE_URL", default=None, metavar="URL")
@dialect_option
@version_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None)
@reports_errors
def snapshot(
    spec: str | None,
    database_url: str | None,
    dialect: str,
    server_version: str | None,
    output: Path | None,
) -> None:
    """Write a JSON snapshot of a schema: of app models (SPEC, module:attribute) or of a live
    database (--database-url, read-only)."""
    from zdmigrate.errors import BadInput

    if spec is None and database_url is None:
        raise BadInput(
            "nothing to snapshot: give either SPEC (module:attribute) or --database-url "
            "(or set ZDMIGRATE_DATABASE_URL)"
        )
    if spec is not None and database_url is not None:
        raise BadInput(
            f"give SPEC ({spec}) or --database-url, not both "
            "(ZDMIGRATE_DATABASE_URL counts as --database-url)"
        )
    if database_url is not None:
        from zdmigrate.engine import connect, dialect_for
        from zdmigrate.reflect import reflect_schema

        with connect(database_url) as connection:
            schema = reflect_schema(connection, dialect_for(connection))
    else:
        from zdmigrate.dialects import get_dialect
        from zdmigrate.metadata import load_spec

        assert spec is not None
        schema = load_spec(spec, get_dialect(dialect, server_version))
    text = schema.to_json()
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text)
        except OSError as exc:
            raise BadInput(f"{output}: {exc.strerror}") from None
        click.echo(f"wrote {output}", err=True)


FORMATS = ("text", "markdown", "json", "github", "sarif")
FAIL_ON = ("error", "warning", "info", "never")


@main.command()
@click.argument(
    "paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECT_NAMES, case_sensitive=False),
    default=None,
    help="The database the migrations are for.  [default: postgresql]",
)
@version_option
@click.option("--old-app", metavar="SPEC", default=None, help="The app running before the release.")
@click.option("--new-app", metavar="SPEC", default=None, help="The app the release deploys.")
@schema_option
@click.option(
    "--database-url",
    envvar="ZDMIGRATE_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Reflect the schema before the release (read-only); sets the dialect and version.",
)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help="Exit 1 if a finding is at or above this severity.  [default: error]",
)
@click.option(
    "--external-runner",
    is_flag=True,
    default=None,
    help="The SQL is run by another tool, which sets no lock or statement timeout.",
)
@click.option(
    "--range",
    "revisions",
    metavar="FROM:TO",
    default=None,
    help="With an alembic.ini: the revisions to plan, as `alembic upgrade FROM:TO` reads them.",
)
@reports_errors
def plan(
    paths: tuple[Path, ...],
    dialect: str | None,
    server_version: str | None,
    old_app: str | None,
    new_app: str | None,
    schema_spec: str | None,
    database_url: str | None,
    output_format: str,
    fail_on: str | None,
    external_runner: bool | None,
    revisions: str | None,
) -> None:
    """Judge the release of the migrations at PATH... before it runs: the lock, rewrite and
    scan of every statement, and whether the old and the new app work on every phase.

    PATH is a migration .py file, a plain .sql file, or a folder of them; or the alembic.ini
    of a plain Alembic project, whose revisions are recorded offline. No database is
    needed; --database-url only reads the schema. Options also come from [tool.zdmigrate] in
    pyproject.toml. Exit 0: nothing at or above --fail-on; 1: findings; 2: bad input.
    """
    from zdmigrate.dialects import get_dialect
    from zdmigrate.errors import BadInput
    from zdmigrate.metadata import load_spec
    from zdmigrate.plan.config import load_config
    from zdmigrate.plan.planner import plan as make_plan
    from zdmigrate.plan.report import render

    config = load_config()

    def configured(value: Any, key: str, default: Any = None) -> Any:
        return value if value is not None else config.options.get(key, default)

    baseline_schema = None
    if database_url is not None:
        from zdmigrate.engine import connect, dialect_for
        from zdmigrate.reflect import reflect_schema

        with connect(database_url) as connection:
            target = dialect_for(connection)
            if dialect is not None and (dialect == "postgresql") != (target.name == "postgresql"):
                raise BadInput(f"--dialect {dialect}, but --database-url is a {target.name} server")
            baseline_schema = reflect_schema(connection, target)
    else:
        target = get_dialect(
            configured(dialect, "dialect", "postgresql"),
            configured(server_version, "server-version"),
        )
    if schema_spec is not None:
        if baseline_schema is not None:
            raise BadInput("give --schema or --database-url, not both")
        baseline_schema = load_spec(schema_spec, target)
    old_spec, new_spec = configured(old_app, "old-app"), configured(new_app, "new-app")
    result = make_plan(
        list(paths),
        target,
        baseline=baseline_schema,
        old_app=load_spec(old_spec, target) if old_spec else None,
        new_app=load_spec(new_spec, target) if new_spec else None,
        external_runner=bool(configured(external_runner, "external-runner", False)),
        ignore=config.ignore,
        revisions=revisions,
    )
    color = output_format == "text" and sys.stdout.isatty()
    click.echo(render(result, output_format, color=color).rstrip("\n"))
    if result.fails(configured(fail_on, "fail-on", "error")):
        sys.exit(1)


# --- running migrations: run, rollback, status, pause, resume ------------------------------

database_url_option = click.option(
    "--database-url",
    envvar="ZDMIGRATE_DATABASE_URL",
    default=None,
    metavar="URL",
    help="The database to migrate (or ZDMIGRATE_DATABASE_URL).",
)


def levels(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, int]:
    """``--max-load active_backends=50`` (repeatable) → {"active_backends": 50}."""
    parsed = {}
    for value in values:
        name, _, level = value.partition("=")
        if not name.strip() or not level.strip().isdigit():
            raise click.BadParameter(f"{value!r} is not NAME=N, e.g. active_backends=50")
        parsed[name.strip()] = int(level)
    return parsed


def run_options(command: Callable[P, R]) -> Callable[P, R]:
    """The options of commands that run statements, named as RunOptions' fields."""
    positive, not_negative = click.IntRange(min=1), click.FloatRange(min=0)
    for option in reversed(
        [
            database_url_option,
            click.option("--batch-size", type=positive, default=1000, show_default=True),
            click.option("--target-batch-ms", type=positive, default=50, show_default=True),
            click.option("--sleep-ratio", type=not_negative, default=0.0, show_default=True),
            click.option("--max-lag-ms", type=click.IntRange(min=0), default=None),
            click.option("--replica-url", "replica_urls", multiple=True, metavar="URL"),
            click.option("--max-load", multiple=True, metavar="NAME=N", callback=levels),
            click.option("--critical-load", multiple=True, metavar="NAME=N", callback=levels),
            click.option("--lock-timeout-ms", type=positive, default=500, show_default=True),
            click.option("--pause-flag-file", type=click.Path(path_type=Path), default=None),
            click.option(
                "--wait",
                "wait_for_runner_s",
                type=not_negative,
                default=0.0,
                metavar="SECONDS",
                help="Wait this long for another runner on the database to finish.",
            ),
            click.option("--log-format", type=click.Choice(["text", "json"]), default="text"),
            click.option("--metrics-file", type=click.Path(path_type=Path), default=None),
            click.option("--progress/--no-progress", default=None, help="[default: on a terminal]"),
        ]
    ):
        command = option(command)
    return command


def required_url(database_url: str | None) -> str:
    from zdmigrate.errors import BadInput

    if database_url is None:
        raise BadInput("no database: give --database-url or set ZDMIGRATE_DATABASE_URL")
    return database_url


def make_runner(database_url: str | None, **given: Any) -> Any:
    """A Runner with the command's options; its log goes to stderr."""
    from zdmigrate.run import logs
    from zdmigrate.run.options import RunOptions
    from zdmigrate.run.runner import Runner

    size = given["batch_size"]
    options = RunOptions(
        **given
        | {
            # An explicit batch size outside the adaptive range widens the range.
            "min_batch_size": min(RunOptions.min_batch_size, size),
            "max_batch_size": max(RunOptions.max_batch_size, size),
            "progress": sys.stderr.isatty() if given["progress"] is None else given["progress"],
        }
    )
    logs.configure(options.log_format)
    return Runner(required_url(database_url), options)


@main.command("run")
@click.argument("phase", type=click.Choice(["expand", "backfill", "contract"]))
@click.argument("path", type=click.Path(path_type=Path))
@run_options
@reports_errors
def run_command(phase: str, path: Path, database_url: str | None, **options: Any) -> None:
    """Run PHASE of the migration file PATH, or of every migration in the folder PATH whose
    previous phase is done, in id order. A done phase is skipped; a failed or interrupted one
    resumes where it stopped."""
    with make_runner(database_url, **options) as runner:
        for result in runner.run(path, phase):
            click.echo(str(result))


@main.command()
@click.argument("table")
@click.argument("spec", metavar="'ALTER SPEC'")
@click.option(
    "--strategy",
    type=click.Choice(["auto", "instant", "inplace", "shadow"]),
    default="auto",
    show_default=True,
)
@click.option("--execute", is_flag=True, help="Run it; without, a dry run changes nothing.")
@click.option(
    "--verify/--no-verify",
    "verify_copy",
    default=True,
    show_default=True,
    help="Check each chunk of a shadow-table copy against the original by a checksum.",
)
@click.option(
    "--postpone-swap-flag-file",
    type=click.Path(path_type=Path),
    default=None,
    help="A finished copy waits, kept in step, while this file exists.",
)
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Let a shadow-table copy go on past rows that lose data (each warning logged).",
)
@click.option(
    "--drop-old-table",
    is_flag=True,
    help="After a shadow-table copy, drop the original (kept as TABLE_zdm_old otherwise).",
)
@run_options
@reports_errors
def alter(
    table: str,
    spec: str,
    strategy: str,
    execute: bool,
    drop_old_table: bool,
    database_url: str | None,
    **options: Any,
) -> None:
    """Change one MySQL/MariaDB table: ALTER TABLE TABLE 'ALTER SPEC', with the strategy the
    server allows (instant, in place, or a shadow-table copy). A dry run unless --execute."""
    with make_runner(database_url, **options) as runner:
        planned = runner.alter(
            table, spec, strategy=strategy, execute=execute, drop_old_table=drop_old_table
        )
    click.echo(f"{planned.table}: {planned.strategy} ({planned.why})")
    for finding in planned.findings:
        click.echo(f"  {finding.code} {finding.severity}: {finding.message}")
    for line in planned.sql.splitlines():
        click.echo(f"  {line}")
    if not execute:
        click.echo("dry run: nothing changed; --execute runs it")
    elif planned.copy is not None and not drop_old_table:
        click.echo(f"done; the original is kept as {planned.copy.old}")
    else:
        click.echo("done")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@run_options
@reports_errors
def rollback(path: Path, database_url: str | None, **options: Any) -> None:
    """Undo the migrations at PATH whose contract has not run, last first."""
    with make_runner(database_url, **options) as runner:
        for result in runner.rollback(path):
            click.echo(str(result))


@main.command()
@database_url_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--require",
    multiple=True,
    metavar="ID:PHASE",
    help="Exit 1 unless migration ID has reached PHASE (a gate for the app's rollout).",
)
@reports_errors
def status(database_url: str | None, output_format: str, require: tuple[str, ...]) -> None:
    """Show the state of every migration the database has a record of."""
    import json

    from zdmigrate.errors import BadInput, UnknownMigration
    from zdmigrate.health import check_required, required_phase
    from zdmigrate.run.runner import Runner

    required = {}
    for spec in require:
        migration_id, _, phase = spec.rpartition(":")
        if not migration_id:
            raise BadInput(f"--require {spec!r} is not ID:PHASE, e.g. 0003_user_email:backfill")
        required[migration_id] = required_phase(phase)
    with Runner(required_url(database_url)) as runner:
        states = runner.status()
    by_id = {s.id: s for s in states}
    if unknown := [migration_id for migration_id in required if migration_id not in by_id]:
        raise UnknownMigration(unknown[0])
    if output_format == "json":
        click.echo(json.dumps({"migrations": [s.to_dict() for s in states]}, indent=2))
    for s in states if output_format == "text" else []:
        rows = f", {s.rows_done} rows" if s.rows_done else ""
        failed = f"\n    last error: {s.last_error}" if s.status == "failed" else ""
        click.echo(f"{s.id}  {s.describe()}{rows}{failed}")
    if output_format == "text" and not states:
        click.echo("no migration has run on this database")
    check_required(by_id, required)


@main.command()
@click.argument("migration_id", metavar="ID")
@database_url_option
@reports_errors
def pause(migration_id: str, database_url: str | None) -> None:
    """Hold migration ID's backfill before its next batch, until `zdmigrate resume ID`."""
    _hold(migration_id, database_url, paused=True)


@main.command()
@click.argument("migration_id", metavar="ID")
@database_url_option
@reports_errors
def resume(migration_id: str, database_url: str | None) -> None:
    """Let migration ID's paused backfill go on."""
    _hold(migration_id, database_url, paused=False)


def _hold(migration_id: str, database_url: str | None, *, paused: bool) -> None:
    """`pause` and `resume`, which differ only in which way they set the migration's pause."""
    from zdmigrate.run.runner import Runner

    with Runner(required_url(database_url)) as runner:
        (runner.pause if paused else runner.resume)(migration_id)
    click.echo(f"{migration_id}: {'paused' if paused else 'resumed'}")
