"""The limit holds when wallboxes misbehave, meters chatter or settings change.

Each test sets up a way the site could be pushed over its limit and checks that
it is not: SPEC §5 rules 1, 4 and 6 through the coordinator, not just the engine.
"""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.wallbox import ChargerReading
from tests.conftest import (
    GRID,
    HOUSEHOLD,
    LIMIT_W,
    SOLAR,
    WATTS_PER_AMP,
    EntryFactory,
    amps,
    charger_data,
    find_entity,
    flaky_wallbox,
    one_car_site,
    power_state,
    select,
    settle,
    setup_wallboxes,
    tick,
    wallbox_current,
)


async def failing_premium_turned_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> dict[str, Any]:
    """Premium A on a box that stops taking writes is turned off; B runs beside it."""
    await setup_wallboxes(hass, "wb2")
    box: dict[str, Any] = {"broken": False, "calls": 0}
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [
            charger_data("A", flaky_wallbox(hass, box), profile="premium"),
            charger_data("B", "input_number.wb2"),
        ],
        stale_after_s=0,
    )
    a, _ = list(entry.subentries)
    await tick(hass, freezer)
    box["broken"] = True
    await select(hass, find_entity(hass, "select", f"{a}_mode"), "off")
    return box


async def test_a_chattering_meter_does_not_hold_increases_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await one_car_site(hass, site_entry_factory, 30000)
    await tick(hass, freezer)
    low = wallbox_current(hass, "wb1")
    for i in range(24):  # the load drops; the meter reports every 5 s
        power_state(hass, HOUSEHOLD, 5000 + i % 2)
        await tick(hass, freezer, 5)
    assert wallbox_current(hass, "wb1") > low


async def test_a_failed_decrease_holds_the_others_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await failing_premium_turned_off(hass, freezer, site_entry_factory)
    for _ in range(3):
        await tick(hass, freezer)
        held = amps(hass, "flaky.box") + wallbox_current(hass, "wb2")
        assert 5000 + held * WATTS_PER_AMP <= LIMIT_W


async def test_a_decrease_is_tried_even_during_back_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    box: dict[str, Any] = {"broken": False, "calls": 0}
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [charger_data("A", flaky_wallbox(hass, box))], stale_after_s=0
    )
    await tick(hass, freezer)
    box["broken"] = True  # one failed write starts a back-off
    ceiling = find_entity(hass, "number", f"{next(iter(entry.subentries))}_max_current")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": ceiling, "value": 31}, blocking=True
    )
    await settle(hass)
    box["broken"] = False
    power_state(hass, HOUSEHOLD, 30000)  # the load jumps within the back-off
    await settle(hass)
    assert 30000 + amps(hass, "flaky.box") * WATTS_PER_AMP <= LIMIT_W


async def test_a_disabled_charger_that_is_unplugged_stops_counting(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """Grid meter only: the household is derived, the chargers taken out of it."""
    await setup_wallboxes(hass, "wb1", "wb2")
    hass.states.async_set("input_boolean.plug2", "on")
    power_state(hass, GRID, 20000)
    entry = await site_entry_factory(
        [
            charger_data("A", "input_number.wb1"),
            charger_data(
                "B", "input_number.wb2", connected_entity="input_boolean.plug2"
            ),
        ],
        household_power_entity=None,
        grid_power_entity=GRID,
        stale_after_s=0,
    )
    _, b = list(entry.subentries)
    await tick(hass, freezer)
    drawn = wallbox_current(hass, "wb1") + wallbox_current(hass, "wb2")
    power_state(hass, GRID, 20000 + drawn * WATTS_PER_AMP)
    await tick(hass, freezer)
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": find_entity(hass, "switch", f"{b}_enabled")}
    )
    await settle(hass)
    hass.states.async_set("input_boolean.plug2", "off")  # B's car leaves
    hass.states.async_set("input_number.wb2", "0")
    for i in range(20):
        power_state(
            hass, GRID, 20000 + wallbox_current(hass, "wb1") * WATTS_PER_AMP + i % 2
        )
        await tick(hass, freezer)
    assert 20000 + wallbox_current(hass, "wb1") * WATTS_PER_AMP <= LIMIT_W


