"""What the benchmarks share: how they read a run's latencies."""

from __future__ import annotations

import math


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: a value that occurred, never an extrapolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]
