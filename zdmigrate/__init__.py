"""zdmigrate: zero-downtime schema migrations for PostgreSQL and MySQL/MariaDB.

Migrations are written as operations; each compiles into expand, backfill and contract phases
that keep the old and the new version of an application working while both are live.

The names below are imported on first use, so that the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zdmigrate import ops
    from zdmigrate.errors import BadInput, ExecutionError, SchemaError, ZdmigrateError
    from zdmigrate.migration import CompiledMigration, Migration, compile_migration
    from zdmigrate.run.options import RunOptions
    from zdmigrate.run.runner import Runner
    from zdmigrate.steps import Phase, Statement, Step

__version__ = "0.1.0"

_LAZY = {
    "BadInput": "zdmigrate.errors",
    "CompiledMigration": "zdmigrate.migration",
    "ExecutionError": "zdmigrate.errors",
    "Migration": "zdmigrate.migration",
    "Phase": "zdmigrate.steps",
    "RunOptions": "zdmigrate.run.options",
    "Runner": "zdmigrate.run.runner",
    "SchemaError": "zdmigrate.errors",
    "Statement": "zdmigrate.steps",
    "Step": "zdmigrate.steps",
    "ZdmigrateError": "zdmigrate.errors",
    "compile_migration": "zdmigrate.migration",
}


def __getattr__(name: str) -> Any:
    if name == "ops":
        return importlib.import_module("zdmigrate.ops")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zdmigrate' has no attribute {name!r}")


__all__ = [
    "BadInput",
    "CompiledMigration",
    "ExecutionError",
    "Migration",
    "Phase",
    "RunOptions",
    "Runner",
    "SchemaError",
    "Statement",
    "Step",
    "ZdmigrateError",
    "__version__",
    "compile_migration",
    "ops",
]
