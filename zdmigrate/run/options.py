"""The options of a run: how fast a backfill may go and how long DDL may wait for a lock.

One frozen object carries them from the command line (or a deploy script) to the runner, the
step executor and the backfill engine, so that the Python API and the CLI take the same options
with the same defaults.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from zdmigrate.errors import BadInput

LogFormat = Literal["text", "json"]
T = TypeVar("T")


@dataclass(frozen=True)
class RunOptions:
    # --- batches ---------------------------------------------------------------------------
    batch_size: int = 1000
    """Rows in the first batch; later batches grow or shrink toward ``target_batch_ms``."""
    min_batch_size: int = 100
    max_batch_size: int = 50_000
    target_batch_ms: int = 50
    """How long one batch should take: short enough that its row locks never hold up an app.
    An app update that meets a row of the running batch waits out the rest of the batch: with
    200 ms batches (~40k rows of a 1M-row table) 1.6% of an OLTP load's statements waited, up
    to 200 ms, and set its p99; with 50 ms too few wait to show in it, while a 1M-row backfill
    took 3-6% longer (benchmarks/backfill_pg.py, still faster than one UPDATE)."""
    sleep_ratio: float = 0.0
    """Sleep this many times the last batch's duration after it (0.5: a third of the time idle)."""

    # --- throttling ------------------------------------------------------------------------
    max_lag_ms: int | None = None
    """Wait while a replica lags more than this (None: do not look at replicas)."""
    replica_urls: tuple[str, ...] = ()
    max_load: Mapping[str, int] = field(default_factory=dict)
    """Load metric name → level above which the backfill waits (``{"active_backends": 50}``)."""
    critical_load: Mapping[str, int] = field(default_factory=dict)
    """Load metric name → level above which the backfill stops with an error."""
    pause_flag_file: Path | None = None
    """While this file exists the backfill waits, as it does while ``zdmigrate pause`` holds."""

    # --- shadow-table copies (MySQL) --------------------------------------------------------
    verify_copy: bool = True
    """Check each chunk of a shadow-table copy against the original by a checksum of both,
    and copy a chunk that differs again."""
    allow_data_loss: bool = False
    """A shadow-table copy goes on past rows that lose data on their way into the new table
    (a value out of range or cut short, a duplicate on a new unique key): each warning is
    logged, and the chunk is not verified. Without, the copy stops at the first."""
    postpone_swap_flag_file: Path | None = None
    """While this file exists a finished shadow-table copy waits, kept in step, to be swapped
    in (gh-ost's ``--postpone-cut-over-flag-file``)."""

    # --- locks and retries -----------------------------------------------------------------
    lock_timeout_ms: int = 500
    """How long a statement whose lock blocks reads or writes may wait for that lock. A longer
    wait would queue the apps' queries behind the waiting lock; giving up and retrying lets them
    through."""
    statement_timeout_ms: int = 0
    """Cap on one batch or one statement that blocks nothing (0: none; an index build on a
    large table takes as long as it takes)."""
    ddl_statement_timeout_ms: int = 60_000
    """Cap on a statement while it holds a lock that blocks reads or writes."""
    max_retries: int = 30
    """Retries of a statement or batch after a lock timeout, deadlock or serialization failure."""
    retry_base_ms: int = 100
    """The first retry waits about this long; each next one twice as long, with jitter."""
    retry_max_ms: int = 10_000
    wait_for_runner_s: float = 0.0
    """How long to wait for another runner on the same database to finish before giving up."""

    # --- reporting -------------------------------------------------------------------------
    log_format: LogFormat = "text"
    metrics_file: Path | None = None
    """Where to write the backfill's metrics (Prometheus text format), rewritten per batch."""
    progress: bool = False
    """Show a progress line for backfills (the CLI turns it on for a terminal)."""

    def __post_init__(self) -> None:
        """Refuse values no run could use, where they are given, as one line."""
        positive = {
            "batch_size": self.batch_size,
            "min_batch_size": self.min_batch_size,
            "max_batch_size": self.max_batch_size,
            "target_batch_ms": self.target_batch_ms,
            "lock_timeout_ms": self.lock_timeout_ms,
            "retry_base_ms": self.retry_base_ms,
            "retry_max_ms": self.retry_max_ms,
        }
        not_negative: dict[str, float] = {
            "sleep_ratio": self.sleep_ratio,
            "statement_timeout_ms": self.statement_timeout_ms,
            "ddl_statement_timeout_ms": self.ddl_statement_timeout_ms,
            "max_retries": self.max_retries,
            "wait_for_runner_s": self.wait_for_runner_s,
            **({"max_lag_ms": self.max_lag_ms} if self.max_lag_ms is not None else {}),
            **{f"max_load {k}": v for k, v in self.max_load.items()},
            **{f"critical_load {k}": v for k, v in self.critical_load.items()},
        }
        for name, value in positive.items():
            if value <= 0:
                raise BadInput(f"{name} must be a positive number, not {value}")
        for name, amount in not_negative.items():
            if amount < 0:
                raise BadInput(f"{name} must not be negative, not {amount}")
        if not self.min_batch_size <= self.batch_size <= self.max_batch_size:
            raise BadInput(
                f"batch_size {self.batch_size} is outside min_batch_size {self.min_batch_size}"
                f" .. max_batch_size {self.max_batch_size}"
            )
        if self.log_format not in ("text", "json"):
            raise BadInput(f"log_format must be text or json, not {self.log_format!r}")

    def retry_delay_s(self, attempt: int) -> float:
        """How long to wait before retry number ``attempt`` (1, 2, …): exponential back-off
        capped at ``retry_max_ms``, half of it random, so that runners that failed together do
        not retry together."""
        ceiling = min(self.retry_max_ms, self.retry_base_ms * 2.0 ** (attempt - 1)) / 1000
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def retried(
        self,
        attempt: Callable[[], T],
        *,
        retryable: Callable[[Exception], bool],
        on_retry: Callable[[Exception, int, float], None],
    ) -> T:
        """``attempt()``, tried again after each error that ``retryable`` says a new try may
        get past (a lock timeout, a deadlock), up to ``max_retries`` times, each after
        :meth:`retry_delay_s`; ``on_retry(error, retry, delay)`` is told before the wait. The
        last error is raised as it is."""
        retries = 0
        while True:
            try:
                return attempt()
            except Exception as exc:
                if not retryable(exc) or retries >= self.max_retries:
                    raise
                retries += 1
                delay = self.retry_delay_s(retries)
                on_retry(exc, retries, delay)
                time.sleep(delay)
