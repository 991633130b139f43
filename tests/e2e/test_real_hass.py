"""End to end: a real `hass` process, configured and driven over its REST API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import socket
import time

import aiohttp
import pytest

from demo.hass import (
    HassApi,
    onboard,
    prepare_config,
    start_hass,
    stop_hass,
    wait_until_up,
)
from wallbox_sim import WallboxSimulator

pytestmark = pytest.mark.timeout(300)

CONFIGURATION = """
homeassistant:
  name: End to end
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
logger:
  default: warning
input_number:
  wallbox:
    name: Wallbox
    min: 0
    max: 32
    step: 1
    unit_of_measurement: A
"""

POWER = {"unit_of_measurement": "W", "device_class": "power"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30) -> None:
    """Wait until check() holds; a cycle is 10 s, so allow a few."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.5)


async def test_real_home_assistant_follows_the_household_load(
    tmp_path: Path, socket_enabled: None
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    simulator = WallboxSimulator()
    box = await simulator.add("vestel_evc04")
    prepare_config(tmp_path, CONFIGURATION.format(port=port))
    process = await start_hass(tmp_path, quiet=True)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, process)
            token = await onboard(
                session,
                base,
                name="Tester",
                username="tester",
                password="e2e-secret-1",
                core_config=False,
            )
            api = HassApi(session, base, token)
            await api.set_state("sensor.household_power", "3000", POWER)

            site = {
                "name": "Home",
                "grid_limit_kw": 0,
                "household_power_entity": "sensor.household_power",
            }
            refused = await api.flow(
                "/api/config/config_entries/flow", "smart_charging", site
            )
            assert refused["type"] == "form"
            assert refused["errors"] == {"grid_limit_kw": "invalid_limit"}

            entry_id = await api.add_site(
                {**site, "grid_limit_kw": 20, "stale_after_s": 0}
            )
            charger = {"phases": "3", "min_current": 6, "max_current": 16}
            created = await api.add_charger(
                entry_id,
                {**charger, "name": "Garage", "backend": "entity"},
                {"current_entity": "input_number.wallbox"},
            )
            assert created["type"] == "create_entry"
            created = await api.add_charger(
                entry_id,
                {**charger, "name": "Drive", "backend": "modbus"},
                {
                    "host": "127.0.0.1",
                    "port": box.port,
                    "unit_id": 255,
                    "model": "vestel_evc04",
                },
            )
            assert created["type"] == "create_entry"

            async def wallbox() -> float:
                return float((await api.state("input_number.wallbox"))["state"])

            # 17 kW free for two 16 A boxes (11 kW each): they share it, 12 A each.
            async def shared() -> bool:
                amps = (await wallbox(), box.socket.setpoint)
                return amps == (12, 12)

            await eventually(shared, within=60)
            before = (await wallbox(), box.socket.setpoint)

            await api.set_state("sensor.household_power", "12000", POWER)

            async def lowered() -> bool:
                return await wallbox() < before[0] and box.socket.setpoint < before[1]

            await eventually(lowered, within=15)
            after = (await wallbox(), box.socket.setpoint)
            assert (after[0] + after[1]) * 690 <= 8000

            # `smart`: a target set over the REST API gets a plan.
            garage = {"entity_id": "select.garage_mode"}
            await api.call("smart_charging", "set_mode", {**garage, "mode": "smart"})
            await api.call(
                "smart_charging",
                "set_target",
                {**garage, "departure": "07:00:00", "energy_kwh": 12},
            )

            async def planned() -> bool:
                state = await api.state("sensor.garage_planned_start")
                return state["state"] not in ("unknown", "unavailable") and bool(
                    state["attributes"].get("schedule")
                )

            await eventually(planned, within=30)
            plan = await api.state("sensor.garage_planned_start")
            assert plan["attributes"]["reachable"] is True
    finally:
        returncode = await stop_hass(process)
        await simulator.close()
        log = tmp_path / "home-assistant.log"
        if log.exists():  # shown by pytest when the test fails
            print(log.read_text()[-20000:])
    assert returncode == 0
