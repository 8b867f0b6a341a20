"""The rules of the MySQL and MariaDB SQL analyser (codes ZD401–ZD499), one page each under
docs/rules/. The analyser (:mod:`zdmigrate.analyze.mysql`) decides when they apply."""

from __future__ import annotations

from zdmigrate.findings import Severity, rule

SHADOW_COPY = (
    "`zdmigrate alter` (a shadow-table copy kept in sync by triggers, coming in a later "
    "release) makes the change without blocking writes"
)

TABLE_COPY = rule(
    "ZD401",
    "mysql-table-copy",
    Severity.ERROR,
    "The server runs the ALTER with ALGORITHM=COPY: the table is copied while writes wait.",
    f"Use the zdmigrate operation for the change; where MySQL has no online way, {SHADOW_COPY}.",
)
TABLE_REBUILD = rule(
    "ZD402",
    "mysql-table-rebuild",
    Severity.WARNING,
    "The ALTER rebuilds the table in place: reads and writes go on, but it runs as long as a "
    "copy and replicas lag behind it.",
    "Run it at a quiet time with replication lag watched, or use the zdmigrate operation for "
    f"the change; {SHADOW_COPY}.",
)
WRITES_BLOCKED = rule(
    "ZD403",
    "mysql-writes-blocked",
    Severity.ERROR,
    "The in-place work needs LOCK=SHARED: writes wait for its whole length.",
    f"{SHADOW_COPY[0].upper()}{SHADOW_COPY[1:]}; or build the index on a replica and fail over.",
)
EXCLUSIVE_LOCK = rule(
    "ZD404",
    "mysql-exclusive-lock",
    Severity.ERROR,
    "LOCK=EXCLUSIVE: reads and writes wait for the whole ALTER.",
    "Leave LOCK= out (the server takes the weakest lock it can) or write LOCK=NONE, so that "
    "the statement fails rather than blocks where it cannot run online.",
)
ALGORITHM_REFUSED = rule(
    "ZD405",
    "mysql-algorithm-refused",
    Severity.ERROR,
    "The server cannot honour the statement's ALGORITHM= or LOCK= clause: the statement fails.",
    "Write the change another way (see the other findings), or ask for what this server can do.",
)
NO_LOCK_WAIT_TIMEOUT = rule(
    "ZD406",
    "mysql-lock-wait-timeout",
    Severity.WARNING,
    "DDL without a lock_wait_timeout queues behind long transactions, and every query of the "
    "table queues behind it.",
    "Start the file with SET SESSION lock_wait_timeout = 5 (seconds) and retry on error 1205, "
    "or run it with `zdmigrate run`, which bounds the wait and retries.",
)
RENAME_COLUMN = rule(
    "ZD407",
    "mysql-rename-column",
    Severity.ERROR,
    "Renaming a column breaks the app version still running, which uses the old name.",
    "ops.RenameColumn adds the new column, keeps both in sync with triggers while both app "
    "versions run, and drops the old one in contract.",
)
DROP_COLUMN = rule(
    "ZD408",
    "mysql-drop-column",
    Severity.WARNING,
    "Dropping a column breaks any app version still reading or writing it.",
    "ops.DropColumn drops it in contract, once no running app version uses it.",
)
RENAME_TABLE = rule(
    "ZD409",
    "mysql-rename-table",
    Severity.ERROR,
    "Renaming a table breaks the app version still running, which uses the old name.",
    "ops.RenameTable renames it and leaves an updatable view under the old name until contract.",
)
DROP_TABLE = rule(
    "ZD410",
    "mysql-drop-table",
    Severity.WARNING,
    "Dropping a table breaks any app version still using it, and loses its rows.",
    "ops.DropTable drops it in contract, once no running app version uses it.",
)
TRUNCATE_TABLE = rule(
    "ZD411",
    "mysql-truncate-table",
    Severity.WARNING,
    "TRUNCATE empties a table that the running app uses, under an exclusive metadata lock.",
    "Delete the rows that must go in batches (ops.Backfill-style DELETE … LIMIT loops), or "
    "drop the table with ops.DropTable once no app version uses it.",
)
LOCK_TABLES = rule(
    "ZD412",
    "mysql-lock-tables",
    Severity.ERROR,
    "LOCK TABLES holds other sessions off the table until UNLOCK TABLES.",
    "Leave LOCK TABLES out of migrations: online DDL needs no table lock, and zdmigrate's "
    "operations fence the few statements that must apply together.",
)
WHOLE_TABLE_DML = rule(
    "ZD413",
    "mysql-whole-table-dml",
    Severity.WARNING,
    "An UPDATE or DELETE of a whole table in one statement locks every row it touches until "
    "it commits, and replicas lag behind it.",
    "ops.Backfill runs it in key-ordered batches, each its own short transaction, throttled "
    "on replica lag.",
)
VERDICT_UNKNOWN = rule(
    "ZD414",
    "mysql-verdict-unknown",
    Severity.WARNING,
    "The analyser cannot tell how the server runs this change; it may copy the table.",
    "Give the planner the schema (--database-url or a snapshot) so it knows the old column "
    "types, or add ALGORITHM=INSTANT / ALGORITHM=INPLACE, LOCK=NONE so that the server "
    "refuses rather than copies.",
)
REQUIRED_COLUMN = rule(
    "ZD415",
    "mysql-required-column",
    Severity.ERROR,
    "A NOT NULL column without a default: inserts of the running app, which does not know "
    "the column, fail with error 1364.",
    "ops.AddColumn with a server_default, or add the column NULL and make it NOT NULL later "
    "with ops.SetNotNull.",
)
