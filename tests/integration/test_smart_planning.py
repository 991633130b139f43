"""`smart` planning through Home Assistant: a state-of-charge target, the off-peak
hours from the recorder when there are no prices, and a plan that fails."""

from __future__ import annotations

from datetime import timedelta
import logging
from types import SimpleNamespace
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.planning import TargetMemory
from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    settle,
    setup_wallboxes,
    state_of,
    tick,
)

OFFPEAK = "input_boolean.offpeak"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """A test that asks for the recorder gets it before Home Assistant starts."""
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


async def smart_car(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    site: dict[str, object] | None = None,
    **charger: object,
) -> tuple[str, str]:
    """One plugged-in car in `smart` (ready at 07:00); its id and planned_start."""
    await setup_wallboxes(hass, "wb1")
    await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"plug": {"initial": True}}}
    )
    power_state(hass, HOUSEHOLD, 1000)
    entry = await site_entry_factory(
        [
            charger_data(
                "Car",
                "input_number.wb1",
                **{
                    key: value
                    for key, value in {
                        "connected_entity": "input_boolean.plug",
                        **charger,
                    }.items()
                    if value is not None
                },
            )
        ],
        stale_after_s=0,
        **({"offpeak_entity": OFFPEAK} if hass.states.get(OFFPEAK) else {}),
        **(site or {}),
    )
    cid = next(iter(entry.subentries))
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, cid), entry.entry_id
    )
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_mode",
        {"mode": "smart"},
        target={"device_id": device.id},
        blocking=True,
    )
    await settle(hass)
    return cid, find_entity(hass, "sensor", f"{cid}_planned_start")


async def charge_until_06_45(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    until = dt_util.start_of_local_day() + timedelta(hours=6, minutes=45)
    while dt_util.now() < until:
        # A car the plan starts at a quarter hour waits for that quarter's new plan
        # until the next step: a step (10 s in HA) of its charge, here a minute.
        await tick(hass, freezer, 60)


def planned_kwh(hass: HomeAssistant, entity_id: str) -> float:
    schedule = state_of(hass, entity_id).attributes["schedule"]
    return sum(
        (
            dt_util.parse_datetime(b["end"]) - dt_util.parse_datetime(b["start"])
        ).total_seconds()
        / 3600
        * b["power_w"]
        / 1000
        for b in schedule
    )


async def soc_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    soc: str,
) -> tuple[str, str]:
    """At 18:00, a smart car of 60 kWh whose `soc_entity` shows `soc` (%)."""
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=18))
    hass.states.async_set("sensor.car_soc", soc, {"unit_of_measurement": "%"})
    return await smart_car(
        hass, site_entry_factory, soc_entity="sensor.car_soc", battery_kwh=60
    )


async def test_a_state_of_charge_target_plans_what_the_battery_lacks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    _cid, planned = await soc_car(hass, freezer, site_entry_factory, "50")
    await tick(hass, freezer, 10)
    # (80 % - 50 %) of 60 kWh.
    assert planned_kwh(hass, planned) == pytest.approx(18.0, rel=0.01)
    # The car's integration goes quiet (a car asleep): its last SoC still counts.
    hass.states.async_set("sensor.car_soc", "unavailable")
    await tick(hass, freezer, 900)  # the next plan, every 15 minutes
    await tick(hass, freezer, 10)
    assert planned_kwh(hass, planned) == pytest.approx(18.0, rel=0.01)


async def test_a_car_reporting_its_state_of_charge_is_planned_with_its_taper(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    # From 70 % to 100 % of 60 kWh: full power to 80 %, then less and less (a
    # fifth at 100 %); the plan (as late as it can, without prices) follows it.
    cid, planned = await soc_car(hass, freezer, site_entry_factory, "70")
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": find_entity(hass, "number", f"{cid}_target_soc"), "value": 100},
        blocking=True,
    )
    await tick(hass, freezer, 10)
    await tick(hass, freezer, 10)
    assert planned_kwh(hass, planned) == pytest.approx(18.0, rel=0.01)
    powers = [b["power_w"] for b in state_of(hass, planned).attributes["schedule"]]
    # Falling from its peak to under a third of it in its last quarter hour.
    after = powers[powers.index(max(powers)) :]
    assert after == sorted(after, reverse=True)
    assert powers[-1] < 0.3 * max(powers)


async def test_a_state_of_charge_never_read_plans_the_whole_way(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    # Ready on time first (a full car stops taking power by itself).
    _cid, planned = await soc_car(hass, freezer, site_entry_factory, "unknown")
    await tick(hass, freezer, 10)
    assert planned_kwh(hass, planned) == pytest.approx(48.0, rel=0.02)


async def test_a_car_plugged_in_again_after_an_unknown_plug_state_starts_afresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=1))
    _cid, planned = await smart_car(hass, site_entry_factory)
    await charge_until_06_45(hass, freezer)  # its 20 kWh, by 06:30 (no prices)
    assert planned_kwh(hass, planned) == pytest.approx(0.0, abs=0.01)
    # After the departure, unplugged, the plug state unknown for a while, plugged
    # in again: tomorrow's 20 kWh.
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=8))
    for state in ("off", "unavailable", "on"):
        hass.states.async_set("input_boolean.plug", state)
        await tick(hass, freezer, 10)
    await tick(hass, freezer, 10)
    assert planned_kwh(hass, planned) == pytest.approx(20.0, rel=0.01)


