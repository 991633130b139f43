"""The grid's own limits (issue 13): the scenarios tagged `fuse`, `capacity` and
`dimming`, their strategies, scores and tables.

- `fuse` (13_house_3x25_phases): the engine with each box wired as the scenario
  declares it (the one-phase cars on L1 and L2), and the same engine in a what-if
  where every box is wired L1L2L3 (both one-phase cars on L1); the simulator
  draws each car on the phases its box's wiring gives it and feeds the phase
  sensors that, lagged like the others. The optimum (LP) keeps every phase within
  the fuse with the scenario's wiring; the what-if is scored against the optimum
  with its own wiring (`optimum (LP), no rotation`).
- `capacity` (14_be_capacity_month_slice): the highest quarter-hour average import
  per strategy, the quarters over their target, the optimum (LP) with the same
  quarter-hour constraint.
- `dimming` (15_de_14a_evening): the chargers' grid import in the dimmed hours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import math
import time

from bench import optimum
from bench.grid_metrics import (
    CapacityScore,
    DimmingScore,
    FuseScore,
    capacity_score,
    dimming_score,
    fuse_score,
)
from bench.metrics import Target, score
from bench.report import ScenarioResult
from bench.scenario import Scenario
from bench.sim import (
    ENGINE,
    EngineStrategy,
    EvccStrategy,
    Strategy,
    Trace,
    UncontrolledStrategy,
    World,
    make_world,
    simulate,
)

NO_ROTATION = "engine, no rotation (all boxes L1L2L3)"
NO_ROTATION_OPTIMUM = "optimum (LP), no rotation"
FUSE_OPTIMUM = 0.97
CAPACITY_OPTIMUM = 0.98
UNROTATED = "L1L2L3"


def applies(scenario: Scenario) -> bool:
    return scenario.has_grid_limits


@dataclass(frozen=True, slots=True)
class GridResult:
    """A scenario's result with the grid limits' scores per strategy."""

    result: ScenarioResult
    fuse: dict[str, FuseScore]
    capacity: dict[str, CapacityScore]
    dimming: dict[str, DimmingScore]


def _unrotated(scenario: Scenario) -> dict[str, str] | None:
    """Every box wired L1L2L3 (the what-if), on a site with a main fuse."""
    if not scenario.main_fuse_a:
        return None
    return {c.id: UNROTATED for c in scenario.chargers}


def _runs(scenario: Scenario) -> list[tuple[Strategy, dict[str, str] | None]]:
    runs: list[tuple[Strategy, dict[str, str] | None]] = [(EngineStrategy(), None)]
    unrotated = _unrotated(scenario)
    if unrotated:
        runs.append((EngineStrategy(NO_ROTATION), unrotated))
    return [*runs, (UncontrolledStrategy(), None), (EvccStrategy(), None)]


def _optimum(
    scenario: Scenario, rotations: dict[str, str] | None, name: str
) -> tuple[Trace, World]:
    """The optimum (LP) with the boxes wired as in `rotations`, and its world with
    the plan's car currents per phase."""
    world = make_world(scenario, rotations)
    plan = optimum.solve(scenario, world)
    trace = replace(optimum.replay(scenario, plan, world), strategy=name)
    if world.ev_phase_a is not None:
        world.ev_phase_a[:] = optimum.replay_phases(scenario, plan, world)
    return trace, world


def run_scenario(scenario: Scenario) -> GridResult:
    world = make_world(scenario)
    traces: list[Trace] = []
    worlds: list[World] = []
    for strategy, rotations in _runs(scenario):
        w = make_world(scenario, rotations)
        started = time.perf_counter()
        trace = simulate(scenario, strategy, w)
        traces.append(replace(trace, run_s=time.perf_counter() - started))
        worlds.append(w)
    # The what-if (and its optimum) are scored against the optimum with its wiring.
    optima: list[tuple[dict[str, str] | None, str]] = [(None, optimum.OPTIMUM)]
    optimum_for: dict[str, str] = {}
    if unrotated := _unrotated(scenario):
        optima.append((unrotated, NO_ROTATION_OPTIMUM))
        optimum_for = dict.fromkeys(
            (NO_ROTATION, NO_ROTATION_OPTIMUM), NO_ROTATION_OPTIMUM
        )
    for rotations, name in optima:
        trace, w = _optimum(scenario, rotations, name)
        traces.append(trace)
        worlds.append(w)
    scores = [score(scenario, world, t) for t in traces]
    fuse: dict[str, FuseScore] = {}
    capacity: dict[str, CapacityScore] = {}
    dimming: dict[str, DimmingScore] = {}
    for t, w in zip(traces, worlds, strict=True):
        if w.ev_phase_a is not None:
            fuse[t.strategy] = fuse_score(w, w.ev_phase_a)
        if scenario.peak_limit_kw:
            capacity[t.strategy] = capacity_score(w, t.ev_w)
        if scenario.dimmed_hours:
            dimming[t.strategy] = dimming_score(w, t.ev_w)
    result = ScenarioResult(scenario, world, traces, scores, optimum_for)
    return GridResult(result, fuse, capacity, dimming)


