"""A scenario per pain point of the peers (reference/peers.md items 1, 2, 4, 5)."""

from __future__ import annotations

import random

from custom_components.smart_charging.engine import (
    ChargerInput,
    Mode,
    Profile,
    SiteInput,
    Status,
)

from .helpers import Sim, commanded_w, kw, watts

HOUR = 3600.0


def count_cycles(sim: Sim, cid: str) -> tuple[int, int]:
    """Starts and stops of one charger over the recorded history."""
    starts = stops = 0
    on = False
    for d in sim.history:
        now_on = bool(d.chargers[cid].current)
        starts += now_on and not on
        stops += on and not now_on
        on = now_on
    return starts, stops


def cloudy_solar(rng: random.Random, seconds: float) -> list[tuple[float, float]]:
    """(duration, solar W) segments: sun and cloud alternating every 30-150 s."""
    segments: list[tuple[float, float]] = []
    t = 0.0
    sunny = True
    while t < seconds:
        length = rng.uniform(30.0, 150.0)
        solar = rng.uniform(kw(5.5), kw(9)) if sunny else rng.uniform(0.0, kw(3))
        segments.append((length, solar))
        t += length
        sunny = not sunny
    return segments


def run_segments(
    sim: Sim, segments: list[tuple[float, float]], household: float = kw(0.5)
) -> None:
    for length, solar in segments:
        end = sim.now + length
        while sim.now < end:
            sim.step(SiteInput(kw(25), household, solar), dt=10.0)


# 1. Flapping ------------------------------------------------------------------------


def test_cloudy_day_does_not_flap() -> None:
    # Three hours of clouds passing every 30-150 s, sampled every 10 s. No gap lasts
    # the 180 s a stop needs, so the car starts once and is never stopped.
    rng = random.Random(7)
    sim = Sim.of(ChargerInput(id="car", phases=3, max_current=16, mode=Mode.SOLAR))
    segments = cloudy_solar(rng, 3 * HOUR)
    run_segments(sim, segments)
    starts, stops = count_cycles(sim, "car")
    assert starts == 1
    assert stops == 0
    # The current follows the sun (on top of the minimum) without ever pausing.
    currents = {d.chargers["car"].current for d in sim.history[10:]}
    assert 0 not in currents
    assert len(currents) > 1


def test_long_cloudy_gaps_bound_cycles_by_the_hysteresis() -> None:
    # Gaps of 200-400 s do stop it; still each cycle costs >= 60 s + 180 s, so three
    # hours hold at most 3 h / 240 s cycles, and far fewer with these long segments.
    rng = random.Random(3)
    sim = Sim.of(ChargerInput(id="car", phases=3, max_current=16, mode=Mode.SOLAR))
    segments = []
    t = 0.0
    while t < 3 * HOUR:
        sun, cloud = rng.uniform(30, 400), rng.uniform(200, 400)
        segments += [(sun, kw(7)), (cloud, kw(1))]
        t += sun + cloud
    run_segments(sim, segments)
    starts, stops = count_cycles(sim, "car")
    assert 1 <= starts <= 3 * HOUR / 240.0
    # Each stop needed 180 s of cloud, each start 60 s of sun: count those directly.
    long_clouds = sum(
        1 for length, solar in segments if solar < kw(5) and length >= 180
    )
    long_suns = sum(1 for length, solar in segments if solar > kw(5) and length >= 60)
    assert stops <= long_clouds
    assert starts <= long_suns


def test_one_cars_surplus_starts_one_car_only() -> None:
    # 6 kW of surplus covers one 4.14 kW minimum, not two: only one car starts, and
    # neither is later stopped for the other.
    sim = Sim.of(
        ChargerInput(id="a", phases=3, mode=Mode.SOLAR),
        ChargerInput(id="b", phases=3, mode=Mode.SOLAR),
    )
    rng = random.Random(1)
    for _ in range(360):  # an hour, surplus wobbling between 5 and 7 kW
        sim.step(SiteInput(kw(25), kw(0.5), rng.uniform(kw(5.5), kw(7.5))), dt=10.0)
    a, b = count_cycles(sim, "a"), count_cycles(sim, "b")
    assert sorted([a, b]) == [(0, 0), (1, 0)]
    waiting = "b" if a == (1, 0) else "a"
    assert sim.history[-1].chargers[waiting].status is Status.WAITING_FOR_SOLAR


def test_whole_amps_only_no_tenths() -> None:
    sim = Sim.of(ChargerInput(id="car", phases=1, max_current=32, mode=Mode.SOLAR_MIN))
    for solar in range(0, 8000, 37):
        d = sim.step(SiteInput(kw(25), 0.0, float(solar)))
        current = d.chargers["car"].current
        assert isinstance(current, int)
        assert current == 0 or current >= 6
        # Its minimum from the grid, the surplus on top: never more.
        assert current * 230.0 <= solar + 6 * 230.0


# 2. Limit exceeded / 5. Fairness on arrival -------------------------------------------


