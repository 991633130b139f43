"""`smart` in the benchmark: its scenarios, the evcc-style planner, the optimum's
deadlines, the metrics and the report (behaviour, not timings)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench import cli, generate, timing
from bench.metrics import (
    AHEAD_TARGET,
    COST_ERRORS_TARGET,
    COST_EXACT_TARGET,
    DEADLINES_TARGET,
    LOT_TARGET,
    Score,
    deadlines,
    met_sessions,
    score,
    smart_targets,
)
from bench.optimum import replay, solve
from bench.report import planner_table
from bench.scenario import DAY_S, SCENARIO_DIR, ChargerSpec, Scenario, load, load_all
from bench.sim import Trace, make_world, simulate
from bench.smart import (
    EVCC_PLANNER,
    FAST,
    SMART,
    SMART_PERFECT,
    EvccPlannerStrategy,
    evcc_plan,
    perfect,
    site_forecast,
    strategies,
)

from .helpers import priced, scenario, smart_session

H = 3600
SMART_GENERATORS = (
    generate.smart_home_prices,
    generate.smart_fleet,
    generate.smart_pv_forecast,
    generate.smart_lot_200,
)


def _clock_h(sc: Scenario, t: int) -> float:
    return ((sc.start_clock_s + t) % DAY_S) / H


# --- scenarios ---------------------------------------------------------------


@pytest.mark.parametrize("make", SMART_GENERATORS)
def test_smart_scenarios_are_deterministic_and_load_as_written(make: object) -> None:
    assert callable(make)
    first, second = make(), make()
    assert first.to_json() == second.to_json()
    assert load(SCENARIO_DIR / f"{first.name}.json") == first
    assert first.has_smart
    assert "smart" in first.tags
    assert all(s.smart and s.departure == s.depart_s for s in first.sessions)
    assert all(0 < s.need <= s.energy_kwh for s in first.sessions)
    assert len(first.co2_g_kwh) == DAY_S // first.series_step_s
    assert len(first.household_forecast_w) == DAY_S // first.forecast_step_s


def test_home_car_plugged_at_six_pm_ready_at_seven_on_quarter_hour_prices() -> None:
    sc = load(SCENARIO_DIR / "9_smart_home_prices.json")
    (car,) = sc.sessions
    assert (_clock_h(sc, car.arrive_s), _clock_h(sc, car.departure)) == (18.0, 7.0)
    assert sc.series_step_s == 900
    assert len(sc.prices) == 96
    hours = np.array([_clock_h(sc, i * 900) for i in range(96)])
    prices = np.array(sc.prices)
    night = prices[(hours >= 1) & (hours < 5)].mean()
    morning = prices[(hours >= 7.5) & (hours < 9)].mean()
    evening = prices[(hours >= 18) & (hours < 21)].mean()
    midday = prices[(hours >= 11) & (hours < 15)].mean()
    assert night < midday < morning < evening
    # Cost at the series, not the tariff.
    assert sc.price_at(np.array([900.0]))[0] == sc.prices[1]
    # The household forecast is another day's profile, not the true one.
    truth = sc.household_at(sc.ticks()).reshape(24, -1).mean(axis=1)
    assert not np.allclose(truth, sc.household_forecast_w, rtol=0.05)


def test_fleet_is_ten_smart_cars_on_50_kw_with_spread_deadlines() -> None:
    sc = load(SCENARIO_DIR / "10_smart_fleet_50kw.json")
    assert (len(sc.chargers), sc.grid_limit_kw, "fleet" in sc.tags) == (10, 50.0, True)
    departures = [_clock_h(sc, s.departure) for s in sc.sessions]
    assert min(departures) < 5.5
    assert max(departures) > 7.5


def test_pv_forecast_has_errors_and_a_cautious_low_estimate() -> None:
    sc = load(SCENARIO_DIR / "11_smart_pv_forecast.json")
    p50, p10 = np.array(sc.solar_p50_w), np.array(sc.solar_p10_w)
    assert (p10 <= p50).all()
    assert (p10 < p50)[p50 > 100].all()
    truth = sc.profile_at(sc.solar_w, sc.ticks(), "solar").reshape(24, -1).mean(axis=1)
    day = truth > 1000
    error = p50[day] / truth[day]
    assert error.min() < 0.85
    assert error.max() > 1.1
    assert any(s.need < s.energy_kwh for s in sc.sessions)  # room for free solar
    told = perfect(sc)
    assert told.solar_p10_w == told.solar_p50_w
    assert np.allclose(told.solar_p50_w, truth, atol=1.0)


def test_lot_is_lot_200_with_every_car_smart() -> None:
    base = load(SCENARIO_DIR / "8_lot_200.json")
    sc = load(SCENARIO_DIR / "12_smart_lot_200.json")
    assert sc.variant_of == base.name
    assert sc.household_w == base.household_w
    assert sc.chargers == base.chargers
    assert len(sc.sessions) == len(base.sessions)
    for ours, theirs in zip(sc.sessions, base.sessions, strict=True):
        assert replace(ours, mode="fast", departure_s=None, need_kwh=None) == theirs
        assert (ours.departure, ours.need) == (theirs.depart_s, theirs.energy_kwh)
    world, other = make_world(sc), make_world(base)
    assert np.array_equal(world.household, other.household)  # the same day


def test_scenarios_load_in_numeric_order() -> None:
    names = [s.name.split("_")[0] for s in load_all()]
    assert names[-8:] == ["8", "9", "10", "11", "12", "13", "14", "15"]


def test_site_forecast_is_on_the_scenarios_epoch() -> None:
    sc = load(SCENARIO_DIR / "11_smart_pv_forecast.json")
    forecast = site_forecast(sc)
    assert forecast.prices[0].start == sc.epoch0
    assert forecast.prices[5].value == sc.prices[5]
    assert forecast.solar_p10[12].value == sc.solar_p10_w[12]
    assert forecast.household_w(sc.epoch0 + 3.5 * H) == sc.household_forecast_w[3]
    assert forecast.household_w(sc.epoch0 + DAY_S) is None


# --- the evcc-style planner ----------------------------------------------------

SLOTS = ((0.0, 900.0, 0.3), (900.0, 1800.0, 0.1), (1800.0, 2700.0, 0.2))
SLOTS += ((2700.0, 3600.0, 0.1),)


def test_evcc_plan_takes_the_cheapest_slots_before_the_deadline() -> None:
    assert evcc_plan(SLOTS, 0, 3600, 1800) == [(900, 1800), (2700, 3600)]
    # Ties: the later slot.
    assert evcc_plan(SLOTS, 0, 3600, 900) == [(2700, 3600)]
    # The last slot taken is trimmed at its start.
    assert evcc_plan(SLOTS, 0, 3600, 1350) == [(1350, 1800), (2700, 3600)]
    # Only the slots before the deadline; the current one from now.
    assert evcc_plan(SLOTS, 1200, 2700, 1200) == [(1200, 1800), (2100, 2700)]
    # No time left for all of it: now, without a break.
    assert evcc_plan(SLOTS, 3000, 3600, 900) == [(3000, 3900)]
    assert evcc_plan(SLOTS, 0, 3600, 0) == []


def test_evcc_planner_charges_each_car_in_its_cheapest_slots() -> None:
    # 5.5 kWh at 11 kW is 30 min: the two 0.10 quarter hours. Out of its slots a
    # loadpoint is in evcc's `pv` mode: at its minimum for the 3 min disable delay
    # after a slot (no surplus here), then off.
    sc = priced(
        scenario((smart_session(need_kwh=5.5),)), prices=tuple(p for *_, p in SLOTS)
    )
    world = make_world(sc)
    trace = simulate(sc, EvccPlannerStrategy(sc), world)
    power = world.charger_w["c1"]
    cheap = ((world.times >= 900) & (world.times < 1800)) | (world.times >= 2700)
    assert power[~cheap].max() <= 6 * 690.0  # never at full power there
    assert power[~cheap].sum() < 0.1 * power.sum()
    assert (power[cheap] == 11000.0).mean() > 0.9
    assert trace.delivered_kwh[0] == pytest.approx(5.5, abs=0.15)
    # Each car plans alone: two cars pick the same slots.
    two = replace(
        sc,
        sessions=(smart_session("c1"), smart_session("c2")),
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
        grid_limit_kw=40.0,
    )
    world = make_world(two)
    simulate(two, EvccPlannerStrategy(two), world)
    first = world.charger_w["c1"] > 0
    assert np.array_equal(first, world.charger_w["c2"] > 0)


# --- the optimum --------------------------------------------------------------


def _optimum(sc: Scenario) -> tuple[Trace, Score]:
    world = make_world(sc)
    trace = replay(sc, solve(sc, world), world)
    return trace, score(sc, world, trace, met_sessions(sc, trace))


def test_optimum_meets_a_need_by_departure_at_the_least_cost() -> None:
    # 5.5 kWh at 11 kW: the 0.10 and the 0.20 quarter hours; the car would take
    # 20 kWh, but energy beyond its need is worth nothing from the grid.
    sc = priced(
        scenario((smart_session(need_kwh=5.5, energy_kwh=20.0),)),
        prices=(0.3, 0.1, 0.3, 0.2),
    )
    trace, result = _optimum(sc)
    assert trace.by_departure_kwh == pytest.approx((5.5,))
    assert result.delivered_kwh == pytest.approx(5.5)
    assert result.cost == pytest.approx(2.75 * 0.1 + 2.75 * 0.2)
    assert (result.deadlines_met, result.deadlines_met_feasible) == (1.0, 1.0)


def test_optimum_counts_energy_only_until_the_declared_departure() -> None:
    # Leaves at 1 h, declared 30 min: its need is met in the first half hour.
    car = replace(smart_session(need_kwh=5.5), departure_s=1800)
    sc = priced(scenario((car,)), prices=(0.3, 0.3, 0.1, 0.1))
    trace, result = _optimum(sc)
    assert trace.by_departure_kwh == pytest.approx((5.5,))
    assert result.cost == pytest.approx(5.5 * 0.3)


def test_optimum_minimises_co2_when_told_to() -> None:
    sc = priced(
        scenario((smart_session(need_kwh=2.75),)),
        prices=(0.1, 0.3, 0.3, 0.3),
        co2=(400.0, 100.0, 300.0, 300.0),
        plan_objective="co2",
    )
    _, result = _optimum(sc)
    assert result.co2_kg == pytest.approx(2.75 * 0.1)
    assert result.cost == pytest.approx(2.75 * 0.3)


def test_infeasible_needs_are_not_lp_feasible() -> None:
    # 11 kW for an hour: 11 kWh at most; the second car cannot have 15.
    sc = priced(
        scenario(
            (
                smart_session("c1", need_kwh=5.0),
                smart_session("c2", need_kwh=15.0, energy_kwh=20.0),
            ),
            household_w=(0,),
            grid_limit_kw=40.0,
            chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
        ),
        prices=(0.3, 0.1, 0.3, 0.2),
    )
    trace, result = _optimum(sc)
    assert trace.by_departure_kwh == pytest.approx((5.0, 11.0))
    assert met_sessions(sc, trace) == {0}
    assert result.feasible_sessions == 1
    assert result.deadlines_met == 0.5
    assert result.deadlines_met_feasible == 1.0


# --- metrics and targets -----------------------------------------------------


def _two_needs() -> Scenario:
    return priced(
        scenario(
            (smart_session("c1", need_kwh=5.0), smart_session("c2", need_kwh=10.0)),
            chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
        ),
        prices=(0.3,) * 4,
    )


def test_deadlines_count_what_each_car_had_by_its_departure() -> None:
    sc = _two_needs()
    trace = Trace(
        "x", np.zeros(720), (5.5, 9.0), None, None, by_departure_kwh=(5.0, 9.0)
    )
    due = deadlines(sc, trace, frozenset({0, 1}))
    assert (due.need_kwh, due.need_met_kwh) == (15.0, 14.0)  # 5.5 counts as 5
    assert (due.met, due.feasible, due.met_feasible) == (0.5, 2, 0.5)
    assert deadlines(sc, trace, frozenset({0})).met_feasible == 1.0
    assert deadlines(sc, trace, None).met_feasible is None
    # 99 % of the need is met.
    nearly = replace(trace, by_departure_kwh=(4.95, 9.9))
    assert deadlines(sc, nearly, None).met == 1.0


def test_co2_and_planner_time_in_the_score() -> None:
    # 6 kW from the grid for the hour at 300 g/kWh: 1.8 kg.
    sc = _two_needs()
    world = make_world(sc)
    ev = np.full(len(world.times), 6000.0)
    trace = Trace("x", ev, (3.0, 3.0), None, None, plan_s=(0.1, 0.3, 0.2))
    result = score(sc, world, trace)
    assert result.co2_kg == pytest.approx(1.8)
    assert (result.plan_calls, result.plan_median_s, result.plan_max_s) == (
        3,
        0.2,
        0.3,
    )
    assert scenario((smart_session(),)).co2_at(world.times) is None


def _score(cost: float, met: float = 1.0, need_met: float = 100.0) -> Score:
    sc = _two_needs()
    world = make_world(sc)
    base = score(
        sc, world, Trace("x", np.zeros(len(world.times)), (0.0, 0.0), None, None)
    )
    return replace(
        base,
        cost=cost,
        delivered_kwh=100.0,
        deadlines_met=met,
        deadlines_met_feasible=met,
        feasible_sessions=2,
        need_met_kwh=need_met,
    )


def test_smart_targets() -> None:
    sc = _two_needs()
    optimum = _score(10.0)
    found = {
        t.name: t.passed
        for t in smart_targets(sc, _score(10.9), optimum, None, _score(10.2))
    }
    assert found == {
        DEADLINES_TARGET: True,
        COST_EXACT_TARGET: True,
        COST_ERRORS_TARGET: True,
    }
    found = {
        t.name: t.passed
        for t in smart_targets(sc, _score(11.2, 0.5), optimum, None, _score(10.4))
    }
    assert found == {
        DEADLINES_TARGET: False,
        COST_EXACT_TARGET: False,
        COST_ERRORS_TARGET: False,
    }
    # Meeting less is no saving: the cost counts per kWh of need met.
    found = {
        t.name: t.passed
        for t in smart_targets(sc, _score(9.0, 1.0, 80.0), optimum, None, None)
    }
    assert found[COST_ERRORS_TARGET] is False  # 0.1125 per kWh against 0.1
    fleet = replace(sc, tags=("smart", "fleet"))
    ahead = smart_targets(fleet, _score(10.5), optimum, _score(12.0, 0.5), None)
    assert [t.passed for t in ahead if t.name == AHEAD_TARGET] == [True]
    behind = smart_targets(fleet, _score(10.5, 0.5), optimum, _score(12.0), None)
    assert [t.passed for t in behind if t.name == AHEAD_TARGET] == [False]
    lot = replace(sc, tags=("smart", "lot"))
    found = {
        t.name: t.passed
        for t in smart_targets(lot, _score(20.0, 0.5, 96.0), optimum, None, None)
    }
    assert found == {DEADLINES_TARGET: False, LOT_TARGET: False}
    assert smart_targets(lot, _score(20.0, 1.0, 97.0), optimum, None, None)[1].passed


# --- strategies and the report -------------------------------------------------


def test_smart_scenarios_run_smart_evcc_planner_and_fast() -> None:
    sc = priced(scenario((smart_session(),)), prices=(0.3,) * 4)
    assert [s.name for s in strategies(sc)] == [
        SMART,
        SMART_PERFECT,
        EVCC_PLANNER,
        FAST,
    ]
    lot = replace(sc, tags=("smart", "lot"))
    assert SMART_PERFECT not in [s.name for s in strategies(lot)]


def test_tiny_smart_benchmark_writes_the_smart_tables(tmp_path: Path) -> None:
    sc = priced(
        scenario((smart_session(need_kwh=5.5),), duration_s=3600),
        prices=(0.3, 0.1, 0.3, 0.2),
    )
    text = cli.run(
        [sc],
        tmp_path,
        timing_sizes=(1,),
        timing_budget_s=0.01,
        log=False,
        planner_repeats=1,
        planner_sizes=(10,),
    )
    assert "## smart against its targets" in text
    assert "## smart planner time" in text
    for name in (SMART, SMART_PERFECT, EVCC_PLANNER, FAST, "optimum (LP)"):
        assert f"| tiny | {name} |" in text
    assert f"| {DEADLINES_TARGET} |" in text
    assert "| tiny, smart |" in text  # the engine's targets, run in smart
    assert (tmp_path / "tiny.png").stat().st_size > 10_000


def test_planner_timing_and_its_table() -> None:
    figures = timing.time_planner((10,), repeats=1)
    assert list(figures) == [10]
    cars, now, _, forecast = timing.planner_case(200)
    assert len(cars) == 200
    assert max(c.departure for c in cars) == now + 96 * 900
    assert len(forecast.prices) == 96
    text = "\n".join(planner_table({10: (0.05, 0.08), 200: (2.5, 3.0)}))
    assert "| 10 | 96 | 50.0 ms | 80.0 ms | median <= 100 ms: pass |" in text
    assert "| 200 | 96 | 2500.0 ms | 3000.0 ms | median <= 2000 ms: **FAIL** |" in text
