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

SIZES = (1, 10, 100, 1000, 10_000)
# Each size's decisions are timed in this many turns, at most MAX_REPEATS in all.
ROUNDS = 20
MAX_REPEATS = 2000
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


class _Timed:
    """Decisions for n chargers, one after the other with the state carried over,
    and the seconds each took."""

    def __init__(self, n: int) -> None:
        self.site = _site(n)
        self.chargers = _chargers(n)
        self.state = EngineState()
        self.now = 0.0
        self.samples: list[float] = []
        for _ in range(3):  # warm up: states exist, hysteresis timers running
            self.step()
        self.samples.clear()

    def step(self) -> float:
        start = time.perf_counter()
        decision = decide(self.site, self.chargers, self.state, self.now)
        seconds = time.perf_counter() - start
        self.samples.append(seconds)
        self.state = decision.state
        self.now += 10.0
        return seconds


def time_decision(n: int, repeats: int) -> float:
    """Median seconds of one decide() call for n chargers, state carried over."""
    timed = _Timed(n)
    for _ in range(repeats):
        timed.step()
    return statistics.median(timed.samples)


def time_all(sizes: tuple[int, ...] = SIZES, budget_s: float = 2.0) -> dict[int, float]:
    """Median time per decision for each size, repeating each for about budget_s.

    The sizes take turns, ROUNDS times, so that a machine busier for a while slows
    them all alike and their ratio holds: the sizes are timed side by side."""
    timed = {n: _Timed(n) for n in sizes}
    once = {n: t.step() for n, t in timed.items()}
    per_round = {
        n: max(1, min(MAX_REPEATS // ROUNDS, int(budget_s / ROUNDS / max(s, 1e-6))))
        for n, s in once.items()
    }
    for t in timed.values():
        t.samples.clear()
    for _ in range(ROUNDS):
        for n, t in timed.items():
            for _ in range(per_round[n]):
                t.step()
    return {n: statistics.median(t.samples) for n, t in timed.items()}
