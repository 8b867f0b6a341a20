"""Online means measured: a real migration runs through the simple executor while two app
threads write to the table, and afterwards no write is lost and no app statement waited long.

The table ``load_accounts`` is seeded with 20,000 rows. The migration renames ``email`` to
``email_address`` and changes ``balance`` from integer to bigint. Two app threads, each on its
own connection, insert rows, change emails and add to balances one statement per transaction:

- the old app (``email``, integer ``balance``) runs through expand and backfill and is retired
  before contract, as in a real deploy;
- the new app (``email_address``, bigint ``balance``) is deployed once expand has made its
  columns, and runs through contract and after it.

Each thread keeps a ledger of what it wrote (the email it last set on each row it owns, every
increment of every balance) and the latency of every statement, commit included. Afterwards
every row is read through the new names and compared with the ledgers.

An app would retry a deadlock or a serialization failure; the threads do so too, and count
each retry. Any other error is a failure. Every statement's latency is filed under the phase
that was running when it started; each phase must have seen traffic. ``pytest -s`` prints the
numbers; they are also recorded as test properties (``--junitxml``).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Identity, Integer, String

from tests.lifecycle import Lifecycle, leftovers, set_up
from zdmigrate import ops
from zdmigrate.dialects import Dialect
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.base import Operation
from zdmigrate.ops.change_column_type import ChangeColumnType
from zdmigrate.run.executor import run_phase
from zdmigrate.steps import Phase

T = TypeVar("T")
Record = Callable[[str, object], None]

TABLE = "load_accounts"
SEED_ROWS = 20_000
HOT_ROWS = 20
"""Balances both apps and the backfill batches all fight over (ids 1…HOT_ROWS)."""
BATCH_SIZE = 500
WARM_UP = 40
"""Iterations each running app makes before the next phase starts, so that traffic lands in
every state the table goes through (not yet expanded, expanded but not backfilled, …)."""
MAX_ITERATIONS = 20_000
MAX_SECONDS = 60.0
P99_BOUND = 0.5
MAX_BOUND = 5.0

SETUP = [
    ops.CreateTable(
        TABLE,
        Column("id", Integer, Identity(), primary_key=True),
        Column("email", String(200), nullable=False),
        Column("balance", Integer, nullable=False, server_default="0"),
        Column("note", String(50)),
    )
]

old_app = sa.Table(
    TABLE,
    sa.MetaData(),
    Column("id", Integer, Identity(), primary_key=True),
    Column("email", String(200)),
    Column("balance", Integer),
    Column("note", String(50)),
)
new_app = sa.Table(
    TABLE,
    sa.MetaData(),
    Column("id", Integer, Identity(), primary_key=True),
    Column("email_address", String(200)),
    Column("balance", BigInteger),
    Column("note", String(50)),
)


def operations(engine: sa.Engine) -> list[Operation]:
    if engine.dialect.name == "postgresql":
        up, down = "balance::bigint", "balance::integer"
    else:
        up = down = "CAST(balance AS SIGNED)"
    return [
        ops.RenameColumn(TABLE, "email", "email_address"),
        ChangeColumnType(TABLE, "balance", BigInteger(), up=up, down=down),
    ]


def seed(connection: sa.Connection) -> None:
    rows = [{"email": f"seed{i}@load", "balance": i % 50, "note": "seed"} for i in range(SEED_ROWS)]
    connection.execute(old_app.insert(), rows)


def retryable(exc: sa.exc.DBAPIError) -> bool:
    """A deadlock or serialization failure: what an app retries anyway."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in ("40001", "40P01")
    args: tuple[object, ...] = getattr(exc.orig, "args", ())
    return bool(args) and args[0] == 1213  # ER_LOCK_DEADLOCK


class Clock:
    """The migration's phase, as the main thread moves through it; each latency is filed
    under the phase in force when its statement started."""

    def __init__(self) -> None:
        self.phase = "before"


