"""Every preset against its simulated box: encoding on the wire, pause, reading."""

from __future__ import annotations

from typing import Literal

from pymodbus.client.mixin import ModbusClientMixin
import pytest

from custom_components.smart_charging.modbus import (
    MODELS,
    ModbusHub,
    ModbusWallbox,
    keep_alive_interval,
)
from custom_components.smart_charging.wallbox import BackendError
from wallbox_sim import PROFILES, WallboxSimulator
from wallbox_sim.box import SimBox
from wallbox_sim.profiles import Table

from .conftest import config

DT = ModbusClientMixin.DATATYPE

# Written from reference/wallboxes.md, independently of both register tables:
# model -> (setpoint address, type, amps per unit, word order, function code).
SETPOINTS: dict[str, tuple[int, DT, float, Literal["big"], int]] = {
    "alfen": (1210, DT.FLOAT32, 1.0, "big", 16),
    "abb_terra_ac": (0x4100, DT.UINT32, 0.001, "big", 16),
    "phoenix_ev_cc": (528, DT.UINT16, 1.0, "big", 6),
    "phoenix_em_cp": (300, DT.UINT16, 1.0, "big", 6),
    "schneider_evlink_pro": (4004, DT.UINT16, 1.0, "big", 6),
    "vestel_evc04": (5004, DT.UINT16, 1.0, "big", 6),
    "webasto_next": (5004, DT.UINT16, 1.0, "big", 6),
    "keba_p30": (5004, DT.UINT16, 0.001, "big", 6),
    "go_e": (299, DT.UINT16, 1.0, "big", 16),
    "peblar": (40000, DT.UINT32, 0.001, "big", 16),
}
# How each pauses: "zero", ("coil" | "holding", enable address), or "minimum".
PAUSES: dict[str, str | tuple[Table, int]] = {
    "alfen": "zero",
    "abb_terra_ac": "zero",
    "phoenix_ev_cc": ("coil", 400),
    "phoenix_em_cp": ("coil", 400),
    "schneider_evlink_pro": "zero",
    "vestel_evc04": "zero",
    "webasto_next": "zero",
    "keba_p30": ("holding", 5014),
    "go_e": "minimum",
    "peblar": "zero",
}
# The 1p/3p switch of the models that have one: (holding register, raw value for
# one phase, for three).
PHASE_SWITCHES = {"alfen": (1215, 1, 3), "vestel_evc04": (405, 0, 1)}
HAS_POWER = {"alfen", "abb_terra_ac", "schneider_evlink_pro", "keba_p30", "go_e"}
PRESETS = MODELS[:-1]


def test_models() -> None:
    """All presets, generic last, and the sim serves each."""
    assert (*SETPOINTS, "generic") == MODELS
    assert set(PROFILES) == set(PRESETS)


def _amps(raw: list[int], model: str) -> float:
    _, dtype, scale, order, _ = SETPOINTS[model]
    value = ModbusClientMixin.convert_from_registers(raw, dtype, word_order=order)
    assert isinstance(value, int | float)
    return value * scale


@pytest.mark.parametrize("model", PRESETS)
async def test_setpoint_on_the_wire(
    sim: WallboxSimulator, hub: ModbusHub, model: str
) -> None:
    """The raw registers decode to the commanded amps; the right function code."""
    box = await sim.add(model)
    wallbox = ModbusWallbox(hub, config(box))
    address, dtype, _, _, function_code = SETPOINTS[model]
    socket = box.socket
    for amps in (13, 7, 16):
        await wallbox.async_set_current(amps)
        raw = [socket.registers["holding"][address + i] for i in range(dtype.value[1])]
        assert _amps(raw, model) == pytest.approx(amps)
        assert socket.offered == amps
    setpoint_writes = [w for w in box.writes if w.address == address]
    assert {w.function_code for w in setpoint_writes} == {function_code}
    assert all(w.unit == box.profile.units[0] for w in box.writes)
    await wallbox.async_close()


@pytest.mark.parametrize("model", PRESETS)
async def test_pause_and_read(
    sim: WallboxSimulator, hub: ModbusHub, model: str
) -> None:
    """0 A pauses the way the model pauses; the reading follows the vehicle."""
    box = await sim.add(model)
    wallbox = ModbusWallbox(hub, config(box))
    socket = box.socket

    await wallbox.async_set_current(13)
    reading = await wallbox.async_read()
    assert reading.connected is True
    assert reading.charging is True
    if model in HAS_POWER:
        assert reading.power_w == pytest.approx(13 * 230 * 3, rel=1e-3)
    else:
        assert reading.power_w is None

    await wallbox.async_set_current(0)
    pause = PAUSES[model]
    reading = await wallbox.async_read()
    if pause == "minimum":
        assert not wallbox.can_pause
        assert socket.setpoint == 6
        assert socket.offered == 6
        assert reading.charging is True
    else:
        assert wallbox.can_pause
        assert socket.offered == 0
        assert reading.connected is True
        assert reading.charging is False
        if isinstance(pause, tuple):
            table, enable = pause
            assert socket.registers[table][enable] == 0
            assert socket.setpoint == 13  # left as it was
        else:
            assert socket.setpoint == 0
        if model in HAS_POWER:
            assert reading.power_w == 0

    # Resume, then unplug the vehicle.
    await wallbox.async_set_current(10)
    assert socket.offered == 10
    if isinstance(pause, tuple):  # enabled again, after the setpoint
        assert (box.writes[-1].address, box.writes[-1].values) == (pause[1], [1])
    socket.unplug()
    reading = await wallbox.async_read()
    assert reading.connected is False
    assert reading.charging is False
    await wallbox.async_close()


