"""Lock, rewrite and scan findings for steps, whatever wrote their SQL.

A step's :class:`~zdmigrate.steps.Statement` carries the facts: the lock, what it blocks, whether
it rewrites or scans the table, whether this server can do it online. The dialects declare them
for the SQL zdmigrate writes; :mod:`zdmigrate.analyze` reads them off SQL a user wrote. These
rules turn the facts into findings, so one reading of "is this safe" serves both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zdmigrate.findings import Severity, rule
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.findings import Finding
    from zdmigrate.steps import Step

BRIEF_LOCK = rule(
    "ZD201",
    "brief-blocking-lock",
    Severity.INFO,
    "A statement takes a lock that blocks app traffic, for as long as a catalog change takes.",
    "zdmigrate run sets a short lock timeout and retries, so the statement never queues in "
    "front of app queries; run this file with `zdmigrate run` (or pass --external-runner to "
    "check it sets its own timeouts).",
)
REWRITE = rule(
    "ZD202",
    "table-rewrite-under-lock",
    Severity.ERROR,
    "A statement rewrites the whole table while holding a lock that blocks app traffic.",
    "Change the column with ops.ChangeColumnType (a synced copy filled in batches); on MySQL, "
    "`zdmigrate alter` copies the table to a shadow table online.",
)
SCAN = rule(
    "ZD203",
    "scan-under-lock",
    Severity.ERROR,
    "A statement reads the whole table while holding a lock that blocks app traffic.",
    "Add constraints NOT VALID and VALIDATE them apart (ops.AddCheckConstraint, "
    "ops.AddForeignKey, ops.SetNotNull), and build indexes online (ops.CreateIndex).",
)
NOT_ONLINE = rule(
    "ZD204",
    "blocking-change",
    Severity.ERROR,
    "A change holds a lock that blocks app traffic for its whole length.",
    "Use `zdmigrate alter` (a shadow-table copy) on MySQL, or a newer server version where the "
    "change is online.",
)
UNKNOWN_LOCK = rule(
    "ZD205",
    "unknown-lock",
    Severity.WARNING,
    "The lock a statement takes is not known: it is assumed to block reads and writes.",
    "Check the lock in the server's manual, then declare it: "
    'RunSQL(..., lock="SHARE UPDATE EXCLUSIVE") in a migration, or '
    "`-- zdmigrate: ignore ZD205 <the lock, and why it is safe>` above the statement in a .sql "
    "file; or write the change with a zdmigrate operation.",
)

OPERATION_HELP = (
    "zdmigrate has no online recipe for this operation on this server version: run the "
    "release when traffic is low and accept the finding with ignore={CODE: reason}, plan for a "
    "server version that does it online (--server-version), or on MySQL use `zdmigrate alter` "
    "(a shadow-table copy)."
)

# Rules of the SQL analysers that already say all a generic finding would: the statement gets
# no generic finding beside them.
_SPECIFIC = ("ZD3", "ZD4")


def step_findings(step: Step) -> list[Finding]:
    """The lock findings of one step, placed in its phase and table."""
    s = step.statement
    phase, table = str(_shown_phase(step)), s.table
    blocks = " and ".join(s.blocks)
    found = []
    if s.lock == "unknown":
        found.append(
            UNKNOWN_LOCK.finding(
                f"{step.operation}: the lock this SQL takes is unknown", phase=phase, table=table
            )
        )
    elif not s.online:
        # Not online: the lock is held for the length of the work, so the work names the rule.
        kind, what = (
            (REWRITE, "rewrites") if s.rewrite else (SCAN, "scans") if s.scan else (NOT_ONLINE, "")
        )
        action = f"{what} {s.table or 'the table'}" if what else "makes its change"
        why = f" ({s.note})" if s.note else ""
        found.append(
            kind.finding(
                f"{step.operation} {action} under {s.lock}, blocking {blocks or 'other DDL'} "
                f"until it is done{why}",
                help=None if step.operation == "RunSQL" else OPERATION_HELP,
                phase=phase,
                table=table,
            )
        )
    elif s.blocks and s.batched is None:
        found.append(
            BRIEF_LOCK.finding(
                f"{step.operation} needs {s.lock}, blocking {blocks} while it waits for "
                "the lock and while it holds it",
                phase=phase,
                table=table,
            )
        )
    return found


def _shown_phase(step: Step) -> Phase:
    return step.undoes if step.phase is Phase.ROLLBACK and step.undoes else step.phase


def merge(generic: list[Finding], specific: list[Finding]) -> list[Finding]:
    """The analyser's findings for a statement, or the generic ones where it has none."""
    if any(f.code.startswith(_SPECIFIC) for f in specific):
        return [*specific, *(f for f in generic if f.code == UNKNOWN_LOCK.code)]
    return [*generic, *specific]