async def setup_unpausable_and_plain_wallboxes(hass: HomeAssistant) -> None:
    """input_number wb1 cannot go under 6 A (its box cannot pause); wb2 can. Both
    start at 6 A."""
    wallbox = {"min": 6, "max": 32, "step": 1, "initial": 6, "unit_of_measurement": "A"}
    await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"wb1": wallbox, "wb2": {**wallbox, "min": 0}}},
    )


async def test_a_box_that_cannot_pause_keeps_its_share(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_unpausable_and_plain_wallboxes(hass)
    power_state(hass, HOUSEHOLD, 26000)  # 10 kW for two chargers
    entry = await site_entry_factory(
        [
            charger_data("A", "input_number.wb1", profile="premium"),
            charger_data("B", "input_number.wb2", profile="premium"),
        ]
    )
    a, _ = list(entry.subentries)
    await tick(hass, freezer)
    await select(hass, find_entity(hass, "select", f"{a}_mode"), "off")
    await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 6  # it holds its minimum
    held = wallbox_current(hass, "wb1") + wallbox_current(hass, "wb2")
    assert 26000 + held * WATTS_PER_AMP <= LIMIT_W
    assert wallbox_current(hass, "wb2") > 0


async def test_an_unexpected_error_of_a_wallbox_is_its_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb2")
    box: dict[str, Any] = {"broken": False, "calls": 0, "error": RuntimeError("boom")}
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [
            charger_data("A", flaky_wallbox(hass, box)),
            charger_data("B", "input_number.wb2"),
        ],
        stale_after_s=0,
    )
    a, b = list(entry.subentries)
    await tick(hass, freezer)
    box["broken"] = True
    power_state(hass, HOUSEHOLD, 30000)
    await settle(hass)
    await tick(hass, freezer)
    status = find_entity(hass, "sensor", f"{a}_status")
    assert hass.states.get(status).state == "error"
    assert (
        hass.states.get(find_entity(hass, "sensor", f"{b}_status")).state
        != "unavailable"
    )


async def test_a_setpoint_changed_behind_its_back_is_corrected(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await one_car_site(hass, site_entry_factory, 30000)
    await tick(hass, freezer)
    granted = wallbox_current(hass, "wb1")
    await hass.services.async_call(  # the box rebooted to its default
        "input_number", "set_value", {"entity_id": "input_number.wb1", "value": 32}
    )
    await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == granted


async def test_a_charger_enabled_again_is_taken_in_hand(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await one_car_site(hass, site_entry_factory, 30000)
    switch = find_entity(hass, "switch", f"{next(iter(entry.subentries))}_enabled")
    await tick(hass, freezer)
    granted = wallbox_current(hass, "wb1")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": "input_number.wb1", "value": 32}
    )
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    await settle(hass)
    assert wallbox_current(hass, "wb1") == granted


async def test_actions_target_an_area(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await one_car_site(hass, site_entry_factory, 5000)
    cid = next(iter(entry.subentries))
    garage = ar.async_get(hass).async_create("Garage")
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, cid), entry.entry_id)
    assert device is not None
    devices.async_update_device(device.id, area_id=garage.id)
    await hass.services.async_call(
        DOMAIN,
        "set_mode",
        {"mode": "solar"},
        target={"area_id": garage.id},
        blocking=True,
    )
    assert hass.states.get(find_entity(hass, "select", f"{cid}_mode")).state == "solar"


async def test_a_profile_changed_in_the_settings_wins_over_the_restored_one(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await one_car_site(hass, site_entry_factory, 5000)
    cid = next(iter(entry.subentries))
    subentry = entry.subentries[cid]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "profile": "premium"}
    )
    await settle(hass)
    assert (
        hass.states.get(find_entity(hass, "select", f"{cid}_profile")).state
        == "premium"
    )


