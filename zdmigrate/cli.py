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
    from zdmigrate.migration import CompiledMigration
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


def baseline(spec: str | None, dialect: Dialect) -> Schema:
    from zdmigrate.metadata import load_spec
    from zdmigrate.schema import Schema

    return load_spec(spec, dialect) if spec else Schema()


def compile_path(path: Path, dialect: Dialect, schema: Schema) -> list[CompiledMigration]:
    """Compile the migrations at ``path``. For a single file, the migrations before it in its
    folder are compiled first (not shown), so that it sees the schema they make."""
    from zdmigrate.migration import compile_migration, load_path

    wanted = load_path(path)
    if path.is_dir():
        history = wanted
    else:
        siblings = (
            [m for m in load_path(path.parent) if m.id < wanted[0].id]
            if path.parent.is_dir()
            else []
        )
        history = siblings + wanted
    shown = {m.id for m in wanted}
    compiled = []
    for migration in history:
        result = compile_migration(migration, schema, dialect)
        schema = result.after
        if migration.id in shown:
            compiled.append(result)
    return compiled


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
@click.option(
    "--schema",
    "schema_spec",
    metavar="SPEC",
    default=None,
    help="The schema before the first migration: module:attribute or a snapshot .json.",
)
@reports_errors
def sql(
    path: Path, dialect: str, server_version: str | None, phase: str | None, schema_spec: str | None
) -> None:
    """Print the SQL of each phase of the migrations at PATH (a file or a folder).

    Each statement comes with a comment naming its operation and the lock it takes.
    """
    from zdmigrate.dialects import get_dialect
    from zdmigrate.steps import RUN_ORDER, Phase

    target = get_dialect(dialect, server_version)
    phases = [Phase(phase)] if phase else list(RUN_ORDER)
    for compiled in compile_path(path, target, baseline(schema_spec, target)):
        migration = compiled.migration
        click.echo(f"-- migration {migration.id} ({migration.path})")
        for p in phases:
            click.echo(f"\n-- phase: {p}")
            for step in compiled.phase(p):
                click.echo(render_step(step))
        click.echo("")


def render_step(step: Any) -> str:
    s = step.statement
    facts = [f"lock {s.lock}" + (f" (blocks {', '.join(s.blocks)})" if s.blocks else "")]
    facts += [f for f, on in (("rewrites the table", s.rewrite), ("scans", s.scan)) if on]
    if s.batched is not None:
        facts.append("batched")
    if not s.transactional:
        facts.append("outside a transaction")
    if not s.online:
        facts.append("NOT ONLINE")
    lines = [f"-- {step.operation}: {'; '.join(facts)}"]
    if s.note:
        lines.append(f"--   {s.note}")
    if step.undoes:
        lines.append(f"--   undoes {step.undoes}")
    return "\n".join([*lines, f"{s.sql};"])


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
