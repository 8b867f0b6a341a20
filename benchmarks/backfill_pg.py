"""zdmigrate's batched backfill against ONE single UPDATE of the same table (PostgreSQL).

    .venv/bin/python benchmarks/backfill_pg.py [--sizes 1000000,4000000] [--shapes indexed,pk]
                                               [--repeat N] [--url URL] [--ablations]
                                               [--no-writer]

The table ``bench_items`` has about 200-byte rows: a bigint key, an int ``amount``, a
``customer_id`` (``id % 10007``: each customer's rows are scattered over the whole table), a
status, a timestamp and a 129-character note. Two shapes: ``indexed`` has an index on
``customer_id``, as an orders table has; ``pk`` has only the primary key. Per shape and size
the table is built, and the expand of a realistic migration — ``ChangeColumnType`` of
``amount`` from integer to bigint, compiled and run by zdmigrate — adds the new column and its
sync trigger; then VACUUM ANALYZE and CHECKPOINT. On that state, rebuilt before each run:

- single UPDATE: one transaction marked as the backfill's (so that the sync trigger takes its
  cheapest path, as it does for zdmigrate) running the backfill step's own statement over the
  whole table;
- single UPDATE, restated: the same, with the SET list zdmigrate's batches use (indexed columns
  set to themselves, see ``PostgreSQLDialect.restated_columns_sql``): the fairest baseline for
  the batching itself; shown where there is a column to restate;
- zdmigrate: ``run_backfill`` of the same step with default options (batches adapted toward
  the default 50 ms, lock timeout, checkpoints not stored).

Meanwhile one writer thread plays an app: every 5 ms a point update of ``amount`` on a random
row (the old app writing the old column) or an insert of a new row; its p99 latency during each
run is printed. Afterwards every row is checked: the new column equals the old one.

With ``--repeat N`` the contenders run in turn N times and each one's median time counts (on
a shared VM one run of the same thing can take 30 % longer than the next). Printed: the times,
zdmigrate / single UPDATE (target ≤ 1.15), rows/s, the rows/s ratio of the
largest size to the smallest (target ≥ 0.9), and the peak RSS of this process (target < 150
MB). ``--ablations`` also runs zdmigrate at the first size on the first shape with each of its
optimisations taken out in turn.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Text
from stats import percentile

from zdmigrate import ops
from zdmigrate.dialects import Dialect, PostgreSQLDialect, get_dialect
from zdmigrate.dialects.base import BACKFILL_FLAG
from zdmigrate.migration import CompiledMigration, Migration, compile_migration
from zdmigrate.run.backfill import run_backfill
from zdmigrate.run.executor import run_steps
from zdmigrate.run.options import RunOptions
from zdmigrate.schema import Schema
from zdmigrate.steps import BatchedUpdate, Phase

TABLE = "bench_items"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zdm_backfill"
WRITER_PERIOD_S = 0.005

SETUP = ops.CreateTable(
    TABLE,
    Column("id", BigInteger, primary_key=True),
    Column("customer_id", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)
MIGRATION = ops.ChangeColumnType(
    TABLE, "amount", BigInteger(), up="amount::bigint", down="amount::integer"
)


def compiled(dialect: Dialect) -> tuple[CompiledMigration, CompiledMigration]:
    setup = compile_migration(Migration("bench_setup", [SETUP]), Schema(), dialect)
    return setup, compile_migration(Migration("bench_change", [MIGRATION]), setup.after, dialect)


def backfill_step(dialect: Dialect) -> BatchedUpdate:
    """The migration's batched backfill step."""
    steps = compiled(dialect)[1].phase(Phase.BACKFILL)
    (batched,) = [s.statement.batched for s in steps if s.statement.batched is not None]
    return batched


def build(engine: sa.Engine, dialect: Dialect, rows: int, shape: str) -> BatchedUpdate:
    """The table with ``rows`` rows and the migration's expand applied; the backfill step."""
    setup, change = compiled(dialect)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE} CASCADE")
    run_steps(engine, dialect, setup.phase(Phase.EXPAND), migration="bench_setup")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"INSERT INTO {TABLE} (id, customer_id, amount, status, created_at, note) "
                "SELECT g, g % 10007, (g * 7) % 100000, 'active', "
                "now() - g * interval '1 second', repeat(md5(g::text), 4) || 'x' "
                "FROM generate_series(1, :rows) AS g"
            ),
            {"rows": rows},
        )
        if shape == "indexed":
            connection.exec_driver_sql(f"CREATE INDEX {TABLE}_customer ON {TABLE} (customer_id)")
    run_steps(engine, dialect, change.phase(Phase.EXPAND), migration="bench_change")
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {TABLE}")
        connection.exec_driver_sql("CHECKPOINT")
    os.sync()  # what the build left for the kernel to write is not written during a run
    return backfill_step(dialect)


# --- the app writing meanwhile -------------------------------------------------------------


