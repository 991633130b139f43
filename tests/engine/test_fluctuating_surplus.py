"""The default configuration, SPEC §4 refined for a fluctuating surplus (its delays
are minimums): averaged top-ups, held small decreases, restarts that wait longer
after each stop, and clouds ridden out once a session has shown that its surplus
comes and goes, while the grid's share of the session stays small. Without those,
SPEC §4's delays hold exactly (checked at the end)."""

from __future__ import annotations

from dataclasses import replace
import random

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.smart_charging.engine import (
    ChargerInput,
    ChargerState,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    SiteInput,
)

from .helpers import PLAIN, Sim, kw

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SUNNY = SiteInput(grid_limit_w=kw(25), household_w=kw(1), solar_w=kw(6))  # 5 kW
CLOUDY = SiteInput(grid_limit_w=kw(25), household_w=kw(1), solar_w=kw(2))  # 1 kW
DARK = SiteInput(grid_limit_w=kw(25), household_w=kw(1))  # -1 kW
MIN_W = 6 * 230.0 * 3  # the solar car's minimum: 4140 W
DEFAULT = EngineConfig()


def sim_of(*chargers: ChargerInput) -> Sim:
    """A simulation with the default configuration."""
    sim = Sim.of(*chargers)
    sim.config = DEFAULT
    return sim


def amps(d: Decision) -> int:
    return d.chargers["car"].current or 0


def average(sim: Sim) -> float | None:
    return sim.state.surplus_avg_w


def solar_car() -> ChargerInput:
    return ChargerInput(id="car", phases=3, max_current=16, mode=Mode.SOLAR)


def run(sim: Sim, site: SiteInput, seconds: float) -> int:
    """Step for `seconds` in 10 s steps; the current at the last step."""
    end = sim.now + seconds
    current = 0
    while sim.now < end:
        current = sim.step(site).chargers["car"].current or 0
    return current


def stopped_once() -> Sim:
    """A solar car that started on the sun and was stopped by a cloud: its first stop,
    after exactly the plain 180 s."""
    sim = sim_of(solar_car())
    assert run(sim, SUNNY, 70) > 0
    assert run(sim, CLOUDY, 180) > 0
    assert sim.step(CLOUDY).chargers["car"].current == 0
    assert sim.state.chargers["car"].solar_stops == 1
    return sim


# The averaged surplus -----------------------------------------------------------------


def test_average_follows_the_surplus_and_restarts_after_unusable_inputs() -> None:
    config = DEFAULT
    sim = sim_of(solar_car())
    sim.step(SUNNY, dt=config.surplus_smoothing_s)
    assert average(sim) == kw(5)  # starts from the surplus seen
    sim.step(CLOUDY)
    # One time constant after a step from 5 kW to 1 kW: 1 kW + 4 kW / e.
    avg = average(sim)
    assert avg is not None
    assert abs(avg - (kw(1) + kw(4) * 0.36788)) < 1.0
    sim.step(SiteInput(kw(25), kw(1), inputs_usable=False))
    assert average(sim) is None  # nothing stale is carried over
    sim.step(CLOUDY)
    assert average(sim) == kw(1)


def test_without_the_surplus_window_the_top_up_follows_the_surplus_of_now() -> None:
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    sim.config = replace(DEFAULT, surplus_window_s=0.0)
    sim.step(DARK)
    d = sim.step(SiteInput(kw(25), kw(1), solar_w=kw(3)))
    assert d.chargers["car"].current == 14  # (1380 + 2000) / 230 at once


def test_top_up_rises_only_once_the_surplus_held_for_the_steady_window() -> None:
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    sim.step(DARK)
    bright = SiteInput(kw(25), kw(1), solar_w=kw(3))
    # The minute before had no surplus: the minimum only, for 60 s,
    assert [sim.step(bright).chargers["car"].current for _ in range(5)] == [6] * 5
    # then the 2 kW it has shown for a minute on top.
    assert sim.step(bright).chargers["car"].current == 14


