"""The markdown table and the per-scenario plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bench.metrics import (
    CYCLES_TARGET,
    OVER_BOUND_TARGET,
    SMART_TARGET_COLUMNS,
    SOLAR_GRID_TARGET,
    Score,
    Target,
    cost_per_kwh,
    cost_per_need_kwh,
    cost_ratio,
    engine_targets,
    kwh_text,
    ratio_text,
    smart_targets,
)
from bench.optimum import EQUAL_SHARE
from bench.scenario import FloatArray, Scenario
from bench.sim import ADAPTIVE_RESERVE, ENGINE, Trace, World
from bench.smart import EVCC_PLANNER, SMART, SMART_PERFECT

# Engine time per decision (median), by number of chargers, and the most the time
# may grow from the first to the second of TIMING_RATIO_SIZES chargers (issue 14).
TIMING_TARGETS_S = {1000: 0.005, 10_000: 0.060}
TIMING_RATIO_SIZES = (1000, 10_000)
TIMING_RATIO_TARGET = 12.0
# The `smart` planner's time (plan_site, 96 quarter-hour slots), by number of cars.
PLANNER_TARGETS_S = {10: 0.100, 200: 2.0}


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    world: World
    traces: list[Trace]
    scores: list[Score]
    # A strategy scored against another optimum than the scenario's (the first
    # `optimum` row): the optimum under its own constraints (a what-if wiring).
    optimum_for: dict[str, str] = field(default_factory=dict)

    def score(self, strategy: str) -> Score:
        return next(s for s in self.scores if s.strategy == strategy)

    @property
    def optimum(self) -> Score:
        return next(s for s in self.scores if s.strategy.startswith("optimum"))

    def optimum_of(self, strategy: str) -> Score:
        """The optimum a strategy is scored against."""
        name = self.optimum_for.get(strategy)
        return self.optimum if name is None else self.score(name)

    def targets(self, strategy: str = ENGINE) -> list[Target]:
        return engine_targets(
            self.scenario, self.score(strategy), self.optimum_of(strategy)
        )

    def has(self, strategy: str) -> bool:
        return any(s.strategy == strategy for s in self.scores)

    def smart_targets(self) -> list[Target]:
        evcc = self.score(EVCC_PLANNER) if self.has(EVCC_PLANNER) else None
        perfect = self.score(SMART_PERFECT) if self.has(SMART_PERFECT) else None
        return smart_targets(
            self.scenario, self.score(SMART), self.optimum, evcc, perfect
        )


def _pf(passed: bool) -> str:
    return "pass" if passed else "**FAIL**"


def _opt(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def _idle(s: Score) -> str:
    if s.idle_kwh is None:
        return "n/a"
    return f"{s.idle_kwh:.1f} ({s.idle_one_phase_kwh or 0.0:.1f})"


def _solar_grid(s: Score) -> str:
    if s.solar_grid_max is None:
        return "n/a"
    return f"{s.solar_grid_max:.1%} ({s.solar_grid_mean or 0.0:.1%})"


def scenario_table(result: ScenarioResult) -> list[str]:
    sc = result.scenario
    optimum_kind = "MILP, min current kept" if sc.lp_min_current else "LP relaxation"
    reference = (
        f" *{EQUAL_SHARE}*: a reference, the LP relaxation's power shared equally "
        "(premium first) tick by tick, knowing nothing of the day ahead; its gap to "
        "the optimum is mostly what knowing the departure times is worth."
        if any(s.strategy == EQUAL_SHARE for s in result.scores)
        else ""
    )
    reference += "".join(
        f" *{name}*: % of *{best}*, the optimum under its constraints."
        for name, best in result.optimum_for.items()
        if name != best
    )
    lines = [
        f"### {sc.name}: {sc.title}",
        "",
        f"{sc.notes} {len(sc.chargers)} chargers, {len(sc.sessions)} sessions, "
        f"{sc.requested_kwh():.0f} kWh requested; tick {sc.tick_s} s, sensors seen "
        f"{sc.sensor_delay_s}-{sc.sensor_delay_s + sc.sensor_period_s - sc.tick_s} s "
        "late; "
        f"optimum: {optimum_kind}, {sc.lp_step_s // 60} min steps.{reference}",
        "",
        "| strategy | over limit kWh | over limit s | over s (sensors) "
        "| unavoidable over kWh | over / unavoidable | delivered kWh "
        "| % of request | % of optimum | solar used | % of optimum's solar "
        "| grid share of solar sessions max (mean) | cost | "
        "cost/kWh | writes/charger-h (median) | cycles/session max (mean) | "
        "1p/3p switches/session max | "
        "commanded, not drawn kWh (one-phase cars) | run s |",
        "|---|" + "---:|" * 18,
    ]
    for s in result.scores:
        share = s.solar_share
        opt = result.optimum_of(s.strategy)
        solar_vs = (
            s.solar_used_kwh / opt.solar_used_kwh if opt.solar_used_kwh > 0 else None
        )
        vs_opt = s.delivered_kwh / opt.delivered_kwh if opt.delivered_kwh else 1.0
        cycles = (
            "n/a"
            if s.cycles_max is None
            else f"{s.cycles_max} ({s.cycles_mean or 0.0:.1f})"
        )
        lines.append(
            f"| {s.strategy} | {kwh_text(s.over_kwh)} | {s.over_s:.0f} "
            f"| {s.over_seen_s:.0f} "
            f"| {kwh_text(s.unavoidable_kwh)} | {ratio_text(s.over_ratio)} "
            f"| {s.delivered_kwh:.1f} | {s.delivered_share:.1%} "
            f"| {vs_opt:.1%} "
            f"| {_opt(share, '.1%')} | {_opt(solar_vs, '.1%')} "
            f"| {_solar_grid(s)} | {s.cost:.2f} "
            f"| {s.cost / s.delivered_kwh if s.delivered_kwh else 0.0:.3f} "
            f"| {_opt(s.writes_per_charger_h, '.1f')} | {cycles} "
            f"| {_opt(s.phase_switches_max, 'd')} "
            f"| {_idle(s)} | {s.run_s:.1f} |"
        )
    return [*lines, ""]


TARGET_COLUMNS = (
    "0 kWh over the limit (true power)",
    OVER_BOUND_TARGET,
    "0 s over the limit (lagged sensors)",
    "delivered >= 99 % of optimum",
    "solar used >= 90 % of optimum",
    SOLAR_GRID_TARGET,
    "median <= 12 writes per charger-hour",
    CYCLES_TARGET,
)


def targets_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        "| scenario | " + " | ".join(TARGET_COLUMNS) + " |",
        "|---|" + "---|" * len(TARGET_COLUMNS),
    ]
    for r in results:
        if r.scenario.has_grid_limits:
            continue  # their own targets (bench/grid.py)
        # With smart cars the engine runs in `smart`.
        shown = [SMART] if r.scenario.has_smart else [ENGINE]
        for strategy in shown:
            by_name = {t.name: t for t in r.targets(strategy)}
            cells = []
            for col in TARGET_COLUMNS:
                t = by_name.get(col)
                cells.append("—" if t is None else f"{t.value} {_pf(t.passed)}")
            name = r.scenario.name + ("" if strategy == ENGINE else f", {strategy}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def reserve_table(results: list[ScenarioResult]) -> list[str]:
    """The adaptive reserve against the engine without it: the true energy over
    the limit, and the delivered energy it costs."""
    rows = [r for r in results if r.has(ADAPTIVE_RESERVE)]
    if not rows:
        return []
    lines = [
        "Adaptive reserve (site option `adaptive_reserve`): true energy over the "
        "limit without and with it, and the delivered energy it costs.",
        "",
        "| scenario | over kWh without | over kWh with | delivered kWh without "
        "| delivered kWh with | energy cost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        plain, kept = r.score(ENGINE), r.score(ADAPTIVE_RESERVE)
        lost = plain.delivered_kwh - kept.delivered_kwh
        cost = lost / plain.delivered_kwh * 100 if plain.delivered_kwh else 0.0
        lines.append(
            f"| {r.scenario.name} | {kwh_text(plain.over_kwh)} "
            f"| {kwh_text(kept.over_kwh)} | {plain.delivered_kwh:.1f} "
            f"| {kept.delivered_kwh:.1f} | {cost:.2f} % |"
        )
    return [*lines, ""]


def timing_table(timing: dict[int, float]) -> list[str]:
    lines = [
        "| chargers | engine time per decision (median) | target |",
        "|---:|---:|---|",
    ]
    for n, seconds in timing.items():
        limit = TIMING_TARGETS_S.get(n)
        target = (
            "" if limit is None else f"<= {limit * 1000:g} ms: {_pf(seconds <= limit)}"
        )
        lines.append(f"| {n} | {seconds * 1000:.3f} ms | {target} |")
    small, large = TIMING_RATIO_SIZES
    if small in timing and large in timing:
        ratio = timing[large] / timing[small]
        lines.append(
            f"| {large} / {small} | {ratio:.1f}x | <= {TIMING_RATIO_TARGET:g}x: "
            f"{_pf(ratio <= TIMING_RATIO_TARGET)} |"
        )
    return [
        *lines,
        "",
        "All sizes are timed in one run, taking turns (bench/timing.py).",
        "",
    ]


def smart_targets_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        "| scenario | " + " | ".join(SMART_TARGET_COLUMNS) + " |",
        "|---|" + "---|" * len(SMART_TARGET_COLUMNS),
    ]
    for r in results:
        by_name = {t.name: t for t in r.smart_targets()}
        cells = []
        for col in SMART_TARGET_COLUMNS:
            t = by_name.get(col)
            cells.append("—" if t is None else f"{t.value} {_pf(t.passed)}")
        lines.append(f"| {r.scenario.name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def smart_rows(result: ScenarioResult, name: bool = True) -> list[str]:
    """One row per strategy of a smart scenario."""
    opt = result.optimum
    lines = []
    for s in result.scores:
        vs_opt = s.need_met_kwh / opt.need_met_kwh if opt.need_met_kwh else 1.0
        ratio = cost_ratio(s, opt)
        co2 = (
            "n/a"
            if s.co2_kg is None
            else f"{s.co2_kg:.1f}"
            + (f" ({s.co2_kg / opt.co2_kg:.2f}x)" if opt.co2_kg else "")
        )
        feasible = (
            "n/a"
            if s.feasible_sessions is None
            else f"{_share(s.deadlines_met_feasible)} of {s.feasible_sessions}"
        )
        planner = (
            "n/a"
            if not s.plan_calls
            else f"{_ms(s.plan_median_s)} / {_ms(s.plan_max_s)} ({s.plan_calls})"
        )
        first = f"| {result.scenario.name} " if name else ""
        lines.append(
            f"{first}| {s.strategy} | {_share(s.deadlines_met)} | {feasible} "
            f"| {s.need_met_kwh:.1f} / {s.need_kwh:.1f} | {vs_opt:.1%} "
            f"| {s.delivered_kwh:.1f} | {s.cost:.2f} | {cost_per_kwh(s):.3f} "
            f"| {_opt(cost_per_need_kwh(s), '.3f')} "
            f"| {'—' if ratio is None else f'{ratio:.3f}x'} | {co2} "
            f"| {kwh_text(s.over_kwh)} | {ratio_text(s.over_ratio)} "
            f"| {_opt(s.writes_per_charger_h, '.1f')} | {planner} |"
        )
    return lines


SMART_HEADER = (
    "| strategy | deadlines met | met where LP-feasible | need kWh by departure "
    "| % of optimum's | delivered kWh | cost | cost/kWh | cost per need kWh "
    "| / optimum's "
    "| CO2 kg (/ optimum) | over limit kWh | over / unavoidable "
    "| writes/charger-h | planner ms median / max (calls) |"
)


def smart_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        "| scenario " + SMART_HEADER,
        "|---|---|" + "---:|" * 14,
    ]
    for r in results:
        lines.extend(smart_rows(r))
    return [*lines, ""]


def planner_table(timing: dict[int, tuple[float, float]]) -> list[str]:
    lines = [
        "| cars | slots | plan_site median | max | target |",
        "|---:|---:|---:|---:|---|",
    ]
    for n, (median, most) in timing.items():
        limit = PLANNER_TARGETS_S.get(n)
        target = (
            ""
            if limit is None
            else f"median <= {limit * 1000:g} ms: {_pf(median <= limit)}"
        )
        lines.append(
            f"| {n} | 96 | {median * 1000:.1f} ms | {most * 1000:.1f} ms | {target} |"
        )
    return [
        *lines,
        "",
        "Synthetic cars and forecasts (bench/timing.py `planner_case`); the "
        "planner's times within each scenario are in the smart table.",
        "",
    ]


SMART_NOTES = (
    "`smart`: the integration's planner (`engine/smart.py` `plan_site`, "
    "replanned on every plug change and every quarter hour) and control step with "
    "each car's planned power; each car reports its state of charge and "
    "capacity (as with a `soc_entity`), so its plan follows its taper; "
    "forecasts: the day-ahead prices and CO2 exact, "
    "the solar forecast's P10/P50 with their errors (P10 lifted by what the "
    "lagged solar sensor read above it over the last quarter hour, as in the "
    "integration), the household from the "
    "previous day's hourly profile; *smart, perfect forecasts*: the same told "
    "the day's true hourly household and solar. *evcc-style planner*: each car "
    "alone takes the cheapest slots before its departure for its remaining need"
    " at full power (ties: the later), blind to the shared cap; every 30 s each"
    " loadpoint in turn runs at its maximum in its slots, capped by the lagged "
    "grid meter's headroom (evcc's load management), else on surplus only. "
    "*fast*: the engine with every car in `fast`. *optimum (LP)*: perfect "
    "foresight, each need by its departure first, then the least cost. A "
    "deadline is met with >= 99 % of the need by the declared departure; LP-"
    "feasible: the sessions the optimum meets. Need kWh: each session's energy "
    "by departure, up to its need. Cost per need kWh: the cost over the need "
    "kWh met (what meets less pays less, energy beyond a need adds cost only); "
    "/ optimum's: that against the optimum's. Planner ms: wall time of the "
    "plan_site calls"
    " during the run (median / max, calls)."
)


def markdown(
    results: list[ScenarioResult],
    timing: dict[int, float],
    header: list[str],
    planner: dict[int, tuple[float, float]] | None = None,
    grid_lines: list[str] | None = None,
) -> str:
    """The results page; `grid_lines`: the grid limits' sections (bench.grid)."""
    smart = [r for r in results if r.scenario.has_smart]
    smart_lines = (
        [
            "## smart against its targets",
            "",
            *smart_targets_table(smart),
            "## smart scenarios",
            "",
            SMART_NOTES,
            "",
            *smart_table(smart),
        ]
        if smart
        else []
    )
    planner_lines = (
        ["## smart planner time", "", *planner_table(planner)] if planner else []
    )
    lines = [
        "# Smart Charging benchmark results",
        "",
        *header,
        "",
        "## Engine against its targets",
        "",
        *targets_table(results),
        *reserve_table(results),
        *smart_lines,
        *(grid_lines or []),
        *planner_lines,
        "## Engine time per decision",
        "",
        *timing_table(timing),
        "## Scenarios",
        "",
        "Over the limit: site power above the contract while vehicles charge (true "
        "instantaneous power, and as the lagged sensors show it). Unavoidable over: "
        "the bound SPEC §7 allows, every rise of the true net load (household - "
        "solar) times the time until the sensors can show it, over the limit by what "
        "the chargers drew just before (bench/README.md); over / unavoidable is the "
        "true kWh over divided by it (— when both are 0). Solar used: vehicle "
        "power covered by solar minus household, over all such surplus of the day. "
        "Grid share of solar sessions: per session in mode `solar`, the part of its "
        "energy the true surplus did not cover (the surplus goes to `solar` cars "
        "first, in proportion to their power), worst session (mean). "
        "Cost: the grid energy the vehicles take, at the tariff. Writes: setpoint "
        "writes per hour a car is plugged, median over the chargers. Cycles: 0 -> >0 "
        "setpoint transitions per session. Commanded, not drawn: budget (setpoint x "
        "voltage x the box's phases) the plugged cars did not draw while other cars "
        "took less than they could, up to what they lacked — a one-phase car on a "
        "three-phase box (in brackets), the taper, a full car.",
        "",
    ]
    for r in results:
        lines.extend(scenario_table(r))
        if r.scenario.has_smart:
            lines.extend(
                [
                    SMART_HEADER,
                    "|---|" + "---:|" * 14,
                    *smart_rows(r, name=False),
                    "",
                ]
            )
    return "\n".join(lines)


