"""zdmigrate's shadow-table copy (``zdmigrate alter --strategy shadow``) against
pt-online-schema-change on the same table and ALTER (MariaDB/MySQL).

    .venv/bin/python benchmarks/shadow_mysql.py [--rows 1000000] [--repeat N] [--load-rate 200]
                                                [--load-threads 2] [--modes idle,load]
                                                [--contenders pt-osc,zdmigrate,no-verify]
                                                [--keep-old-table] [--timeout S] [--url URL]

The table has about 200-byte rows: ``id BIGINT AUTO_INCREMENT PRIMARY KEY, a INT NOT NULL,
b VARCHAR(64) NOT NULL, c VARCHAR(64), d DATETIME(6) NOT NULL, e DECIMAL(12,2),
note VARCHAR(60)``, ``--rows`` of them, seeded with one INSERT … SELECT from MariaDB's
Sequence engine (``seq_1_to_N``), so that every contender's table holds the same data. The
change is ``MODIFY a BIGINT NOT NULL, ADD COLUMN g INT NOT NULL DEFAULT 0`` (a copy on every
server). The contenders, each in its own process, timed from start to exit:

- ``pt-osc``: ``pt-online-schema-change`` with its defaults (chunk time 0.5 s, triggers, the
  old table dropped after the swap), ``--no-check-replication-filters --recursion-method=none
  --no-check-unique-key-change --no-version-check`` (no replicas here; no call home);
- ``zdmigrate``: ``zdmigrate alter TABLE SPEC --strategy shadow --execute`` with its defaults
  (each chunk verified by a checksum, which pt-online-schema-change does not do);
- ``no-verify``: the same with ``--no-verify``.

zdmigrate gets ``--drop-old-table`` so that both tools do the same work (pt-online-schema-change
drops its old table by default, inside its run); ``--keep-old-table`` leaves zdmigrate's
default (the original kept as ``TABLE_zdm_old``).

Two modes: ``idle`` (nothing else runs) and ``load``: ``--load-threads`` connections write at
``--load-rate`` writes/s in total, on a fixed schedule (a slot missed by more than a second is
dropped rather than made up in a burst): inserts of new rows (40 %), updates of a random key
changing ``a`` (20 %) or the text and time columns (20 %), deletes of a random key (20 %). Every
write goes, in one transaction, to the contender's table and to a twin reference table
(``TABLE_ref``: same definition and data, never migrated); its latency is that transaction's,
from BEGIN to COMMIT. The load starts before the migration and stops half a second after it.

Each contender runs on a fresh table (its own name, the state tables ``zdmigrate_migrations``
and ``zdmigrate_checkpoints`` dropped first) with a fresh reference, both written out to disk
(``FLUSH TABLES … FOR EXPORT``) before it starts; the order of the contenders turns by one each
run. Afterwards the altered table is compared with its reference row by row (anti-joins on
every original column with ``<=>``, ``a`` compared as a number): a row is different if the
altered table has no identical row in the reference or its ``g`` is not 0, or if the reference
has a key the altered table lacks.

Printed per mode, with ``--repeat N`` the median of the N runs (walls of each run in brackets):
wall time, ratio to pt-online-schema-change, the app's p99 and longest write during the
migration, app errors (over the whole load, all runs; the commonest messages after the
table), rows different, and each process's peak RSS (``wait4``'s ``ru_maxrss``). Then the
targets: zdmigrate / pt-osc wall ≤ 1.0, with ``--no-verify`` ≤ 0.85, 0 app errors, 0 rows
different, app p99 no worse than under pt-online-schema-change, zdmigrate's peak RSS < 150 MB
(run ``--rows 4000000`` for the second size). Every table the benchmark made is dropped at the
end.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import itertools
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from stats import percentile

DEFAULT_URL = "mysql+pymysql://root@127.0.0.1:3306/zdm_shadow_bench"
PREFIX = "sb_"
SPEC = "MODIFY a BIGINT NOT NULL, ADD COLUMN g INT NOT NULL DEFAULT 0"
COLUMNS = ("id", "a", "b", "c", "d", "e", "note")
STATE_TABLES = ("zdmigrate_checkpoints", "zdmigrate_migrations")
MODES = ("idle", "load")
CONTENDERS = ("pt-osc", "zdmigrate", "no-verify")
LABELS = {
    "pt-osc": "pt-online-schema-change",
    "zdmigrate": "zdmigrate",
    "no-verify": "zdmigrate --no-verify",
}
SHORT = {"pt-osc": "pt", "zdmigrate": "zdm", "no-verify": "zdmnv"}
RSS_LIMIT_MB = 150.0
MAX_LAG_S = 1.0
"""A load slot missed by more than this is dropped, not made up."""
TAIL_S = 0.5
"""The load goes on this long after the migration: writes to the swapped-in table count too."""


def create_sql(table: str) -> str:
    return (
        f"CREATE TABLE `{table}` (id BIGINT AUTO_INCREMENT PRIMARY KEY, a INT NOT NULL, "
        "b VARCHAR(64) NOT NULL, c VARCHAR(64), d DATETIME(6) NOT NULL, e DECIMAL(12,2), "
        "note VARCHAR(60)) ENGINE=InnoDB"
    )


def seed_sql(table: str, rows: int) -> str:
    """About 200 bytes a row, some NULLs, every value a function of the key."""
    return (
        f"INSERT INTO `{table}` (id, a, b, c, d, e, note) "
        "SELECT n, MOD(n * 7919, 1000003) - 500000, CONCAT(MD5(n), '@example.com'), "
        "IF(MOD(n, 10) = 0, NULL, SHA2(n, 256)), "
        "TIMESTAMPADD(MICROSECOND, n * 1000003, TIMESTAMP'2024-01-01 00:00:00'), "
        "IF(MOD(n, 7) = 0, NULL, MOD(n, 10000000) / 100), "
        "IF(MOD(n, 5) = 0, NULL, LEFT(CONCAT(MD5(n * 3), MD5(n * 5)), 60 - MOD(n, 20))) "
        f"FROM (SELECT CAST(seq AS SIGNED) AS n FROM seq_1_to_{rows}) AS s"
    )


# --- the database ----------------------------------------------------------------------------


def ensure_database(url: str) -> sa.Engine:
    """The engine on ``url``, its database created if missing."""
    parsed = sa.engine.make_url(url)
    if parsed.database:
        server = sa.create_engine(parsed.set(database=""))
        with server.begin() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}`")
        server.dispose()
    return sa.create_engine(url, pool_size=8)


def drop_tables(engine: sa.Engine) -> None:
    """Every table of the benchmark (its own, the tools' shadows and leftovers, zdmigrate's
    state), triggers with them."""
    with engine.begin() as connection:
        names = connection.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND (table_name LIKE :own OR table_name LIKE "
                ":shadow OR table_name IN :state)"
            ).bindparams(sa.bindparam("state", expanding=True)),
            {"own": f"{PREFIX}%", "shadow": f"\\_{PREFIX}%", "state": list(STATE_TABLES)},
        ).scalars()
        for name in list(names):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")


def build(engine: sa.Engine, table: str, rows: int) -> None:
    """``table`` and its reference ``table_ref``, with the same ``rows`` rows."""
    with engine.begin() as connection:
        for name in STATE_TABLES:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")
        for name in (table, f"{table}_ref"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")
        connection.exec_driver_sql(create_sql(table))
        connection.exec_driver_sql(seed_sql(table, rows))
        connection.exec_driver_sql(f"CREATE TABLE `{table}_ref` LIKE `{table}`")
        connection.exec_driver_sql(f"INSERT INTO `{table}_ref` SELECT * FROM `{table}`")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"ANALYZE TABLE `{table}`").all()
    settle(engine, table)


def settle(engine: sa.Engine, table: str) -> None:
    """Write out what seeding ``table`` and its reference left dirty in the buffer pool (idle,
    MariaDB would take tens of seconds over it), so that no contender pays for the build."""
    with engine.connect() as connection:
        connection.exec_driver_sql(f"FLUSH TABLES `{table}`, `{table}_ref` FOR EXPORT")
        connection.exec_driver_sql("UNLOCK TABLES")


@dataclass
class Check:
    altered: bool
    """``a`` is a BIGINT and ``g`` exists."""
    different: int


def compare(engine: sa.Engine, table: str) -> Check:
    ref = f"{table}_ref"
    same = " AND ".join(f"r.{c} <=> t.{c}" for c in COLUMNS[1:])
    with engine.connect() as connection:
        types: dict[str, str] = dict(
            connection.execute(
                sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND table_name = :table"
                ),
                {"table": table},
            ).all()
        )
        altered = types.get("a") == "bigint" and "g" in types
        if not types:  # the run lost the table
            lost = connection.exec_driver_sql(f"SELECT COUNT(*) FROM `{ref}`").scalar_one()
            return Check(False, int(lost))
        g_wrong = " OR NOT t.g <=> 0" if "g" in types else ""
        unmatched = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM `{table}` t LEFT JOIN `{ref}` r ON r.id = t.id AND {same} "
            f"WHERE r.id IS NULL{g_wrong}"
        ).scalar_one()
        missing = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM `{ref}` r LEFT JOIN `{table}` t ON t.id = r.id "
            "WHERE t.id IS NULL"
        ).scalar_one()
    return Check(altered, int(unmatched) + int(missing))


# --- the app writing meanwhile ---------------------------------------------------------------


@dataclass
class Load:
    """App connections writing to the contender's table and its reference, at a fixed rate."""

    engine: sa.Engine
    table: str
    rate: float
    threads: int
    rows: int
    writes: list[tuple[float, float]] = field(default_factory=list)
    """(started, seconds) of every write, on ``time.perf_counter``'s clock."""
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    sql: dict[str, tuple[sa.TextClause, sa.TextClause]] = field(init=False)
    """Per kind of write: its statement on the contender's table and on the reference."""
    _ids: Iterator[int] = field(init=False)
    _high: int = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._ids = itertools.count(self.rows + 1)
        self._high = self.rows
        statements = {
            "insert": "INSERT INTO `{t}` (id, a, b, c, d, e, note) "
            "VALUES (:id, :a, :b, :c, :d, :e, :note)",
            "update_a": "UPDATE `{t}` SET a = a + :delta, e = :e WHERE id = :id",
            "update_text": "UPDATE `{t}` SET b = :b, c = :c, d = :d, note = :note WHERE id = :id",
            "delete": "DELETE FROM `{t}` WHERE id = :id",
        }
        self.sql = {
            kind: (sa.text(sql.format(t=self.table)), sa.text(sql.format(t=f"{self.table}_ref")))
            for kind, sql in statements.items()
        }

    def next_id(self) -> int:
        with self._lock:
            self._high = next(self._ids)
            return self._high

    def pick(self, rng: random.Random) -> tuple[str, dict[str, object]]:
        choice = rng.random()
        now = datetime.datetime.now()
        text = {
            "b": f"{rng.getrandbits(64):016x}@load.example.com",
            "c": f"{rng.getrandbits(256):064x}",
            "d": now,
            "note": f"written at {now.isoformat()}",
        }
        if choice < 0.4:
            key = self.next_id()
            money = Decimal(rng.randint(0, 10**9)) / 100
            return "insert", {"id": key, "a": rng.randint(-(10**9), 10**9), "e": money, **text}
        key = rng.randint(1, self._high)
        if choice < 0.6:
            money = Decimal(rng.randint(0, 10**9)) / 100
            return "update_a", {"id": key, "delta": rng.randint(-1000, 1000), "e": money}
        if choice < 0.8:
            return "update_text", {"id": key, **text}
        return "delete", {"id": key}

    def work(self, worker: int) -> None:
        rng = random.Random(worker)
        period = self.threads / self.rate
        next_at = time.perf_counter() + worker * period / self.threads
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                now = time.perf_counter()
                if next_at > now:
                    self.stop.wait(next_at - now)
                    continue
                if now - next_at > MAX_LAG_S:
                    next_at = now
                next_at += period
                kind, params = self.pick(rng)
                table, ref = self.sql[kind]
                started = time.perf_counter()
                try:
                    with connection.begin():
                        connection.execute(table, params)
                        connection.execute(ref, params)
                except sa.exc.SQLAlchemyError as exc:
                    cause = getattr(exc, "orig", None) or exc
                    first = (str(cause).splitlines() or [repr(cause)])[0]
                    self.errors.append(f"{kind}: {first}")
                self.writes.append((started, time.perf_counter() - started))

    def between(self, start: float, end: float) -> list[float]:
        """The latencies of the writes started between ``start`` and ``end``."""
        return [took for began, took in self.writes if start <= began <= end]