@dataclass
class Latency:
    seconds: float
    phase: str
    kind: str


@dataclass
class Ledger:
    """Everything one app thread wrote and saw."""

    emails: dict[int, str] = field(default_factory=dict)
    """The email the app last set on each row it owns (its inserts, its half of the seed)."""
    increments: Counter[int] = field(default_factory=Counter)
    inserted: dict[int, int] = field(default_factory=dict)
    """id → the balance the app inserted the row with."""
    latencies: list[Latency] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)
    iterations: int = 0
    stopped_by: str = "not started"


class App(threading.Thread):
    """One app version's traffic, on its own connection, until ``stop`` or a hard cap."""

    def __init__(
        self,
        name: str,
        engine: sa.Engine,
        table: sa.Table,
        email: str,
        owned: list[int],
        clock: Clock,
        seed: int,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.engine = engine
        self.table = table
        self.email = table.c[email]
        self.owned = list(owned)
        self.clock = clock
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.ledger = Ledger()

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                self.traffic(connection)
        except BaseException as exc:  # recorded, not raised: the main thread asserts on it
            self.ledger.errors.append(f"{type(exc).__name__}: {exc}")
            self.ledger.stopped_by = "error"

    def traffic(self, connection: sa.Connection) -> None:
        started = time.monotonic()
        ledger = self.ledger
        while True:
            if self.stop.is_set():
                ledger.stopped_by = "stop"
                return
            if ledger.iterations >= MAX_ITERATIONS:
                ledger.stopped_by = "iteration cap"
                return
            if time.monotonic() - started > MAX_SECONDS:
                ledger.stopped_by = "time cap"
                return
            self.iteration(connection, ledger.iterations)
            ledger.iterations += 1
            time.sleep(0.001)

    def iteration(self, connection: sa.Connection, n: int) -> None:
        t, ledger = self.table, self.ledger
        # An insert, with a marker saying which app wrote it.
        email = f"{self.name}-{n}@ins"
        balance = n % 7
        insert = t.insert().values({self.email: email, t.c.balance: balance, t.c.note: self.name})
        key = self.timed(
            connection, "insert", lambda: connection.execute(insert).inserted_primary_key
        )
        assert key is not None
        new_id: int = key[0]
        ledger.inserted[new_id] = balance
        ledger.emails[new_id] = email
        self.owned.append(new_id)
        # A new email and an increment on a row this app owns.
        row = self.random.choice(self.owned)
        email = f"{self.name}-{n}@upd"
        self.timed(
            connection,
            "update email+balance",
            lambda: connection.execute(
                t.update()
                .where(t.c.id == row)
                .values({self.email: email, t.c.balance: t.c.balance + 1})
            ),
        )
        ledger.emails[row] = email
        ledger.increments[row] += 1
        # An increment on any row: half the time one of the few both apps fight over.
        if self.random.random() < 0.5:
            target = self.random.randint(1, HOT_ROWS)
        else:
            target = self.random.randint(1, SEED_ROWS)
        self.timed(
            connection,
            "update balance",
            lambda: connection.execute(
                t.update().where(t.c.id == target).values(balance=t.c.balance + 1)
            ),
        )
        ledger.increments[target] += 1

    def timed(self, connection: sa.Connection, kind: str, statement: Callable[[], T]) -> T:
        """Run ``statement`` in its own transaction; file its latency, retries included."""
        phase = self.clock.phase
        start = time.perf_counter()
        while True:
            try:
                with connection.begin():
                    result = statement()
                break
            except sa.exc.DBAPIError as exc:
                if not retryable(exc):
                    raise
                self.ledger.retries.append(f"{phase} {kind}: {str(exc.orig).splitlines()[0]}")
        self.ledger.latencies.append(Latency(time.perf_counter() - start, phase, kind))
        return result

    def wait_for(self, iterations: int) -> None:
        """Block until this app has made ``iterations`` more iterations (or stopped)."""
        goal = self.ledger.iterations + iterations
        deadline = time.monotonic() + MAX_SECONDS
        while self.ledger.iterations < goal:
            assert self.is_alive(), f"{self.name} stopped: {self.ledger.errors}"
            assert time.monotonic() < deadline, f"{self.name} made no progress"
            time.sleep(0.005)

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=MAX_SECONDS)
        assert not self.is_alive(), f"{self.name} did not stop"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


