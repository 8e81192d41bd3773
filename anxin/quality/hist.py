"""Fixed-bucket histograms: percentiles that merge across outlets and days.

A mean of means is wrong and a median of medians is worse; a histogram of counts per fixed
bucket adds up exactly (the merge of two days is the sum of their counts), so any scope and
period is the sum of its cells. The price is resolution: a percentile read from buckets of
``width`` seconds is within one bucket width of the exact value (linear interpolation inside
the bucket, nearest-rank definition). Values beyond the last bucket go to an overflow bucket;
a percentile that falls there is reported as "at least" the overflow edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Response times: 30-second buckets up to 8 hours (960 buckets) + overflow.
OVERFLOW = "o"


def bucket_of(value_ms: int, width_seconds: int, limit_seconds: int) -> str:
    """The bucket key of a value in milliseconds (stored as a JSON object key)."""
    if value_ms < 0:
        value_ms = 0
    if value_ms >= limit_seconds * 1000:
        return OVERFLOW
    return str(value_ms // (width_seconds * 1000))


def merge(into: dict[str, int], other: Mapping[str, int], sign: int = 1) -> dict[str, int]:
    """Add (or subtract) ``other``'s counts into ``into``; empty buckets are dropped so that
    two histograms of the same values are equal dictionaries."""
    for key, count in other.items():
        value = into.get(key, 0) + sign * int(count)
        if value:
            into[key] = value
        else:
            into.pop(key, None)
    return into


def merged(hists: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for h in hists:
        merge(total, h)
    return total


def percentile(
    hist: Mapping[str, int], q: float, width_seconds: int, limit_seconds: int
) -> tuple[float | None, bool]:
    """The ``q``-quantile (0..1) in seconds and whether it is only a lower bound (overflow).

    Nearest rank: the smallest value with at least ``q·n`` values at or below it, located in
    its bucket and interpolated linearly by rank inside the bucket.
    """
    n = sum(hist.values())
    if n <= 0:
        return None, False
    rank = max(1, math.ceil(q * n))
    seen = 0
    for key in sorted((k for k in hist if k != OVERFLOW), key=int):
        count = hist[key]
        if seen + count >= rank:
            start = int(key) * width_seconds
            inside = (rank - seen) / count
            return start + inside * width_seconds, False
        seen += count
    return float(limit_seconds), True