@dataclass
class Writer:
    """One app connection writing point updates and inserts at a steady pace."""

    engine: sa.Engine
    rows: int
    next_id: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    with connection.begin():
                        self.write(connection)
                except sa.exc.DBAPIError:
                    self.errors += 1
                took = time.perf_counter() - started
                self.latencies.append(took)
                time.sleep(max(WRITER_PERIOD_S - took, 0))

    def write(self, connection: sa.Connection) -> None:
        if random.random() < 0.5:
            connection.execute(
                sa.text(f"UPDATE {TABLE} SET amount = amount + 1 WHERE id = :id"),
                {"id": random.randint(1, self.rows)},
            )
            return
        connection.execute(
            sa.text(
                f"INSERT INTO {TABLE} (id, customer_id, amount, status, created_at, note) "
                "VALUES (:id, :id % 10007, 7, 'new', now(), 'written during the backfill')"
            ),
            {"id": self.next_id},
        )
        self.next_id += 1


@contextmanager
def writing(engine: sa.Engine, rows: int, enabled: bool) -> Iterator[Writer | None]:
    if not enabled:
        yield None
        return
    writer = Writer(engine, rows, next_id=10 * rows + 1)
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    try:
        yield writer
    finally:
        writer.stop.set()
        thread.join()


# --- the contenders ------------------------------------------------------------------------

Contender = Callable[[sa.Engine, Dialect, BatchedUpdate], None]


def restated(engine: sa.Engine, dialect: Dialect, update: BatchedUpdate) -> tuple[str, ...]:
    """The columns zdmigrate's batches set to themselves on this table."""
    sql = dialect.restated_columns_sql()
    if sql is None:
        return ()
    with engine.connect() as connection:
        names = connection.execute(sa.text(sql), {"table": dialect.table(update.table)}).scalars()
        skip = {*update.key, *(column for column, _ in update.assignments)}
        return tuple(sorted(n for n in names if n not in skip))


def single_update(restate: tuple[str, ...] = ()) -> Contender:
    def run(engine: sa.Engine, dialect: Dialect, update: BatchedUpdate) -> None:
        sql = dialect.batch_update_sql(update, first=True, last=True, restate=restate)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT set_config('{BACKFILL_FLAG}', 'on', true)")
            connection.execute(sa.text(sql))

    return run


def zdmigrate(options: RunOptions) -> Contender:
    def run(engine: sa.Engine, dialect: Dialect, update: BatchedUpdate) -> None:
        run_backfill(
            engine,
            dialect,
            update,
            options=options,
            resume_after=None,
            on_checkpoint=lambda key, rows: None,
            is_paused=lambda: False,
            label=f"backfill of {update.table}",
        )

    return run


@dataclass
class Result:
    seconds: float
    p99_ms: float
    max_ms: float
    writes: int
    errors: int
    wrong_rows: int

    @classmethod
    def median(cls, results: list[Result]) -> Result:
        """The median time and writer p99; the worst wait; every error and wrong row."""
        return cls(
            statistics.median(r.seconds for r in results),
            statistics.median(r.p99_ms for r in results),
            max(r.max_ms for r in results),
            sum(r.writes for r in results) // len(results),
            sum(r.errors for r in results),
            sum(r.wrong_rows for r in results),
        )


def measure(
    engine: sa.Engine,
    dialect: Dialect,
    rows: int,
    shape: str,
    contender: Contender,
    *,
    writer: bool,
    prepare: Callable[[sa.Engine], None] | None = None,
) -> Result:
    update = build(engine, dialect, rows, shape)
    if prepare is not None:
        prepare(engine)
    with writing(engine, rows, writer) as app:
        started = time.perf_counter()
        contender(engine, dialect, update)
        seconds = time.perf_counter() - started
    with engine.connect() as connection:
        wrong = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM {TABLE} WHERE zdm_amount_new IS DISTINCT FROM amount"
        ).scalar_one()
    latencies = app.latencies if app else []
    return Result(
        seconds,
        percentile(latencies, 99) * 1000,
        max(latencies, default=float("nan")) * 1000,
        len(latencies),
        app.errors if app else 0,
        int(wrong),
    )


# --- ablations: zdmigrate with one optimisation taken out ----------------------------------


class NoRestate(PostgreSQLDialect):
    def restated_columns_sql(self) -> str | None:
        return None


class SynchronousCommit(PostgreSQLDialect):
    def backfill_connection_sql(self, *, on: bool) -> list[str]:
        return []


class Naive(NoRestate, SynchronousCommit):
    pass


