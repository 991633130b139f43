"""Equal share without foresight, by hand and against the optimum."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench import cli
from bench.optimum import EQUAL_SHARE, equal_share, solve
from bench.report import scenario_table
from bench.scenario import ChargerSpec, Scenario
from bench.sim import make_world

from .helpers import scenario, session

# Two 3-phase 16 A boxes: 16 A x 3 x 230 V = 11.04 kW each (the cars take 22 kW).
BOXES = (ChargerSpec("c1", 3, 16, profile="premium"), ChargerSpec("c2", 3, 16))
CAR_W = 11040.0


def _lot(household_w: int, *sessions: tuple[int, float]) -> Scenario:
    """Fast 22 kW cars on BOXES, all from t = 0, (departure, request) each."""
    return scenario(
        tuple(
            session(f"c{i + 1}", 0, depart, energy_kwh=kwh, car_kw=22.0)
            for i, (depart, kwh) in enumerate(sessions)
        ),
        household_w=(household_w,),
        chargers=BOXES,
    )


def test_premium_first_then_standard_gets_the_rest() -> None:
    # 20 kW - 3.44 kW = 16.56 kW, one and a half cars. The premium car takes its full
    # 11.04 kW until its 5.52 kWh are in (30 min); the standard car 5.52 kW meanwhile,
    # then 11.04 kW: 2.76 + 5.52 = 8.28 kWh of its 20.
    sc = _lot(3440, (3600, 5.52), (3600, 20.0))
    trace = equal_share(sc)
    assert trace.strategy == EQUAL_SHARE
    assert trace.ev_w[0] == pytest.approx(16560.0)
    assert trace.ev_w[-1] == pytest.approx(CAR_W)
    assert trace.delivered_kwh == pytest.approx((5.52, 8.28))
    assert trace.starts is None
    assert trace.writes is None


def test_standard_max_kw_caps_the_standard_car() -> None:
    # 4.2 kW is 6 whole amps on three phases: 4.14 kW for the hour.
    sc = replace(_lot(3440, (3600, 5.52), (3600, 20.0)), standard_max_kw=4.2)
    assert equal_share(sc).delivered_kwh == pytest.approx((5.52, 4.14))


def test_without_foresight_the_early_leaver_gets_less_than_the_optimum_gives() -> None:
    # Room for one car (11.04 kW), two standard cars asking 5.52 kWh each, the first
    # leaving after 30 min. The optimum charges it first: 5.52 + 5.52 kWh. Equal shares
    # give it 2.76 kWh before it leaves; the other finishes: 2.76 + 5.52 kWh.
    sc = _lot(20000 - int(CAR_W), (1800, 5.52), (3600, 5.52))
    sc = replace(sc, chargers=(replace(BOXES[0], profile="standard"), BOXES[1]))
    world = make_world(sc)
    best = solve(sc, world).delivered_kwh
    trace = equal_share(sc, world)
    assert best == pytest.approx((5.52, 5.52), rel=1e-6)
    assert trace.delivered_kwh == pytest.approx((2.76, 5.52))
    assert sum(trace.delivered_kwh) < sum(best) - 1.0


def test_declines_other_modes_and_the_milp() -> None:
    with pytest.raises(ValueError, match="only fast sessions"):
        equal_share(scenario((session(mode="solar"),)))
    with pytest.raises(ValueError, match="only fast sessions"):
        equal_share(scenario((session(),), lp_min_current=True))


def test_row_follows_the_optimum_only_under_the_relaxation() -> None:
    sc = _lot(3440, (3600, 5.52), (3600, 20.0))
    result = cli.run_scenario(sc)
    assert [s.strategy for s in result.scores][-2:] == ["optimum (LP)", EQUAL_SHARE]
    assert "what knowing the departure times is worth" in scenario_table(result)[2]
    assert f"| {EQUAL_SHARE} |" in "\n".join(scenario_table(result))
    strict = cli.run_scenario(replace(sc, lp_min_current=True))
    assert EQUAL_SHARE not in [s.strategy for s in strict.scores]
    solar = replace(sc, sessions=(replace(sc.sessions[0], mode="solar"),))
    assert EQUAL_SHARE not in [s.strategy for s in cli.run_scenario(solar).scores]