async def test_repair_issues_go_with_a_reconfigured_sensor(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await one_car_site(hass, site_entry_factory, 5000)
    for _ in range(14):
        hass.states.async_set(HOUSEHOLD, "unavailable")
        await tick(hass, freezer)
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"{entry.entry_id}_failsafe") is not None
    power_state(hass, "sensor.other", 5000)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "household_power_entity": "sensor.other"}
    )
    await settle(hass)
    assert issues.async_get_issue(DOMAIN, f"{entry.entry_id}_failsafe") is None
    await hass.config_entries.async_remove(entry.entry_id)
    await settle(hass)
    assert not [i for (d, i) in issues.issues if d == DOMAIN]


def service_calls(hass: HomeAssistant, domain: str, service: str) -> list[Any]:
    """Every call of domain.service from now on."""
    calls: list[Any] = []

    def listener(event: Any) -> None:
        if (event.data["domain"], event.data["service"]) == (domain, service):
            calls.append(event.data["service_data"])

    hass.bus.async_listen("call_service", listener)
    return calls


async def test_a_box_that_never_answered_does_not_block_the_others(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb1")
    hass.states.async_set("input_boolean.plug", "off")
    power_state(hass, HOUSEHOLD, 5000)
    await site_entry_factory(
        [
            charger_data("Gone", "number.gone"),  # its integration did not load
            charger_data(
                "B", "input_number.wb1", connected_entity="input_boolean.plug"
            ),
        ]
    )
    await tick(hass, freezer)
    hass.states.async_set("input_boolean.plug", "on")
    for _ in range(3):
        await tick(hass, freezer)
    # B gets what is left once the unknown box is counted at its maximum.
    assert wallbox_current(hass, "wb1") > 0


async def test_a_failing_box_is_not_flooded_by_a_chattering_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    box = await failing_premium_turned_off(hass, freezer, site_entry_factory)
    before = box["calls"]
    for i in range(60):  # the meter reports every second for a minute
        power_state(hass, HOUSEHOLD, 5000 + i % 2)
        await tick(hass, freezer, 1)
    assert box["calls"] - before <= 6  # the back-off: 10, 20, 40 s


async def test_a_box_that_cannot_pause_is_counted_at_once_and_left_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_unpausable_and_plain_wallboxes(hass)
    power_state(hass, HOUSEHOLD, 26000)
    entry = await site_entry_factory(
        [
            charger_data("A", "input_number.wb1", profile="premium"),
            charger_data("B", "input_number.wb2", profile="premium"),
        ]
    )
    a, _ = list(entry.subentries)
    await tick(hass, freezer)
    calls = service_calls(hass, "input_number", "set_value")
    await select(hass, find_entity(hass, "select", f"{a}_mode"), "off")
    # The step that finds it cannot pause raises nobody.
    held = wallbox_current(hass, "wb1") + wallbox_current(hass, "wb2")
    assert 26000 + held * WATTS_PER_AMP <= LIMIT_W
    for i in range(60):
        power_state(hass, HOUSEHOLD, 26000 + i % 2)
        await tick(hass, freezer, 1)
    assert len([c for c in calls if c["entity_id"] == "input_number.wb1"]) == 1


async def test_an_entity_minimum_above_the_charger_minimum_is_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    wallbox = {"min": 8, "max": 32, "step": 1, "initial": 8, "unit_of_measurement": "A"}
    await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"wb1": wallbox, "wb2": {**wallbox, "min": 0}}},
    )
    power_state(hass, HOUSEHOLD, 27500)  # 8.5 kW: 6 A each, below wb1's 8 A
    await site_entry_factory(
        [
            charger_data("A", "input_number.wb1", profile="premium"),
            charger_data("B", "input_number.wb2", profile="premium"),
        ]
    )
    for _ in range(5):
        await tick(hass, freezer)
        held = wallbox_current(hass, "wb1") + wallbox_current(hass, "wb2")
        assert 27500 + held * WATTS_PER_AMP <= LIMIT_W


