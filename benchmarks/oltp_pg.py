"""An OLTP load through a whole online migration, against the same load with no migration
(PostgreSQL).

    .venv/bin/python benchmarks/oltp_pg.py [--rows 500000] [--workers 4] [--baseline-seconds 15]
                                           [--sleep-ratio R] [--target-batch-ms MS]
                                           [--migration rename+type|rename] [--repeat N]
                                           [--no-prepare] [--url URL]

The table ``ol_orders`` (key, customer, email, int amount, status, note) gets ``--rows`` rows.
``--workers`` connections then play the apps, each in a loop of single-statement transactions
with 5 ms between them: point reads (40%), updates of the amount (25%) and of the email
(15%), inserts (20%). The old app (A) uses ``email`` and the int ``amount``; the new app (B)
``contact_email`` and the bigint ``amount``.

1. Baseline: app A alone for ``--baseline-seconds``, no migration.
2. Migration, run by ``zdmigrate run`` in its own process (as a deploy pipeline runs it) with
   its default options (lock timeout 500 ms) from a migration file: ``--migration
   rename+type`` (the default) is ``RenameColumn(email → contact_email)`` and
   ``ChangeColumnType(amount → bigint)``; ``rename`` is the same rename and a ``CreateIndex``
   on ``status``, so that no column the old app reads changes type. App A runs
   through expand and backfill; then A and B both run (half the workers each) for 3 s, as during
   a rolling deploy; then B alone through contract and 2 s after.

A third window is the reference for a small machine: app A alone again, no migration, while
another process spins on one core (a batch keeps one core busy, whatever it does; on 2 cores
that alone costs the apps a good part of their p99).

Each of ``--repeat`` runs seeds the table afresh and measures the three windows. Printed: p99 and
the longest latency of each window, the p99 ratio migration/baseline per run and their median
(target ≤ 2), the app errors (target 0), the longest any app statement waited during the
migration against the lock timeout + 100 ms, and each phase's time. Afterwards every row is
checked: the email and amount of every row made it to the new columns.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import random
import statistics
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
from stats import percentile

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
    id="0002_ol_orders_change",
    operations=[
        ops.RenameColumn("{TABLE}", "email", "contact_email"),
        ops.ChangeColumnType(
            "{TABLE}", "amount", BigInteger(), up="amount::bigint", down="amount::integer"
        ),
    ],
)
'''
RENAME = f'''
from zdmigrate import Migration, ops

migration = Migration(
    id="0002_ol_orders_change",
    operations=[
        ops.RenameColumn("{TABLE}", "email", "contact_email"),
        ops.CreateIndex("{TABLE}_status", "{TABLE}", ["status"]),
    ],
)
'''
MIGRATIONS = {"rename+type": CHANGE, "rename": RENAME}


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
    reads: list[bool] = field(default_factory=list)
    """Per statement in ``latencies``: whether it was a read (its commit flushes no WAL)."""
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def work(self, worker: int) -> None:
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                version = self.version
                if version == "AB":
                    version = "AB"[worker % 2]
                started = time.perf_counter()
                read = False
                try:
                    with connection.begin():
                        read = self.statement(connection, version)
                except sa.exc.DBAPIError as exc:
                    self.errors.append(f"{version}: {str(exc.orig).splitlines()[0]}")
                self.latencies.append(time.perf_counter() - started)
                self.reads.append(read)
                time.sleep(THINK_S)

    def statement(self, connection: sa.Connection, version: str) -> bool:
        """Run one statement of ``version``; whether it was a read."""
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
        return choice < 0.40

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


def report(name: str, latencies: list[float], reads: list[bool], errors: int) -> float:
    p99 = percentile(latencies, 99) * 1000
    read = [t for t, r in zip(latencies, reads, strict=True) if r]
    write = [t for t, r in zip(latencies, reads, strict=True) if not r]
    print(
        f"  {name:<34} {len(latencies):>7} statements  p99 {p99:7.1f} ms "
        f"(reads {percentile(read, 99) * 1000:.1f}, writes {percentile(write, 99) * 1000:.1f})  "
        f"max {max(latencies, default=0) * 1000:7.1f} ms  errors {errors}"
    )
    return p99


@dataclass
class Outcome:
    """One run: the baseline, then the migration, on a freshly seeded table."""

    ratio: float
    spin_ratio: float
    longest_ms: float
    errors: list[str]
    phases: dict[str, float]


def one_run(
    args: argparse.Namespace, engine: sa.Engine, options: RunOptions, change: str
) -> Outcome:
    folder = Path(tempfile.mkdtemp())
    (folder / "0001_ol_orders.py").write_text(CREATE)
    migration = folder / "0002_ol_orders_change.py"
    migration.write_text(change)
    reset(engine)
    with Runner(engine, options) as runner:
        for phase in ("expand", "backfill", "contract"):
            runner.run(folder / "0001_ol_orders.py", phase)
    seed(engine, args.rows)

    ids = itertools.count(args.rows + 1)
    baseline = Apps(engine, args.rows, args.workers, ids)
    with running(baseline):
        time.sleep(args.baseline_seconds)
    # What the apps see when one of the machine's cores is busy with anything at all: a
    # backfill's backend keeps one core busy while a batch runs, whatever it does.
    spun = Apps(engine, args.rows, args.workers, ids)
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with running(spun):
            time.sleep(args.baseline_seconds)
    finally:
        spin.kill()
        spin.wait()
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
                str(migration),
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
        reads = apps.reads[start:]

    base_p99 = report(
        "no migration (app A)", baseline.latencies, baseline.reads, len(baseline.errors)
    )
    spin_p99 = report(
        "no migration, one core spinning", spun.latencies, spun.reads, len(spun.errors)
    )
    ours_p99 = report("expand → backfill → contract", window, reads, len(apps.errors))
    print("    phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    with engine.connect() as connection:
        missing = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM {TABLE} WHERE contact_email IS NULL OR amount IS NULL"
        ).scalar()
        kind = connection.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            f"WHERE table_name = '{TABLE}' AND column_name = 'amount'"
        ).scalar()
    print(f"    after contract: amount is {kind}; rows missing contact_email or amount: {missing}")
    return Outcome(
        ours_p99 / base_p99,
        spin_p99 / base_p99,
        max(window) * 1000,
        apps.errors + baseline.errors,
        phases,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--sleep-ratio", type=float, default=0.0)
    parser.add_argument("--target-batch-ms", type=int, default=RunOptions().target_batch_ms)
    parser.add_argument(
        "--migration",
        choices=sorted(MIGRATIONS),
        default="rename+type",
        help="rename+type: RenameColumn and ChangeColumnType (default); rename: RenameColumn "
        "and CreateIndex, no column changes type under the old app",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; the result is the median")
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
    print(
        f"{args.migration}: {args.rows:,} rows, {args.workers} app connections "
        f"({'with' if args.prepare else 'without'} prepared statements); lock timeout "
        f"{options.lock_timeout_ms} ms, target batch {options.target_batch_ms} ms, "
        f"sleep ratio {options.sleep_ratio:g}"
    )
    outcomes = []
    for i in range(args.repeat):
        print(f"run {i + 1}:")
        outcomes.append(one_run(args, engine, options, MIGRATIONS[args.migration]))
    ratios = [o.ratio for o in outcomes]
    spins = [o.spin_ratio for o in outcomes]
    longest = max(o.longest_ms for o in outcomes)
    errors = [e for o in outcomes for e in o.errors]
    print(
        f"p99 ratio migration / no migration: median {statistics.median(ratios):.2f} "
        f"(runs: {', '.join(f'{r:.2f}' for r in ratios)}; target ≤ 2)"
    )
    print(
        f"p99 ratio one core spinning / no migration: median {statistics.median(spins):.2f} "
        f"(runs: {', '.join(f'{r:.2f}' for r in spins)})"
    )
    print(
        f"longest wait during a migration: {longest:.0f} ms "
        f"(target ≤ lock timeout + 100 = {options.lock_timeout_ms + 100} ms)"
    )
    print(f"app errors: {len(errors)} in {len(outcomes)} runs (target 0)")
    for error, count in collections.Counter(errors).most_common(5):
        print(f"  error ×{count}: {error}")
    engine.dispose()


if __name__ == "__main__":
    main()
