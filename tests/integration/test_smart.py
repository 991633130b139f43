"""`smart` mode through Home Assistant: planned in the cheapest hours, ready by the
departure, sharing a tight connection, telling when a target cannot be met, and
falling back when the forecast is broken."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    set_target,
    settle,
    setup_wallboxes,
    state_of,
    tick,
    wallbox_current,
)

PRICES = "sensor.energy_price"
VOLTS = 230 * 3


def hourly_prices(start: datetime, hours: int) -> list[dict[str, Any]]:
    """Dear evening (17-21 h), cheap night (01-05 h), middling otherwise."""

    def price(hour: int) -> float:
        if 17 <= hour <= 20:
            return 0.40
        if 1 <= hour <= 4:
            return 0.05
        return 0.20

    return [
        {"time": (t := start + timedelta(hours=h)).isoformat(), "price": price(t.hour)}
        for h in range(hours)
    ]


async def smart_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    cars: int = 1,
    *,
    power_sensors: bool = False,
    energy_kwh: float | None = None,
    departure: str = "07:00:00",
    at_hour: float = 18,
    **site: Any,
) -> tuple[Any, list[str]]:
    """A site at `at_hour` local with `cars` plugged-in cars in smart mode; with
    `power_sensors`, each box's draw is measured by sensor.<name>_power; with
    `energy_kwh`, each car's target by `departure` (set before its mode)."""
    start = dt_util.start_of_local_day(dt_util.now()) + timedelta(hours=at_hour)
    freezer.move_to(start)
    names = [f"wb{i}" for i in range(1, cars + 1)]
    await setup_wallboxes(hass, *names)
    await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {f"{n}_plug": {"initial": True} for n in names}},
    )
    power_state(hass, HOUSEHOLD, 2000)
    day = dt_util.start_of_local_day(start)
    hass.states.async_set(
        PRICES,
        "0.40",
        {
            "unit_of_measurement": "EUR/kWh",
            "prices_today": hourly_prices(day, 24),
            "prices_tomorrow": hourly_prices(day + timedelta(days=1), 24),
        },
    )
    entry = await site_entry_factory(
        [
            charger_data(
                f"Car {i}",
                f"input_number.{name}",
                connected_entity=f"input_boolean.{name}_plug",
                **({"power_entity": f"sensor.{name}_power"} if power_sensors else {}),
            )
            for i, name in enumerate(names, start=1)
        ],
        price_entity=PRICES,
        stale_after_s=0,  # the household holds still through the night
        **site,
    )
    cids = list(entry.subentries)
    devices = dr.async_get(hass)
    for cid in cids:
        device = devices.async_get_device_by_identifier((DOMAIN, cid), entry.entry_id)
        assert device is not None
        if energy_kwh is not None:
            await set_target(hass, cid, departure=departure, energy_kwh=energy_kwh)
        target = {"device_id": device.id}
        await hass.services.async_call(
            DOMAIN, "set_mode", {"mode": "smart"}, target=target, blocking=True
        )
    await settle(hass)
    return entry, names


class Recorder:
    """When each wallbox was told to charge, and the highest total seen."""

    def __init__(self, hass: HomeAssistant, names: list[str]) -> None:
        self.hass = hass
        self.names = names
        self.charging_at: list[datetime] = []
        self.most_w = 0.0
        hass.bus.async_listen("state_changed", self._on_change)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        if not event.data["entity_id"].startswith("input_number."):
            return
        total = sum(wallbox_current(self.hass, n) for n in self.names) * VOLTS
        self.most_w = max(self.most_w, total)
        new = event.data["new_state"]
        if new is not None and float(new.state) > 0:
            self.charging_at.append(dt_util.now())


async def run_until(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime
) -> None:
    """Regular cycles, 5 minutes apart, until `until`."""
    while dt_util.now() < until:
        await tick(hass, freezer, 300)