def test_new_car_gets_a_fair_share_without_overshoot() -> None:
    site = SiteInput(grid_limit_w=kw(36), household_w=kw(14))  # 22 kW for the cars
    cars = [ChargerInput(id=f"ev{i}", max_current=32) for i in range(3)]
    sim = Sim.of(*cars)
    sim.set("ev2", connected=False)
    for _ in range(5):
        sim.step(site)
    # 11 kW each: 15 A, and the amp left over to one of them.
    assert sorted(sim.amps().values(), key=lambda a: a or 0) == [0, 15, 16]

    sim.set("ev2", connected=True)
    for step in range(12):
        # Load-change steps (decreases only) interleave with regular cycles.
        before = {cid: c.last_command or 0 for cid, c in sim.chargers.items()}
        d = sim.step(site, allow_increase=step % 2 == 1)
        after = dict(before)
        # Apply the writes one by one, as the coordinator does: once the decreases
        # are written, no prefix of the increases puts the site over the limit.
        decreases_done = False
        for cid in d.write_order:
            after[cid] = d.chargers[cid].current or 0
            if after[cid] > before[cid]:
                decreases_done = True
            if decreases_done or all(after[c] <= before[c] for c in after):
                total = sum(watts(a, 3) for a in after.values())
                assert total <= kw(22)
        assert commanded_w(d, sim.chargers.values(), 230.0) <= kw(22)
    final = [sim.chargers[f"ev{i}"].last_command or 0 for i in range(3)]
    assert min(final) >= 10  # 22 kW / 3 = 7.3 kW = 10.6 A each
    assert max(final) - min(final) <= 1


def test_decrease_only_step_already_respects_a_load_jump() -> None:
    sim = Sim.of(*(ChargerInput(id=f"ev{i}", max_current=32) for i in range(2)))
    sim.step(SiteInput(kw(36), kw(6)))
    assert sorted(a or 0 for a in sim.amps().values()) == [21, 22]  # 30 kW shared
    d = sim.step(SiteInput(kw(36), kw(27)), allow_increase=False)  # kettle, oven...
    assert commanded_w(d, sim.chargers.values(), 230.0) <= kw(9)
    assert all(d.chargers[cid].write for cid in ("ev0", "ev1"))


# 4. Unavailable / stale sensors -------------------------------------------------------


def test_lost_meter_goes_to_failsafe_and_never_increases() -> None:
    sim = Sim.of(
        ChargerInput(id="a", max_current=32),
        ChargerInput(id="b", max_current=32, mode=Mode.SOLAR_MIN),
        ChargerInput(id="c", max_current=32, mode=Mode.SOLAR),
    )
    good = SiteInput(kw(36), kw(2), solar_w=kw(8), failsafe_current=8)
    for _ in range(20):
        sim.step(good)
    before = dict(sim.amps())
    assert all(before[c] for c in ("a", "b", "c"))

    lost = SiteInput(kw(36), 0.0, inputs_usable=False, failsafe_current=8)
    previous = dict(before)
    for _ in range(120):  # twenty minutes without a meter
        d = sim.step(lost)
        assert d.failsafe
        for cid, decision in d.chargers.items():
            assert decision.status is Status.FAILSAFE
            assert decision.current is not None
            assert decision.current <= 8
            assert decision.current <= (previous[cid] or 0)
        previous = dict(sim.amps())
    # a drops to the failsafe 8 A; b and c were at 6 A and are not raised to 8.
    assert previous == {"a": 8, "b": 6, "c": 6}

    # Back: normal sharing resumes.
    d = sim.step(good)
    assert not d.failsafe
    assert (d.chargers["a"].current or 0) > 8


def test_failsafe_respects_the_last_known_load_lowest_priority_first() -> None:
    sim = Sim.of(
        ChargerInput(id="std", max_current=16),
        ChargerInput(id="prem", max_current=16, profile=Profile.PREMIUM),
        ChargerInput(id="guest", enabled=False, measured_power_w=0.0),
    )
    sim.step(SiteInput(kw(36), kw(20)))
    assert sim.amps() == {"std": 7, "prem": 16, "guest": None}
    # The meter is lost and a charger the integration leaves alone starts drawing
    # 11 kW: 36 - 20 - 11 = 5 kW is left, one 6 A three-phase failsafe current.
    sim.set("guest", measured_power_w=kw(11))
    d = sim.step(SiteInput(kw(36), 0.0, inputs_usable=False, failsafe_current=6))
    assert d.chargers["prem"].current == 6
    assert d.chargers["std"].current == 0
    assert d.chargers["guest"].current is None
    assert d.budget_w == kw(5)


def test_restart_without_a_meter_pauses_until_one_reading() -> None:
    # No household was ever seen: nothing can be shown to fit, so nothing charges.
    sim = Sim.of(ChargerInput(id="a", max_current=32))
    d = sim.step(SiteInput(kw(36), 0.0, inputs_usable=False))
    assert d.chargers["a"].current == 0
    assert d.chargers["a"].status is Status.FAILSAFE
    assert d.budget_w == 0.0
    d = sim.step(SiteInput(kw(36), kw(10)))
    assert d.chargers["a"].current == 32  # not stuck once the meter is back


# 5. Fairness: a paused car is not starved ---------------------------------------------


def test_three_cars_budget_for_two_all_get_served() -> None:
    # 11 kW fits two 6 A three-phase minimums (8.28 kW), not three (12.42 kW).
    sim = Sim.of(*(ChargerInput(id=f"ev{i}", max_current=16) for i in range(3)))
    site = SiteInput(grid_limit_w=kw(11), household_w=0.0)
    served = dict.fromkeys(sim.chargers, 0.0)
    hours = 4
    for _ in range(int(hours * HOUR / 10)):
        d = sim.step(site, dt=10.0)
        charging = [cid for cid, c in d.chargers.items() if c.current]
        assert len(charging) == 2
        for cid in charging:
            served[cid] += 10.0
        for c in d.chargers.values():
            if not c.current:
                assert c.status is Status.PAUSED_BY_CAP
    total = hours * HOUR
    for cid, seconds in served.items():
        # Two thirds each is ideal; the rotation period makes it swing around that.
        assert seconds >= 0.55 * total, (cid, seconds)
    # A swap every rotation period or so, not every cycle.
    swaps = sum(count_cycles(sim, cid)[1] for cid in sim.chargers)
    assert 4 <= swaps <= total / sim.config.rotation_period_s + 3
