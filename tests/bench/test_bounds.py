"""The unavoidable-overshoot bound, the grid's share of solar sessions and the
noisy-meter scenarios, on hand-made cases with known answers."""

from __future__ import annotations

from dataclasses import replace
import json

import numpy as np
import pytest

from bench import generate
from bench.metrics import (
    OVER_BOUND_TARGET,
    SOLAR_GRID_TARGET,
    engine_targets,
    score,
    sensor_lag_ticks,
    solar_grid_shares,
    unavoidable_over_w,
)
from bench.scenario import ChargerSpec, Scenario
from bench.sim import Trace, UncontrolledStrategy, make_world, simulate

from .helpers import scenario, session

KWH = 3.6e6  # J


def _trace(ev_w: np.ndarray, solar_w: dict[int, np.ndarray] | None = None) -> Trace:
    return Trace(
        "engine", ev_w, (1.0,), (1,), {"c1": 0}, solar_session_w=solar_w or None
    )


def test_sensor_lag_is_the_time_until_a_reading_shows_the_change() -> None:
    # Sampled every 15 s, seen 5 s later, 5 s ticks: a change at t = 15 m is seen at
    # 15 m + 5 (1 tick), one at 15 m + 5 at 15 m + 20 (3 ticks), at 15 m + 10 (2).
    world = make_world(scenario((session(),)))
    lag = sensor_lag_ticks(world)
    # (At t = 0 the first reading is shown at once.)
    assert lag[:9].tolist() == [0, 3, 2, 1, 3, 2, 1, 3, 2]
    assert lag[360] == 1  # t = 1800 s


def _stepped(step_at_s: int, household: tuple[int, ...] = (1000, 9000)) -> Scenario:
    # 10 kW contract, household 1 kW then 9 kW from step_at_s.
    return scenario(
        (session(),),
        household_w=household,
        grid_limit_kw=10.0,
        profile_step_s=step_at_s,
        duration_s=3600,
    )


def test_unavoidable_bound_of_one_step_with_a_controller_that_reacts_at_once() -> None:
    # A car at 2 kW; the household steps 1 -> 9 kW at t = 1810 s, sampled at 1815 s
    # and seen at 1820 s: 10 s over by 9 + 2 - 10 = 1 kW, 10 kJ. The car drops to
    # 1 kW the moment the sensors show it: the true overshoot is exactly the bound.
    sc = _stepped(1810)
    world = make_world(sc)
    ev = np.full(len(world.times), 2000.0)
    ev[364:] = 1000.0  # t = 1820 s on
    bound = unavoidable_over_w(sc, world, ev)
    assert np.flatnonzero(bound).tolist() == [362, 363]
    result = score(sc, world, _trace(ev))
    assert result.unavoidable_kwh == pytest.approx(10_000.0 / KWH)
    assert result.over_kwh == pytest.approx(10_000.0 / KWH)
    assert result.over_ratio == pytest.approx(1.0)
    # Reacting one tick (5 s) late adds 5 kJ: 1.5x the bound.
    late = ev.copy()
    late[364] = 2000.0
    assert score(sc, world, _trace(late)).over_ratio == pytest.approx(1.5)


def test_unavoidable_bound_counts_what_the_chargers_drew_before_the_step() -> None:
    # Sampled on the step (t = 1800 s), seen 5 s later: one tick. Chargers idle
    # before it: nothing is unavoidable, whatever they do after.
    sc = _stepped(1800)
    world = make_world(sc)
    ev = np.full(len(world.times), 2000.0)
    assert unavoidable_over_w(sc, world, ev).sum() * 5 == pytest.approx(5000.0)
    ev[359] = 0.0  # nothing drawn just before the step
    assert unavoidable_over_w(sc, world, ev).sum() == 0.0
    result = score(sc, world, _trace(ev))
    assert result.over_ratio == float("inf")  # over without any unavoidable part
    # At most the chargers' power: the household alone at 15 kW is not theirs.
    big = _stepped(1800, household=(1000, 15000))
    bound = unavoidable_over_w(big, make_world(big), np.full(len(world.times), 2000.0))
    assert bound.max() == pytest.approx(2000.0)


