"""The optimum on cases small enough to solve by hand."""

from __future__ import annotations

import pytest

from bench.metrics import Score, score
from bench.optimum import Plan, replay, solve
from bench.scenario import ChargerSpec, Scenario
from bench.sim import make_world

from .helpers import scenario, session


def _run(sc: Scenario) -> tuple[Plan, Score]:
    world = make_world(sc)
    plan = solve(sc, world)
    return plan, score(sc, world, replay(sc, plan, world))


def test_one_car_one_hour_charges_in_the_cheap_half() -> None:
    # 5.5 kWh at 11 kW takes 30 min: all of it in the off-peak half at 0.10.
    sc = scenario(
        (session(energy_kwh=5.5),),
        offpeak_hours=((0.5, 1.0),),
        price_peak=0.30,
        price_offpeak=0.10,
    )
    plan, result = _run(sc)
    assert plan.delivered_kwh == pytest.approx((5.5,))
    assert result.delivered_kwh == pytest.approx(5.5)
    assert result.cost == pytest.approx(5.5 * 0.10)
    assert result.over_kwh == 0.0


def test_limit_caps_what_the_car_gets() -> None:
    # 20 kW contract, 16 kW household: 4 kW for one hour, whatever the car asks.
    sc = scenario((session(energy_kwh=10.0),), household_w=(16000,))
    _, result = _run(sc)
    assert result.delivered_kwh == pytest.approx(4.0)
    assert result.over_kwh == 0.0
    assert result.over_s == 0.0


def test_solar_car_takes_only_the_surplus() -> None:
    # 5 kW solar, 1 kW household: 4 kWh of surplus in the hour, all of it, for free.
    sc = scenario(
        (session(energy_kwh=10.0, mode="solar"),), household_w=(1000,), solar_w=(5000,)
    )
    _, result = _run(sc)
    assert result.delivered_kwh == pytest.approx(4.0)
    assert result.solar_used_kwh == pytest.approx(4.0)
    assert result.cost == pytest.approx(0.0, abs=1e-9)


def test_minimum_current_keeps_a_three_phase_car_off_small_surplus() -> None:
    # 3 kW of surplus is under 6 A x 3 x 230 V = 4.14 kW: the relaxation charges on
    # it, the MILP keeps the box at 0.
    sessions = (session(energy_kwh=10.0, mode="solar"),)
    relaxed = scenario(sessions, household_w=(1000,), solar_w=(4000,))
    strict = scenario(
        sessions, household_w=(1000,), solar_w=(4000,), lp_min_current=True
    )
    assert _run(relaxed)[1].delivered_kwh == pytest.approx(3.0)
    assert _run(strict)[1].delivered_kwh == pytest.approx(0.0, abs=1e-9)


def test_solar_min_takes_its_minimum_from_the_grid() -> None:
    # One phase, 6 A = 1.38 kW from the grid, plus the 1 kW surplus on top, 1 hour.
    sc = scenario(
        (session(energy_kwh=10.0, mode="solar_min", car_kw=7.4, car_phases=1),),
        household_w=(1000,),
        solar_w=(2000,),
        chargers=(ChargerSpec("c1", 1, 32),),
    )
    _, result = _run(sc)
    assert result.delivered_kwh == pytest.approx(2.38)
    assert result.cost == pytest.approx(1.38 * 0.30)


def test_premium_standard_ceiling_and_two_cars_share_the_limit() -> None:
    # 10 kW for two cars, each asking 8 kWh in the hour: 10 kWh in all.
    sc = scenario(
        (session("c1", energy_kwh=8.0), session("c2", energy_kwh=8.0)),
        household_w=(10000,),
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )
    _, result = _run(sc)
    assert result.delivered_kwh == pytest.approx(10.0)