def trigger_checks_flag_in_body(engine: sa.Engine) -> None:
    """The sync trigger as it was before: no WHEN; its PL/pgSQL function reads the flag."""
    with engine.begin() as connection:
        trigger, function, definition = connection.exec_driver_sql(
            "SELECT t.tgname, p.proname, pg_get_functiondef(p.oid) FROM pg_trigger t "
            f"JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = '{TABLE}'::regclass "
            "AND NOT t.tgisinternal"
        ).one()
        check = f"  IF current_setting('{BACKFILL_FLAG}', true) = 'on' THEN RETURN NEW; END IF;"
        connection.exec_driver_sql(definition.replace("BEGIN\n", f"BEGIN\n{check}\n", 1))
        connection.exec_driver_sql(f'DROP TRIGGER "{trigger}" ON {TABLE}')
        connection.exec_driver_sql(
            f'CREATE TRIGGER "{trigger}" BEFORE INSERT OR UPDATE ON {TABLE} '
            f'FOR EACH ROW EXECUTE FUNCTION "{function}"()'
        )


def run_ablations(engine: sa.Engine, dialect: Dialect, rows: int, shape: str, writer: bool) -> None:
    version = dialect.version
    default = zdmigrate(RunOptions())
    fixed = zdmigrate(RunOptions(batch_size=5000, min_batch_size=5000, max_batch_size=5000))
    old_trigger = trigger_checks_flag_in_body
    variants: list[tuple[str, Dialect, Contender, Callable[[sa.Engine], None] | None]] = [
        ("zdmigrate", dialect, default, None),
        ("without restating indexed columns", NoRestate(version), default, None),
        ("with synchronous commit", SynchronousCommit(version), default, None),
        ("trigger reads the flag in its function", dialect, default, old_trigger),
        ("fixed batches of 5,000 rows", dialect, fixed, None),
        ("naive: all four of the above", Naive(version), fixed, old_trigger),
        ("single UPDATE", dialect, single_update(), None),
        ("single UPDATE, trigger reads the flag", dialect, single_update(), old_trigger),
    ]
    print(f"ablations, {shape} table, {rows:,} rows:")
    for name, variant, contender, prepare in variants:
        result = measure(engine, variant, rows, shape, contender, writer=writer, prepare=prepare)
        print(f"  {name:<40} {result.seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,4000000")
    parser.add_argument("--shapes", default="indexed,pk")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--no-writer", dest="writer", action="store_false")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each contender; medians are compared"
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    engine = sa.create_engine(args.url)
    with engine.connect() as connection:
        version = str(connection.exec_driver_sql("SHOW server_version").scalar())
    dialect = get_dialect("postgresql", version.split()[0])
    metrics = Path(tempfile.mkdtemp()) / "backfill.prom"
    ours = zdmigrate(RunOptions(metrics_file=metrics))
    print(f"PostgreSQL {version}; writer {'on' if args.writer else 'off'}")
    for shape in shapes:
        rates: dict[int, float] = {}
        single_rates: dict[int, float] = {}
        for rows in sizes:
            contenders: dict[str, Contender] = {"single UPDATE": single_update()}
            build(engine, dialect, rows, shape)  # the columns to restate are the table's
            if restate := restated(engine, dialect, backfill_step(dialect)):
                contenders["single UPDATE, restated"] = single_update(restate)
            contenders["zdmigrate"] = ours
            runs: dict[str, list[Result]] = {name: [] for name in contenders}
            batches: list[str] = []
            for _ in range(args.repeat):  # interleaved: the VM's slow spells hit every contender
                for name, contender in contenders.items():
                    runs[name].append(
                        measure(engine, dialect, rows, shape, contender, writer=args.writer)
                    )
                batches.append(
                    next(
                        line.rsplit(" ", 1)[1]
                        for line in metrics.read_text().splitlines()
                        if line.startswith("zdmigrate_backfill_batches{")
                    )
                )
            measured = {name: Result.median(results) for name, results in runs.items()}
            mine = measured["zdmigrate"]
            rates[rows] = rows / mine.seconds
            single_rates[rows] = rows / measured["single UPDATE"].seconds
            print(f"{shape} table, {rows:,} rows:")
            for name, r in measured.items():
                each = ", ".join(f"{x.seconds:.2f}" for x in runs[name])
                print(
                    f"  {name:<26} {r.seconds:7.2f} s {rows / r.seconds:>9,.0f} rows/s  "
                    f"zdmigrate/this {mine.seconds / r.seconds:.3f}  "
                    f"writer: {r.writes:>5} writes, p99 {r.p99_ms:7.1f} ms, max {r.max_ms:7.1f} "
                    f"ms, errors {r.errors}; rows wrong {r.wrong_rows}"
                    + (f"  (runs: {each} s)" if args.repeat > 1 else "")
                )
            print(
                f"  zdmigrate ran {'/'.join(batches)} batches; "
                f"peak RSS so far {peak_rss_mb():.0f} MB"
            )
        if len(sizes) > 1:
            small, large = min(sizes), max(sizes)
            print(
                f"  {shape} table, rows/s at {large:,} / at {small:,}: zdmigrate "
                f"{rates[large] / rates[small]:.3f}, single UPDATE "
                f"{single_rates[large] / single_rates[small]:.3f}"
            )
    if args.ablations:
        run_ablations(engine, dialect, sizes[0], shapes[0], args.writer)
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    engine.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