def targets(g: GridResult, strategy: str = ENGINE) -> list[Target]:
    """The issue's targets for the engine on a grid-limits scenario."""
    r = g.result
    engine, best = r.score(strategy), r.optimum_of(strategy)
    ratio = engine.delivered_kwh / best.delivered_kwh if best.delivered_kwh else 1.0
    found: list[Target] = []
    if strategy in g.fuse:
        f = g.fuse[strategy]
        found += [
            Target(
                "0 s over the fuse on any phase (sensors)",
                f"{f.over_seen_s:.0f} s",
                f.over_seen_s <= 0,
            ),
            Target(
                f"delivered >= {FUSE_OPTIMUM:.0%} of optimum (per-phase LP)",
                f"{ratio:.1%}",
                ratio >= FUSE_OPTIMUM - 1e-9,
            ),
        ]
    if strategy in g.capacity:
        c = g.capacity[strategy]
        found += [
            Target(
                "0 quarters over their target",
                f"{c.quarters_over} (peak {c.peak_w / 1000:.2f} kW)",
                c.quarters_over == 0,
            ),
            Target(
                f"delivered >= {CAPACITY_OPTIMUM:.0%} of optimum (quarter-hour LP)",
                f"{ratio:.1%}",
                ratio >= CAPACITY_OPTIMUM - 1e-9,
            ),
        ]
    if strategy in g.dimming:
        d = g.dimming[strategy]
        found.append(
            Target(
                "0 s dimmed over 4.2 kW from the grid after the reaction (sensors)",
                f"{d.over_seen_s:.0f} s (reaction {d.reaction_s or 0:.0f} s)"
                if d.reaction_s is None or math.isfinite(d.reaction_s)
                else "never within the limit",
                d.over_seen_s <= 0
                and (d.reaction_s is None or math.isfinite(d.reaction_s)),
            )
        )
    return found


def target_rows(results: list[GridResult]) -> list[str]:
    lines = ["| scenario | target | value | |", "|---|---|---|---|"]
    for g in results:
        shown = [ENGINE] + ([NO_ROTATION] if g.result.has(NO_ROTATION) else [])
        for strategy in shown:
            name = g.result.scenario.name
            if strategy != ENGINE:
                name += f", {strategy}"
            for t in targets(g, strategy):
                mark = "pass" if t.passed else "FAIL"
                lines.append(f"| {name} | {t.name} | {t.value} | {mark} |")
    return [*lines, ""]


def grid_table(g: GridResult) -> list[str]:
    """Per strategy: delivered, and the grid limits' figures."""
    r = g.result
    sc = r.scenario
    cols = ["strategy", "delivered kWh", "vs optimum"]
    if g.fuse:
        cols += ["s over fuse (true)", "s over fuse (sensors)", "worst phase A"]
    if g.capacity:
        cols += ["highest quarter kW", "quarters over target", "worst over kW"]
    if g.dimming:
        cols += [
            "reaction s",
            "dimmed s over (true)",
            "dimmed s over (sensors)",
            "worst grid kW dimmed",
            "surplus used dimmed",
            "kWh dimmed",
        ]
    lines = [
        f"### {sc.name} (grid limits)",
        "",
        "| " + " | ".join(cols) + " |",
        "|---|" + "---:|" * (len(cols) - 1),
    ]
    for s in r.scores:
        best = r.optimum_of(s.strategy).delivered_kwh
        cells = [
            s.strategy,
            f"{s.delivered_kwh:.1f}",
            f"{s.delivered_kwh / best:.1%}" if best else "—",
        ]
        if g.fuse:
            f = g.fuse.get(s.strategy)
            cells += (
                ["—"] * 3
                if f is None
                else [f"{f.over_s:.0f}", f"{f.over_seen_s:.0f}", f"{f.worst_a:.1f}"]
            )
        if g.capacity:
            c = g.capacity[s.strategy]
            cells += [
                f"{c.peak_w / 1000:.2f}",
                str(c.quarters_over),
                f"{c.worst_over_w / 1000:.2f}",
            ]
        if g.dimming:
            d = g.dimming[s.strategy]
            used = d.surplus_used_kwh / d.surplus_kwh if d.surplus_kwh else None
            cells += [
                "—"
                if d.reaction_s is None
                else ("never" if math.isinf(d.reaction_s) else f"{d.reaction_s:.0f}"),
                f"{d.over_s:.0f}",
                f"{d.over_seen_s:.0f}",
                f"{d.worst_grid_w / 1000:.2f}",
                "—" if used is None else f"{used:.0%}",
                f"{d.ev_kwh:.1f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    if g.capacity:
        c = next(iter(g.capacity.values()))
        lines += [
            "",
            f"Household alone: highest quarter {c.household_peak_w / 1000:.2f} kW "
            f"(target {sc.peak_limit_kw:.1f} kW"
            + (", raised to the month's peak" if sc.follow_monthly_peak else "")
            + ").",
        ]
    return [*lines, ""]


GRID_NOTES = (
    "Fuse: each site phase's current (household on it plus each car on the "
    "phases its box's wiring gives it; a one-phase car on the box's first) over "
    "the main fuse while cars draw, true and as the sensors show it (lagged "
    "household per phase, cars now); the optimum keeps every phase within the fuse "
    "with the scenario's wiring, the optimum with no rotation with every box "
    "L1L2L3, and the engine with no rotation is scored against the latter. "
    "Capacity: the import averaged over each clock "
    "quarter-hour; a quarter's target is the tariff's, raised (follow the monthly "
    "peak) to the household alone's highest quarter so far; the optimum keeps "
    "every quarter within it. §14a: the chargers' grid import (their power beyond "
    "the solar surplus) in the dimmed hours; the reaction is the time from the "
    "start of dimming until it is within the limit as the sensors show it (the "
    "dimming entity starts a step at once and the simulated boxes follow at "
    "once); surplus used: the cars' share of the surplus while dimmed."
)


def markdown(results: list[GridResult]) -> list[str]:
    if not results:
        return []
    lines = [
        "## Grid limits against their targets",
        "",
        *target_rows(results),
        "## Grid limits scenarios",
        "",
        GRID_NOTES,
        "",
    ]
    for g in results:
        lines += grid_table(g)
    return lines
