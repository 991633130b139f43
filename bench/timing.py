"""Engine time per decision for a given number of chargers (a figure, not a test)."""

from __future__ import annotations

import statistics
import time

from custom_components.smart_charging.engine import (
    ChargerInput,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    decide,
)

SIZES = (1, 10, 100, 1000)
MODES = (Mode.FAST, Mode.SOLAR, Mode.SOLAR_MIN, Mode.OFF_PEAK, Mode.FAST)


def _site(n: int) -> SiteInput:
    # Room for about half the chargers at full power, some solar: every code path runs.
    return SiteInput(
        grid_limit_w=11000.0 * n * 0.5 + 5000.0,
        household_w=3000.0 + 40.0 * n,
        solar_w=2000.0 * n**0.5 + 4000.0,
        standard_max_w=7000.0,
    )


def _chargers(n: int) -> list[ChargerInput]:
    return [
        ChargerInput(
            id=f"c{i:04d}",
            phases=1 if i % 7 == 3 else 3,
            max_current=32 if i % 3 == 0 else 16,
            profile=Profile.PREMIUM if i % 5 == 0 else Profile.STANDARD,
            mode=MODES[i % len(MODES)],
            connected=i % 9 != 8,
            last_command=(6 + i % 11) if i % 4 else 0,
        )
        for i in range(n)
    ]


def time_decision(n: int, repeats: int) -> float:
    """Median seconds of one decide() call for n chargers, state carried over."""
    site = _site(n)
    chargers = _chargers(n)
    state = EngineState()
    now = 0.0
    for _ in range(3):  # warm up: states exist, hysteresis timers running
        state = decide(site, chargers, state, now).state
        now += 10.0
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        decision = decide(site, chargers, state, now)
        samples.append(time.perf_counter() - start)
        state = decision.state
        now += 10.0
    return statistics.median(samples)


def time_all(sizes: tuple[int, ...] = SIZES, budget_s: float = 2.0) -> dict[int, float]:
    """Median time per decision for each size, repeating each for about budget_s."""
    result = {}
    for n in sizes:
        once = time_decision(n, 3)
        repeats = max(5, min(2000, int(budget_s / max(once, 1e-6))))
        result[n] = time_decision(n, repeats)
    return result
