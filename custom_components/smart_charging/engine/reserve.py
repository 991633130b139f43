"""The adaptive reserve: a margin learned from how fast the household load steps
(SPEC §5 rule 1, site option `adaptive_reserve`).

A load step is seen only once the sensors report it, and the chargers lower only
then: until that moment the site is over the limit by the step. The reserve keeps
room for the steps this household makes. Each household reading's rise is how far
it stands above the lowest reading of the last 10 s (only rises count). The biggest
rise of every 10-s bucket is kept for an hour and the biggest of every hour for a
day; the margin is the bigger of the last hour's biggest rise and the second
biggest hourly rise of the day (one odd hour is forgotten after an hour), with 2 %
on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

RISE_WINDOW_S = 10.0  # a rise is measured from the lowest reading of this window
LOW_BUCKET_S = 1.0  # the window's lowest readings, kept per second
BUCKET_S = 10.0  # the rises of the last hour, kept per bucket this long
HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
HEADROOM = 1.02  # on top of the rise kept

# (bucket start, value): the lowest reading or the biggest rise in that bucket.
type Buckets = tuple[tuple[float, float], ...]


def _kept(buckets: Buckets, now: float, span_s: float, size_s: float) -> Buckets:
    """The buckets that hold a moment of the last `span_s` up to `now`; none that
    starts after now (a clock set back)."""
    return tuple(
        (start, value)
        for start, value in buckets
        if now - span_s - size_s < start <= now
    )


def _with(
    buckets: Buckets,
    now: float,
    size_s: float,
    value: float,
    keep: Callable[[float, float], float],
) -> Buckets:
    """The buckets with `value` counted in the one of `now`: `keep` (min or max)
    of it and the value already there."""
    start = math.floor(now / size_s) * size_s
    if buckets and buckets[-1][0] == start:
        return (*buckets[:-1], (start, keep(buckets[-1][1], value)))
    return (*buckets, (start, value))


@dataclass(frozen=True, slots=True)
class StepReserve:
    """What the reserve remembers: the window's lowest readings (per second), the
    biggest rise per 10-s bucket of the last hour and per hour of the last day."""

    lows: Buckets = ()
    rises: Buckets = ()
    hourly: Buckets = ()

    def update(self, now: float, household_w: float) -> StepReserve:
        """Count one usable household reading taken at `now`."""
        lows = _kept(self.lows, now, RISE_WINDOW_S, LOW_BUCKET_S)
        lows = _with(lows, now, LOW_BUCKET_S, household_w, min)
        rise = household_w - min(low for _, low in lows)
        rises = _kept(self.rises, now, HOUR_S, BUCKET_S)
        hourly = _kept(self.hourly, now, DAY_S - HOUR_S, HOUR_S)
        if rise > 0:
            rises = _with(rises, now, BUCKET_S, rise, max)
            hourly = _with(hourly, now, HOUR_S, rise, max)
        return StepReserve(lows, rises, hourly)

    @property
    def margin_w(self) -> float:
        """The reserve, in W: 0 until a rise was seen."""
        last_hour = max((rise for _, rise in self.rises), default=0.0)
        by_hour = sorted((rise for _, rise in self.hourly), reverse=True)
        second = by_hour[1] if len(by_hour) > 1 else 0.0
        return max(last_hour, second) * HEADROOM
