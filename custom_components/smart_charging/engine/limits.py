"""Limits every part of the engine keeps to."""

from __future__ import annotations

# IEC 61851 cars do not charge below 6 A, so a lower configured minimum is raised to it:
# a charger never gets 1-5 A.
MIN_CHARGE_CURRENT = 6
# The solar restart delay and a full car's wait for the next offer double at most this
# many times (both are capped long before anyway).
MAX_BACKOFF_STEPS = 16


def backoff(base: float, factor: float, times: int, longest: float) -> float:
    """`base` multiplied by `factor` once for each of `times` (at most
    MAX_BACKOFF_STEPS), and never over `longest`."""
    return min(base * factor ** min(times, MAX_BACKOFF_STEPS), longest)


def drawn_phases(configured: int, car_phases: int | None) -> int:
    """The phases a car counts on (SPEC §5 rule 1): those it draws on, the box's
    configured ones until a settled draw showed fewer (ChargerState.car_phases)."""
    return configured if car_phases is None else min(configured, car_phases)