def test_solar_min_top_up_rides_out_surplus_swings() -> None:
    # The surplus swings between 1 and 4 kW every 20 s for an hour: the top-up follows
    # the lowest surplus of the last minute, so the box is written a handful of
    # times, not every swing, and never takes more than the surplus there is.
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    writes = 0
    for i in range(360):
        solar = kw(5) if (i // 2) % 2 else kw(2)
        d = sim.step(SiteInput(kw(25), kw(1), solar_w=solar))
        writes += d.chargers["car"].write
    assert writes <= 8
    # It settles at minimum + the lowest surplus: (1380 + 1000) / 230 = 10.3 A.
    assert sim.chargers["car"].last_command == 10
    # The same run following the surplus of now writes at nearly every swing.
    plain = sim_of(car)
    plain.config = replace(PLAIN, surplus_deadband_a=0)
    plain_writes = 0
    for i in range(360):
        solar = kw(5) if (i // 2) % 2 else kw(2)
        d = plain.step(SiteInput(kw(25), kw(1), solar_w=solar))
        plain_writes += d.chargers["car"].write
    assert plain_writes >= 150


def test_small_top_up_decrease_is_held_a_large_one_written() -> None:
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    site = SiteInput(kw(25), 0.0, solar_w=kw(2))
    for _ in range(3):
        d = sim.step(site)
    assert d.chargers["car"].current == 14  # (1380 + 2000) / 230
    # The surplus drops by 300 W: 1 A less would do; the top-up is held there (not
    # needed for the cap), no write.
    lower = SiteInput(kw(25), 0.0, solar_w=kw(1.7))
    for _ in range(60):
        d = sim.step(lower)
        assert d.chargers["car"].current == 14
        assert not d.chargers["car"].write
    # A drop of 2 A or more is written at once.
    much_lower = SiteInput(kw(25), 0.0, solar_w=kw(1.2))
    assert sim.step(much_lower).chargers["car"].current == 11


def test_decrease_needed_for_the_cap_is_never_held() -> None:
    # The limit leaves 6 kW for the car; lowered, it leaves 3.1 kW. The top-up then
    # drops at once, on a decrease-only step, though the surplus has not moved and
    # the step is within the dead-band.
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    for _ in range(3):
        d = sim.step(SiteInput(kw(4), 0.0, solar_w=kw(2)))
    assert d.chargers["car"].current == 14  # 3220 W
    d = sim.step(SiteInput(kw(1.1), 0.0, solar_w=kw(2)), allow_increase=False)
    assert d.chargers["car"].current == 13  # 3100 W: floor(3100 / 230)
    assert d.chargers["car"].write


def test_held_decrease_never_exceeds_a_lowered_ceiling() -> None:
    car = ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    sim = sim_of(car)
    for _ in range(3):
        sim.step(SiteInput(kw(25), 0.0, solar_w=kw(2)))
    sim.set("car", ceiling=13)
    d = sim.step(SiteInput(kw(25), 0.0, solar_w=kw(2)))
    assert d.chargers["car"].current == 13


def test_no_held_decrease_while_a_charger_is_paused_by_the_cap() -> None:
    # The box holds 15 A where the averaged surplus now gives 14 A. Alone, that top-up
    # is held; with a fast car that cannot get its minimum (paused by the cap), the
    # amps left are not used to hold it.
    top = ChargerInput(id="top", phases=1, max_current=32, mode=Mode.SOLAR_MIN)
    site = SiteInput(kw(2.7), kw(3.3), solar_w=kw(5.3))  # 2 kW surplus, 4.7 kW budget
    for with_fast, expected in ((False, 15), (True, 14)):
        sim = sim_of(top)
        for _ in range(3):
            sim.step(site)
        assert sim.chargers["top"].last_command == 14
        sim.set("top", last_command=15)
        if with_fast:
            sim.chargers["fast"] = ChargerInput(id="fast", phases=3, mode=Mode.FAST)
        d = sim.step(site)
        assert d.chargers["top"].current == expected
        if with_fast:
            assert d.chargers["fast"].current == 0


# Solar starts and stops ---------------------------------------------------------------


def test_first_stop_and_start_of_a_session_follow_the_plain_delays() -> None:
    sim = sim_of(solar_car())
    assert run(sim, SUNNY, 60) == 0
    assert amps(sim.step(SUNNY)) > 0  # 60 s
    stopped_once()


def test_restart_waits_longer_after_each_stop() -> None:
    sim = stopped_once()  # stopped 10 s ago
    # The second start waits 4 x 60 s from the stop.
    assert run(sim, SUNNY, 230) == 0
    assert amps(sim.step(SUNNY)) > 0
    assert sim.state.chargers["car"].solar_stops == 1
    # A second stop needs the average to drop below its share of the minimum now:
    # a deep deficit does that within minutes.
    deep = SiteInput(kw(25), kw(5), solar_w=kw(2))  # -3 kW
    for _ in range(90):
        if not sim.step(deep).chargers["car"].current:
            break
    assert sim.state.chargers["car"].solar_stops == 2
    # The third start waits 16 x 60 s from the stop (a strong sun lifts the
    # average soon enough).
    strong = SiteInput(kw(25), kw(1), solar_w=kw(9))
    assert run(sim, strong, 950) == 0
    assert amps(sim.step(strong)) > 0


def test_restart_delay_is_capped() -> None:
    sim = stopped_once()
    sim.config = replace(
        DEFAULT, solar_restart_backoff=100.0, solar_start_delay_max_s=300
    )
    assert run(sim, SUNNY, 290) == 0
    assert amps(sim.step(SUNNY)) > 0


def test_restart_needs_the_average_to_cover_the_minimum() -> None:
    sim = stopped_once()
    run(sim, DARK, 1800)  # the average falls to about -300 W
    # 2 x 60 s of sun is not enough while the average is far below the minimum,
    assert run(sim, SUNNY, 600) == 0
    # which it reaches (80 % of 4140 W) after about 1030 s of 5 kW.
    assert run(sim, SUNNY, 600) > 0


def test_an_hour_without_surplus_starts_the_count_afresh() -> None:
    sim = stopped_once()
    run(sim, DARK, 3600 - 190)  # an hour since the surplus last covered the minimum
    assert sim.state.chargers["car"].solar_stops == 1
    sim.step(DARK)
    assert sim.state.chargers["car"].solar_stops == 0
    assert run(sim, SUNNY, 60) == 0
    assert amps(sim.step(SUNNY)) > 0  # the plain 60 s again


def test_many_stops_keep_the_delay_at_its_cap() -> None:
    sim = sim_of(solar_car())
    sim.state = EngineState(
        chargers={"car": ChargerState(solar_stops=100_000, solar_stopped_at=0.0)}
    )
    assert run(sim, SUNNY, 1800) == 0
    assert amps(sim.step(SUNNY)) > 0


def test_unplugging_resets_the_stop_count() -> None:
    sim = stopped_once()
    sim.set("car", connected=False)
    sim.step(SUNNY)
    sim.set("car", connected=True)
    assert sim.state.chargers["car"].solar_stops == 0
    assert run(sim, SUNNY, 60) == 0
    assert amps(sim.step(SUNNY)) > 0  # the plain 60 s again


def test_cloud_ridden_out_once_the_session_has_seen_a_stop() -> None:
    sim = stopped_once()
    strong = SiteInput(kw(25), kw(1), solar_w=kw(9))  # 8 kW
    assert run(sim, strong, 5400) > 0
    # A 3 kW cloud: below the 4140 W minimum, but the average stays above 65 % of it,
    # so the car keeps charging past the plain 180 s,
    grey = SiteInput(kw(25), kw(1), solar_w=kw(4))
    assert run(sim, grey, 1800) > 0
    # for at most solar_ride_max_s (1800 s) without the surplus covering its
    # minimum.
    assert sim.step(grey).chargers["car"].current == 0
    assert sim.state.chargers["car"].solar_stops == 2


def test_steady_deficit_after_a_stop_ends_the_ride_out_with_the_average() -> None:
    sim = stopped_once()
    assert run(sim, SUNNY, 5400) > 0
    # -1 kW: the car rides on past the plain 180 s, all of it from the grid, until
    # the grid's share of the session reaches 7 %: before the average (5 kW at the
    # cloud) would fall below 65 % of the minimum (2691 W), after about 440 s.
    t0 = sim.now
    while sim.step(DARK).chargers["car"].current:
        assert sim.now - t0 < 900
    stopped_after = sim.now - 10 - t0
    assert 180 < stopped_after < 440
    kept = sim.state.chargers["car"]
    assert kept.solar_stops == 2
    assert kept.solar_grid_wh > 0.07 * kept.solar_wh


def test_cloudy_hour_after_a_stop_costs_few_cycles() -> None:
    # Long clouds (200-400 s at 1 kW) and sun (100-300 s at 7 kW) for three hours:
    # the plain delays stop and restart the car at nearly every cloud; with the
    # refinement it is stopped half as often at most. (The clouds hold the surplus
    # far under the minimum for most of the time: riding them out would take the
    # grid's share of the session past SPEC §4's 10 %.)
    rng = random.Random(5)
    segments = []
    t = 0.0
    while t < 3 * 3600:
        sun, cloud = rng.uniform(100, 300), rng.uniform(200, 400)
        segments += [(sun, kw(8)), (cloud, kw(2))]
        t += sun + cloud

    def starts(config: EngineConfig) -> int:
        sim = sim_of(solar_car())
        sim.config = config
        count = 0
        on = False
        for length, solar in segments:
            end = sim.now + length
            while sim.now < end:
                now_on = bool(
                    sim.step(SiteInput(kw(25), kw(1), solar)).chargers["car"].current
                )
                count += now_on and not on
                on = now_on
        return count

    plain = EngineConfig(
        solar_restart_backoff=1.0,
        solar_restart_share=0.0,
        solar_ride_share=1e9,
        surplus_smoothing_s=0.0,
    )
    assert starts(plain) >= 12
    # Each restart waits longer after a stop (4 min, 16 min, then 30 min).
    assert starts(DEFAULT) <= 6


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.floats(0, kw(12)),  # solar
            st.floats(0, kw(8)),  # household
            st.sampled_from((1.0, 5.0, 10.0, 30.0)),
            st.booleans(),  # regular step (else decrease-only)
        ),
        min_size=1,
        max_size=80,
    ),
    st.floats(kw(3), kw(20)),
)
def test_swinging_surplus_keeps_every_invariant(
    steps: list[tuple[float, float, float, bool]], limit: float
) -> None:
    # The cap (with the instantaneous inputs), whole amps, write rules and priority
    # are checked on every step by the Sim, held top-ups included.
    sim = sim_of(
        ChargerInput(id="s", mode=Mode.SOLAR),
        ChargerInput(id="m", phases=1, max_current=32, mode=Mode.SOLAR_MIN),
        ChargerInput(id="f", phases=3, max_current=16, mode=Mode.FAST),
    )
    for solar, household, dt, regular in steps:
        sim.step(SiteInput(limit, household, solar), dt=dt, allow_increase=regular)


