"""Metrics of the grid's own limits (issue 13): the main fuse per phase, the
capacity tariff's quarter-hour average import, §14a dimming.

- Fuse: each site phase's current is the household's on it plus every car's
  current on the phases its box's rotation wires it to draw on (a one-phase car on
  the box's first phase). Over the fuse is counted while cars draw, true and as the
  sensors show it (the lagged household per phase plus the cars' current now, as
  metrics.score counts the limit).
- Capacity tariff: the import (site power clipped at 0 at every tick) averaged
  over each clock quarter-hour (epoch seconds // 900, as the grid operator's meter
  and engine/grid_limits.py count it; a quarter the run covers only in part counts
  its missing part as no import). The target a quarter is held to is the tariff's
  `peak_limit_kw`, with `follow_monthly_peak` raised to the highest quarter the
  household alone has reached so far this month: a household over the target
  raises the month's peak whatever the chargers do.
- §14a: while dimmed the chargers' grid import is their power beyond the solar
  surplus (household - solar < 0), true and as the sensors show it.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from bench.scenario import FloatArray, Scenario
from bench.sim import World

QUARTER_S = 900
EPS_A = 1e-6
EPS_W = 1e-6


def quarter_index(scenario: Scenario, times: FloatArray) -> FloatArray:
    """The clock quarter-hour (epoch // 900) of each time."""
    return np.asarray((scenario.epoch0 + times) // QUARTER_S, dtype=np.float64)


def quarter_averages(
    scenario: Scenario, times: FloatArray, import_w: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Each clock quarter's average import (W) and its start (sim time), for the
    quarters the run touches: the energy in it over 900 s."""
    q = quarter_index(scenario, times)
    first = int(q[0]) if len(q) else 0
    idx = (q - first).astype(np.int64)
    n = int(idx[-1]) + 1 if len(idx) else 0
    energy = np.bincount(idx, weights=import_w * scenario.tick_s, minlength=n)
    starts = (np.arange(n) + first) * QUARTER_S - scenario.epoch0
    return energy / QUARTER_S, starts.astype(np.float64)


def quarter_targets(scenario: Scenario, household_avg_w: FloatArray) -> FloatArray:
    """The target (W) each quarter is held to: the tariff's limit, raised with
    `follow_monthly_peak` to the household alone's highest quarter so far."""
    limit = scenario.peak_limit_kw * 1000.0
    if not scenario.follow_monthly_peak:
        return np.full(len(household_avg_w), limit)
    peak = np.maximum.accumulate(household_avg_w)
    return np.asarray(np.maximum(peak, limit), dtype=np.float64)


def site_import_w(world: World, ev_w: FloatArray) -> FloatArray:
    return np.maximum(world.household - world.solar + ev_w, 0.0)


@dataclass(frozen=True, slots=True)
class CapacityScore:
    peak_w: float  # the highest quarter-hour average import
    household_peak_w: float  # the household alone's
    # Quarters the chargers put over their target (quarter_targets), or over the
    # household alone's average where that is higher.
    quarters_over: int
    worst_over_w: float  # the most a quarter was over its target


def capacity_score(world: World, ev_w: FloatArray) -> CapacityScore:
    sc = world.scenario
    avg, _ = quarter_averages(sc, world.times, site_import_w(world, ev_w))
    alone, _ = quarter_averages(sc, world.times, site_import_w(world, ev_w * 0.0))
    # Over where the chargers put a quarter over its target: a household over it
    # alone holds the quarter to its own average.
    target = np.maximum(quarter_targets(sc, alone), alone)
    over = avg - target
    return CapacityScore(
        peak_w=float(avg.max(initial=0.0)),
        household_peak_w=float(alone.max(initial=0.0)),
        quarters_over=int((over > EPS_W).sum()),
        worst_over_w=float(max(over.max(initial=0.0), 0.0)),
    )


def phase_loads_a(household_phase_a: FloatArray, ev_phase_a: FloatArray) -> FloatArray:
    """Each site phase's current per tick: household plus cars (shape (n, 3))."""
    return np.asarray(household_phase_a + ev_phase_a, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FuseScore:
    over_s: float  # true: a phase over the fuse while cars draw
    over_seen_s: float  # as the sensors show it
    worst_a: float  # the highest phase current (true)


def fuse_score(world: World, ev_phase_a: FloatArray) -> FuseScore:
    sc = world.scenario
    assert world.household_phase_a is not None
    assert world.household_phase_seen_a is not None
    fuse = sc.main_fuse_a + EPS_A
    # Over where a phase is over the fuse while a car draws on it.
    charging = ev_phase_a > EPS_A
    true = phase_loads_a(world.household_phase_a, ev_phase_a)
    seen = phase_loads_a(world.household_phase_seen_a, ev_phase_a)
    return FuseScore(
        over_s=float(((true > fuse) & charging).any(axis=1).sum() * sc.tick_s),
        over_seen_s=float(((seen > fuse) & charging).any(axis=1).sum() * sc.tick_s),
        worst_a=float(true.max(initial=0.0)),
    )


@dataclass(frozen=True, slots=True)
class DimmingScore:
    reaction_s: float | None  # longest time from dimming on to within the limit
    over_s: float  # dimmed seconds over the limit after the reaction, true
    over_seen_s: float  # as the sensors show it
    worst_grid_w: float  # the chargers' highest grid import while dimmed (true)
    surplus_kwh: float  # the solar surplus while dimmed
    surplus_used_kwh: float  # of it, taken by the cars
    ev_kwh: float  # the cars' energy while dimmed


def chargers_grid_w(
    ev_w: FloatArray, household: FloatArray, solar: FloatArray
) -> FloatArray:
    grid = np.maximum(ev_w - np.maximum(solar - household, 0.0), 0.0)
    return np.asarray(grid, dtype=np.float64)


def dimming_score(world: World, ev_w: FloatArray) -> DimmingScore:
    """Per dimming period: the reaction is the time from its start to the first
    tick the chargers' grid import (as the sensors show it) is within the limit;
    seconds over count the ticks after that."""
    sc = world.scenario
    dt = float(sc.tick_s)
    limit = sc.dimming_limit_kw * 1000.0 + EPS_W
    true = chargers_grid_w(ev_w, world.household, world.solar)
    seen = chargers_grid_w(ev_w, world.household_seen, world.solar_seen)
    dimmed = world.dimmed
    after = np.zeros(len(dimmed), dtype=bool)
    reaction: float | None = None
    k, n = 0, len(dimmed)
    while k < n:
        if not dimmed[k]:
            k += 1
            continue
        end = k
        while end < n and dimmed[end]:
            end += 1
        within = np.flatnonzero(seen[k:end] <= limit)
        if not len(within):  # never within the limit while dimmed
            reaction = math.inf
            k = end
            continue
        first = k + int(within[0])
        reaction = max(reaction or 0.0, float(world.times[first] - world.times[k]))
        after[first:end] = True
        k = end
    surplus = np.maximum(world.solar - world.household, 0.0)
    return DimmingScore(
        reaction_s=reaction,
        over_s=float(((true > limit) & after).sum() * dt),
        over_seen_s=float(((seen > limit) & after).sum() * dt),
        worst_grid_w=float(true[dimmed].max(initial=0.0)),
        surplus_kwh=float(surplus[dimmed].sum() * dt / 3.6e6),
        surplus_used_kwh=float(np.minimum(ev_w, surplus)[dimmed].sum() * dt / 3.6e6),
        ev_kwh=float(ev_w[dimmed].sum() * dt / 3.6e6),
    )
