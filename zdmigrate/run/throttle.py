"""Throttling a backfill: whether it may run its next batch, and how long it rests after one.

Before each batch :meth:`Throttle.wait` looks, in this order, at

1. ``critical_load``: a load metric at or above its critical level stops the backfill with
   :class:`CriticalLoad` (it resumes from its checkpoint when run again);
2. ``is_paused()`` (``zdmigrate pause``) and ``pause_flag_file``: wait while either holds;
3. ``max_load``: wait while a load metric is at or above its level;
4. ``max_lag_ms``: wait while a replica replays more than that behind — asked of the replicas
   themselves when ``replica_urls`` are given, else of the primary;

and returns once none holds. After each batch :meth:`Throttle.rest` sleeps ``sleep_ratio``
times the batch's duration, so that the backfill takes at most 1/(1 + ratio) of the server's
time. Every change of what holds the backfill is told to :class:`~zdmigrate.run.progress.Progress`
once, and the time spent waiting is counted per reason.

The probes are the dialect's SQL (``load_metrics_sql``, ``replication_lag_sql``,
``replica_lag_sql``); a dialect that has none for an option given is refused before the first
batch, as is a load metric name the dialect does not know.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from zdmigrate.engine import create_engine, driver_reason, mask_url
from zdmigrate.errors import BadInput, ConnectionFailed, ExecutionError

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.run.options import RunOptions
    from zdmigrate.run.progress import Progress

POLL_SECONDS = 0.25
"""How often a waiting backfill looks again."""

Probe = Callable[[str], sa.RowMapping | None]
"""Runs a probe query on the backfill's own connection, between batches; its first row."""


def probe_on(connection: sa.Connection) -> Probe:
    """The probe that runs its queries on ``connection``, each in a transaction of its own."""

    def probe(sql: str) -> sa.RowMapping | None:
        with connection.begin():
            return connection.execute(sa.text(sql)).mappings().first()

    return probe


class CriticalLoad(ExecutionError):
    """A load metric reached its critical level: the backfill stopped between two batches."""

    def __init__(self, label: str, metric: str, value: float, limit: int, sql: str) -> None:
        self.metric = metric
        self.value = value
        self.limit = limit
        reason = (
            f"{metric} is {value:g}, at or above --critical-load {metric}={limit}: stopped; "
            "run it again to go on from where it stopped"
        )
        super().__init__(label, "backfill", sql, reason)
        self.args = (f"{label}: {reason}",)


def check_options(dialect: Dialect, options: RunOptions) -> None:
    """Refuse throttle options this server cannot honour, before anything runs."""
    known = dialect.load_metrics_sql()
    for option, levels in (
        ("--max-load", options.max_load),
        ("--critical-load", options.critical_load),
    ):
        for name in levels:
            if name not in known:
                expected = ", ".join(sorted(known)) or "none on this server"
                raise BadInput(f"{option}: unknown load metric {name!r} (known: {expected})")
    if options.replica_urls and options.max_lag_ms is None:
        raise BadInput("--replica-url: give --max-lag-ms too, the lag to wait above")
    lag_on_primary = options.max_lag_ms is not None and not options.replica_urls
    if lag_on_primary and dialect.replication_lag_sql() is None:
        raise BadInput(
            f"--max-lag-ms: {dialect.name} does not report replica lag on the primary; "
            "give --replica-url for each replica"
        )


