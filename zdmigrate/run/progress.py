"""What a backfill tells the people and the machines watching it.

One :class:`Progress` per backfill receives its events — a batch committed, a throttle that
holds it or lets it go, a retry, the end — and turns each into what the run's options ask for:

- a progress line on stderr (``options.progress``): rows done of the estimated total, rows per
  second, time left, and why the backfill waits while it waits;
- a log record per event, through :mod:`logging` as text, or with ``log_format="json"`` as one
  JSON object per line on stderr carrying the event's fields (``event`` is ``batch``,
  ``throttle``, ``retry`` or ``done``), in the shape of the runner's JSON log lines;
- Prometheus text metrics in ``options.metrics_file``, replaced as a whole (written beside it,
  then renamed) so that a scraper never reads half a file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from zdmigrate.run.options import RunOptions

log = logging.getLogger("zdmigrate.run.backfill")

REDRAW_SECONDS = 0.2
"""The progress line is drawn at most this often; events that change what it says redraw it."""

BAR_WIDTH = 24


@dataclass
class Metrics:
    """The counters of one backfill, as the metrics file exposes them."""

    label: str
    rows_total: int | None
    rows_done: int = 0
    """Rows walked past: the table's rows up to the last committed batch's key."""
    rows_changed: int = 0
    batches: int = 0
    batch_size: int = 0
    batch_seconds: float = 0.0
    batch_seconds_total: float = 0.0
    retries: int = 0
    throttled_seconds: dict[str, float] = field(default_factory=dict)
    finished: bool = False

    def render(self) -> str:
        """The Prometheus text exposition of these counters."""
        labels = f'backfill="{_escape(self.label)}"'
        lines: list[str] = []

        def metric(name: str, kind: str, help_: str, values: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP zdmigrate_backfill_{name} {help_}")
            lines.append(f"# TYPE zdmigrate_backfill_{name} {kind}")
            lines.extend(f"zdmigrate_backfill_{name}{{{ls}}} {_number(v)}" for ls, v in values)

        metric("rows_done", "counter", "Rows walked past so far.", [(labels, self.rows_done)])
        metric(
            "rows_changed", "counter", "Rows the batches changed.", [(labels, self.rows_changed)]
        )
        if self.rows_total is not None:
            metric("rows_total", "gauge", "Estimated rows to walk.", [(labels, self.rows_total)])
        metric("batches", "counter", "Batches committed.", [(labels, self.batches)])
        metric("batch_size", "gauge", "Rows in the last batch.", [(labels, self.batch_size)])
        metric(
            "batch_seconds",
            "gauge",
            "How long the last batch took.",
            [(labels, self.batch_seconds)],
        )
        metric(
            "batch_seconds_total",
            "counter",
            "Time spent in batches.",
            [(labels, self.batch_seconds_total)],
        )
        metric("retries", "counter", "Batches tried again.", [(labels, self.retries)])
        metric(
            "throttled_seconds",
            "counter",
            "Time spent waiting, by reason.",
            [
                (f'{labels},reason="{_escape(reason)}"', seconds)
                for reason, seconds in sorted(self.throttled_seconds.items())
            ],
        )
        metric("done", "gauge", "1 once the backfill has finished.", [(labels, self.finished)])
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        """Replace ``path`` with the current counters, atomically."""
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(self.render(), encoding="utf-8")
        partial.replace(path)


class Progress:
    """The events of one backfill, rendered as its options ask (see the module's docstring)."""

    def __init__(self, label: str, options: RunOptions, rows_total: int | None) -> None:
        self.label = label
        self.json = options.log_format == "json"
        self.bar = options.progress and not self.json
        self.metrics_file = options.metrics_file
        self.metrics = Metrics(label, rows_total)
        self.started = time.monotonic()
        self.throttle_note: str | None = None
        self.drawn_at = -REDRAW_SECONDS
        self.line_shown = False
        self._write_metrics()

    # --- events ----------------------------------------------------------------------------

    def batch(self, *, rows_walked: int, rows_changed: int, size: int, seconds: float) -> None:
        m = self.metrics
        m.rows_done += rows_walked
        m.rows_changed += rows_changed
        m.batches += 1
        m.batch_size = size
        m.batch_seconds = seconds
        m.batch_seconds_total += seconds
        self._event(
            "batch",
            logging.DEBUG,
            f"{self.label}: batch {m.batches}: {rows_changed} rows changed in {seconds:.3f} s",
            rows=rows_changed,
            rows_done=m.rows_done,
            rows_changed=m.rows_changed,
            rows_total=m.rows_total,
            batch_size=size,
            seconds=round(seconds, 4),
        )
        self._draw()

    def throttle(self, reason: str | None, detail: str, *, holds: bool = True) -> None:
        """The backfill starts waiting for ``reason`` (``detail`` says why), or with None goes
        on after a wait. Called once per change of state. A reason that does not hold the
        backfill but only slows it (``holds=False``: the sleep ratio) is told once."""
        if holds:
            self.throttle_note = detail if reason is not None else None
        message = f"{self.label}: waiting: {detail}" if reason else f"{self.label}: {detail}"
        self._event("throttle", logging.INFO, message, reason=reason, detail=detail)
        self._draw(force=True)

    def throttled_for(self, reason: str, seconds: float) -> None:
        """Add ``seconds`` spent waiting for ``reason`` to the metrics."""
        spent = self.metrics.throttled_seconds
        spent[reason] = spent.get(reason, 0.0) + seconds
        self._write_metrics()
        self._draw()

    def retry(
        self, *, attempt: int, limit: int, code: str | None, error: str, delay: float
    ) -> None:
        self.metrics.retries += 1
        self._event(
            "retry",
            logging.WARNING,
            f"{self.label}: {error}; retry {attempt} of {limit} in {delay * 1000:.0f} ms",
            attempt=attempt,
            max_retries=limit,
            code=code,
            error=error,
            delay_ms=round(delay * 1000),
        )

    def done(self) -> None:
        m = self.metrics
        m.finished = True
        if m.rows_total is None or m.rows_done > m.rows_total:
            m.rows_total = m.rows_done
        seconds = time.monotonic() - self.started
        self.throttle_note = None
        self._draw(force=True)
        self.close()
        self._event(
            "done",
            logging.INFO,
            f"{self.label}: {m.rows_changed} rows changed in {m.batches} batches, {seconds:.1f} s",
            rows_changed=m.rows_changed,
            rows_done=m.rows_done,
            batches=m.batches,
            retries=m.retries,
            seconds=round(seconds, 3),
            throttled_seconds={k: round(v, 3) for k, v in m.throttled_seconds.items()},
        )

    def close(self) -> None:
        """End the progress line, so that what is written next starts on a line of its own."""
        if self.line_shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.line_shown = False

    # --- rendering -------------------------------------------------------------------------

    def _event(self, event: str, level: int, message: str, **fields: Any) -> None:
        self._clear_line()
        if self.json:
            record = {
                "time": datetime.now(UTC).isoformat(),
                "level": logging.getLevelName(level).lower(),
                "logger": log.name,
                "message": message,
                "event": event,
                "label": self.label,
                **fields,
            }
            sys.stderr.write(json.dumps(record, default=str) + "\n")
            sys.stderr.flush()
        else:
            log.log(level, "%s", message)
        self._write_metrics()

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.bar or (not force and now - self.drawn_at < REDRAW_SECONDS):
            return
        self.drawn_at = now
        sys.stderr.write("\r\x1b[K" + self.line(now))
        sys.stderr.flush()
        self.line_shown = True

    def _clear_line(self) -> None:
        if self.line_shown:
            sys.stderr.write("\r\x1b[K")
            self.line_shown = False

    def line(self, now: float) -> str:
        """The progress line: done of total, rate, time left, and what the backfill waits for."""
        m = self.metrics
        elapsed = max(now - self.started, 1e-9)
        rate = m.rows_done / elapsed
        parts = [self.label]
        if m.rows_total:
            share = min(m.rows_done / m.rows_total, 1.0)
            filled = round(share * BAR_WIDTH)
            parts.append(f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}")
            parts.append(f"{m.rows_done:,}/{m.rows_total:,} rows")
        else:
            parts.append(f"{m.rows_done:,} rows")
        parts.append(f"{rate:,.0f} rows/s")
        if m.rows_total and rate > 0 and not m.finished:
            left = max(m.rows_total - m.rows_done, 0) / rate
            parts.append(f"ETA {_duration(left)}")
        if self.throttle_note:
            parts.append(f"waiting: {self.throttle_note}")
        return "  ".join(parts)

    def _write_metrics(self) -> None:
        if self.metrics_file is not None:
            self.metrics.write(self.metrics_file)


def _escape(value: str) -> str:
    """A label value as the exposition format quotes it."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