def _minutes(values: FloatArray, tick_s: int) -> FloatArray:
    per = max(60 // tick_s, 1)
    n = len(values) // per * per
    return np.asarray(values[:n].reshape(-1, per).mean(axis=1), dtype=np.float64)


def plot(result: ScenarioResult, path: Path) -> None:
    sc, world = result.scenario, result.world
    hours = _minutes(world.times, sc.tick_s) / 3600.0 + sc.start_clock_s / 3600.0
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    household = _minutes(world.household, sc.tick_s) / 1000.0
    solar = _minutes(world.solar, sc.tick_s) / 1000.0
    top.plot(hours, household, label="household", color="tab:brown", lw=0.8)
    if sc.has_pv:
        top.plot(hours, solar, label="solar", color="gold", lw=0.8)
    top.axhline(sc.grid_limit_kw, color="red", ls="--", lw=1, label="limit")
    top.set_ylabel("kW")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(f"{sc.name}: {sc.title}", fontsize=10)
    headroom = sc.grid_limit_kw - sc.safety_margin_kw - household + solar
    bottom.plot(
        hours, headroom, color="grey", ls="--", lw=0.8, label="limit - net load"
    )
    for trace in result.traces:
        reference = trace.strategy == EQUAL_SHARE
        bottom.plot(
            hours,
            _minutes(trace.ev_w, sc.tick_s) / 1000.0,
            lw=1.2 if reference else 0.9,
            ls=":" if reference else "-",
            color="black" if reference else None,
            label=trace.strategy,
        )
    bottom.set_ylabel("charging kW (1-min mean)")
    bottom.set_xlabel("hour of day (past 24 = next day)")
    bottom.legend(loc="upper right", fontsize=8)
    bottom.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
