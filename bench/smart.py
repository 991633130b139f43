"""`smart` in the benchmark: the product's planner and control step, an evcc-style
planner to compare with, and `fast` (the engine with every smart car in `fast`).

- `smart`: as the coordinator runs it. Each engine step (the same `control_step`
  path as EngineStrategy) gives each smart car `plan_w` = its plan's power now (0
  outside it) and counts the energy; then, when a smart car plugged in or left or
  a quarter hour of the clock began (next_replan_at), the integration's own `plan_site`
  (engine/smart.py) plans again with the step's household and the scenario's
  forecasts; the new plan holds from the next step (the product plans in the
  background). Each car goes to the planner as the integration gives it
  (`plan_car`). The forecasts: the day-ahead prices and CO2 series as they are
  (exact), the solar forecast's P10/P50 (with their errors), and the household
  forecast from the previous day's hourly profile (a separately drawn day of the
  same household, not the true one shifted). The need passed is the car's need
  minus what the control step counted for it since it plugged in; each car
  reports its state of charge (at plug-in plus what was counted since) and its
  capacity, as a car with a `soc_entity` does, so the plan follows its taper.
- `smart, perfect forecasts`: the same with the household and solar forecasts
  replaced by the day's true hourly means (`perfect`): what is left of its gap to
  the optimum is the planner's and the live control's, not the forecasts'.
- `evcc-style planner`: each car alone, as evcc plans a loadpoint
  (reference/forecasts.md): its remaining need at full power gives a duration; it
  takes the cheapest slots before its deadline (ties: the later one), the last one
  trimmed at its start; with no time left, it charges now. Replanned every 30 s
  cycle from what the car has. Blind to the shared cap and to the solar forecast.
  Live, every 30 s cycle regulates every loadpoint in turn, as evcc's site loop
  does: in a planned slot at its maximum, capped by the headroom the lagged grid
  meter shows minus what loadpoints before it in the cycle were just offered more
  (evcc's load management validates each new current so); outside its slots as
  evcc's `pv` mode (surplus only, 1 min / 3 min delays).
- `fast`: the engine (default config) with every smart car in `fast`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
import math
import time

import numpy as np

from bench.optimum import ceiling_kw
from bench.scenario import ChargerSpec, FloatArray, Scenario, Session
from bench.sim import (
    DEFAULT_CONFIG,
    ENGINE_CYCLE_S,
    EVCC_INTERVAL_S,
    EngineStrategy,
    EvccStrategy,
    Strategy,
    World,
)
from custom_components.smart_charging.engine import EngineConfig, Mode
from custom_components.smart_charging.engine.control import ControlState
from custom_components.smart_charging.engine.forecast import Point, Series
from custom_components.smart_charging.engine.planner import Objective, Plan, PlanCar
from custom_components.smart_charging.engine.smart import (
    SiteForecast,
    SmartCharger,
    SolarSeen,
    next_replan_at,
    plan_site,
    probing,
    smart_car,
    smart_power,
)

SMART = "smart"
SMART_PERFECT = "smart, perfect forecasts"
FAST = "fast"
EVCC_PLANNER = "evcc-style planner"
PRICE_SLOT_S = 900  # the price forecast of a tariff-only scenario: 15-min slots


def _points(values: Sequence[float], step_s: int, epoch0: int) -> tuple[Point, ...]:
    return tuple(
        Point(epoch0 + i * step_s, epoch0 + (i + 1) * step_s, float(v))
        for i, v in enumerate(values)
    )


def price_series(scenario: Scenario) -> tuple[Point, ...]:
    """The day's prices as the planner's forecast: the scenario's day-ahead series,
    else its peak/off-peak tariff in 15-minute slots (both known in advance)."""
    if scenario.prices:
        return _points(scenario.prices, scenario.series_step_s, scenario.epoch0)
    starts = np.arange(0, scenario.duration_s, PRICE_SLOT_S, dtype=np.float64)
    return _points(scenario.price_at(starts).tolist(), PRICE_SLOT_S, scenario.epoch0)


def household_forecast(scenario: Scenario) -> Callable[[float], float | None]:
    """The household forecast (the previous day's hourly profile) by epoch time."""
    values = scenario.household_forecast_w
    step, epoch0 = scenario.forecast_step_s, scenario.epoch0

    def at(when: float) -> float | None:
        i = math.floor((when - epoch0) / step)
        return float(values[i]) if 0 <= i < len(values) else None

    return at


def site_forecast(scenario: Scenario) -> SiteForecast:
    """What the planner knows of the day: exact prices and CO2, the solar forecast
    with its errors, the off-peak hours, the previous day's household."""
    offpeak: Series = ()
    if scenario.offpeak_hours:
        starts = np.arange(0, scenario.duration_s, PRICE_SLOT_S, dtype=np.float64)
        flags = scenario.offpeak_at(starts).astype(np.float64).tolist()
        offpeak = _points(flags, PRICE_SLOT_S, scenario.epoch0)
    step, epoch0 = scenario.forecast_step_s, scenario.epoch0
    return SiteForecast(
        prices=price_series(scenario),
        co2=_points(scenario.co2_g_kwh, scenario.series_step_s, epoch0),
        solar_p10=_points(scenario.solar_p10_w, step, epoch0),
        solar_p50=_points(scenario.solar_p50_w, step, epoch0),
        offpeak=offpeak,
        household_w=household_forecast(scenario),
    )


def _hourly(values: FloatArray, tick_s: int, step_s: int) -> tuple[int, ...]:
    per = step_s // tick_s
    n = len(values) // per * per
    return tuple(round(float(v)) for v in values[:n].reshape(-1, per).mean(axis=1))


def perfect(scenario: Scenario) -> Scenario:
    """The scenario with perfect forecasts: the household forecast and the solar
    P10 and P50 are the day's true means over each forecast step (the prices and
    CO2 are exact already). Only what the planner is told changes."""
    times = scenario.ticks()
    step = scenario.forecast_step_s
    solar: tuple[int, ...] = ()
    if scenario.has_pv:
        solar = _hourly(
            scenario.profile_at(scenario.solar_w, times, "solar"),
            scenario.tick_s,
            step,
        )
    return replace(
        scenario,
        household_forecast_w=_hourly(
            scenario.household_at(times), scenario.tick_s, step
        ),
        solar_p50_w=solar,
        solar_p10_w=solar,
    )


def plan_car(
    scenario: Scenario,
    spec: ChargerSpec,
    session: Session,
    had_kwh: float,
    state: ControlState,
) -> PlanCar:
    """A smart car as the integration gives it to the planner (the same
    engine.smart.smart_car as planning.plan_car); its need is the target minus what
    was metered since it plugged in, and it reports its state of charge (its SoC at
    plug-in plus what was metered since) and capacity, as a car with a
    `soc_entity` does."""
    kept = state.engine.chargers.get(spec.id)
    return smart_car(
        SmartCharger(
            id=spec.id,
            phases=spec.phases,
            min_current=spec.min_current,
            ceiling=spec.max_current,
            premium=spec.profile == "premium",
            standard_max_w=scenario.standard_max_kw * 1000.0,
            battery_wh=session.capacity_kwh * 1000.0,
        ),
        max(session.need - had_kwh, 0.0) * 1000.0,
        float(scenario.epoch0 + session.departure),
        scenario.voltage,
        kept,
        session.soc0 + had_kwh / session.capacity_kwh,
    )


class SmartStrategy(EngineStrategy):
    """The product's `smart` mode: plan_site, then the control step with plan_w."""

    def __init__(
        self,
        scenario: Scenario,
        config: EngineConfig = DEFAULT_CONFIG,
        *,
        perfect_forecasts: bool = False,
    ) -> None:
        super().__init__(SMART_PERFECT if perfect_forecasts else SMART, config)
        self.forecast = site_forecast(
            perfect(scenario) if perfect_forecasts else scenario
        )
        self.objective = Objective(scenario.plan_objective)
        self.plan: Plan | None = None
        self.planned_at: float | None = None
        self.plugged: dict[str, Session | None] = {}
        self.had_kwh: dict[str, float] = {}  # counted by the control step
        self.plan_s: list[float] = []
        self.probing: dict[str, bool] = {}
        self.solar_seen = SolarSeen()  # as the integration keeps it (planning.py)

    def now(self, world: World, k: int) -> float:
        return float(world.times[k]) + world.scenario.epoch0

    def plan_w(self, world: World, cid: str, now: float) -> float | None:
        """As the integration gives it (planning.SmartPlanning.view): a smart car's
        full power while it shows what it takes, then its planned power now (0
        when the plan has none for it)."""
        session = self.plugged.get(cid)
        if session is None or not session.smart:
            return None
        spec = world.specs[cid]
        full_w = spec.max_current * world.scenario.voltage * spec.phases
        kept = self.state.engine.chargers.get(cid)
        return smart_power(self.plan, cid, now, kept, full_w)

    def step(self, world: World, k: int) -> None:
        """As the coordinator's step: the control step with the plan as it is, the
        energy counted, then a new plan if a smart car plugged in or left or the
        last plan is 15 min old (used from the next step on)."""
        t = float(world.times[k])
        regular = t % ENGINE_CYCLE_S == 0
        if not regular and not world.sensor_event[k]:
            return
        changed = self._plugs_changed(world)
        result = self.run(world, k, regular)
        changed |= self._probes_ended(world)
        for cid, kwh in result.energy_kwh.items():
            if world.active[cid] is not None:
                self.had_kwh[cid] = self.had_kwh.get(cid, 0.0) + kwh
        now = self.now(world, k)
        self.solar_seen = self.solar_seen.add(now, float(world.solar_seen[k]))
        if changed or self.planned_at is None or now >= next_replan_at(self.planned_at):
            self._replan(world, now, result.decision.household_w)

    def _plugs_changed(self, world: World) -> bool:
        """Whether a smart car plugged in or left (a new session's count starts)."""
        changed = False
        for cid, session in world.active.items():
            before = self.plugged.get(cid)
            if before is not session:
                self.plugged[cid] = session
                self.had_kwh[cid] = 0.0
                changed |= any(s is not None and s.smart for s in (before, session))
        return changed

    def _probes_ended(self, world: World) -> bool:
        """Whether a smart car has just shown what it takes (the integration's
        replan key holds `probing` too)."""
        ended = False
        for cid, session in world.active.items():
            now_probing = (
                session is not None
                and session.smart
                and probing(self.state.engine.chargers.get(cid))
            )
            ended |= self.probing.get(cid, False) and not now_probing
            self.probing[cid] = now_probing
        return ended

    def _replan(self, world: World, now: float, household_w: float) -> None:
        sc = world.scenario
        cars = [
            plan_car(
                sc, world.specs[cid], session, self.had_kwh.get(cid, 0.0), self.state
            )
            for cid, session in world.active.items()
            if session is not None
            and session.smart
            and sc.epoch0 + session.departure > now
        ]
        started = time.perf_counter()
        self.plan = plan_site(
            cars,
            now,
            sc.limit_w - sc.safety_margin_kw * 1000.0,
            self.forecast,
            household_w,
            self.objective,
            solar_seen_w=self.solar_seen.mean_w(now),
        )
        self.plan_s.append(time.perf_counter() - started)
        self.planned_at = now


class FastStrategy(EngineStrategy):
    """The engine with every smart car in `fast`: charge now, within the cap."""

    def __init__(self) -> None:
        super().__init__(FAST)

    def mode(self, session: Session) -> Mode:
        return Mode.FAST if session.smart else Mode(session.mode)


def evcc_plan(
    slots: Sequence[tuple[float, float, float]],
    now: float,
    deadline: float,
    duration_s: float,
) -> list[tuple[float, float]]:
    """evcc's plan for one car: (start, end) of the cheapest slots before the
    deadline covering `duration_s`, ties to the later slot, the last one taken
    trimmed at its start; from `now` on without a break if the time left is too
    short. `slots` are (start, end, price), in any order (sorted by price and the
    later first, the sort here costs next to nothing)."""
    if duration_s <= 0:
        return []
    if deadline - now <= duration_s:
        return [(now, now + duration_s)]
    usable = [
        (max(start, now), min(end, deadline), price)
        for start, end, price in slots
        if end > now and start < deadline
    ]
    usable.sort(key=lambda s: (s[2], -s[0]))
    chosen: list[tuple[float, float]] = []
    left = duration_s
    for start, end, _ in usable:
        if left <= 0:
            break
        begin = max(start, end - left)  # the last one trimmed at its start
        chosen.append((begin, end))
        left -= end - begin
    return sorted(chosen)


class EvccPlannerStrategy(EvccStrategy):
    """evcc's planner per car, blind to the shared cap; load management live."""

    name = EVCC_PLANNER

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        series = price_series(scenario)
        if scenario.plan_objective == "co2" and scenario.co2_g_kwh:
            series = _points(
                scenario.co2_g_kwh, scenario.series_step_s, scenario.epoch0
            )
        offset = scenario.epoch0
        self.slots = sorted(
            ((p.start - offset, p.end - offset, p.value) for p in series),
            key=lambda s: (s[2], -s[0]),
        )
        self.top_kw: dict[str, float] = {}  # the plugged car's full power
        self.had_kwh: dict[str, float] = {}
        self.plugged: dict[str, Session | None] = {}

    def step(self, world: World, k: int) -> None:
        dt = float(world.scenario.tick_s)
        for cid, session in world.active.items():
            if self.plugged.get(cid) is not session:
                self.plugged[cid] = session
                self.had_kwh[cid] = 0.0
                if session is not None:
                    self.top_kw[cid] = ceiling_kw(world.scenario, session)
            elif session is not None:  # what its meter counted last tick
                self.had_kwh[cid] += world.power_w[cid] * dt / 3.6e6
            if session is None:
                if world.setpoint[cid]:
                    world.write(cid, 0)
                self.points.pop(cid, None)
        t = float(world.times[k])
        if t % EVCC_INTERVAL_S:
            return
        granted = 0.0
        for cid, session in world.active.items():
            if session is None:
                continue
            mode = self._mode(world, cid, session, t) if session.smart else None
            before = world.setpoint[cid]
            self._regulate(world, k, cid, t, mode, granted)
            # As evcc's circuit validates a new current: what it offers more.
            raised = world.setpoint[cid] - before
            granted += max(raised, 0) * world.scenario.voltage * world.specs[cid].phases

    def _mode(self, world: World, cid: str, session: Session, t: float) -> str:
        """`fast` in a planned slot, else `pv` (evcc's surplus mode)."""
        left_kwh = session.need - self.had_kwh[cid]
        if left_kwh <= 0 or t >= session.departure:
            return "solar"
        duration = left_kwh / self.top_kw[cid] * 3600.0
        plan = evcc_plan(self.slots, t, session.departure, duration)
        return "fast" if any(a <= t < b for a, b in plan) else "solar"


def strategies(scenario: Scenario) -> list[Strategy]:
    """The strategies of a scenario with smart cars (the optimum is solved); with
    perfect forecasts too, except on the lot (held to energy, and slow)."""
    chosen: list[Strategy] = [SmartStrategy(scenario)]
    if "lot" not in scenario.tags:
        chosen.append(SmartStrategy(scenario, perfect_forecasts=True))
    return [*chosen, EvccPlannerStrategy(scenario), FastStrategy()]