@dataclass
class Measured:
    p99: float
    worst: Latency
    statements: Counter[str]
    """How many statements started in each phase."""


def report(name: str, ledger: Ledger, record: Record, database: str) -> Measured:
    seconds = [lat.seconds for lat in ledger.latencies]
    p99 = percentile(seconds, 0.99)
    worst = max(ledger.latencies, key=lambda lat: lat.seconds)
    statements = Counter(lat.phase for lat in ledger.latencies)
    by_phase = {
        phase: max(lat.seconds for lat in ledger.latencies if lat.phase == phase)
        for phase in statements
    }
    print(
        f"[{database}] {name}: {len(seconds)} statements, "
        f"p50 {percentile(seconds, 0.5) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {worst.seconds * 1000:.1f} ms ({worst.kind} during {worst.phase}), "
        f"retries {len(ledger.retries)}, errors {len(ledger.errors)}; by phase: "
        + ", ".join(
            f"{phase} {statements[phase]} max {by_phase[phase] * 1000:.1f} ms"
            for phase in statements
        )
    )
    for retry in ledger.retries:
        print(f"[{database}] {name} retried: {retry}")
    record(f"{name}_statements", len(seconds))
    record(f"{name}_p99_ms", round(p99 * 1000, 1))
    record(f"{name}_max_ms", round(worst.seconds * 1000, 1))
    record(f"{name}_retries", len(ledger.retries))
    return Measured(p99, worst, statements)