@contextmanager
def loading(
    engine: sa.Engine, table: str, args: argparse.Namespace, enabled: bool
) -> Iterator[Load | None]:
    if not enabled:
        yield None
        return
    load = Load(engine, table, args.load_rate, args.load_threads, args.rows)
    threads = [
        threading.Thread(target=load.work, args=(i,), daemon=True) for i in range(args.load_threads)
    ]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        load.stop.set()
        for thread in threads:
            thread.join()


# --- the contenders --------------------------------------------------------------------------


@dataclass
class Child:
    seconds: float
    returncode: int
    rss_mb: float
    output: str


def run_child(argv: list[str], timeout: float) -> Child:
    """Run ``argv`` to its end; its wall time and its own peak RSS (``wait4``: this process's
    RUSAGE_CHILDREN would be the maximum over every child so far)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    return Child(seconds, process.returncode, usage.ru_maxrss / 1024, text)


def pt_dsn(url: str, table: str) -> str:
    parsed = sa.engine.make_url(url)
    parts = [f"h={parsed.host or '127.0.0.1'}", f"P={parsed.port or 3306}"]
    if parsed.username:
        parts.append(f"u={parsed.username}")
    if parsed.password:
        parts.append(f"p={parsed.password}")
    parts += [f"D={parsed.database}", f"t={table}"]
    return ",".join(parts)


def command(contender: str, table: str, args: argparse.Namespace) -> list[str]:
    if contender == "pt-osc":
        return [
            args.pt_osc,
            "--alter",
            SPEC,
            "--execute",
            "--no-check-replication-filters",
            "--recursion-method=none",
            "--no-check-unique-key-change",
            "--no-version-check",
            pt_dsn(args.url, table),
        ]
    argv = [
        str(Path(sys.executable).parent / "zdmigrate"),
        "alter",
        table,
        SPEC,
        "--database-url",
        args.url,
        "--strategy",
        "shadow",
        "--execute",
        "--no-progress",
    ]
    if not args.keep_old_table:
        argv.append("--drop-old-table")
    if contender == "no-verify":
        argv.append("--no-verify")
    return argv


def missing_options(args: argparse.Namespace) -> dict[str, str]:
    """Per zdmigrate contender, why it cannot run: an option ``zdmigrate alter`` lacks."""
    zdmigrate = Path(sys.executable).parent / "zdmigrate"
    help_text = subprocess.run(
        [str(zdmigrate), "alter", "--help"], capture_output=True, text=True, check=False
    ).stdout
    needed: dict[str, list[str]] = {"zdmigrate": [], "no-verify": ["--no-verify"]}
    if not args.keep_old_table:
        for options in needed.values():
            options.append("--drop-old-table")
    return {
        contender: f"zdmigrate alter has no {', '.join(lacking)} yet"
        for contender, options in needed.items()
        if (lacking := [o for o in options if not re.search(rf"{o}\b", help_text)])
    }


# --- one run, the results --------------------------------------------------------------------


@dataclass
class Result:
    seconds: float
    ok: bool
    rss_mb: float
    writes: int = 0
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    errors: list[str] = field(default_factory=list)
    altered: bool = False
    different: int = 0
    output: str = ""


def one_run(
    engine: sa.Engine, args: argparse.Namespace, mode: str, contender: str, run: int
) -> Result:
    table = f"{PREFIX}{mode}_{SHORT[contender]}_{run}"
    build(engine, table, args.rows)
    with loading(engine, table, args, mode == "load") as load:
        time.sleep(0.5 if load else 0)  # the app's connections are open and writing
        started = time.perf_counter()
        child = run_child(command(contender, table, args), args.timeout)
        ended = time.perf_counter()
        time.sleep(TAIL_S if load else 0)
    check = compare(engine, table)
    result = Result(
        child.seconds,
        child.returncode == 0,
        child.rss_mb,
        altered=check.altered,
        different=check.different,
        output=child.output,
    )
    if load is not None:
        window = load.between(started, ended)
        result.writes = len(window)
        result.p99_ms = percentile(window, 99) * 1000
        result.max_ms = max(window, default=float("nan")) * 1000
        result.errors = load.errors
    drop_tables(engine)
    return result


@dataclass
class Summary:
    """A contender over the runs of one mode: median wall and p99, worst wait and RSS, every
    error and different row."""

    runs: list[Result]

    @property
    def ok(self) -> bool:
        return all(r.ok and r.altered for r in self.runs)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def max_ms(self) -> float:
        return max(r.max_ms for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(r.rss_mb for r in self.runs)

    @property
    def errors(self) -> list[str]:
        return [e for r in self.runs for e in r.errors]

    @property
    def different(self) -> int:
        return sum(r.different for r in self.runs)

    @property
    def writes(self) -> int:
        return sum(r.writes for r in self.runs) // len(self.runs)


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"


def report(mode: str, summaries: dict[str, Summary], args: argparse.Namespace) -> None:
    print(
        f"{mode}, {args.rows:,} rows"
        + (f", load {args.load_rate:g} writes/s:" if mode == "load" else ":")
    )
    print(
        f"  {'contender':<26} {'wall s':>8} {'vs pt-osc':>9} {'app p99 ms':>10} {'max ms':>8} "
        f"{'writes':>7} {'errors':>6} {'rows diff':>9} {'peak RSS MB':>11}"
    )
    pt = summaries.get("pt-osc")
    base = pt.seconds if pt is not None and pt.ok else float("nan")
    for contender, summary in summaries.items():
        status = (
            ""
            if summary.ok
            else "  FAILED"
            + ("" if all(r.altered for r in summary.runs) else " (table not altered)")
        )
        walls = (
            "  (runs: " + ", ".join(f"{r.seconds:.2f}" for r in summary.runs) + " s)"
            if len(summary.runs) > 1
            else ""
        )
        print(
            f"  {LABELS[contender]:<26} {summary.seconds:8.2f} {summary.seconds / base:9.3f} "
            f"{ms(summary.p99_ms):>10} {ms(summary.max_ms):>8} "
            f"{summary.writes if mode == 'load' else '—':>7} {len(summary.errors):>6} "
            f"{summary.different:>9} {summary.rss_mb:11.0f}{status}{walls}"
        )
    for contender, summary in summaries.items():
        for error, count in collections.Counter(summary.errors).most_common(3):
            print(f"    {LABELS[contender]} app error ×{count}: {error}")
        if not summary.ok:
            failed = next(r for r in summary.runs if not (r.ok and r.altered))
            tail = failed.output.strip().splitlines()[-8:]
            print(f"    {LABELS[contender]} output (last lines):")
            for line in tail:
                print(f"      {line}")
        else:
            notes = [
                line.strip()
                for r in summary.runs
                for line in r.output.splitlines()
                if re.search(r"deadlock|lock wait|warning|error|retry", line, re.IGNORECASE)
            ]
            for line in notes[:3]:
                print(f"    {LABELS[contender]} said: {line}")


def verdict(met: bool | None) -> str:
    return "unknown" if met is None else ("met" if met else "NOT met")


def targets(results: dict[str, dict[str, Summary]]) -> None:
    print("targets:")
    for mode, summaries in results.items():
        pt = summaries.get("pt-osc")
        for contender, limit in (("zdmigrate", 1.0), ("no-verify", 0.85)):
            ours = summaries.get(contender)
            if ours is None or pt is None:
                continue
            ratio = ours.seconds / pt.seconds if ours.ok and pt.ok else float("nan")
            print(
                f"  {mode}: {LABELS[contender]} / pt-online-schema-change wall "
                f"{ratio:.3f} (target ≤ {limit:.2f}): "
                f"{verdict(None if math.isnan(ratio) else ratio <= limit)}"
            )
        for contender, ours in summaries.items():
            if contender == "pt-osc":
                continue
            print(
                f"  {mode}: {LABELS[contender]} rows different {ours.different} (target 0): "
                f"{verdict(ours.ok and ours.different == 0)}"
            )
            if mode == "load":
                print(
                    f"  {mode}: {LABELS[contender]} app errors {len(ours.errors)} (target 0): "
                    f"{verdict(len(ours.errors) == 0)}"
                )
                if pt is not None:
                    print(
                        f"  {mode}: {LABELS[contender]} app p99 {ms(ours.p99_ms)} ms, "
                        f"pt-online-schema-change {ms(pt.p99_ms)} ms (target ≤ pt's): "
                        f"{verdict(ours.p99_ms <= pt.p99_ms)}"
                    )
    rss = [s.rss_mb for m in results.values() for c, s in m.items() if c != "pt-osc"]
    if rss:
        print(
            f"  zdmigrate peak RSS {max(rss):.0f} MB (target < {RSS_LIMIT_MB:.0f} MB): "
            f"{verdict(max(rss) < RSS_LIMIT_MB)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are compared")
    parser.add_argument("--load-rate", type=float, default=200.0, help="app writes/s in total")
    parser.add_argument("--load-threads", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES), help="idle,load")
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help="pt-osc,zdmigrate,no-verify"
    )
    parser.add_argument(
        "--keep-old-table",
        action="store_true",
        help="zdmigrate keeps the original table (its default); otherwise --drop-old-table, as "
        "pt-online-schema-change drops its own",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="per contender run, s")
    parser.add_argument(
        "--pt-osc",
        default=shutil.which("pt-online-schema-change") or "/usr/bin/pt-online-schema-change",
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    contenders = [c for c in args.contenders.split(",") if c]
    for name, given, known in (("mode", modes, MODES), ("contender", contenders, CONTENDERS)):
        if unknown := set(given) - set(known):
            parser.error(
                f"unknown {name} {', '.join(sorted(unknown))}: expected {', '.join(known)}"
            )
    unavailable = missing_options(args)
    for contender in [c for c in contenders if c in unavailable]:
        print(f"skipped {LABELS[contender]}: {unavailable[contender]}")
        contenders.remove(contender)
    engine = ensure_database(args.url)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT VERSION()").scalar_one()
        pool = connection.exec_driver_sql("SELECT @@innodb_buffer_pool_size").scalar_one()
    pt_version = subprocess.run(
        [args.pt_osc, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"{version}, buffer pool {int(pool) // 2**20} MB; {pt_version}; {args.rows:,} rows; "
        f"ALTER TABLE … {SPEC}; zdmigrate "
        f"{'keeps' if args.keep_old_table else 'drops (--drop-old-table)'} the old table"
    )
    drop_tables(engine)
    runs: dict[str, dict[str, list[Result]]] = {m: {c: [] for c in contenders} for m in modes}
    try:
        for run in range(1, args.repeat + 1):
            turn = (run - 1) % max(len(contenders), 1)
            order = contenders[turn:] + contenders[:turn]
            for mode in modes:
                for contender in order:
                    result = one_run(engine, args, mode, contender, run)
                    runs[mode][contender].append(result)
                    print(
                        f"  run {run} {mode:<4} {LABELS[contender]:<26} {result.seconds:7.2f} s"
                        + ("" if result.ok else " (exit status non-zero)"),
                        flush=True,
                    )
    finally:
        drop_tables(engine)
    results = {mode: {c: Summary(r) for c, r in by.items() if r} for mode, by in runs.items()}
    for mode, summaries in results.items():
        report(mode, summaries, args)
    targets(results)
    engine.dispose()


if __name__ == "__main__":
    main()
