"""Few starts, stops and writes: increases follow the highest load since the last
regular cycle, a paused car restarts only once its minimum fits with a margin (or
has fitted for the restart window), a car that started keeps its place in the
rotation for min_on_s, and a full car paused by the cap waits for its next offer.
Decreases always follow the site of now (the cap, checked by the Sim)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from custom_components.smart_charging.engine import (
    ChargerInput,
    EngineConfig,
    EngineState,
    SiteInput,
)
from custom_components.smart_charging.engine.budget import site_budget, steady_net_w

from .helpers import Sim, kw

LIMIT = kw(20)
MIN_W = 6 * 230.0 * 3  # 4140 W


def two_cars() -> Sim:
    return Sim.of(ChargerInput(id="a"), ChargerInput(id="b"))


def site(household_w: float) -> SiteInput:
    return SiteInput(grid_limit_w=LIMIT, household_w=household_w)


def test_increases_follow_the_highest_load_since_the_last_cycle() -> None:
    sim = Sim.of(ChargerInput(id="a"))
    for _ in range(3):
        sim.step(site(kw(12)))  # 8 kW: 11 A
    assert sim.chargers["a"].last_command == 11
    # The household jitters up 1.4 kW between two cycles: lowered at once, on a
    # decrease-only step,
    d = sim.step(site(kw(13.4)), dt=5.0, allow_increase=False)
    assert d.chargers["a"].current == 9
    # and down 2.8 kW at the next report: the cycle after it does not follow the
    # dip past what the last 10 s allowed.
    d = sim.step(site(kw(10.6)), dt=5.0)
    assert d.chargers["a"].current == 9
    # Steady at 12 kW: back to 11 A at the next cycle (SPEC §5 rule 4).
    sim.step(site(kw(12)))
    assert sim.step(site(kw(12))).chargers["a"].current == 11


def jittering(sim: Sim, mean_w: float, steps: int) -> None:
    """Regular cycles on a meter that reads 600 W above and below `mean_w` in turn."""
    for i in range(steps):
        sim.step(site(mean_w + (600.0 if i % 2 else -600.0)))


def test_a_jittering_meter_low_reading_moves_no_setpoint_up() -> None:
    sim = Sim.of(ChargerInput(id="a"))
    jittering(sim, kw(12), 40)
    held = sim.chargers["a"].last_command
    assert held is not None
    # A low reading within the jitter: the next one is as likely high, so the
    # cycle after it does not follow it up,
    assert sim.step(site(kw(12) - 1100.0)).chargers["a"].current == held
    # though it follows a real drop (far beyond the jitter) at the next cycle.
    jittering(sim, kw(12), 4)
    assert sim.step(site(kw(6))).chargers["a"].current == 16


def test_on_a_jittering_meter_a_rise_goes_as_far_as_the_jitters_high_allows() -> None:
    sim = Sim.of(ChargerInput(id="a"))
    jittering(sim, kw(14.5), 30)
    assert sim.chargers["a"].last_command == 7  # 20 - 15.1 kW: 4.9 kW
    # The load settles 2.5 kW lower, still jittering: once the old readings have
    # left the jitter window, the car rises as far as the new high (12.6 kW) allows,
    # 10 A, not to what a low reading (11.4 kW) would give, 12 A.
    jittering(sim, kw(12), 4)
    assert sim.step(site(kw(11.4))).chargers["a"].current == 10


def test_a_real_drop_on_a_quiet_meter_is_followed_at_the_next_cycle() -> None:
    # A meter reporting every 10 s, +-30 W, and a 2 kW kettle for a minute: once it
    # is off, the next cycle follows (SPEC §5 rule 4), the kettle's own steps do
    # not count as the meter's jitter.
    sim = Sim.of(ChargerInput(id="a"))
    jitter = 30.0
    for i in range(7):
        sim.step(site(kw(12) + (jitter if i % 2 else -jitter)))
    for i in range(6):
        sim.step(site(kw(14) + (jitter if i % 2 else -jitter)))
    assert sim.chargers["a"].last_command == 8  # 6 kW left
    assert sim.step(site(kw(12))).chargers["a"].current == 11  # 8 kW left


def test_a_still_meter_low_reading_is_followed_at_the_next_cycle() -> None:
    sim = Sim.of(ChargerInput(id="a"))
    for _ in range(40):
        sim.step(site(kw(12.6)))
    held = sim.chargers["a"].last_command
    assert held is not None
    sim.step(site(kw(12) - 1100.0))
    assert sim.step(site(kw(12) - 1100.0)).chargers["a"].current == held + 3


def test_a_paused_car_restarts_once_its_minimum_fitted_with_a_margin() -> None:
    sim = two_cars()
    # Two minimums of 4.14 kW and a margin: both start.
    for _ in range(3):
        sim.step(site(LIMIT - 2 * MIN_W - 3000))
    assert all(sim.amps().values())
    # 300 W short: one is paused at once.
    d = sim.step(site(LIMIT - 2 * MIN_W + 300), allow_increase=False)
    assert [c.current or 0 for c in d.chargers.values()].count(0) == 1
    # Room again, but less than its margin (4 A: 2760 W) to spare, and for less
    # than the restart window: it stays paused,
    restart = EngineConfig().restart_window_s
    for _ in range(int(restart / 10) - 1):
        d = sim.step(site(LIMIT - 2 * MIN_W - 500))
        assert [c.current or 0 for c in d.chargers.values()].count(0) == 1
    # until that room has held for the restart window,
    sim.step(site(LIMIT - 2 * MIN_W - 500))
    d = sim.step(site(LIMIT - 2 * MIN_W - 500))
    assert all(c.current for c in d.chargers.values())
    # or at once with the margin to spare.
    d = sim.step(site(LIMIT - 2 * MIN_W + 300), allow_increase=False)
    assert [c.current or 0 for c in d.chargers.values()].count(0) == 1
    d = sim.step(site(LIMIT - 2 * MIN_W - 2800))
    assert all(c.current for c in d.chargers.values())


def test_on_a_jittering_meter_a_low_reading_restarts_no_paused_car_at_once() -> None:
    sim = two_cars()
    for _ in range(3):
        sim.step(site(kw(5)))
    assert all(sim.amps().values())
    # 2.5 kW to spare on average, 1.9 kW at the meter's high: both go on.
    mean = LIMIT - 2 * MIN_W - 2500
    jittering(sim, mean, 40)
    assert all(sim.amps().values())
    d = sim.step(site(LIMIT - 2 * MIN_W + 300), allow_increase=False)
    assert [c.current or 0 for c in d.chargers.values()].count(0) == 1
    # A low reading leaves its margin (4 A: 2760 W) to spare, the next high one
    # does not: it waits for the restart window instead of a start and a stop,
    restart = EngineConfig().restart_window_s
    for i in range(int(restart / 10) - 2):
        sim.step(site(mean + (600.0 if i % 2 else -600.0)))
        assert list(sim.amps().values()).count(0) == 1
    # and restarts once its minimum has fitted for that long.
    jittering(sim, mean, 4)
    assert all(sim.amps().values())


def test_a_car_that_started_keeps_its_place_in_the_rotation_for_min_on() -> None:
    # Room for one minimum and its margin: the two cars take turns, each run
    # lasting at least min_on_s (the rotation period alone would swap them sooner).
    config = replace(EngineConfig(), rotation_period_s=60.0, min_on_s=1200.0)
    sim = two_cars()
    sim.config = config
    runs: list[tuple[str, float]] = []
    for _ in range(1000):
        d = sim.step(site(LIMIT - MIN_W - 2100))
        on = [cid for cid, c in d.chargers.items() if c.current]
        assert len(on) <= 1
        if on and (not runs or runs[-1][0] != on[0]):
            runs.append((on[0], sim.now))
    assert len(runs) >= 3  # they do take turns
    lengths = [b[1] - a[1] for a, b in pairwise(runs)]
    assert min(lengths) >= config.min_on_s


def test_a_full_car_paused_by_the_cap_waits_for_its_next_offer() -> None:
    full = ChargerInput(id="full", measured_power_w=0.0)
    sim = Sim.of(full)
    for _ in range(12):  # offered, draws nothing: taken as full
        sim.step(site(kw(10)))
    assert sim.state.chargers["full"].demand.full_since is not None
    assert sim.chargers["full"].last_command == 6  # kept at its minimum
    sim.step(site(LIMIT - 100))  # the cap pauses it
    assert sim.chargers["full"].last_command == 0
    # Room again: not offered again at once (each offer is a start of the box).
    for _ in range(20):
        assert not sim.step(site(kw(10))).chargers["full"].current


def test_a_limit_that_moves_counts_in_the_restart_window() -> None:
    # A cap that moves (a capacity tariff's quarter, §14a dimming) moves the limit,
    # not the load: a car it paused restarts only once its minimum has fitted
    # under the limit for the restart window too (or with the margin to spare).
    sim = Sim.of(ChargerInput(id="a"))
    household = kw(5)
    for _ in range(3):
        sim.step(SiteInput(grid_limit_w=household + 3 * MIN_W, household_w=household))
    assert sim.chargers["a"].last_command
    low = SiteInput(grid_limit_w=household + MIN_W - 500, household_w=household)
    assert sim.step(low, allow_increase=False).chargers["a"].current == 0
    # Room for the minimum and 2 A, less than the margin: paused for the window.
    back = SiteInput(grid_limit_w=household + MIN_W + 1400, household_w=household)
    restart = EngineConfig().restart_window_s
    steps = int(restart / 10) - 1
    currents = [sim.step(back).chargers["a"].current for _ in range(steps)]
    assert set(currents) == {0}
    assert sim.step(back).chargers["a"].current  # 300 s after the low limit


def test_caps_set_on_the_net_load_see_the_same_steady_net_as_the_budget() -> None:
    # A history whose oldest steps fall out of what the engine keeps: the frame a
    # dimming or capacity cap is set in is the net load the budget follows, so the
    # cap holds exactly.
    config = EngineConfig()
    recent = tuple(
        (
            float(t * 10),
            4000.0 + (2000.0 if t in (1,) else 0.0) + 5.0 * (t % 2),
            0.0,
            LIMIT,
        )
        for t in range(40)
    )
    state = EngineState(recent=recent, last_time=390.0)
    now, net_w = 400.0, 3000.0
    budget = site_budget(site(net_w), [], state, now, config)
    assert steady_net_w(state, now, net_w, config) == LIMIT - budget.steady_budget_w