def test_migration_under_traffic(db: tuple[sa.Engine, Dialect], record_property: Record) -> None:
    engine, dialect = db
    database = engine.dialect.name
    began = time.monotonic()
    case = Lifecycle(
        tables=[TABLE],
        setup=SETUP,
        operations=[],
        check=lambda connection, phase: None,
        after=lambda connection: None,
        seed=seed,
    )
    if dialect.caps.transactional_ddl:
        # Trigger functions a failed earlier run left outlive DROP TABLE … CASCADE.
        with engine.begin() as connection:
            for name in connection.execute(
                sa.text(
                    "SELECT proname FROM pg_proc WHERE proname LIKE 'zdm\\_load\\_accounts\\_%'"
                )
            ).scalars():
                connection.exec_driver_sql(f'DROP FUNCTION "{name}"()')
    baseline = set_up(engine, dialect, case)
    migration = compile_migration(Migration("load", operations(engine)), baseline, dialect)
    with engine.connect() as connection:
        seeded = {
            row.id: (row.email, row.balance)
            for row in connection.execute(
                sa.select(old_app.c.id, old_app.c.email, old_app.c.balance)
            )
        }
    assert len(seeded) == SEED_ROWS
    seeded_at = time.monotonic()

    clock = Clock()
    old = App("old_app", engine, old_app, "email", [i for i in seeded if i % 2 == 0], clock, 1)
    new = App("new_app", engine, new_app, "email_address", [i for i in seeded if i % 2], clock, 2)
    apps = (("old_app", old), ("new_app", new))
    phases: dict[str, float] = {}

    def phase(name: str, run: Phase) -> None:
        clock.phase = name
        start = time.monotonic()
        run_phase(engine, migration, run, dialect, batch_size=BATCH_SIZE)
        phases[name] = time.monotonic() - start
        clock.phase = f"after {name}"

    try:
        old.start()
        old.wait_for(WARM_UP)
        phase("expand", Phase.EXPAND)
        new.start()  # the new app is deployed once its columns exist
        for app in (old, new):
            app.wait_for(WARM_UP)
        phase("backfill", Phase.BACKFILL)
        for app in (old, new):
            app.wait_for(WARM_UP)
        old.finish()  # the old app is retired before contract
        phase("contract", Phase.CONTRACT)
        new.wait_for(WARM_UP)
    finally:
        old.finish()
        new.finish()
    migrated_at = time.monotonic()

    # --- what the apps wrote against what the table holds ------------------------------------
    expected = expected_rows(seeded, old.ledger, new.ledger)
    with engine.connect() as connection:
        found = {
            row.id: (row.email_address, row.balance)
            for row in connection.execute(
                sa.select(new_app.c.id, new_app.c.email_address, new_app.c.balance)
            )
        }
        columns = {c["name"] for c in sa.inspect(connection).get_columns(TABLE)}
    lost = sorted(expected.keys() - found.keys())
    unexpected = sorted(found.keys() - expected.keys())
    wrong = {
        i: (found[i], expected[i])
        for i in sorted(expected.keys() & found.keys())
        if found[i] != expected[i]
    }
    print(
        f"\n[{database}] {len(seeded)} seeded rows; old_app inserted {len(old.ledger.inserted)}, "
        f"new_app inserted {len(new.ledger.inserted)}; {len(lost)} lost, {len(unexpected)} "
        f"unexpected, {len(wrong)} wrong"
    )
    print(
        f"[{database}] setup+seed {seeded_at - began:.1f} s; "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
        + f"; migration under traffic {migrated_at - seeded_at:.1f} s"
    )
    for name, seconds in phases.items():
        record_property(f"{name}_seconds", round(seconds, 2))
    measured = {name: report(name, app.ledger, record_property, database) for name, app in apps}

    # --- no write lost ---------------------------------------------------------------------
    assert old.ledger.errors == [] and new.ledger.errors == [], (
        old.ledger.errors + new.ledger.errors
    )
    assert (old.ledger.stopped_by, new.ledger.stopped_by) == ("stop", "stop")
    assert lost == [], f"rows lost: {lost[:10]}"
    assert unexpected == [], f"rows nobody inserted: {unexpected[:10]}"
    assert wrong == {}, f"(found, expected) by id: {dict(list(wrong.items())[:10])}"
    assert columns == {"id", "email_address", "balance", "note"}
    assert leftovers(engine, dialect, case) == []

    # --- the traffic ran through the migration; no app statement waited long ----------------
    # Expand and contract last milliseconds here: traffic in them is likely, not certain, so
    # only the backfill, which takes seconds, must have seen both apps' statements.
    assert measured["old_app"].statements["backfill"] > 0
    assert measured["new_app"].statements["backfill"] > 0
    for name, m in measured.items():
        assert m.p99 < P99_BOUND, f"{name}: p99 {m.p99 * 1000:.0f} ms"
        assert m.worst.seconds < MAX_BOUND, f"{name}: {m.worst}"

    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {dialect.table(TABLE)}")
    print(f"[{database}] test took {time.monotonic() - began:.1f} s")


def expected_rows(
    seeded: dict[int, tuple[str, int]], *ledgers: Ledger
) -> dict[int, tuple[str, int]]:
    """id → (email, balance) as the apps' ledgers say the table must hold them."""
    owners = [set(ledger.emails) for ledger in ledgers]
    assert not set.intersection(*owners), "the apps changed the emails of the same rows"
    expected = dict(seeded)
    for ledger in ledgers:
        expected |= {i: (ledger.emails[i], balance) for i, balance in ledger.inserted.items()}
    for ledger in ledgers:
        for row_id, email in ledger.emails.items():
            expected[row_id] = (email, expected[row_id][1])
        for row_id, count in ledger.increments.items():
            email, balance = expected[row_id]
            expected[row_id] = (email, balance + count)
    return expected


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    """The app threads never outlive their test."""
    before = set(threading.enumerate())
    yield
    assert [t.name for t in set(threading.enumerate()) - before if isinstance(t, App)] == []
