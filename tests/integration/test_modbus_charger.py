"""A Modbus charger inside Home Assistant, against a simulated box on 127.0.0.1.

No frozen clock here: pymodbus needs the event loop's time to run. A cycle is a
refresh called directly, as the 10 s timer would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    find_entity,
    modbus_charger_data,
    power_state,
)
from wallbox_sim import SimBox, WallboxSimulator


@pytest.fixture
async def box(socket_enabled: None) -> AsyncGenerator[SimBox]:
    """A simulated Vestel EVC04 (Webasto Unite) with a car plugged in."""
    simulator = WallboxSimulator()
    yield await simulator.add("vestel_evc04")
    await simulator.close()


def modbus_charger(box: SimBox) -> ConfigSubentryData:
    return modbus_charger_data(box.port)


async def modbus_site(
    hass: HomeAssistant, site_entry_factory: EntryFactory, box: SimBox
) -> tuple[MockConfigEntry, str]:
    """A 12 kW site with 2 kW of household and the box's charger; its id."""
    power_state(hass, HOUSEHOLD, 2000)
    entry = await site_entry_factory(
        [modbus_charger(box)], grid_limit_kw=12.0, stale_after_s=0
    )
    return entry, next(iter(entry.subentries))


async def cycle(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_load_change_lowers_the_box_within_one_cycle(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    box: SimBox,
) -> None:
    entry, cid = await modbus_site(hass, site_entry_factory, box)
    await cycle(hass, entry)
    assert box.socket.setpoint == 14  # 10 kW / 690 W per amp
    beats = sum(write.address == 6000 for write in box.writes)
    assert beats >= 1  # the heart-beat keeps the box off its failsafe current

    power_state(hass, HOUSEHOLD, 6000)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert box.socket.setpoint == 8  # lowered at once, not at the next cycle
    for _ in range(3):
        await cycle(hass, entry)
    assert sum(write.address == 6000 for write in box.writes) > beats
    status = hass.states.get(find_entity(hass, "sensor", f"{cid}_status"))
    assert status is not None
    assert status.state == "charging"


async def test_box_down_shows_error_and_recovers(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    box: SimBox,
) -> None:
    entry, cid = await modbus_site(hass, site_entry_factory, box)
    status_id = find_entity(hass, "sensor", f"{cid}_status")
    await cycle(hass, entry)
    assert box.socket.setpoint == 14
    await box.stop()
    await cycle(hass, entry)
    assert hass.states.get(status_id).state == "error"
    box.socket.reset()  # the box rebooted and forgot its setpoint
    await box.start()
    for _ in range(40):  # the reconnect waits out its back-off (1 s, then 2 s...)
        await cycle(hass, entry)
        if hass.states.get(status_id).state == "charging":
            break
        await asyncio.sleep(0.25)
    assert hass.states.get(status_id).state == "charging"
    assert box.socket.setpoint == 14


async def test_a_silent_box_shows_its_measurements_unavailable(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    box: SimBox,
) -> None:
    entry, cid = await modbus_site(hass, site_entry_factory, box)
    energy_id = find_entity(hass, "sensor", f"{cid}_session_energy")
    for _ in range(2):
        await cycle(hass, entry)
        await asyncio.sleep(0.2)  # the car draws meanwhile
    energy = hass.states.get(energy_id)
    assert energy is not None
    assert energy.state != "unavailable"
    box.set_fault("silent")
    for _ in range(3):
        await cycle(hass, entry)
        assert hass.states.get(energy_id).state == "unavailable"
    kwh = entry.runtime_data.chargers[cid].metering.session_kwh
    assert round(kwh, 3) == float(energy.state)  # nothing counted while silent
    status = hass.states.get(find_entity(hass, "sensor", f"{cid}_status"))
    assert status is not None
    assert status.state == "error"
    box.set_fault(None)
    for _ in range(40):  # the link comes back after its back-off
        await cycle(hass, entry)
        if hass.states.get(energy_id).state != "unavailable":
            break
        await asyncio.sleep(0.25)
    assert float(hass.states.get(energy_id).state) >= float(energy.state)
