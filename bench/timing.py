"""Engine time per decision for a given number of chargers, and the `smart`
planner's time for a given number of cars (figures, not tests)."""

from __future__ import annotations

import math
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
from custom_components.smart_charging.engine.forecast import Point
from custom_components.smart_charging.engine.planner import PlanCar
from custom_components.smart_charging.engine.smart import SiteForecast, plan_site

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


# The `smart` planner (issue 12): plan_site for n cars over 96 quarter-hour slots.
PLANNER_SIZES = (10, 200)
PLANNER_SLOTS = 96
PLANNER_REPEATS = 5


def planner_case(
    n: int, slots: int = PLANNER_SLOTS
) -> tuple[list[PlanCar], float, float, SiteForecast]:
    """Synthetic: n cars (11 and 22 kW, a few one-phase) due over the coming
    `slots` quarter hours (the last exactly at the end, so the plan has `slots`
    slots), 15-min prices with a night low and evening peak, a PV forecast, a
    household forecast; about 6 kW of headroom per car."""
    now = 1_748_822_400.0  # a quarter hour
    slot_s = 900.0
    horizon = slots * slot_s
    prices = tuple(
        Point(
            now + i * slot_s,
            now + (i + 1) * slot_s,
            0.25 + 0.1 * math.sin(i / slots * 2 * math.pi) + 0.01 * (i % 3),
        )
        for i in range(slots)
    )
    solar = tuple(
        Point(
            now + h * 3600.0,
            now + (h + 1) * 3600.0,
            max(0.0, 5000.0 * n * math.sin((h - 6) / 14 * math.pi)),
        )
        for h in range(math.ceil(horizon / 3600.0))
    )
    forecast = SiteForecast(
        prices=prices,
        solar_p10=tuple(Point(p.start, p.end, 0.6 * p.value) for p in solar),
        household_w=lambda when: 1500.0 * n * (1.2 + math.sin(when / 20000.0)),
    )
    cars = [
        PlanCar(
            id=f"c{i:03d}",
            need_wh=(10 + (i * 7) % 50) * 1000.0,
            departure=(
                now + horizon
                if i == 0
                else now + horizon * (0.25 + 0.75 * ((i * 37) % 100) / 100.0)
            ),
            min_w=6 * 230.0 * (1 if i % 7 == 3 else 3),
            max_w=(7360.0 if i % 7 == 3 else 11040.0 if i % 3 else 22080.0),
            premium=i % 5 == 0,
        )
        for i in range(n)
    ]
    return cars, now, 6000.0 * n, forecast


def time_planner(
    sizes: tuple[int, ...] = PLANNER_SIZES, repeats: int = PLANNER_REPEATS
) -> dict[int, tuple[float, float]]:
    """Median and max wall time of plan_site for each number of cars."""
    result = {}
    for n in sizes:
        cars, now, headroom, forecast = planner_case(n)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            plan_site(cars, now, headroom, forecast, 1500.0 * n)
            samples.append(time.perf_counter() - start)
        result[n] = (statistics.median(samples), max(samples))
    return result