def test_plain_delays_keep_spec_delays_after_every_stop() -> None:
    """Without the refinements, SPEC §4 holds after any number of stops: 60 s,
    180 s."""
    sim = Sim.of(solar_car())
    sim.config = PLAIN
    for _ in range(3):
        for _ in range(6):
            assert amps(sim.step(SUNNY)) == 0  # 0 to 50 s of surplus
        assert amps(sim.step(SUNNY)) > 0  # started at 60 s
        for _ in range(18):
            assert amps(sim.step(DARK)) > 0  # deficit for 0 to 170 s
        assert amps(sim.step(DARK)) == 0  # stopped at 180 s


def test_no_ride_out_once_the_grid_share_of_the_session_is_used_up() -> None:
    # Sun after the stop, the car restarted 4 minutes later: the 180 s of the stop
    # delay at the minimum already take the grid's share of the session past 7 %,
    # so the car stops at 180 s, though the average would still let it ride.
    sim = stopped_once()
    assert run(sim, SUNNY, 250) > 0
    kept = sim.state.chargers["car"]
    assert kept.solar_wh > 0
    t0 = sim.now
    while sim.step(CLOUDY).chargers["car"].current:
        assert sim.now - t0 < 900
    assert sim.now - 10 - t0 == 180
    kept = sim.state.chargers["car"]
    assert kept.solar_grid_wh > 0.07 * kept.solar_wh
