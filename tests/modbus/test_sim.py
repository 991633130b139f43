"""The simulator itself: vehicle, refusals, failsafe, command line."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import sys
import time

from pymodbus.constants import ExcCodes
import pytest

from custom_components.smart_charging.modbus import ModbusHub, ModbusWallbox
from wallbox_sim import Vehicle, WallboxSimulator, generic_profile, profile
from wallbox_sim.__main__ import parse_box

from .conftest import config

ROOT = Path(__file__).parents[2]


async def test_vehicle_fills_up(hub: ModbusHub) -> None:
    """The car draws what it is offered up to its limit until its battery is full."""
    lines: list[str] = []
    sim = WallboxSimulator(log=lines.append, speed=3600.0)  # 1 s = 1 h
    box = await sim.add("keba_p30")
    socket = box.socket
    vehicle = socket.plug(Vehicle(battery_kwh=10.0, energy_kwh=9.0, max_current=8.0))
    wallbox = ModbusWallbox(hub, config(box))
    await wallbox.async_set_current(16)
    assert socket.state == "C"
    assert socket.power_w == 8 * 230 * 3  # the car's limit
    await asyncio.sleep(0.3)  # 5.52 kW for 0.3 h: more than the 1 kWh missing
    socket.advance()
    assert vehicle.full
    assert socket.state == "B"
    reading = await wallbox.async_read()
    assert (reading.connected, reading.charging, reading.power_w) == (True, False, 0)
    assert any("vehicle full" in line for line in lines)
    assert any("setpoint 16 A" in line for line in lines)
    await wallbox.async_close()
    await sim.close()


async def test_go_e_refuses_zero_and_counts_eeprom(sim: WallboxSimulator) -> None:
    """go-e takes 6-32 A only on 299; writes to 300 (EEPROM) are counted."""
    box = await sim.add("go_e")
    socket = box.socket
    assert socket.write("holding", 299, [0]) == ExcCodes.ILLEGAL_VALUE
    assert socket.write("holding", 299, [10]) is None
    assert socket.write("holding", 300, [10]) is None
    assert socket.eeprom_writes == 1
    assert socket.write("holding", 1, [1]) == ExcCodes.ILLEGAL_ADDRESS


async def test_backend_never_writes_go_e_eeprom(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """The backend writes the volatile register only, also to pause."""
    box = await sim.add("go_e")
    wallbox = ModbusWallbox(hub, config(box))
    for amps in (16, 0, 6, 32):
        await wallbox.async_set_current(amps)
        await wallbox.async_keep_alive()
    assert {w.address for w in box.writes} == {299}
    assert box.socket.eeprom_writes == 0
    await wallbox.async_close()


async def test_unknown_unit_and_failsafe(sim: WallboxSimulator) -> None:
    """Absent units get the gateway exception; the failsafe needs a refresh."""
    box = await sim.add("vestel_evc04", failsafe_s=0.1, safe_current=8)
    assert await box.handle(9, 3, 5004, 1, None) == ExcCodes.GATEWAY_NO_RESPONSE
    socket = box.socket
    assert socket.offered == 8
    assert socket.write("holding", 6000, [1]) is None
    assert socket.offered == 32  # power-on setpoint: the box's maximum
    socket.advance(time.monotonic() + 0.2)
    assert socket.fallen_back
    assert socket.registers["holding"][2002] == 0  # timeout shown... as 0.1 s -> 0
    socket.unplug()
    assert socket.state == "A"


def test_parse_box() -> None:
    """Command-line box specs."""
    spec = parse_box("alfen:15020:failsafe=5:limit=10")
    assert spec.profile == profile("alfen")
    assert (spec.port, spec.options) == (15020, {"failsafe": "5", "limit": "10"})
    spec = parse_box("generic:15030:type=float32:scale=0.1:order=little:status=none")
    assert spec.profile == generic_profile(
        setpoint_type="float32",
        setpoint_scale=0.1,
        word_order="little",
        status_register=None,
    )
    for bad in ("tesla:1", "alfen:x", "alfen:1:type=float32", "generic:1:type=int8"):
        with pytest.raises(ValueError, match=r"MODEL:PORT|option|type"):
            parse_box(bad)


async def test_command_line(sim: WallboxSimulator, hub: ModbusHub) -> None:
    """scripts/wallbox-sim serves the boxes asked for and prints each write."""
    ports = []
    for _ in range(2):
        probe = await sim.add("alfen")
        await probe.stop()
        ports.append(probe.port)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wallbox_sim",
        "--box",
        f"alfen:{ports[0]}",
        "--box",
        f"go_e:{ports[1]}:vehicle=none",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(10):
            listening = 0
            while listening < 2:
                line = (await process.stdout.readline()).decode()
                assert line, "simulator exited"
                listening += "listening" in line
        alfen = ModbusWallbox(
            hub, {"host": "127.0.0.1", "port": ports[0], "model": "alfen"}
        )
        go_e = ModbusWallbox(
            hub, {"host": "127.0.0.1", "port": ports[1], "model": "go_e"}
        )
        await alfen.async_set_current(11)
        assert (await go_e.async_read()).connected is False
        async with asyncio.timeout(5):
            while "setpoint 11 A" not in (
                line := (await process.stdout.readline()).decode()
            ):
                assert line, "simulator exited"
        await alfen.async_close()
        await go_e.async_close()
    finally:
        process.terminate()
        await process.wait()
    assert process.returncode == 0
