"""The seed's worked examples, with their numbers (SPEC §1)."""

from __future__ import annotations

from custom_components.smart_charging.engine import (
    ChargerInput,
    Mode,
    Profile,
    SiteInput,
    Status,
)

from .helpers import PLAIN, Sim, kw, watts

CONTRACT = kw(36)
HOUR = 3600.0


def fast_chargers(n: int) -> list[ChargerInput]:
    return [ChargerInput(id=f"ev{i}", phases=3, max_current=32) for i in range(n)]


def fleet() -> Sim:
    premium = ChargerInput(
        id="premium", phases=3, max_current=32, profile=Profile.PREMIUM
    )
    standard = [
        ChargerInput(id=f"std{i}", phases=3, max_current=32, profile=Profile.STANDARD)
        for i in range(2)
    ]
    return Sim.of(premium, *standard)


def test_daytime_three_chargers_share_16_kw() -> None:
    sim = Sim.of(*fast_chargers(3))
    d = sim.step(SiteInput(grid_limit_w=CONTRACT, household_w=kw(20)))
    powers = [d.chargers[f"ev{i}"].power_w for i in range(3)]
    assert d.budget_w == kw(16)
    assert sum(powers) <= kw(16)
    assert sum(powers) > kw(16) - watts(1, 3)  # less than one amp step left over
    for p in powers:
        assert kw(4.8) <= p <= kw(5.6)  # "about 5.3 kW each"
    assert max(powers) - min(powers) <= watts(1, 3)
    assert all(d.chargers[f"ev{i}"].status is Status.CHARGING for i in range(3))


def test_night_three_chargers_share_26_kw() -> None:
    sim = Sim.of(*fast_chargers(3))
    d = sim.step(SiteInput(grid_limit_w=CONTRACT, household_w=kw(10)))
    powers = [d.chargers[f"ev{i}"].power_w for i in range(3)]
    assert d.budget_w == kw(26)
    assert sum(powers) <= kw(26)
    assert sum(powers) > kw(26) - watts(1, 3)
    for p in powers:
        assert kw(8.1) <= p <= kw(9.0)  # "about 8.6 kW each"
    assert max(powers) - min(powers) <= watts(1, 3)


def test_day_to_night_to_day_follows_the_household() -> None:
    sim = Sim.of(*fast_chargers(3))
    sim.config = PLAIN  # the rise at night at once, without the steady window
    day = SiteInput(grid_limit_w=CONTRACT, household_w=kw(20))
    night = SiteInput(grid_limit_w=CONTRACT, household_w=kw(10))
    assert sum(sim.step(day).chargers[c].power_w for c in sim.chargers) <= kw(16)
    assert sum(sim.step(night).chargers[c].power_w for c in sim.chargers) > kw(25)
    # The load comes back: a decrease-only step must already bring the site under.
    d = sim.step(day, allow_increase=False)
    assert sum(d.chargers[c].power_w for c in sim.chargers) <= kw(16)


def test_fleet_premium_full_and_standard_at_7_kw_when_they_fit() -> None:
    sim = fleet()
    site = SiteInput(grid_limit_w=CONTRACT, household_w=kw(0.1), standard_max_w=kw(7))
    d = sim.step(site)
    assert d.chargers["premium"].current == 32
    assert d.chargers["premium"].power_w == watts(32, 3)  # 22 kW
    for cid in ("std0", "std1"):
        assert d.chargers[cid].current == 10  # 6.9 kW: the most under 7 kW
        assert d.chargers[cid].power_w <= kw(7)
    assert sum(c.power_w for c in d.chargers.values()) <= kw(36) - kw(0.1)


def test_fleet_premium_served_first_when_standard_do_not_fit() -> None:
    # 26 kW: premium takes its 22 kW, the 3.9 kW left is under one standard minimum.
    sim = fleet()
    site = SiteInput(grid_limit_w=CONTRACT, household_w=kw(10), standard_max_w=kw(7))
    d = sim.step(site)
    assert d.chargers["premium"].current == 32
    for cid in ("std0", "std1"):
        assert d.chargers[cid].current == 0
        assert d.chargers[cid].status is Status.PAUSED_BY_CAP


def test_fleet_premium_takes_what_there_is_under_a_high_load() -> None:
    # 16 kW for a 22 kW premium charger: it gets all of it, standard nothing.
    sim = fleet()
    site = SiteInput(grid_limit_w=CONTRACT, household_w=kw(20), standard_max_w=kw(7))
    d = sim.step(site)
    assert d.chargers["premium"].current == 23  # floor(16000 / 690)
    assert d.chargers["std0"].current == d.chargers["std1"].current == 0


def test_fleet_standard_share_what_premium_leaves() -> None:
    # 31 kW: 22.08 kW premium, 8.92 kW left: both standard at their 6 A minimum.
    sim = fleet()
    sim.config = PLAIN  # both start at once, without the restart margin
    site = SiteInput(grid_limit_w=CONTRACT, household_w=kw(5), standard_max_w=kw(7))
    d = sim.step(site)
    assert d.chargers["premium"].current == 32
    assert d.chargers["std0"].current == d.chargers["std1"].current == 6


def test_off_peak_charger_waits_from_18h_and_starts_at_02h() -> None:
    car = ChargerInput(id="car", phases=3, max_current=32, mode=Mode.OFF_PEAK)
    sim = Sim.of(car, now=18 * HOUR)
    site = SiteInput(grid_limit_w=CONTRACT, household_w=kw(2), solar_w=0.0)
    statuses = set()
    while sim.now < 26 * HOUR:  # 18:00 to 02:00 the next day, every 10 s
        d = sim.step(site, dt=10.0)
        statuses.add(d.chargers["car"].status)
        assert d.chargers["car"].current == 0
    assert statuses == {Status.WAITING_FOR_OFF_PEAK}
    assert sim.chargers["car"].last_command == 0

    on = SiteInput(grid_limit_w=CONTRACT, household_w=kw(2), offpeak=True)
    d = sim.step(on, dt=10.0)
    assert d.chargers["car"].current == 32  # full power at once
    assert d.chargers["car"].write
    assert d.chargers["car"].status is Status.CHARGING
    for _ in range(360):  # and keeps it through the first hour
        assert sim.step(on, dt=10.0).chargers["car"].current == 32
