"""The rules of PostgreSQL SQL analysis, ZD301–ZD399: one place that lists them all.

Each rule says what it catches and the safe zdmigrate operation to use instead; the checks live
in :mod:`zdmigrate.analyze.postgresql_statements` (one statement at a time) and
:mod:`zdmigrate.analyze.postgresql` (what statements do to each other in a transaction). Every
rule has a page ``docs/rules/<code>.md``. Lock findings are never raised for a table the same
text created: it is new and empty, and nothing else uses it yet.
"""

from __future__ import annotations

from zdmigrate.findings import Severity, rule

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CREATE_INDEX = rule(
    "ZD301",
    "create-index-blocking",
    ERROR,
    "CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build",
    "use ops.CreateIndex (CREATE INDEX CONCURRENTLY, outside a transaction)",
)
DROP_INDEX = rule(
    "ZD302",
    "drop-index-blocking",
    WARNING,
    "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table",
    "use ops.DropIndex (DROP INDEX CONCURRENTLY, outside a transaction)",
)
REINDEX = rule(
    "ZD303",
    "reindex-blocking",
    ERROR,
    "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index",
    "run REINDEX … CONCURRENTLY (PostgreSQL 12+) as RunSQL(..., transactional=False)",
)
NOT_IN_TRANSACTION = rule(
    "ZD304",
    "cannot-run-in-transaction",
    ERROR,
    "a statement that cannot run inside a transaction block is inside BEGIN … COMMIT: it fails",
    "move it out of the BEGIN … COMMIT block; zdmigrate runs such statements on their own",
)
VACUUM_FULL = rule(
    "ZD305",
    "vacuum-full-or-cluster",
    ERROR,
    "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE: no reads or writes",
    "use pg_repack (or pg_squeeze), which rebuilds the table online",
)
ADD_COLUMN_REWRITE = rule(
    "ZD306",
    "add-column-rewrite",
    ERROR,
    "ADD COLUMN whose value is computed per row (volatile default, serial, identity, stored "
    "generated) rewrites the table under ACCESS EXCLUSIVE",
    "use ops.AddColumn without the default (or with a constant one), then ops.Backfill the "
    "values in batches",
)
ADD_COLUMN_NOT_NULL = rule(
    "ZD307",
    "add-column-not-null-without-default",
    ERROR,
    "ADD COLUMN … NOT NULL without a default fails on a table that has rows",
    "use ops.AddColumn with a server_default, or add it nullable and use ops.SetNotNull(fill=…)",
)
CHANGE_TYPE = rule(
    "ZD308",
    "change-column-type-rewrite",
    ERROR,
    "ALTER COLUMN … TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE",
    "use ops.ChangeColumnType (a new column kept in sync by a trigger, batched backfill, swap)",
)
SET_NOT_NULL = rule(
    "ZD309",
    "set-not-null-scan",
    ERROR,
    "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK "
    "(col IS NOT NULL) proves it (PostgreSQL 12+)",
    "use ops.SetNotNull (CHECK … NOT VALID, VALIDATE, then SET NOT NULL without a scan)",
)
NOT_VALID_MISSING = rule(
    "ZD310",
    "constraint-without-not-valid",
    ERROR,
    "a CHECK or FOREIGN KEY added without NOT VALID checks every row under a blocking lock",
    "use ops.AddCheckConstraint / ops.AddForeignKey (ADD … NOT VALID, then VALIDATE CONSTRAINT "
    "under SHARE UPDATE EXCLUSIVE)",
)
VALIDATE_SAME_TRANSACTION = rule(
    "ZD311",
    "validate-in-same-transaction",
    ERROR,
    "VALIDATE CONSTRAINT in the same transaction as its ADD … NOT VALID scans under the ADD's lock",
    "commit between ADD … NOT VALID and VALIDATE; ops.AddCheckConstraint and ops.AddForeignKey "
    "validate in the backfill phase",
)
UNIQUE_BUILDS_INDEX = rule(
    "ZD312",
    "constraint-builds-index",
    ERROR,
    "ADD UNIQUE / PRIMARY KEY / EXCLUDE without USING INDEX builds an index under ACCESS EXCLUSIVE",
    "use ops.AddUniqueConstraint (CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … "
    "USING INDEX)",
)
RENAME_COLUMN = rule(
    "ZD313",
    "rename-column",
    ERROR,
    "RENAME COLUMN breaks the app version still running, which uses the old name",
    "use ops.RenameColumn (both names work until contract)",
)
RENAME_TABLE = rule(
    "ZD314",
    "rename-table",
    ERROR,
    "RENAME of a table or view, or SET SCHEMA, breaks the app version still running, which uses "
    "the old name",
    "use ops.RenameTable (the old name stays usable through a view until contract)",
)
DROP_COLUMN = rule(
    "ZD315",
    "drop-column",
    WARNING,
    "DROP COLUMN breaks the app version still running if it reads or writes the column",
    "use ops.DropColumn, which drops it in contract, once no running app uses it",
)
DROP_TABLE = rule(
    "ZD316",
    "drop-table",
    WARNING,
    "DROP TABLE or VIEW (or SCHEMA … CASCADE, DATABASE) breaks the app version that still uses it",
    "use ops.DropTable, which drops it in contract, once no running app uses it",
)
ENUM_RENAME_VALUE = rule(
    "ZD317",
    "enum-rename-value",
    ERROR,
    "ALTER TYPE … RENAME VALUE breaks the app version still running, which writes the old value",
    "add the new value (ops.AddEnumValue), move the rows with ops.Backfill, and stop writing "
    "the old value before removing it",
)
DROP_TYPE_IN_USE = rule(
    "ZD318",
    "drop-type-in-use",
    ERROR,
    "DROP TYPE of a type columns still use fails, and with CASCADE drops those columns",
    "change or drop the columns that use the type first (ops.ChangeColumnType, ops.DropColumn)",
)
LONG_WORK_UNDER_LOCK = rule(
    "ZD319",
    "long-work-under-lock",
    ERROR,
    "a long statement (scan, rewrite, whole-table write, index build) runs in a transaction "
    "that already holds a lock blocking reads or writes",
    "commit before the long statement, or split the migration: expand, then backfill",
)
WHOLE_TABLE_WRITE = rule(
    "ZD320",
    "whole-table-write",
    WARNING,
    "UPDATE or DELETE without WHERE writes every row in one transaction, locking them all",
    "use ops.Backfill (batches in short transactions, throttled and resumable)",
)
MISSING_TIMEOUT = rule(
    "ZD321",
    "missing-lock-timeout",
    WARNING,
    "a statement waits for a blocking lock with no lock_timeout: every query behind it queues",
    "SET lock_timeout (and statement_timeout) at the top of the file, or run it with "
    "zdmigrate run, which sets them and retries",
)
LOCK_TABLE = rule(
    "ZD322",
    "lock-table",
    WARNING,
    "LOCK TABLE takes a lock that blocks traffic until the transaction ends",
    "let each statement take the lock it needs, and keep the transaction short",
)
TRUNCATE = rule(
    "ZD323",
    "truncate",
    WARNING,
    "TRUNCATE takes ACCESS EXCLUSIVE and deletes every row the running app still uses",
    "delete the rows in small batches, each its own transaction, or stop using the table and "
    "drop it in contract with ops.DropTable",
)
TABLE_REWRITE = rule(
    "ZD324",
    "alter-table-rewrite",
    ERROR,
    "ALTER TABLE … SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD or SET EXPRESSION "
    "rewrites the table under ACCESS EXCLUSIVE",
    "pg_repack --tablespace moves a table online; LOGGED/UNLOGGED and access methods have no "
    "online form: choose them when the table is created",
)
UNBALANCED_TRANSACTION = rule(
    "ZD325",
    "unbalanced-transaction",
    WARNING,
    "BEGIN inside a transaction, COMMIT outside one, or BEGIN never committed",
    "give every BEGIN one COMMIT in the same file",
)
REFRESH_MATVIEW = rule(
    "ZD326",
    "refresh-materialized-view-blocking",
    WARNING,
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view while it runs",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)",
)
PREFER_BIGINT_KEY = rule(
    "ZD327",
    "prefer-bigint-key",
    INFO,
    "a new key column (primary key, serial, identity) of 32 or 16 bits can run out of values",
    "use bigint (bigserial, bigint GENERATED … AS IDENTITY): changing it later is a rewrite",
)
CHAR_COLUMN = rule(
    "ZD328",
    "char-column",
    INFO,
    "char(n) pads values with spaces and saves nothing over text or varchar",
    "use text (with a CHECK on its length if needed) or varchar(n)",
)
PREFER_TIMESTAMPTZ = rule(
    "ZD329",
    "prefer-timestamptz",
    INFO,
    "timestamp without time zone drops the offset: two instants hours apart can look the same",
    "use timestamptz (timestamp with time zone)",
)
DETACH_PARTITION = rule(
    "ZD330",
    "detach-partition-blocking",
    WARNING,
    "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
    "DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) as RunSQL(..., transactional=False)",
)
DROP_DEFAULT = rule(
    "ZD331",
    "drop-default",
    WARNING,
    "DROP DEFAULT breaks inserts of the app version still running that leave the column out",
    "use ops.DropDefault, which drops it in contract, once no running app relies on it",
)
DROP_CONSTRAINT = rule(
    "ZD332",
    "drop-constraint",
    WARNING,
    "DROP CONSTRAINT removes a rule the app version still running may rely on",
    "use ops.DropConstraint, which drops it in contract, once no running app relies on it",
)