@pytest.mark.parametrize(("sun_w", "start_hour"), [(3000, 14), (8000, 10)])
async def test_the_plan_counts_on_the_sun_read_above_its_forecast(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    sun_w: int,
    start_hour: int,
) -> None:
    # 3 kW of sun forecast all day over a 2 kW household: 1 kW of surplus, under
    # the car's 4.14 kW minimum, so the plan waits for the cheap hours (14-16 h).
    # Read at 8 kW for a quarter hour, the sun lifts the coming hours' forecast
    # (by at most the 3 kW expected): the car is planned from now, on the surplus
    # but for a few hundred watts.
    day = dt_util.start_of_local_day(dt_util.now())
    hass.states.async_set(
        "sensor.solar_forecast",
        "24",
        {
            "wh_period": {
                (day + timedelta(hours=h)).isoformat(): 3000 for h in range(6, 20)
            }
        },
    )
    power_state(hass, "sensor.solar", sun_w)
    entry, _ = await smart_site(
        hass,
        freezer,
        site_entry_factory,
        energy_kwh=6,
        departure="16:00:00",
        at_hour=9.5,
        solar_power_entity="sensor.solar",
        solar_forecast_entity="sensor.solar_forecast",
    )
    cheap = {14, 15}
    hass.states.async_set(
        PRICES,
        "0.30",
        {
            "unit_of_measurement": "EUR/kWh",
            "prices_today": [
                {
                    "time": (day + timedelta(hours=h)).isoformat(),
                    "price": 0.05 if h in cheap else 0.30,
                }
                for h in range(24)
            ],
        },
    )
    cid = next(iter(entry.subentries))
    await run_until(hass, freezer, day + timedelta(hours=10, minutes=1))

    planned = state_of(hass, find_entity(hass, "sensor", f"{cid}_planned_start"))
    start = dt_util.parse_datetime(planned.state)
    assert start is not None
    assert dt_util.as_local(start).hour == start_hour


async def test_a_smart_car_waits_then_charges_in_the_cheapest_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry, names = await smart_site(hass, freezer, site_entry_factory)
    cid = next(iter(entry.subentries))
    recorder = Recorder(hass, names)
    await tick(hass, freezer, 10)
    await tick(hass, freezer, 10)

    assert (
        state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state
        == "scheduled"
    )
    assert wallbox_current(hass, "wb1") == 0
    planned = state_of(hass, find_entity(hass, "sensor", f"{cid}_planned_start"))
    night = dt_util.start_of_local_day(dt_util.now()) + timedelta(days=1)
    assert dt_util.parse_datetime(planned.state) == night + timedelta(hours=1)
    assert planned.attributes["reachable"] is True
    schedule = planned.attributes["schedule"]
    assert sum(
        (
            dt_util.parse_datetime(b["end"]) - dt_util.parse_datetime(b["start"])
        ).total_seconds()
        / 3600
        * b["power_w"]
        for b in schedule
    ) == pytest.approx(20_000, rel=0.01)

    await run_until(hass, freezer, night + timedelta(hours=7))
    assert recorder.charging_at
    assert all(
        night + timedelta(hours=1) <= t <= night + timedelta(hours=5)
        for t in recorder.charging_at
    )
    energy = float(
        state_of(hass, find_entity(hass, "sensor", f"{cid}_session_energy")).state
    )
    assert energy >= 20.0


@pytest.mark.parametrize(("energy_kwh", "probed"), [(10, False), (20, True)])
async def test_a_car_ready_on_time_on_one_phase_is_not_started_at_plug_in(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    energy_kwh: float,
    probed: bool,
) -> None:
    """By 07:00 from 18:00, cheap from 01:00: 10 kWh are ready from the cheap
    hours even if the car draws on one phase, so the box waits for them (no start
    and stop at plug-in). 20 kWh are not (6 h at 3.7 kW, a fifth to spare): the
    box shows what the car takes first."""
    power_state(hass, "sensor.wb1_power", 0)
    entry, _ = await smart_site(
        hass, freezer, site_entry_factory, power_sensors=True, energy_kwh=energy_kwh
    )
    cid = next(iter(entry.subentries))
    await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == (32 if probed else 0)
    if probed:
        return
    for _ in range(3):
        await tick(hass, freezer, 10)
        assert wallbox_current(hass, "wb1") == 0
    assert state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state == (
        "scheduled"
    )


