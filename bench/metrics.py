"""Scores of one strategy on one scenario, from its trace.

Over the limit is counted two ways: with the true instantaneous site power (what the
grid operator's meter sees: kWh and seconds), and with the lagged household and solar
readings plus the chargers' own power (what the site's sensors show, hence what a
controller can be held to). Only the part the vehicles cause counts: a tick is over
when the site is over the limit while vehicles draw power, and the energy over is at
most the vehicles' share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.scenario import Scenario
from bench.sim import Trace, World

EPS_W = 1e-6


@dataclass(frozen=True, slots=True)
class Score:
    """Every metric of one strategy on one scenario."""

    strategy: str
    over_kwh: float  # true site power over the limit
    over_s: float
    over_seen_s: float  # as the lagged sensors show it
    delivered_kwh: float
    requested_kwh: float
    solar_used_kwh: float
    solar_surplus_kwh: float
    cost: float  # grid energy the vehicles took, at the tariff
    writes_per_charger_h: float | None  # median over the chargers that had a car
    cycles_max: int | None  # start/stop cycles of the worst session
    cycles_mean: float | None
    run_s: float
    idle_kwh: float | None = None  # commanded but not drawn (Trace.idle_kwh)
    idle_one_phase_kwh: float | None = None

    @property
    def delivered_share(self) -> float:
        return self.delivered_kwh / self.requested_kwh if self.requested_kwh else 1.0

    @property
    def solar_share(self) -> float | None:
        if self.solar_surplus_kwh <= 0:
            return None
        return self.solar_used_kwh / self.solar_surplus_kwh


def connected_hours(scenario: Scenario) -> dict[str, float]:
    hours = dict.fromkeys((c.id for c in scenario.chargers), 0.0)
    for s in scenario.sessions:
        hours[s.charger] += (min(s.depart_s, scenario.duration_s) - s.arrive_s) / 3600.0
    return hours


def median_writes_per_hour(
    scenario: Scenario, writes: dict[str, int] | None
) -> float | None:
    if writes is None:
        return None
    rates = [
        writes[cid] / hours
        for cid, hours in connected_hours(scenario).items()
        if hours > 0
    ]
    return float(np.median(rates)) if rates else 0.0


def score(scenario: Scenario, world: World, trace: Trace) -> Score:
    dt = float(scenario.tick_s)
    limit = scenario.limit_w
    ev = trace.ev_w
    charging = ev > EPS_W
    site = world.household - world.solar + ev
    # Counted past EPS_W, as the seconds are: float noise at the limit is not over.
    over_w = np.where(site > limit + EPS_W, np.minimum(site - limit, ev), 0.0)
    site_seen = world.household_seen - world.solar_seen + ev
    surplus = np.maximum(world.solar - world.household, 0.0)
    solar_used = np.minimum(ev, surplus)
    grid_w = ev - solar_used
    price = scenario.price_at(world.times)
    starts = trace.starts
    return Score(
        strategy=trace.strategy,
        over_kwh=float(over_w.sum() * dt / 3.6e6),
        over_s=float(((site > limit + EPS_W) & charging).sum() * dt),
        over_seen_s=float(((site_seen > limit + EPS_W) & charging).sum() * dt),
        delivered_kwh=float(sum(trace.delivered_kwh)),
        requested_kwh=scenario.requested_kwh(),
        solar_used_kwh=float(solar_used.sum() * dt / 3.6e6),
        solar_surplus_kwh=float(surplus.sum() * dt / 3.6e6),
        cost=float((grid_w * price).sum() * dt / 3.6e6),
        writes_per_charger_h=median_writes_per_hour(scenario, trace.writes),
        cycles_max=max(starts, default=0) if starts is not None else None,
        cycles_mean=float(np.mean(starts)) if starts else None,
        run_s=trace.run_s,
        idle_kwh=trace.idle_kwh,
        idle_one_phase_kwh=trace.idle_one_phase_kwh,
    )


def kwh_text(value: float) -> str:
    """Energy for the tables: three significant digits under 1 kWh, so that a small
    but non-zero amount never reads as 0."""
    if value == 0:
        return "0"
    if value >= 1:
        return f"{value:.1f}"
    return np.format_float_positional(
        value, precision=3, unique=False, fractional=False, trim="-"
    )


@dataclass(frozen=True, slots=True)
class Target:
    """One of the engine's targets, checked on one scenario."""

    name: str
    value: str
    passed: bool


def engine_targets(scenario: Scenario, engine: Score, optimum: Score) -> list[Target]:
    """The issue's targets for the engine on this scenario."""
    targets = [
        Target(
            "0 kWh over the limit (true power)",
            f"{kwh_text(engine.over_kwh)} kWh",
            engine.over_kwh <= 0.0,
        ),
        Target(
            "0 s over the limit (lagged sensors)",
            f"{engine.over_seen_s:.0f} s",
            engine.over_seen_s <= 0.0,
        ),
    ]
    ratio = (
        engine.delivered_kwh / optimum.delivered_kwh if optimum.delivered_kwh else 1.0
    )
    targets.append(
        Target("delivered >= 99 % of optimum", f"{ratio:.1%}", ratio >= 0.99 - 1e-9)
    )
    if "pv_day" in scenario.tags:
        used = engine.solar_used_kwh
        best = optimum.solar_used_kwh
        share = used / best if best else 1.0
        targets.append(
            Target("solar used >= 90 % of optimum", f"{share:.1%}", share >= 0.9)
        )
    writes = engine.writes_per_charger_h or 0.0
    targets.append(
        Target("median <= 12 writes per charger-hour", f"{writes:.1f}", writes <= 12.0)
    )
    if "cloudy" in scenario.tags:
        cycles = engine.cycles_max or 0
        targets.append(
            Target("<= 2 start/stop cycles per session", f"max {cycles}", cycles <= 2)
        )
    return targets
