"""zdmigrate and Alembic.

In ``env.py``, one import and one argument::

    import zdmigrate.alembic

    context.configure(
        connection=connection, **zdmigrate.alembic.configure(connection, sleep_ratio=0.5)
    )

Importing this package registers zdmigrate's operations as ``op.zd_*`` (see
:mod:`zdmigrate.alembic.operations`); :func:`configure` gives them the run options.

- :mod:`zdmigrate.alembic.history` reads a plain Alembic history from its ``alembic.ini``;
- :mod:`zdmigrate.alembic.record` records each revision offline as a migration to plan or run
  (``zdmigrate plan alembic.ini [--range A:B]``, ``zdmigrate run contract alembic.ini``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import zdmigrate.alembic.operations  # noqa: F401  (registers op.zd_*)
from zdmigrate.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["configure"]


def configure(connection: Connection | None = None, **options: Any) -> dict[str, Any]:
    """The arguments zdmigrate adds to ``context.configure(...)`` in ``env.py``.

    ``options`` are :class:`~zdmigrate.run.options.RunOptions`, the options of ``zdmigrate
    run`` (``batch_size``, ``target_batch_ms``, ``sleep_ratio``, ``max_lag_ms``,
    ``replica_urls``, ``max_load``, ``critical_load``, ``pause_flag_file``, ``lock_timeout_ms``,
    ``log_format``, …), for the expand and backfill that ``op.zd_*`` run. Each revision runs in
    a transaction of its own (``transaction_per_migration``), so that one revision's zdmigrate
    work commits nothing of another's.

    With Alembic's ``connection``, its plain revisions run under the same lock timeout: a
    statement that would wait longer for its lock (queueing the apps' queries behind it) fails
    instead, and the upgrade can be run again.
    """
    from dataclasses import fields

    from zdmigrate.alembic.operations import OPTIONS
    from zdmigrate.run.options import RunOptions

    known = {f.name for f in fields(RunOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise BadInput(
            f"zdmigrate.alembic.configure: unknown option {unknown[0]!r}: expected one of "
            + ", ".join(sorted(known))
        )
    run_options = RunOptions(**options)
    if connection is not None:
        from zdmigrate.engine import dialect_for

        dialect = dialect_for(connection)
        for sql in dialect.timeouts_sql(
            lock_timeout_ms=run_options.lock_timeout_ms, statement_timeout_ms=0, local=False
        ):
            connection.exec_driver_sql(sql)
        connection.commit()  # a session setting; Alembic begins its own transactions after
    return {"transaction_per_migration": True, OPTIONS: run_options}
