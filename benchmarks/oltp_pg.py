"""An OLTP load through a whole online migration, against the same load with no migration
(PostgreSQL).

    .venv/bin/python benchmarks/oltp_pg.py [--rows 500000] [--workers 4] [--baseline-seconds 15]
                                           [--sleep-ratio R] [--target-batch-ms MS]
                                           [--no-prepare] [--url URL]

The table ``ol_orders`` (key, customer, email, int amount, status, note) gets ``--rows`` rows.
``--workers`` connections then play the apps, each in a loop of single-statement transactions
with 5 ms between them: point reads (40%), updates of the amount (25%) and of the email
(15%), inserts (20%). The old app (A) uses ``email`` and the int ``amount``; the new app (B)
``contact_email`` and the bigint ``amount``.

1. Baseline: app A alone for ``--baseline-seconds``, no migration.
2. Migration, run by ``zdmigrate run`` in its own process (as a deploy pipeline runs it) with
   its default options (lock timeout 500 ms) from a migration file:
   ``RenameColumn(email → contact_email)`` and ``ChangeColumnType(amount → bigint)``. App A runs
   through expand and backfill; then A and B both run (half the workers each) for 3 s, as during
   a rolling deploy; then B alone through contract and 2 s after.

Printed: p99 and the longest latency of each window, the p99 ratio migration/baseline
(target ≤ 2), the app errors (target 0), the longest any app statement waited during the
migration against the lock timeout + 100 ms, and each phase's time. Afterwards every row is
checked: the email and amount of every row made it to the new columns.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import math
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from zdmigrate.run.options import RunOptions
from zdmigrate.run.runner import Runner

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zdm_backfill"
TABLE = "ol_orders"
THINK_S = 0.005

CREATE = f'''
from sqlalchemy import BigInteger, Column, Integer, String, Text
from zdmigrate import Migration, ops

migration = Migration(
    id="0001_ol_orders",
    operations=[
        ops.CreateTable(
            "{TABLE}",
            Column("id", BigInteger, primary_key=True),
            Column("customer_id", Integer, nullable=False),
            Column("email", String(120), nullable=False),
            Column("amount", Integer, nullable=False),
            Column("status", String(20), nullable=False),
            Column("note", Text),
        ),
    ],
)
'''
CHANGE = f'''
from sqlalchemy import BigInteger
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_ol_orders_contact_email_bigint_amount",
    operations=[
        ops.RenameColumn("{TABLE}", "email", "contact_email"),
        ops.ChangeColumnType(
            "{TABLE}", "amount", BigInteger(), up="amount::bigint", down="amount::integer"
        ),
    ],
)
'''


@dataclass
class Apps:
    """The app connections and what they saw."""

    engine: sa.Engine
    rows: int
    workers: int
    next_id: Iterator[int]
    """Keys for inserts, shared by every run so that none collides."""
    version: str = "A"
    """"A", "B", or "AB" (half the workers each)."""
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def work(self, worker: int) -> None:
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                version = self.version
                if version == "AB":
                    version = "AB"[worker % 2]
                started = time.perf_counter()
                try:
                    with connection.begin():
                        self.statement(connection, version)
                except sa.exc.DBAPIError as exc:
                    self.errors.append(f"{version}: {str(exc.orig).splitlines()[0]}")
                self.latencies.append(time.perf_counter() - started)
                time.sleep(THINK_S)

    def statement(self, connection: sa.Connection, version: str) -> None:
        email = "email" if version == "A" else "contact_email"
        key = {"id": random.randint(1, self.rows)}
        choice = random.random()
        if choice < 0.40:
            sql = f"SELECT id, {email}, amount, status FROM {TABLE} WHERE id = :id"
        elif choice < 0.65:
            sql = f"UPDATE {TABLE} SET amount = amount + 1 WHERE id = :id"
        elif choice < 0.80:
            sql = f"UPDATE {TABLE} SET {email} = 'u' || id || '@example.com' WHERE id = :id"
        else:
            key = {"id": next(self.next_id)}
            sql = (
                f"INSERT INTO {TABLE} (id, customer_id, {email}, amount, status, note) "
                f"VALUES (:id, :id % 1009, 'n' || :id || '@example.com', 7, 'new', '{version}')"
            )
        connection.execute(sa.text(sql), key)

    def window(self) -> int:
        """Where the current measurement window starts in ``latencies``."""
        return len(self.latencies)


@contextmanager
def running(apps: Apps) -> Iterator[Apps]:
    threads = [threading.Thread(target=apps.work, args=(i,)) for i in range(apps.workers)]
    for thread in threads:
        thread.start()
    try:
        yield apps
    finally:
        apps.stop.set()
        for thread in threads:
            thread.join()


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: a value that occurred, never an extrapolation."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] if ordered else float("nan")


def reset(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE} CASCADE")
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS zdmigrate CASCADE")
        for (function,) in connection.execute(
            sa.text("SELECT proname FROM pg_proc WHERE starts_with(proname, :prefix)"),
            {"prefix": f"zdm_{TABLE}"},
        ):
            connection.exec_driver_sql(f'DROP FUNCTION "{function}"() CASCADE')


def seed(engine: sa.Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"INSERT INTO {TABLE} (id, customer_id, email, amount, status, note) "
                "SELECT g, g % 1009, 'c' || g || '@example.com', g % 100000, 'active', "
                "repeat(md5(g::text), 3) FROM generate_series(1, :rows) AS g"
            ),
            {"rows": rows},
        )
        connection.exec_driver_sql(f"CREATE INDEX {TABLE}_customer ON {TABLE} (customer_id)")
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {TABLE}")


def report(name: str, latencies: list[float], errors: int) -> float:
    p99 = percentile(latencies, 99) * 1000
    print(
        f"  {name:<34} {len(latencies):>7} statements  p99 {p99:7.1f} ms  "
        f"max {max(latencies, default=0) * 1000:7.1f} ms  errors {errors}"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--sleep-ratio", type=float, default=0.0)
    parser.add_argument("--target-batch-ms", type=int, default=RunOptions().target_batch_ms)
    parser.add_argument(
        "--no-prepare",
        dest="prepare",
        action="store_false",
        help="apps never use server-side prepared statements (psycopg prepares a statement "
        "run 5 times by default)",
    )
    args = parser.parse_args()
    connect_args = {} if args.prepare else {"prepare_threshold": None}
    engine = sa.create_engine(args.url, pool_size=args.workers + 4, connect_args=connect_args)
    options = RunOptions(sleep_ratio=args.sleep_ratio, target_batch_ms=args.target_batch_ms)
    folder = Path(tempfile.mkdtemp())
    (folder / "0001_ol_orders.py").write_text(CREATE)
    change = folder / "0002_ol_orders_contact_email_bigint_amount.py"
    change.write_text(CHANGE)

    reset(engine)
    with Runner(engine, options) as runner:
        for phase in ("expand", "backfill", "contract"):
            runner.run(folder / "0001_ol_orders.py", phase)
    seed(engine, args.rows)
    print(
        f"{args.rows:,} rows, {args.workers} app connections "
        f"({'with' if args.prepare else 'without'} prepared statements); lock timeout "
        f"{options.lock_timeout_ms} ms, target batch {options.target_batch_ms} ms, "
        f"sleep ratio {options.sleep_ratio:g}"
    )

    ids = itertools.count(args.rows + 1)
    baseline = Apps(engine, args.rows, args.workers, ids)
    with running(baseline):
        time.sleep(args.baseline_seconds)
    phases: dict[str, float] = {}
    apps = Apps(engine, args.rows, args.workers, ids)

    def run(phase: str) -> None:
        """One phase through the command line, in its own process, as a deploy pipeline runs
        it: the apps' process does not share its interpreter with zdmigrate."""
        began = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "zdmigrate"),
                "run",
                phase,
                str(change),
                "--database-url",
                args.url,
                "--sleep-ratio",
                str(options.sleep_ratio),
                "--target-batch-ms",
                str(options.target_batch_ms),
                "--no-progress",
            ],
            check=True,
            capture_output=True,
        )
        phases[phase] = time.perf_counter() - began

    with running(apps):
        time.sleep(1.0)
        start = apps.window()
        run("expand")
        run("backfill")
        apps.version = "AB"
        time.sleep(3.0)
        apps.version = "B"
        time.sleep(0.5)  # the last statements of app A finish
        run("contract")
        time.sleep(2.0)
        window = apps.latencies[start:]

    print("app statements:")
    base_p99 = report("no migration (app A)", baseline.latencies, len(baseline.errors))
    ours_p99 = report("expand → backfill → contract", window, len(apps.errors))
    longest = max(window) * 1000
    print(f"  p99 ratio migration / no migration: {ours_p99 / base_p99:.2f} (target ≤ 2)")
    print(
        f"  longest wait during the migration: {longest:.0f} ms "
        f"(target ≤ lock timeout + 100 = {options.lock_timeout_ms + 100} ms)"
    )
    print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    for error, count in collections.Counter(apps.errors + baseline.errors).most_common(5):
        print(f"  error ×{count}: {error}")
    with engine.connect() as connection:
        missing = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM {TABLE} WHERE contact_email IS NULL OR amount IS NULL"
        ).scalar()
        kind = connection.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            f"WHERE table_name = '{TABLE}' AND column_name = 'amount'"
        ).scalar()
    print(f"after contract: amount is {kind}; rows missing a contact_email or amount: {missing}")
    engine.dispose()


if __name__ == "__main__":
    main()
