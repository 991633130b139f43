"""The benchmark scores the product: it runs the integration's own control step."""

from __future__ import annotations

from typing import Any

import pytest

from bench.scenario import ChargerSpec
import bench.sim
from bench.sim import EngineStrategy, make_world, simulate
from bench.smart import SmartStrategy
from custom_components.smart_charging import coordinator
from custom_components.smart_charging.engine import Mode, control
from tests.bench.helpers import priced, scenario, session, smart_session


def test_the_benchmark_runs_the_integrations_control_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The coordinator and the benchmark call the one function.
    assert coordinator.control_step is control.control_step
    assert bench.sim.control_step is control.control_step
    written: list[tuple[str, int]] = []

    def spy(*args: Any, **kwargs: Any) -> control.StepResult:
        result = control.control_step(*args, **kwargs)
        written.extend(
            (cid, result.decision.chargers[cid].current or 0)
            for cid in (*result.decreases, *result.increases)
        )
        return result

    monkeypatch.setattr(bench.sim, "control_step", spy)
    sc = scenario(
        (session("c1", energy_kwh=30.0), session("c2", energy_kwh=30.0)),
        household_w=(2000, 14000, 2000),
        profile_step_s=900,
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )
    world = make_world(sc)
    trace = simulate(sc, EngineStrategy(), world)
    # Every write the simulated boxes got is one the control step planned.
    assert written
    assert trace.writes is not None
    assert sum(trace.writes.values()) == len(written)
    assert world.setpoint == dict(written)  # the last write of each box


def test_smart_runs_the_same_control_step_with_the_plans_power(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One smart car, 5.5 kWh by 1 h, the second and last quarter hours cheapest
    # (an 11.04 kW car: what the planner takes a 16 A three-phase box to give).
    views: list[control.ChargerView] = []
    written: list[tuple[str, int]] = []

    def spy(*args: Any, **kwargs: Any) -> control.StepResult:
        views.extend(args[2])
        result = control.control_step(*args, **kwargs)
        written.extend(
            (cid, result.decision.chargers[cid].current or 0)
            for cid in (*result.decreases, *result.increases)
        )
        return result

    monkeypatch.setattr(bench.sim, "control_step", spy)
    sc = priced(scenario((smart_session(need_kwh=5.5),)), prices=(0.3, 0.1, 0.3, 0.1))
    world = make_world(sc)
    strategy = SmartStrategy(sc)
    trace = simulate(sc, strategy, world)
    assert isinstance(strategy, EngineStrategy)  # the same path, run() included
    assert trace.writes is not None
    assert sum(trace.writes.values()) == len(written)
    assert world.setpoint == dict(written)
    smart = [v for v in views if v.mode is Mode.SMART]
    assert smart
    assert all(v.plan_w is not None for v in smart)
    assert max(v.plan_w or 0.0 for v in smart) > 0.0
    assert trace.plan_s  # plan_site was called, and timed
    # Planned in the cheap quarter hours and met by departure.
    assert trace.by_departure_kwh is not None
    assert 5.5 * 0.99 <= trace.by_departure_kwh[0] <= 6.0
    power = world.charger_w["c1"]
    dear = (world.times < 900) | ((world.times >= 1800) & (world.times < 2700))
    assert power[dear].sum() < 0.1 * power.sum()