@pytest.mark.parametrize("model", PRESETS)
def test_keep_alive_within_failsafe(model: str) -> None:
    """The backend refreshes at most every third of the box's failsafe timeout."""
    interval = keep_alive_interval({"model": model})
    failsafe = PROFILES[model].failsafe_s
    if failsafe is None:
        assert interval is None
    else:
        assert interval is not None
        assert interval <= failsafe / 3


async def test_keep_alive_rewrites_setpoint(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """Setpoint-refresh models rewrite the commanded value, heart-beat models beat."""
    alfen = await sim.add("alfen")
    vestel = await sim.add("vestel_evc04")
    a = ModbusWallbox(hub, config(alfen))
    v = ModbusWallbox(hub, config(vestel))
    await a.async_keep_alive()  # nothing commanded yet: nothing to refresh
    assert alfen.writes == []
    await a.async_set_current(11)
    await v.async_set_current(11)
    alfen.writes.clear()
    vestel.writes.clear()
    await a.async_keep_alive()
    await v.async_keep_alive()
    assert [(w.address, w.values) for w in alfen.writes] == [(1210, [16688, 0])]
    assert [(w.address, w.values) for w in vestel.writes] == [(6000, [1])]
    await a.async_close()
    await v.async_close()


async def test_alfen_sockets_share_a_connection(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """Units 1 and 2 of one Alfen use one TCP connection and their own setpoints."""
    box = await sim.add("alfen")
    one = ModbusWallbox(hub, config(box, unit_id=1))
    two = ModbusWallbox(hub, config(box, unit_id=2))
    await one.async_set_current(8)
    await two.async_set_current(14)
    assert box.sockets[1].setpoint == 8
    assert box.sockets[2].setpoint == 14
    assert box.connections == 1
    await one.async_close()
    assert box.connections == 1  # still used by socket 2
    assert (await two.async_read()).charging is True
    await two.async_close()
    await hub.async_close()


def test_bad_config() -> None:
    """Unknown models and generic fields are refused when the backend is made."""
    hub = ModbusHub()
    base = {"host": "127.0.0.1", "port": 502}
    with pytest.raises(ValueError, match="unknown wallbox model"):
        ModbusWallbox(hub, {**base, "model": "tesla"})
    with pytest.raises(ValueError, match="setpoint register"):
        ModbusWallbox(hub, {**base, "model": "generic"})
    bad = {**base, "model": "generic", "setpoint_register": 1}
    with pytest.raises(ValueError, match="not supported"):
        ModbusWallbox(hub, {**bad, "setpoint_type": "string"})
    with pytest.raises(ValueError, match="int8"):
        ModbusWallbox(hub, {**bad, "setpoint_type": "int8"})
    with pytest.raises(ValueError, match="scale"):
        ModbusWallbox(hub, {**bad, "setpoint_scale": 0.5})
    with pytest.raises(ValueError, match="word order"):
        ModbusWallbox(hub, {**bad, "word_order": "middle"})


@pytest.mark.parametrize("model", PRESETS)
async def test_phase_switch(sim: WallboxSimulator, hub: ModbusHub, model: str) -> None:
    """Models with a switch switch a paused box with one FC6 write and read their
    phases back; the car then draws on them. The others write nothing and tell
    no phases."""
    box = await sim.add(model)
    wallbox = ModbusWallbox(hub, config(box, phases=3))
    socket = box.socket
    if model not in PHASE_SWITCHES:
        await _stays_as_installed(box, wallbox, 1)
        return
    address, one, three = PHASE_SWITCHES[model]
    assert (await wallbox.async_read()).phases == 3
    await wallbox.async_set_current(0)
    assert await wallbox.async_set_phases(1) is True
    write = box.writes[-1]
    assert (write.address, write.values, write.function_code) == (address, [one], 6)
    assert socket.phases == 1
    await wallbox.async_set_current(10)
    reading = await wallbox.async_read()
    assert reading.phases == 1
    assert socket.power_w == 10 * 230  # on one phase
    await wallbox.async_set_current(0)
    assert await wallbox.async_set_phases(3) is True
    assert (box.writes[-1].address, box.writes[-1].values) == (address, [three])
    assert (await wallbox.async_read()).phases == 3
    await wallbox.async_close()


async def test_a_one_phase_charger_is_not_switched(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """A box that can switch, configured on one phase: it stays as installed."""
    box = await sim.add("alfen")
    await _stays_as_installed(box, ModbusWallbox(hub, config(box, phases=1)), 3)


async def _stays_as_installed(box: SimBox, wallbox: ModbusWallbox, phases: int) -> None:
    """The box tells no phases, refuses a switch and is written nothing."""
    assert (await wallbox.async_read()).phases is None
    with pytest.raises(BackendError, match="cannot switch phases"):
        await wallbox.async_set_phases(phases)
    assert box.writes == []
    await wallbox.async_close()


async def test_a_switch_under_load_or_unknown_to_the_firmware(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """The simulated box refuses a switch while the car draws; a firmware without
    the switch register leaves the box unswitchable, the rest of it read."""
    box = await sim.add("vestel_evc04")
    wallbox = ModbusWallbox(hub, config(box))
    await wallbox.async_set_current(10)
    with pytest.raises(BackendError, match="0x06"):
        await wallbox.async_set_phases(1)
    assert box.socket.phases == 3
    box.refused.add(("holding", 405))
    reading = await wallbox.async_read()
    assert (reading.charging, reading.phases) == (True, None)
    await wallbox.async_close()
