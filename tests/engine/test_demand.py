"""Learning what a car takes from its measured draw (a car taking less than offered
gives the rest of the budget up), and the dead-band default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise

import pytest

from custom_components.smart_charging.engine import (
    ChargerInput,
    ChargerState,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
    decide,
)
from custom_components.smart_charging.engine.model import DemandState
from custom_components.smart_charging.engine.smart import SmartCharger, smart_car

from .helpers import Sim, kw

V = 230.0
# A car model: the power it draws (W) for the setpoint its box offers (A).
Car = Callable[[int], float]


def draws(amps: float, phases: int) -> Car:
    """A car that takes up to `amps` on `phases` phases."""
    return lambda offered: min(offered, amps) * V * phases


def run(sim: Sim, site: SiteInput, cars: dict[str, Car], seconds: float) -> Decision:
    """Step every 10 s; each box reports what its car drew at the last setpoint."""
    decision = None
    for _ in range(int(seconds // 10)):
        for cid, car in cars.items():
            sim.set(cid, measured_power_w=car(sim.chargers[cid].last_command or 0))
        decision = sim.step(site)
    assert decision is not None
    return decision


SITE_22 = SiteInput(grid_limit_w=kw(22.08 + 5), household_w=kw(5))  # 32 A x 3 phases
WIDE = SiteInput(grid_limit_w=kw(100), household_w=0.0)


def box(cid: str, **kwargs: object) -> ChargerInput:
    return ChargerInput(id=cid, max_current=32, **kwargs)  # type: ignore[arg-type]


def test_eleven_kw_car_on_a_22_kw_box_gives_its_unused_budget_to_another() -> None:
    # Alone, the 11 kW car is offered 32 A but takes 16 A: after a probe it is capped
    # at 17 A (16 A + at most 1.75 A). With 43 A for two, the other car then gets
    # 26 A instead of an equal 21 A of which the 11 kW car would waste 5.
    site = SiteInput(grid_limit_w=43 * V * 3 + kw(5), household_w=kw(5))
    sim = Sim.of(box("eleven"), box("other", connected=False))
    cars = {"eleven": draws(16, 3), "other": draws(32, 3)}
    d = run(sim, site, cars, 30)
    assert d.chargers["eleven"].current == 32  # nothing learned yet
    d = run(sim, site, cars, 300)
    assert d.chargers["eleven"].current == 17
    learned = d.state.chargers["eleven"].demand
    assert (learned.cap, learned.phases, learned.phases_known) == (17, 3, True)
    sim.set("other", connected=True)
    d = run(sim, site, cars, 30)
    assert d.chargers["eleven"].current == 17
    assert d.chargers["other"].current == 26
    assert d.chargers["other"].status is Status.CHARGING


def test_no_power_reading_learns_nothing() -> None:
    sim = Sim.of(box("a"), box("b"))
    d = run(sim, SITE_22, {}, 600)
    assert d.chargers["a"].current == d.chargers["b"].current == 16
    assert d.state.chargers["a"].demand.cap is None


def test_one_phase_car_taking_all_it_is_offered_is_never_capped() -> None:
    # On a three-phase box it takes every amp offered: a lower setpoint would lower
    # its charge, so no cap is learned. It counts on the one phase it draws on
    # (SPEC §5 rule 1, v2): 32 A x 230 V.
    sim = Sim.of(box("one"))
    d = run(sim, SITE_22, {"one": draws(32, 1)}, 600)
    assert d.chargers["one"].current == 32
    assert d.state.chargers["one"].demand.cap is None
    assert d.chargers["one"].power_w == 32 * V


def test_eleven_kw_car_offered_24_a_is_not_taken_for_a_two_phase_car() -> None:
    # 16 A on three phases is what a two-phase car draws at 24 A. Counted on two
    # phases at 24 A, it would draw half as much again as counted once lowered to
    # 16 A: it stays on its box's three until its draw can tell.
    site = SiteInput(grid_limit_w=24 * V * 3 + kw(5), household_w=kw(5))
    sim = Sim.of(box("eleven"))
    d = run(sim, site, {"eleven": draws(16, 3)}, 120)
    assert d.chargers["eleven"].current == 24
    assert d.state.chargers["eleven"].car_phases is None
    assert d.chargers["eleven"].power_w == 24 * V * 3


def test_one_phase_car_frees_budget_for_another_car() -> None:
    # 43 A on three phases for two cars: counted on three phases, the one-phase car
    # would hold 21 A x 3 of which it draws a third. Counted as it draws, the other
    # car gets what it does not use.
    site = SiteInput(grid_limit_w=43 * V * 3 + kw(5), household_w=kw(5))
    sim = Sim.of(box("one"), box("three"))
    d = run(sim, site, {"one": draws(32, 1), "three": draws(32, 3)}, 300)
    assert d.chargers["one"].power_w == d.chargers["one"].current * V
    assert d.chargers["three"].current == 32
    assert d.chargers["one"].current >= 32


def test_a_car_drawing_on_more_phases_than_counted_is_corrected_at_once() -> None:
    sim = Sim.of(box("car"))
    run(sim, SITE_22, {"car": draws(32, 1)}, 120)
    assert sim.state.chargers["car"].car_phases == 1
    # The same plug now draws on three phases (a car that switched): the next
    # step counts it on three again.
    d = run(sim, SITE_22, {"car": draws(32, 3)}, 10)
    assert d.state.chargers["car"].car_phases in (None, 3)
    assert d.chargers["car"].power_w == d.chargers["car"].current * V * 3


def test_one_phase_car_sharing_is_not_spiralled_down() -> None:
    # Sharing 22 kW with a 3-phase car, the one-phase car is never capped below
    # what it takes (a cap on three phases would have spiralled it down to 6 A):
    # counted on its one phase it gets its 32 A, the three-phase car the rest.
    sim = Sim.of(box("one"), box("three"))
    d = run(sim, SITE_22, {"one": draws(32, 1), "three": draws(32, 3)}, 900)
    assert d.chargers["one"].current == 32
    assert d.chargers["three"].current == (32 * 3 - 32) // 3
    assert d.state.chargers["one"].demand.cap is None


def test_two_phase_car_is_probed_and_capped_at_its_two_phase_current() -> None:
    # 24 A on two phases looks like 16 A on three at a 32 A offer. The probe at
    # 17 A shows it takes all of it on two phases: its cap is then 25 A, and it is
    # never held under what it takes for more than the probe.
    sim = Sim.of(box("two"))
    car = draws(24, 2)
    amps = []
    for _ in range(60):
        amps.append(run(sim, SITE_22, {"two": car}, 10).chargers["two"].current)
    demand = sim.state.chargers["two"].demand
    assert (demand.cap, demand.phases, demand.phases_known) == (25, 2, True)
    assert amps[-1] == 25
    assert sum(1 for a in amps if a is not None and a < 24) <= 5  # the probe, once


def test_taper_lowers_the_cap_and_a_rising_demand_lifts_it() -> None:
    sim = Sim.of(box("car"))
    want = {"amps": 16.0}
    car: Car = lambda offered: min(offered, want["amps"]) * V * 3  # noqa: E731
    d = run(sim, SITE_22, {"car": car}, 300)
    assert d.chargers["car"].current == 17
    want["amps"] = 9.5  # tapering
    d = run(sim, SITE_22, {"car": car}, 120)
    assert d.chargers["car"].current == 11  # 9.5 A + 0.75, rounded up
    want["amps"] = 32.0  # it wants more again: takes all of its cap
    d = run(sim, SITE_22, {"car": car}, 60)
    assert d.state.chargers["car"].demand.cap is None
    assert d.chargers["car"].current == 32


def test_saturation_below_the_cap_keeps_the_cap() -> None:
    # Capped at 17 A, then held at 10 A by the budget: taking all of 10 A says
    # nothing about wanting more than 17 A.
    sim = Sim.of(box("car"))
    cars = {"car": draws(16, 3)}
    run(sim, SITE_22, cars, 300)
    tight = SiteInput(grid_limit_w=kw(6.9 + 5), household_w=kw(5))
    d = run(sim, tight, cars, 120)
    assert d.chargers["car"].current == 10
    assert d.state.chargers["car"].demand.cap == 17


def test_meter_lag_after_an_increase_is_not_taken_as_a_small_demand() -> None:
    # The power reading follows a new setpoint 15 s late: still no cap.
    sim = Sim.of(box("car"))
    history: list[int] = [0, 0]
    for _ in range(60):
        offered = history[-2]  # what the box held two steps (up to 20 s) ago
        sim.set("car", measured_power_w=offered * V * 3)
        d = sim.step(SITE_22 if len(history) > 20 else WIDE)
        history.append(sim.chargers["car"].last_command or 0)
    assert d.state.chargers["car"].demand.cap is None
    assert d.chargers["car"].current == 32


def test_full_car_is_paused_for_others_and_reprobed() -> None:
    config = EngineConfig(demand_reprobe_s=600.0)
    site = SiteInput(grid_limit_w=kw(13.8 + 5), household_w=kw(5))  # 20 A x 3
    sim = Sim.of(box("full", profile=Profile.PREMIUM), box("other"))
    sim.config = config
    cars = {"full": draws(0, 3), "other": draws(32, 3)}
    d = run(sim, site, cars, 40)
    assert d.chargers["full"].current == 20  # premium first, nothing learned yet
    assert d.chargers["other"].current == 0
    d = run(sim, site, cars, 60)
    assert d.state.chargers["full"].demand.full_since is not None
    assert d.chargers["full"].current == 0
    assert d.chargers["full"].status is Status.PAUSED_BY_CAP
    assert d.chargers["other"].current == 20  # all of it
    # Re-probed after demand_reprobe_s: offered its minimum (the other keeps the
    # rest), then paused again.
    amps = [run(sim, site, cars, 10).chargers["full"].current for _ in range(70)]
    assert max(amps) == 6, amps
    assert amps[-1] == 0
    # The car wants power again (its own timer): seen at the next probe, which comes
    # twice as late after an offer it refused.
    cars["full"] = draws(16, 3)
    d = run(sim, site, cars, 700)
    assert d.state.chargers["full"].demand.full_since is not None
    assert d.chargers["full"].current == 0
    d = run(sim, site, cars, 700)
    assert d.state.chargers["full"].demand.full_since is None
    assert d.chargers["full"].current >= 14


def offer_gaps(
    sim: Sim, site: SiteInput, cars: dict[str, Car], offers: int
) -> list[int]:
    """Minutes between the next `offers` times the car "full" is offered power."""
    times: list[float] = []
    was_offered = True
    while len(times) < offers:
        offered = bool(run(sim, site, cars, 10).chargers["full"].current)
        if offered and not was_offered:
            times.append(sim.now)
        was_offered = offered
    return [round((b - a) / 60) for a, b in pairwise(times)]


def test_reprobe_wait_doubles_up_to_its_maximum() -> None:
    """Each refused offer doubles the wait: 10, 20, 40, then 60 minutes at most."""
    site = SiteInput(grid_limit_w=kw(13.8 + 5), household_w=kw(5))  # 20 A x 3
    sim = Sim.of(box("full", profile=Profile.PREMIUM), box("other"))
    sim.config = EngineConfig(demand_reprobe_s=600.0, demand_reprobe_max_s=3600.0)
    cars = {"full": draws(0, 3), "other": draws(32, 3)}
    gaps = offer_gaps(sim, site, cars, 6)
    # Each gap is the wait plus the ~1 minute an offer lasts before it is refused.
    assert gaps[:3] == [21, 41, 61], gaps
    assert set(gaps[3:]) == {61}, gaps

    # Charging again resets the count: once full again, the first wait is 10 minutes.
    def charge_then_fill(refusals: int) -> list[int]:
        """It charges (taking all it is offered) for an hour, then is full again:
        the minutes between the offers it refuses."""
        cars["full"] = draws(32, 3)
        d = run(sim, site, cars, 3700)
        assert d.chargers["full"].current == 20
        assert d.state.chargers["full"].demand.refused == 0
        cars["full"] = draws(0, 3)
        return offer_gaps(sim, site, cars, refusals)

    assert charge_then_fill(3) == [21, 41]  # its phases are known by now
    assert charge_then_fill(3) == [21, 41]  # the refusals before do not count


def test_full_car_kept_at_its_minimum_is_not_counted_as_refusing() -> None:
    """Judged full again every window while it keeps its minimum: that is one
    refusal, not one per window, so once paused it waits the first interval."""
    sim = Sim.of(box("full", profile=Profile.PREMIUM), box("other"))
    sim.config = EngineConfig(demand_reprobe_s=600.0, demand_reprobe_max_s=3600.0)
    cars = {"full": draws(0, 3), "other": draws(32, 3)}
    d = run(sim, WIDE, cars, 900)
    assert d.chargers["full"].current == 6
    assert d.state.chargers["full"].demand.refused == 1
    site = SiteInput(grid_limit_w=kw(13.8 + 5), household_w=kw(5))  # 20 A x 3
    d = run(sim, site, cars, 10)
    assert d.chargers["full"].current == 0  # paused for the other car
    paused_at = sim.now
    while not run(sim, site, cars, 10).chargers["full"].current:
        assert sim.now - paused_at < 3600
    assert round((sim.now - paused_at) / 60) == 10


def test_drawing_power_ends_a_run_of_refusals_at_once() -> None:
    """Re-offered 6 A after two refusals, it draws 2 A: a window of taking less
    starts, and the count goes already, in case a pause cuts the window short."""
    demand = DemandState(command=6, command_since=0.0, phases=3, phases_known=True)
    demand = replace(demand, refused=2)
    state = EngineState(chargers={"car": ChargerState(demand=demand)}, last_time=20.0)
    c = ChargerInput(
        id="car", max_current=32, last_command=6, measured_power_w=2 * V * 3
    )
    d = decide(WIDE, [c], state, 30.0)
    assert d.state.chargers["car"].demand.below_since == 30.0
    assert d.state.chargers["car"].demand.refused == 0


def test_full_car_keeps_its_minimum_when_nobody_needs_the_power() -> None:
    sim = Sim.of(box("full"), box("other"))
    cars = {"full": draws(0, 3), "other": draws(16, 3)}
    d = run(sim, WIDE, cars, 300)
    assert d.chargers["full"].current == 6
    assert d.chargers["full"].status is Status.CHARGING
    cars["full"] = draws(32, 3)  # takes power again: at once back to its share
    d = run(sim, WIDE, cars, 50)
    assert d.state.chargers["full"].demand.full_since is None
    assert d.chargers["full"].current == 32


def test_full_solar_min_car_waits_when_its_minimum_does_not_fit() -> None:
    site = SiteInput(grid_limit_w=kw(4.14 + 5), household_w=kw(5))  # one minimum
    sim = Sim.of(box("full", mode=Mode.SOLAR_MIN), box("fast"))
    cars = {"full": draws(0, 3), "fast": draws(32, 3)}
    d = run(sim, WIDE, cars, 300)  # room for both: the car is seen to be full
    assert d.state.chargers["full"].demand.full_since is not None
    assert d.chargers["full"].current == 6
    d = run(sim, site, cars, 10)
    assert d.chargers["full"].current == 0
    assert d.chargers["full"].status is Status.PAUSED_BY_CAP
    assert d.chargers["fast"].current == 6


def test_full_solar_car_waits_for_solar() -> None:
    sunny = SiteInput(grid_limit_w=kw(25), household_w=kw(1), solar_w=kw(6))
    dark = SiteInput(grid_limit_w=kw(25), household_w=kw(1))
    sim = Sim.of(box("car", mode=Mode.SOLAR))
    cars = {"car": draws(0, 3)}
    d = run(sim, sunny, cars, 200)
    assert d.state.chargers["car"].demand.full_since is not None
    assert d.chargers["car"].current == 6  # running on surplus, offered its minimum
    d = run(sim, dark, cars, 300)
    assert d.chargers["car"].current == 0
    assert d.chargers["car"].status is Status.WAITING_FOR_SOLAR


def test_unplugging_forgets_what_was_learned() -> None:
    sim = Sim.of(box("car"))
    run(sim, SITE_22, {"car": draws(16, 3)}, 300)
    assert sim.state.chargers["car"].demand.cap == 17
    sim.set("car", connected=False)
    sim.step(SITE_22)
    sim.set("car", connected=True)
    d = run(sim, SITE_22, {"car": draws(32, 3)}, 20)
    assert d.state.chargers["car"].demand.cap is None
    assert d.chargers["car"].current == 32


def test_small_draw_is_capped_at_the_minimum_not_paused() -> None:
    # A car drawing 2 A (not nothing) keeps its minimum: a pause would stop it.
    # (2 A on three phases is also 6 A on one: the higher reading is kept, so 7 A,
    # and it counts on the one phase its power shows.)
    sim = Sim.of(box("car"), box("other"))
    d = run(sim, SITE_22, {"car": draws(2, 3), "other": draws(32, 3)}, 300)
    assert d.chargers["car"].current in (6, 7)
    assert d.state.chargers["car"].demand.full_since is None
    left_w = 32 * V * 3 - d.chargers["car"].power_w
    assert d.chargers["other"].current == min(32, int(left_w // (V * 3)))


def test_default_dead_band_holds_one_amp_increases() -> None:
    def room(amps: int) -> SiteInput:
        return SiteInput(grid_limit_w=amps * 690.0, household_w=0.0)

    c = ChargerInput(id="a", last_command=10, max_current=32)
    d = decide(room(11), [c], EngineState(), 0.0).chargers["a"]
    assert (d.current, d.write) == (10, False)
    d = decide(room(12), [c], EngineState(), 0.0).chargers["a"]
    assert (d.current, d.write) == (12, True)
    site = SiteInput(grid_limit_w=kw(100), household_w=0.0)
    c = ChargerInput(id="a", last_command=10, max_current=11)  # its ceiling: written
    d = decide(site, [c], EngineState(), 0.0).chargers["a"]
    assert (d.current, d.write) == (11, True)
    c = ChargerInput(id="a", last_command=10, max_current=9)
    d = decide(site, [c], EngineState(), 0.0).chargers["a"]
    assert (d.current, d.write) == (9, True)


# What a smart plan is sized on: what the car showed this session, kept until it
# is unplugged (the cap itself goes once the car takes all it gets).


def test_a_one_phase_car_is_planned_on_one_phase_through_a_pause() -> None:
    sim = Sim.of(box("one"))
    run(sim, SITE_22, {"one": draws(32, 1)}, 120)
    sim.set("one", mode=Mode.OFF)
    d = run(sim, SITE_22, {"one": draws(32, 1)}, 60)  # paused: nothing drawn
    kept = d.state.chargers["one"]
    assert kept.car_phases == 1
    charger = SmartCharger("one", phases=3, min_current=6, ceiling=32)
    car = smart_car(charger, 10_000, 3600.0, V, kept)
    assert (car.max_w, car.min_w) == (32 * V, 6 * V)
    # Offered its plan of 7.36 kW again, it counts on one phase: 32 A.
    sim.set("one", mode=Mode.SMART, plan_w=32 * V)
    d = run(sim, SITE_22, {"one": draws(32, 1)}, 10)
    assert (d.chargers["one"].current, d.chargers["one"].power_w) == (32, 32 * V)


def test_a_car_limited_by_its_own_charger_is_planned_at_what_it_drew() -> None:
    sim = Sim.of(box("eleven"))
    d = run(sim, SITE_22, {"eleven": draws(16, 3)}, 300)
    assert d.state.chargers["eleven"].demand.cap == 17
    sim.set("eleven", mode=Mode.OFF)
    d = run(sim, SITE_22, {"eleven": draws(16, 3)}, 60)
    kept = d.state.chargers["eleven"]
    assert kept.car_limit_w == pytest.approx(16 * V * 3)
    charger = SmartCharger("eleven", phases=3, min_current=6, ceiling=32)
    assert smart_car(charger, 1.0, 3600.0, V, kept).max_w == pytest.approx(16 * V * 3)
    # Unplugged, it is forgotten: the next car may be another one.
    sim.set("eleven", connected=False)
    d = run(sim, SITE_22, {}, 10)
    assert d.state.chargers["eleven"].car_limit_w is None