def test_the_energy_target_counts_afresh_once_the_departure_passed() -> None:
    # A box that cannot tell a plug-in (its session never restarts): the next
    # day's target counts from the departure that passed, not from every day's
    # energy; a new session counts from 0.
    memory = TargetMemory()
    car = SimpleNamespace(id="car", metering=SimpleNamespace(session_kwh=5.0))
    day = dt_util.start_of_local_day()
    first, second = day + timedelta(hours=7), day + timedelta(days=1, hours=7)
    added = memory.added_kwh
    assert added(car, first, day + timedelta(hours=1)) == 5.0  # type: ignore[arg-type]
    car.metering.session_kwh = 20.0
    assert added(car, first, day + timedelta(hours=6)) == 20.0  # type: ignore[arg-type]
    # 07:00 passed with the car still there: tomorrow's target starts from here.
    assert added(car, second, day + timedelta(hours=8)) == 0.0  # type: ignore[arg-type]
    car.metering.session_kwh = 26.0
    assert added(car, second, day + timedelta(hours=20)) == 6.0  # type: ignore[arg-type]
    # Moving the departure does not forget what was added towards it.
    later = second + timedelta(hours=1)
    assert added(car, later, day + timedelta(hours=21)) == 6.0  # type: ignore[arg-type]
    car.metering.session_kwh = 1.0  # a new session
    assert added(car, later, day + timedelta(hours=22)) == 1.0  # type: ignore[arg-type]


async def test_without_prices_the_off_peak_hours_of_yesterday_count_as_cheap(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    # Yesterday the off-peak tariff ran from 22:00 to 06:00.
    today = dt_util.start_of_local_day()
    freezer.move_to(today - timedelta(hours=3))  # 21:00 yesterday
    hass.states.async_set(OFFPEAK, "off")
    await async_wait_recording_done(hass)
    freezer.move_to(today - timedelta(hours=2))
    hass.states.async_set(OFFPEAK, "on")
    await async_wait_recording_done(hass)
    freezer.move_to(today + timedelta(hours=6))
    hass.states.async_set(OFFPEAK, "off")
    await async_wait_recording_done(hass)
    freezer.move_to(today + timedelta(hours=18))
    _cid, planned = await smart_car(hass, site_entry_factory)
    await tick(hass, freezer, 10)
    await async_wait_recording_done(hass)
    await tick(hass, freezer, 10)
    start = dt_util.parse_datetime(state_of(hass, planned).state)
    assert start is not None
    assert today + timedelta(hours=22) <= start < today + timedelta(hours=24 + 6)


async def test_a_plan_that_fails_keeps_the_last_one(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=18))
    _cid, planned = await smart_car(hass, site_entry_factory)
    await tick(hass, freezer, 10)
    before = state_of(hass, planned).attributes["schedule"]
    assert before
    caplog.set_level(logging.ERROR)
    with patch(
        "custom_components.smart_charging.planning.plan_site",
        side_effect=RuntimeError("boom"),
    ):
        await tick(hass, freezer, 900)
        for _ in range(6):  # not tried again every cycle
            await tick(hass, freezer, 10)
    assert caplog.text.count("Planning the smart chargers failed") == 1
    assert state_of(hass, planned).attributes["schedule"] == before
    await tick(hass, freezer, 900)  # the next plan runs again
    assert state_of(hass, planned).attributes["schedule"]


async def test_the_plan_stays_under_the_capacity_tariffs_target(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=18))
    _cid, planned = await smart_car(
        hass, site_entry_factory, site={"peak_limit_kw": 8.0}
    )
    await tick(hass, freezer, 10)
    schedule = state_of(hass, planned).attributes["schedule"]
    assert schedule
    # 8 kW of import for the quarter hour, 1 kW of it the household's.
    assert max(block["power_w"] for block in schedule) <= 7000 + 1
    assert planned_kwh(hass, planned) == pytest.approx(20.0, rel=0.01)


async def test_without_any_plan_a_smart_car_charges_now(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    # Ready on time comes first: a plan that cannot be made is no reason to wait.
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=18))
    with patch(
        "custom_components.smart_charging.planning.plan_site",
        side_effect=RuntimeError("boom"),
    ):
        await smart_car(hass, site_entry_factory)
        await tick(hass, freezer, 10)
        await tick(hass, freezer, 10)
        assert float(state_of(hass, "input_number.wb1").state) == 32


async def test_the_plan_stays_under_the_main_fuse(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=18))
    for phase in ("l1", "l2", "l3"):
        hass.states.async_set(
            f"sensor.{phase}_current", "1.5", {"unit_of_measurement": "A"}
        )
    _cid, planned = await smart_car(
        hass,
        site_entry_factory,
        site={
            "main_fuse_a": 10.0,
            "l1_current_entity": "sensor.l1_current",
            "l2_current_entity": "sensor.l2_current",
            "l3_current_entity": "sensor.l3_current",
        },
    )
    await tick(hass, freezer, 10)
    schedule = state_of(hass, planned).attributes["schedule"]
    assert schedule
    # 3 x 10 A x 230 V, 1 kW of it the household's.
    assert max(block["power_w"] for block in schedule) <= 3 * 10 * 230 - 1000 + 1