def test_overlapping_steps_count_each_tick_once_from_the_first_unseen_step() -> None:
    # 5 s profile: 1 kW, 5 kW at t = 1805 s (seen at 1820 s: ticks 361-363), 9 kW at
    # 1810 s (seen at 1820 s: ticks 362-363). Chargers at 2 kW before the first step,
    # then raised to 3 kW: the bound keeps 2 kW; tick 361 is under the limit
    # (5 + 2 < 10), ticks 362 and 363 are 1 kW over: 10 kJ.
    household = [1000] * 720
    household[361:] = [5000] * (720 - 361)
    household[362:] = [9000] * (720 - 362)
    sc = scenario(
        (session(),),
        household_w=tuple(household),
        grid_limit_kw=10.0,
        profile_step_s=5,
    )
    world = make_world(sc)
    ev = np.full(len(world.times), 2000.0)
    ev[361:] = 3000.0
    ev[364:] = 1000.0  # seen at t = 1820 s: down to fit
    bound = unavoidable_over_w(sc, world, ev)
    assert bound[360:365].tolist() == [0.0, 0.0, 1000.0, 1000.0, 0.0]
    # The true overshoot, 2 kW at ticks 362-363 (and 5 + 3 - 10 < 0 at 361), is twice
    # the bound: the raise made while a step was unseen is not unavoidable.
    result = score(sc, world, _trace(ev))
    assert result.over_kwh == pytest.approx(20_000.0 / KWH)
    assert result.over_ratio == pytest.approx(2.0)


def test_a_solar_drop_is_a_step_too() -> None:
    # Solar 6 kW -> 0 at t = 1810 s under a 1 kW household, chargers at 4 kW on a
    # 4 kW contract: the site goes from -1 kW to 5 kW, 1 kW over for 10 s.
    sc = scenario(
        (session(),),
        household_w=(1000, 1000),
        solar_w=(6000, 0),
        grid_limit_kw=4.0,
        profile_step_s=1810,
    )
    world = make_world(sc)
    bound = unavoidable_over_w(sc, world, np.full(len(world.times), 4000.0))
    assert bound.sum() * 5 == pytest.approx(10_000.0)


def test_grid_share_of_solar_sessions_split_in_proportion() -> None:
    # Two solar cars at 3 kW and 1 kW; the surplus is 6 kW for the first half hour
    # (both covered) and 2 kW for the second (half of each car covered): grid share
    # (0 + 0.5) / 2 = 25 % of each session. A fast car beside them does not take
    # their surplus (solar cars first).
    chargers = (
        ChargerSpec("c1", 3, 16),
        ChargerSpec("c2", 3, 16),
        ChargerSpec("c3", 3, 16),
    )
    sc = scenario(
        (
            session("c1", mode="solar"),
            session("c2", mode="fast"),
            session("c3", mode="solar"),
        ),
        household_w=(1000, 1000),
        solar_w=(7000, 3000),
        profile_step_s=1800,
        chargers=chargers,
    )
    world = make_world(sc)
    n = len(world.times)
    powers = {0: np.full(n, 3000.0), 2: np.full(n, 1000.0)}
    trace = Trace(
        "engine", np.full(n, 9000.0), (3.0, 5.0, 1.0), (1, 1, 1), None, 0.0,
        solar_session_w=powers,
    )  # fmt: skip
    assert solar_grid_shares(sc, world, trace) == pytest.approx({0: 0.25, 2: 0.25})
    # A car without the surplus for half its time, idle otherwise: 50 % and 0 %.
    powers = {0: np.where(world.times < 1800, 0.0, 4000.0), 2: np.full(n, 0.0)}
    powers[2][:360] = 1000.0
    trace = replace(trace, solar_session_w=powers)
    shares = solar_grid_shares(sc, world, trace)
    assert shares == pytest.approx({0: 0.5, 2: 0.0})
    result = score(sc, world, trace)
    assert result.solar_grid_max == pytest.approx(0.5)
    assert result.solar_grid_mean == pytest.approx(0.25)


