"""The benchmark scores the product: it runs the integration's own control step."""

from __future__ import annotations

from typing import Any

import pytest

from bench.scenario import ChargerSpec
import bench.sim
from bench.sim import EngineStrategy, make_world, simulate
from custom_components.smart_charging import coordinator
from custom_components.smart_charging.engine import control
from tests.bench.helpers import scenario, session


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
