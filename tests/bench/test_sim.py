"""The simulator's vehicles and strategies on tiny scenarios."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.metrics import score
from bench.scenario import ChargerSpec, Scenario
from bench.sim import (
    EngineStrategy,
    EvccStrategy,
    StaticSplitStrategy,
    UncontrolledStrategy,
    held_from_others,
    make_world,
    simulate,
)

from .helpers import scenario, session


def test_car_draws_up_to_its_on_board_limit_and_stops_when_done() -> None:
    # A 7.4 kW one-phase car on a 32 A one-phase box: 32 A x 230 V = 7.36 kW.
    sc = scenario(
        (session(energy_kwh=3.68, car_kw=7.4, car_phases=1),),
        chargers=(ChargerSpec("c1", 1, 32),),
    )
    world = make_world(sc)
    trace = simulate(sc, UncontrolledStrategy(), world)
    assert world.charger_w["c1"][0] == pytest.approx(7360.0)
    assert trace.delivered_kwh == pytest.approx((3.68,))
    assert world.charger_w["c1"][-1] == 0.0  # full after 30 min


def test_one_phase_car_on_a_three_phase_box_draws_one_phase() -> None:
    sc = scenario((session(energy_kwh=20.0, car_kw=7.4, car_phases=1),))
    world = make_world(sc)
    trace = simulate(sc, UncontrolledStrategy(), world)
    assert world.charger_w["c1"][0] == pytest.approx(16 * 230.0)
    assert trace.idle_kwh is None  # uncontrolled: setpoints are no budget
    # Split to 8 A it could take more itself, but nobody else waits for its budget.
    split = replace(sc, grid_limit_kw=8 * 690 / 1000)
    assert simulate(split, StaticSplitStrategy()).idle_kwh == 0.0


def one_and_three_phase_cars(grid_limit_kw: float) -> Scenario:
    """A one-phase car (c1) and a three-phase one (c2), each on a three-phase 16 A
    box, wanting more than an hour gives, on a site with no other load."""
    return scenario(
        (
            session("c1", energy_kwh=30.0, car_kw=7.4, car_phases=1),
            session("c2", energy_kwh=30.0),
        ),
        household_w=(0,),
        grid_limit_kw=grid_limit_kw,
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )


def test_budget_a_car_cannot_use_counts_while_another_waits() -> None:
    # 12 kW split in two: 8 A per box. The one-phase car draws 8 A on one phase of
    # its 5.52 kW budget, the three-phase car could take 16 A: 3.68 kW idle the hour.
    sc = one_and_three_phase_cars(12.0)
    trace = simulate(sc, StaticSplitStrategy())
    assert trace.delivered_kwh == pytest.approx((8 * 230 / 1000, 8 * 690 / 1000))
    assert trace.idle_kwh == pytest.approx(8 * 460 / 1000)
    assert trace.idle_one_phase_kwh == trace.idle_kwh
    # Counted only up to what the other car lacks: a 9 A car (6.21 kW) at 8 A.
    nine = replace(sc, sessions=(sc.sessions[0], session("c2", 0, 3600, 20.0, 6.21)))
    assert simulate(nine, StaticSplitStrategy()).idle_kwh == pytest.approx(0.69)
    # An 11 kW car (16 A) on a 32 A box split to 21 A: 5 A idle on three phases.
    eleven = scenario(
        (session("c1", energy_kwh=20.0), session("c2", energy_kwh=30.0, car_kw=22.0)),
        household_w=(0,),
        grid_limit_kw=30.0,
        chargers=(ChargerSpec("c1", 3, 32), ChargerSpec("c2", 3, 32)),
    )
    trace = simulate(eleven, StaticSplitStrategy())
    assert trace.idle_kwh == pytest.approx((21 * 690 - 11000) / 1000)
    assert trace.idle_one_phase_kwh == 0.0


def test_taper_near_full() -> None:
    s = session(soc0=0.8, capacity_kwh=10.0)
    assert s.taper_w(0.0) == pytest.approx(11000.0)
    assert s.taper_w(1.25) == pytest.approx(5500.0)  # soc 0.925: half way down
    assert s.taper_w(2.0) == pytest.approx(2200.0)  # soc 1.0


def test_static_split_divides_the_contract() -> None:
    # 20 kW over two boxes: 10 kW each, 14 A at 690 W/A.
    sc = scenario(
        (session("c1", energy_kwh=20.0), session("c2", energy_kwh=20.0)),
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )
    world = make_world(sc)
    simulate(sc, StaticSplitStrategy(), world)
    assert world.setpoint == {"c1": 14, "c2": 14}


def test_engine_never_over_the_limit_as_its_sensors_see_it() -> None:
    # The household steps from 2 to 14 kW and back; two cars on a 20 kW contract.
    sc = scenario(
        (session("c1", energy_kwh=30.0), session("c2", energy_kwh=30.0)),
        household_w=(2000, 14000, 2000, 9000),
        profile_step_s=900,
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )
    world = make_world(sc)
    trace = simulate(sc, EngineStrategy(), world)
    result = score(sc, world, trace)
    assert result.over_seen_s == 0.0
    assert 0.0 < result.over_s <= 20.0  # the step itself, until the sensor shows it
    assert sum(trace.writes.values()) > 0 if trace.writes else False


def test_evcc_waits_a_minute_before_starting_on_surplus() -> None:
    sc = scenario(
        (session(energy_kwh=10.0, mode="solar"),), household_w=(500,), solar_w=(8000,)
    )
    world = make_world(sc)
    trace = simulate(sc, EvccStrategy(), world)
    first = int((world.charger_w["c1"] > 0).argmax()) * sc.tick_s
    assert 60 <= first <= 120
    assert trace.starts == (1,)


def test_load_changes_off_the_sensor_grid_are_seen_5_to_20_s_late() -> None:
    # A new household level every minute, each starting 0-15 s into its minute; the
    # sensors report every 20 s, 5 s late (as in the generated scenarios).
    sc = replace(
        scenario((session(),), household_w=tuple(range(1000, 61000, 1000))),
        profile_step_s=60,
        profile_jitter_s=20,
        sensor_period_s=20,
    )
    world = make_world(sc)
    assert np.array_equal(world.household, make_world(sc).household)  # seeded
    changed = np.flatnonzero(np.diff(world.household)) + 1
    assert len(changed) == 59
    assert set(world.times[changed] % 60) == {0.0, 5.0, 10.0, 15.0}
    seen = np.flatnonzero(np.diff(world.household_seen)) + 1
    lags = set(world.times[seen] - world.times[changed])
    assert lags == {5.0, 10.0, 15.0, 20.0}, lags
    for bad in (65, -5, 7):
        with pytest.raises(ValueError, match="profile_jitter_s"):
            make_world(replace(sc, profile_jitter_s=bad))


def test_a_one_phase_car_counts_on_the_phase_it_draws_on() -> None:
    # 13.8 kW for a one-phase car and a three-phase car on two three-phase 16 A
    # boxes: counted for the phase it draws on (SPEC §5 rule 1), the one-phase car's
    # 16 A leave the other 14 A (counted on three phases each would get 10 A).
    sc = one_and_three_phase_cars(13.8)
    trace = simulate(sc, EngineStrategy())
    assert trace.ev_w[-1] == pytest.approx(16 * 230 + 14 * 690)
    assert trace.idle_kwh is None  # its budget is not the boxes' phases


def test_idle_counts_up_to_what_the_others_lack() -> None:
    # Two cars each leave 3 kW of their setpoints unused (one of them one-phase); a
    # third lacks 1 kW: 1 kW counted, half of it the one-phase car's.
    idle = [(3000.0, 0.0, True), (3000.0, 0.0, False), (0.0, 1000.0, False)]
    assert held_from_others(idle) == pytest.approx((1000.0, 500.0))
    # A car's own lack does not count against its own unused power.
    assert held_from_others([(3000.0, 2000.0, True)]) == (0.0, 0.0)


def test_a_switchable_box_charges_a_surplus_between_the_minimums_on_one_phase() -> None:
    # 2.5 kW of surplus: under the three-phase minimum (4.14 kW), over the one-phase.
    box = ChargerSpec("c1", 3, 16, switchable=True)
    sc = scenario(
        (session(mode="solar", energy_kwh=50.0),),
        household_w=(500,),
        solar_w=(3000,),
        chargers=(box,),
    )
    world = make_world(sc)
    trace = simulate(sc, EngineStrategy(), world)
    assert world.box_phases == {"c1": 1}
    assert trace.phase_switches == (1,)
    assert trace.starts == (1,)  # the switch came before the first start
    # Charging from the second minute: 10 A on one phase.
    assert trace.delivered_kwh[0] == pytest.approx(2.3 * 58 / 60, abs=0.05)
    # The same box that cannot switch waits for more sun.
    fixed = replace(sc, chargers=(replace(box, switchable=False),))
    assert simulate(fixed, EngineStrategy()).delivered_kwh == (0.0,)


def test_a_box_holding_a_current_is_not_switched() -> None:
    sc = scenario((session(),), chargers=(ChargerSpec("c1", 3, 16, switchable=True),))
    world = make_world(sc)
    world.write("c1", 6)
    with pytest.raises(ValueError, match="switched while it holds 6 A"):
        world.switch("c1", 1)