async def cloud_switch_site(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> tuple[str, list[str]]:
    """A charger whose switch is a cloud switch: its state does not follow a call
    by itself. The charger's id, and the calls."""
    await setup_wallboxes(hass, "wb1")
    turned: list[str] = []

    async def record(call: ServiceCall) -> None:
        turned.append(call.service)

    for service in ("turn_on", "turn_off"):
        hass.services.async_register(
            "cloud", service, record, schema=cv.make_entity_service_schema({})
        )
    hass.states.async_set("cloud.switch", "off")
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [charger_data("A", "input_number.wb1", switch_entity="cloud.switch")]
    )
    return next(iter(entry.subentries)), turned


async def test_a_late_switch_state_does_not_start_a_fight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """A cloud switch whose state follows turn_on a few seconds later."""
    cid, turned = await cloud_switch_site(hass, site_entry_factory)
    await tick(hass, freezer, 5)
    hass.states.async_set("cloud.switch", "on")
    for _ in range(6):
        await tick(hass, freezer)
    assert turned.count("turn_on") == 1
    status = hass.states.get(find_entity(hass, "sensor", f"{cid}_status"))
    assert status is not None
    assert status.state == "charging"


async def test_a_switch_that_never_follows_is_a_failed_write(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """SPEC §5 rule 9: retried on the back-off, not every cycle."""
    cid, turned = await cloud_switch_site(hass, site_entry_factory)
    for _ in range(6):
        await tick(hass, freezer)
    status = hass.states.get(find_entity(hass, "sensor", f"{cid}_status"))
    assert status is not None
    assert status.state == "error"
    assert 2 <= turned.count("turn_on") <= 3


async def test_failsafe_counts_a_box_that_cannot_pause(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_unpausable_and_plain_wallboxes(hass)
    power_state(hass, HOUSEHOLD, 30000)
    power_state(hass, SOLAR, 10000)
    await site_entry_factory(
        [
            charger_data("A", "input_number.wb1"),
            charger_data("B", "input_number.wb2", profile="premium", max_current=8),
        ],
        solar_power_entity=SOLAR,
    )
    await tick(hass, freezer)
    hass.states.async_set(SOLAR, "unavailable")  # failsafe assumes no solar
    await settle(hass)
    for _ in range(3):
        await tick(hass, freezer)
        held = wallbox_current(hass, "wb1") + wallbox_current(hass, "wb2")
        assert 30000 + held * WATTS_PER_AMP <= LIMIT_W


async def test_a_slow_box_read_does_not_hold_back_a_decrease(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await one_car_site(hass, site_entry_factory, 5000)
    await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 32
    backend = next(iter(entry.runtime_data.chargers.values())).backend
    read, release = backend.async_read, asyncio.Event()

    async def slow_read() -> ChargerReading:
        await release.wait()
        return await read()

    backend.async_read = slow_read  # type: ignore[method-assign]
    freezer.tick(10)
    async_fire_time_changed(hass)  # the regular step starts reading, and waits
    for _ in range(20):
        await asyncio.sleep(0)
    power_state(hass, HOUSEHOLD, 30000)  # 6 kW left: 8 A, at once
    for _ in range(20):
        await asyncio.sleep(0)
    assert wallbox_current(hass, "wb1") == 8
    release.set()
    await settle(hass)
    assert wallbox_current(hass, "wb1") == 8


async def test_an_entity_step_never_rounds_a_current_under_the_minimum(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"wb1": {"min": 0, "max": 30, "step": 5, "initial": 0}}},
    )
    power_state(hass, HOUSEHOLD, 31000)  # 5 kW left: 7 A, which the box takes as 5
    await site_entry_factory([charger_data("A", "input_number.wb1")])
    for _ in range(3):
        await tick(hass, freezer)
        assert wallbox_current(hass, "wb1") not in (1, 2, 3, 4, 5)