def test_simulator_keeps_the_power_of_solar_sessions() -> None:
    # Uncontrolled, a solar car (11 kW on board) takes 11 kW with 4 kW of surplus.
    sc = scenario(
        (session(mode="solar", energy_kwh=30.0),),
        household_w=(1000,),
        solar_w=(5000,),
    )
    world = make_world(sc)
    trace = simulate(sc, UncontrolledStrategy(), world)
    assert trace.solar_session_w is not None
    assert list(trace.solar_session_w) == [0]
    assert trace.solar_session_w[0].sum() * 5 / KWH == pytest.approx(
        trace.delivered_kwh[0]
    )
    result = score(sc, make_world(sc), trace)
    assert result.solar_grid_max == pytest.approx(1.0 - 4000.0 / 11000.0)
    # Fast sessions only: no share, and no target.
    fast = replace(sc, sessions=(session(),))
    assert (
        score(
            fast, make_world(fast), simulate(fast, UncontrolledStrategy())
        ).solar_grid_max
        is None
    )


def test_targets_for_the_bound_and_the_solar_share() -> None:
    sc = scenario((session(mode="solar"),), household_w=(1000,), solar_w=(5000,))
    world = make_world(sc)
    n = len(world.times)
    opt = score(sc, world, Trace("optimum (LP)", np.zeros(n), (1.0,), None, None))
    calm = score(sc, world, _trace(np.zeros(n), {0: np.full(n, 4400.0)}))
    by_name = {t.name: t for t in engine_targets(sc, calm, opt)}
    assert by_name[OVER_BOUND_TARGET].passed  # 0 over, 0 bound
    assert by_name[SOLAR_GRID_TARGET].passed  # 4 of 4.4 kW covered: 9.1 %
    assert by_name[SOLAR_GRID_TARGET].value == "max 9.1% (mean 9.1%)"
    greedy = score(sc, world, _trace(np.zeros(n), {0: np.full(n, 4500.0)}))
    by_name = {t.name: t for t in engine_targets(sc, greedy, opt)}
    assert not by_name[SOLAR_GRID_TARGET].passed  # 11.1 %
    over = replace(calm, over_kwh=0.13, unavoidable_kwh=0.1)
    target = next(
        t for t in engine_targets(sc, over, opt) if t.name == OVER_BOUND_TARGET
    )
    assert (target.passed, target.value) == (False, "1.30x (0.13 / 0.1 kWh)")
    fine = replace(calm, over_kwh=0.12, unavoidable_kwh=0.1)
    assert next(
        t for t in engine_targets(sc, fine, opt) if t.name == OVER_BOUND_TARGET
    ).passed


def test_noisy_meter_variant_is_the_same_day_with_jitter() -> None:
    base = generate.seed_three_chargers()
    noisy = generate.seed_three_chargers_noisy()
    assert noisy.household_w == base.household_w
    assert (noisy.sensor_period_s, noisy.sensor_delay_s) == (10, 5)
    plain, jittery = make_world(base), make_world(noisy)
    factor = jittery.household / plain.household
    assert factor.min() >= 0.95 - 1e-12
    assert factor.max() <= 1.05 + 1e-12
    # One factor per 10 s (two ticks), a new one every 10 s, and the same each run.
    assert np.allclose(factor[0::2], factor[1::2], rtol=0, atol=1e-12)
    assert np.mean(np.abs(np.diff(factor[0::2])) > 1e-9) > 0.99
    assert np.array_equal(make_world(noisy).household, jittery.household)
    # The variant keeps its base's step offsets; a scenario of its own draws others.
    alone = replace(noisy, variant_of="", household_noise=0.0)
    assert not np.array_equal(make_world(alone).household, plain.household)


def test_noise_fields_round_trip_and_stay_out_of_plain_files() -> None:
    noisy = generate.lot_20_noisy()
    data = json.loads(json.dumps(noisy.to_json()))
    assert Scenario.from_json(data) == noisy
    assert data["household_noise"] == 0.05
    plain = generate.lot_20().to_json()
    assert not {"variant_of", "household_noise", "household_noise_s"} & set(plain)