async def test_a_smart_car_shows_what_it_takes_before_it_is_planned(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """An 11 kW car on a 22 kW box, 55 kWh by 07:00 (more than one phase at 16 A
    gives by then): charged at the box's full power at plug-in until its draw
    shows it takes 16 A, then planned at what it takes (a plan on the box's power
    would count on twice the car's and end short)."""
    power_state(hass, "sensor.wb1_power", 0)
    entry, _ = await smart_site(hass, freezer, site_entry_factory, power_sensors=True)
    cid = next(iter(entry.subentries))
    await set_target(hass, cid, departure="07:00:00", energy_kwh=55)
    await tick(hass, freezer, 10)  # planned again for the new target
    await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == 32
    assert state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state == (
        "charging"
    )

    power_state(hass, "sensor.wb1_power", 16 * VOLTS)  # its own charger's limit
    for _ in range(8):
        await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == 0
    power_state(hass, "sensor.wb1_power", 0)
    await tick(hass, freezer, 10)
    assert state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state == (
        "scheduled"
    )
    planned = state_of(hass, find_entity(hass, "sensor", f"{cid}_planned_start"))
    powers = [block["power_w"] for block in planned.attributes["schedule"]]
    assert powers
    assert max(powers) <= 16 * VOLTS * 1.1


async def test_two_smart_cars_on_a_tight_connection_are_both_ready(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    # 15 kW contract, 2 kW household: 13 kW for two cars of 30 kWh each by 07:00.
    entry, names = await smart_site(
        hass, freezer, site_entry_factory, cars=2, grid_limit_kw=15.0
    )
    for cid in entry.subentries:
        await set_target(hass, cid, departure="07:00:00", energy_kwh=30)
    recorder = Recorder(hass, names)
    night = dt_util.start_of_local_day(dt_util.now()) + timedelta(days=1)
    await run_until(hass, freezer, night + timedelta(hours=7))
    assert recorder.most_w <= 13_000
    for cid in entry.subentries:
        energy = find_entity(hass, "sensor", f"{cid}_session_energy")
        assert float(state_of(hass, energy).state) >= 30.0


async def test_an_unreachable_target_is_announced_once_and_charges_now(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry, _names = await smart_site(hass, freezer, site_entry_factory)
    cid = next(iter(entry.subentries))
    events: list[Event] = []
    hass.bus.async_listen("smart_charging_plan_unreachable", events.append)
    leave = dt_util.now() + timedelta(hours=1)
    await set_target(hass, cid, departure=leave.isoformat(), energy_kwh=100)
    for _ in range(6):  # a new plan each 15 minutes: still one event
        await tick(hass, freezer, 300)
    assert len(events) == 1
    assert events[0].data["charger"] == "Car 1"
    assert events[0].data["needed_kwh"] == pytest.approx(100, abs=0.5)
    assert 15 < events[0].data["reachable_kwh"] < 23  # 32 A x 690 V for an hour
    assert wallbox_current(hass, "wb1") == 32  # as much as the limits allow, now
    planned = state_of(hass, find_entity(hass, "sensor", f"{cid}_planned_start"))
    assert planned.attributes["reachable"] is False


async def test_a_malformed_forecast_falls_back_without_error(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, names = await smart_site(hass, freezer, site_entry_factory)
    cid = next(iter(entry.subentries))
    hass.states.async_set(
        PRICES, "0.2", {"prices_today": "garbage", "raw_today": [1, 2]}
    )
    caplog.set_level(logging.WARNING)
    for _ in range(30):  # 2.5 hours
        await tick(hass, freezer, 300)
    assert caplog.text.count("plans without a forecast") == 1
    assert "Traceback" not in caplog.text
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_forecast_unusable"
    )
    assert issue is not None
    # Without prices the plan ends 30 minutes before the departure (07:00).
    planned = state_of(hass, find_entity(hass, "sensor", f"{cid}_planned_start"))
    schedule = planned.attributes["schedule"]
    night = dt_util.start_of_local_day(dt_util.now()) + timedelta(days=1)
    assert dt_util.parse_datetime(schedule[-1]["end"]) == night + timedelta(
        hours=6, minutes=30
    )
    assert planned.attributes["reachable"] is True
    assert wallbox_current(hass, names[0]) == 0
