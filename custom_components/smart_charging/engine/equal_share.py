"""Equal shares: raising chargers toward one power level in whole amps."""

from __future__ import annotations

from collections import Counter
import math

from .slot import Slot, in_rank_order


def water_fill(slots: list[Slot], pool_w: float) -> float:
    """Raise the slots above their current target toward an equal power, within pool_w.

    Returns the power handed out. Currents are whole amps, rounded down; what rounding
    leaves is handed out one amp at a time in rank order.
    """
    if not slots or pool_w <= 0:
        return 0.0
    base = [s.target * s.watts_per_amp for s in slots]
    ceilings = [s.ceiling * s.watts_per_amp for s in slots]  # each slot's ceiling_w
    level = equal_level(base, ceilings, pool_w + sum(base))
    handed = 0.0
    smallest = math.inf  # the fewest watts one more amp of any slot takes
    for slot, floor_w, ceiling_w in zip(slots, base, ceilings, strict=True):
        per_amp = slot.watts_per_amp
        share = min(max(level, floor_w), ceiling_w)
        amps = max(math.floor(share / per_amp + 1e-9), slot.target)
        handed += (amps - slot.target) * per_amp
        slot.target = amps
        smallest = min(smallest, per_amp)
    if handed + smallest > pool_w + 1e-6:
        return handed  # not even one amp is left over: no need to rank them
    for slot in in_rank_order(slots):
        if slot.target < slot.ceiling and handed + slot.watts_per_amp <= pool_w + 1e-6:
            slot.target += 1
            handed += slot.watts_per_amp
    return handed


def equal_level(floors: list[float], ceilings: list[float], total: float) -> float:
    """The level L at which sum(clamp(L, floor, ceiling)) == total, for total above
    sum(floors); inf when even every ceiling is below total.

    The sum rises piecewise linearly in L: each slot joins the rise at its floor and
    leaves it at its ceiling, so a sweep over those points finds L exactly. Slots
    share few distinct floors and ceilings, so the sweep counts them per point
    instead of sorting one event per slot.
    """
    joining = Counter(floors)
    leaving = Counter(ceilings)
    points = sorted(joining.keys() | leaving.keys())
    value = sum(floors)  # the sum at `at`
    at = points[0]
    slope = 0  # slots between their floor and their ceiling
    for point in points:
        reached = value + slope * (point - at)
        if reached >= total and slope > 0:
            return at + (total - value) / slope
        value, at = reached, point
        slope += joining[point] - leaving[point]
    return math.inf
