"""Readings are trusted only once converted and checked (SPEC §5 rule 8).

A sensor's state is parsed strictly, converted to watts with its unit, and then
checked to be finite and plausible. Anything else is unusable input: the site goes
to failsafe rather than act on it.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re

# Power units Home Assistant's power sensors use, in watts.
POWER_UNITS_W = {
    "mW": 1e-3,
    "W": 1.0,
    "kW": 1e3,
    "MW": 1e6,
    "GW": 1e9,
    "TW": 1e12,
}
# Current units of the grid connection's phase sensors, in amps.
CURRENT_UNITS_A = {"mA": 1e-3, "A": 1.0}
# Plain decimal numbers only: no "1_000", "inf", "nan" or padding.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# A household or solar reading below this is not plausible (a little export from
# a meter's own offset is).
LOWEST_SITE_W = -500.0
# Nor above this many times the grid limit.
SITE_LIMIT_FACTOR = 10.0
# A phase current beyond this many times the main fuse (either way: a meter may
# show export as negative) is not plausible.
PHASE_LIMIT_FACTOR = 10.0
# Nor a charger drawing more than this share of its maximum power.
CHARGER_LIMIT_FACTOR = 1.25


@dataclass(frozen=True, slots=True)
class Reading:
    """A checked power value in watts, or why there is none."""

    watts: float | None
    problem: str | None = None


def parse_number(text: str) -> float | None:
    """A state as a finite number; None for anything that is not plainly one."""
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def read_power(state: str, unit: str | None, low_w: float, high_w: float) -> Reading:
    """A power state in watts, checked to lie in [low_w, high_w]."""
    number = parse_number(state)
    if number is None:
        return Reading(None, f"not a number ({state[:20]!r})")
    if unit is None:
        return Reading(None, "no unit")
    factor = POWER_UNITS_W.get(unit)
    if factor is None:
        return Reading(None, f"unit {unit!r} is not a power unit")
    return check_power(number * factor, low_w, high_w)


def check_power(watts: float, low_w: float, high_w: float) -> Reading:
    """A value in watts, if finite and within [low_w, high_w]."""
    if not math.isfinite(watts):
        return Reading(None, "not finite")
    if not low_w <= watts <= high_w:
        return Reading(None, f"{watts:.0f} W is not plausible")
    return Reading(watts)


def site_power_range(grid_limit_w: float) -> tuple[float, float]:
    """The plausible range of a household or solar reading."""
    return LOWEST_SITE_W, SITE_LIMIT_FACTOR * grid_limit_w


def grid_power_range(grid_limit_w: float) -> tuple[float, float]:
    """The plausible range of a grid meter (exporting is negative)."""
    high = SITE_LIMIT_FACTOR * grid_limit_w
    return -high, high


def charger_power_range(max_power_w: float) -> tuple[float, float]:
    """The plausible range of a charger's power reading."""
    return LOWEST_SITE_W, CHARGER_LIMIT_FACTOR * max_power_w


@dataclass(frozen=True, slots=True)
class CurrentReading:
    """A checked current in amps, or why there is none."""

    amps: float | None
    problem: str | None = None


def read_current(
    state: str, unit: str | None, low_a: float, high_a: float
) -> CurrentReading:
    """A current state in amps (mA converted), checked to lie in [low_a, high_a]."""
    number = parse_number(state)
    if number is None:
        return CurrentReading(None, f"not a number ({state[:20]!r})")
    if unit is None:
        return CurrentReading(None, "no unit")
    factor = CURRENT_UNITS_A.get(unit)
    if factor is None:
        return CurrentReading(None, f"unit {unit!r} is not a current unit")
    amps = number * factor
    if not math.isfinite(amps):
        return CurrentReading(None, "not finite")
    if not low_a <= amps <= high_a:
        return CurrentReading(None, f"{amps:.1f} A is not plausible")
    return CurrentReading(amps)


def phase_current_range(main_fuse_a: float) -> tuple[float, float]:
    """The plausible range of a phase current at the grid connection."""
    high = PHASE_LIMIT_FACTOR * main_fuse_a
    return -high, high