class Throttle:
    def __init__(
        self,
        dialect: Dialect,
        options: RunOptions,
        *,
        probe: Probe,
        is_paused: Callable[[], bool],
        progress: Progress,
        label: str,
    ) -> None:
        self.options = options
        self.dialect = dialect
        self.probe = probe
        self.is_paused = is_paused
        self.progress = progress
        self.label = label
        self.holding: str | None = None
        self.rested = False
        check_options(dialect, options)
        known = dialect.load_metrics_sql()
        self.load_sql: dict[str, str] = {
            name: known[name] for name in (*options.max_load, *options.critical_load)
        }
        self.primary_lag_sql: str | None = None
        self.replicas: list[tuple[str, sa.Engine]] = []
        self.replica_lag_sql = dialect.replica_lag_sql()
        if options.max_lag_ms is not None:
            if options.replica_urls:
                self._connect_replicas(dialect)
            else:
                self.primary_lag_sql = dialect.replication_lag_sql()

    def close(self) -> None:
        for _, engine in self.replicas:
            engine.dispose()

    # --- what the engine calls between batches ---------------------------------------------

    def wait(self, before_holding: Callable[[], None] | None = None) -> None:
        """Return when the next batch may run; raise CriticalLoad if it must not.
        ``before_holding()`` is called before it holds the backfill."""
        since = time.monotonic()
        while True:
            reason, detail = self._holding()
            now = time.monotonic()
            if self.holding is not None:
                self.progress.throttled_for(self.holding, now - since)
            since = now
            if reason != self.holding:
                self.holding = reason
                self.progress.throttle(reason, detail)
            if reason is None:
                return
            if before_holding is not None:
                before_holding()
            time.sleep(POLL_SECONDS)

    def rest(self, batch_seconds: float) -> None:
        """Sleep ``sleep_ratio`` times the batch's duration."""
        ratio = self.options.sleep_ratio
        if ratio <= 0:
            return
        if not self.rested:
            self.rested = True
            self.progress.throttle(
                "sleep_ratio", f"resting {ratio:g} times each batch's time after it", holds=False
            )
        pause = ratio * batch_seconds
        time.sleep(pause)
        self.progress.throttled_for("sleep_ratio", pause)

    # --- what holds the backfill -----------------------------------------------------------

    def _holding(self) -> tuple[str | None, str]:
        """The reason the backfill must wait now and a sentence on it, or None."""
        options = self.options
        loads = {name: self._value(sql) for name, sql in self.load_sql.items()}
        for name, limit in options.critical_load.items():
            if loads[name] >= limit:
                raise CriticalLoad(self.label, name, loads[name], limit, self.load_sql[name])
        if self.is_paused():
            return "paused", "paused (zdmigrate pause); `zdmigrate resume` lets it go on"
        flag = options.pause_flag_file
        if flag is not None and flag.exists():
            return "pause_flag_file", f"the pause flag file {flag} exists"
        for name, limit in options.max_load.items():
            if loads[name] >= limit:
                return "max_load", f"{name} is {loads[name]:g}, at or above --max-load {limit}"
        if options.max_lag_ms is not None:
            lag, where = self._lag()
            if lag > options.max_lag_ms:
                return (
                    "replica_lag",
                    f"{where} {_behind(lag)}, over --max-lag-ms {options.max_lag_ms}",
                )
        return None, "going on"

    def _value(self, sql: str) -> float:
        row = self.probe(sql)
        return float(row["value"]) if row is not None and row["value"] is not None else 0.0

    def _lag(self) -> tuple[float, str]:
        """The largest replica lag in ms, and where it was seen."""
        if self.primary_lag_sql is not None:
            row = self.probe(self.primary_lag_sql)
            lag = row["lag_ms"] if row is not None else None
            return float(lag or 0), "a replica"
        worst, where = 0.0, "no replica"
        for url, engine in self.replicas:
            try:
                lag = self._replica_lag(engine)
            except _NotAReplica:  # promoted since the start: nothing left to replay
                continue
            except sa.exc.DBAPIError as exc:
                # A replica that does not answer may be far behind: wait rather than guess.
                return float("inf"), f"replica {url} (no answer: {driver_reason(exc)})"
            if lag >= worst:
                worst, where = lag, f"replica {url}"
        return worst, where

    def _replica_lag(self, engine: sa.Engine) -> float:
        assert self.replica_lag_sql is not None
        with engine.connect() as connection:
            row = connection.execute(sa.text(self.replica_lag_sql)).mappings().first()
        lag = self.dialect.replica_lag(None if row is None else dict(row))
        if lag is None:
            raise _NotAReplica
        return lag

    def _connect_replicas(self, dialect: Dialect) -> None:
        if self.replica_lag_sql is None:
            raise BadInput(f"--replica-url: zdmigrate cannot read replica lag on {dialect.name}")
        for url in self.options.replica_urls:
            masked = mask_url(url)
            engine = create_engine(url)
            self.replicas.append((masked, engine))
            try:
                self._replica_lag(engine)
            except sa.exc.DBAPIError as exc:
                self.close()
                raise ConnectionFailed(masked, driver_reason(exc)) from None
            except _NotAReplica:
                self.close()
                raise BadInput(f"--replica-url {masked}: that server is not a replica") from None


def _behind(lag: float) -> str:
    """``lags 1,500 ms``; a replica that does not replay, or does not answer, cannot say."""
    return "lags by an unknown time" if math.isinf(lag) else f"lags {lag:,.0f} ms"


class _NotAReplica(Exception):
    """A --replica-url names a server that is not replaying from a primary."""
