"""Equal shares: raising chargers toward one power level in whole amps."""

from __future__ import annotations

import math

from .slot import Slot, by_rank


def water_fill(slots: list[Slot], pool_w: float) -> float:
    """Raise the slots above their current target toward an equal power, within pool_w.

    Returns the power handed out. Currents are whole amps, rounded down; what rounding
    leaves is handed out one amp at a time in rank order.
    """
    if not slots or pool_w <= 0:
        return 0.0
    base = [s.target * s.watts_per_amp for s in slots]
    level = _level(base, [s.ceiling_w for s in slots], pool_w + sum(base))
    handed = 0.0
    for slot, floor_w in zip(slots, base, strict=True):
        share = min(max(level, floor_w), slot.ceiling_w)
        amps = max(math.floor(share / slot.watts_per_amp + 1e-9), slot.target)
        handed += (amps - slot.target) * slot.watts_per_amp
        slot.target = amps
    for slot in sorted(slots, key=by_rank):
        if slot.target < slot.ceiling and handed + slot.watts_per_amp <= pool_w + 1e-6:
            slot.target += 1
            handed += slot.watts_per_amp
    return handed


def _level(floors: list[float], ceilings: list[float], total: float) -> float:
    """The level L at which sum(clamp(L, floor, ceiling)) == total, for total above
    sum(floors); inf when even every ceiling is below total.

    The sum rises piecewise linearly in L: each slot joins the rise at its floor and
    leaves it at its ceiling, so a sweep over those points finds L exactly.
    """
    events = sorted([(f, 1) for f in floors] + [(c, -1) for c in ceilings])
    value = sum(floors)  # the sum at `at`
    at = events[0][0]
    slope = 0  # slots between their floor and their ceiling
    for point, delta in events:
        reached = value + slope * (point - at)
        if reached >= total and slope > 0:
            return at + (total - value) / slope
        value, at = reached, point
        slope += delta
    return math.inf
