"""Automatic 1p/3p switching by a Modbus box that switches itself (SPEC §5 rules 7
and 9), against a simulated box on 127.0.0.1: a three-phase charger on solar.

The clock is frozen for the integration but not for the event loop (pymodbus needs
its time to run); a cycle is a refresh called directly, as the 10 s timer would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    HOUSEHOLD,
    SOLAR,
    EntryFactory,
    find_entity,
    modbus_charger_data,
    power_state,
    set_mode,
    settle,
    state_of,
)
from wallbox_sim import SimBox, WallboxSimulator, from_registers

ALFEN_PHASES = 1215  # 1 = one phase, 3 = three (Alfen's Modbus slave table)


@pytest.fixture
async def sim(
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncGenerator[WallboxSimulator]:
    """A simulator; its boxes are stopped after the test. The event loop keeps the
    real time (Home Assistant binds its clock to the frozen one)."""
    # Read from freezegun here, once it has frozen time: a name bound to the real
    # clock at import would have been swapped for the frozen one.
    monkeypatch.setattr(
        asyncio.get_running_loop(), "time", freezegun.api.real_monotonic
    )
    simulator = WallboxSimulator()
    yield simulator
    await simulator.close()


async def solar_box(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    sim: WallboxSimulator,
    model: str,
) -> tuple[MockConfigEntry, str, SimBox]:
    """A three-phase box on solar, 1 kW of household load and 6 kW of solar (5 kW of
    surplus: 7 A on three phases)."""
    box = await sim.add(model)
    power_state(hass, HOUSEHOLD, 1000)
    power_state(hass, SOLAR, 6000)
    unit = box.profile.units[0]
    entry = await site_entry_factory(
        [modbus_charger_data(box.port, model=model, unit_id=unit)],
        solar_power_entity=SOLAR,
        stale_after_s=0,
    )
    cid = next(iter(entry.subentries))
    await set_mode(hass, cid, "solar")
    return entry, cid, box


async def cycles(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    count: int,
) -> None:
    """`count` regular cycles, 10 s apart."""
    for _ in range(count):
        freezer.tick(10)
        await entry.runtime_data.async_refresh()
        await settle(hass)


def phases_in_use(hass: HomeAssistant, cid: str) -> str:
    return state_of(hass, find_entity(hass, "sensor", f"{cid}_phases_in_use")).state


def history(box: SimBox) -> list[tuple[float, str, float]]:
    """The box's setpoint and phase switch writes: (when, "amps" or "phases", what)."""
    profile = box.profile
    switch = profile.phase_switch
    found = []
    for write in box.writes:
        if write.address == profile.setpoint.address:
            found.append(
                (write.at, "amps", from_registers(profile.setpoint, write.values))
            )
        elif switch is not None and write.address == switch.address:
            phases = 1 if write.values == [switch.one] else 3
            found.append((write.at, "phases", float(phases)))
    return found


async def test_one_phase_below_the_three_phase_minimum(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    sim: WallboxSimulator,
) -> None:
    """2.5 kW of surplus: the Alfen is paused, switched to one phase over Modbus
    while at 0 A, resumed 30 s later on one phase (the car draws on one), and not
    switched again within 10 minutes."""
    entry, cid, box = await solar_box(hass, site_entry_factory, sim, "alfen")
    socket = box.socket
    await cycles(hass, freezer, entry, 8)
    assert socket.setpoint == 7
    assert phases_in_use(hass, cid) == "3"

    power_state(hass, SOLAR, 3500)  # 2.5 kW of surplus
    await settle(hass)
    await cycles(hass, freezer, entry, 10)
    events = history(box)
    switches = [(at, what) for at, kind, what in events if kind == "phases"]
    ((down_at, down),) = switches
    assert down == 1
    amps = [(at, what) for at, kind, what in events if kind == "amps"]
    assert [what for at, what in amps if at <= down_at][-1] == 0  # paused first
    resumed_at, resumed = next((at, a) for at, a in amps if at > down_at and a > 0)
    assert resumed_at - down_at >= 30
    assert resumed == 10  # 2.5 kW / 230 V
    assert socket.registers["holding"][ALFEN_PHASES] == 1
    assert socket.phases == 1
    assert socket.power_w == pytest.approx(10 * 230)  # drawn on one phase
    assert phases_in_use(hass, cid) == "1"

    # Plenty of sun again, but within 10 minutes of the switch: no switch back.
    power_state(hass, SOLAR, 9000)
    await settle(hass)
    await cycles(hass, freezer, entry, 50)
    assert [kind for at, kind, _ in history(box) if kind == "phases"] == ["phases"]
    assert phases_in_use(hass, cid) == "1"
    await cycles(hass, freezer, entry, 10)
    switches = [(at, what) for at, kind, what in history(box) if kind == "phases"]
    ((_, _), (up_at, up)) = switches
    assert up == 3
    assert up_at - down_at >= 600
    amps = [(at, a) for at, kind, a in history(box) if kind == "amps"]
    assert [a for at, a in amps if at <= up_at][-1] == 0  # paused first
    assert socket.phases == 3
    assert phases_in_use(hass, cid) == "3"


async def test_a_box_that_cannot_switch_is_never_switched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    sim: WallboxSimulator,
) -> None:
    """An ABB Terra AC has no phase switch: with 2.5 kW of surplus it stops for lack
    of sun on its three phases, and nothing but its setpoint is ever written."""
    entry, cid, box = await solar_box(hass, site_entry_factory, sim, "abb_terra_ac")
    await cycles(hass, freezer, entry, 8)
    assert box.socket.setpoint == 7
    power_state(hass, SOLAR, 3500)
    await settle(hass)
    await cycles(hass, freezer, entry, 30)
    assert box.socket.setpoint == 0
    assert {write.address for write in box.writes} == {0x4100}
    assert phases_in_use(hass, cid) == "3"


async def test_a_refused_switch_is_retried_and_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    sim: WallboxSimulator,
) -> None:
    """An Alfen not allowed to switch refuses the write: status error, the switch
    retried on a back-off, a repair issue once it lasts; the car stays on three
    phases (and paused, for lack of sun)."""
    entry, cid, box = await solar_box(hass, site_entry_factory, sim, "alfen")
    socket = box.socket
    socket.phase_switch_allowed = False
    await cycles(hass, freezer, entry, 8)
    assert socket.setpoint == 7
    power_state(hass, SOLAR, 3500)
    await settle(hass)
    await cycles(hass, freezer, entry, 75)  # the next try 10 minutes after the first
    status = find_entity(hass, "sensor", f"{cid}_status")
    assert state_of(hass, status).state == "error"
    assert phases_in_use(hass, cid) == "3"
    assert socket.registers["holding"][ALFEN_PHASES] == 3
    # Paused, and kept alive meanwhile: not on the safe current of its failsafe.
    assert socket.offered == 0
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_phase_switch_failed_{cid}"
    )
    assert issue is not None
    health = entry.runtime_data.chargers[cid].link.phase_switch
    assert 1 < health.failures < 10  # backed off
    assert "exception code 0x01" in health.last_error

    socket.phase_switch_allowed = True  # allowed on the box: the next try switches
    await cycles(hass, freezer, entry, 80)
    assert socket.phases == 1
    assert phases_in_use(hass, cid) == "1"
    assert socket.setpoint == 10
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"{entry.entry_id}_phase_switch_failed_{cid}"
        )
        is None
    )
