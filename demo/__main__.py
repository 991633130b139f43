"""The demo: a real Home Assistant with a working Smart Charging site, no hardware.

    scripts/develop [--port 8123] [--speed 60] [--config config]

Household and solar follow a day curve (sped up by --speed), off-peak hours come
from a `schedule`, two wallboxes are simulated over Modbus and a third is an
`input_number`. On first start it finishes onboarding and creates the site and
its chargers through the config flow API. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import signal
from typing import Any

import aiohttp

from wallbox_sim import WallboxSimulator

from .hass import (
    REPO,
    HassApi,
    onboard,
    onboarding_done,
    prepare_config,
    start_hass,
    stop_hass,
    wait_until_up,
)

USERNAME = "demo"
PASSWORD = "smart-charging"
# Integrations onboarding adds that need the internet, which the demo lacks.
OFFLINE_UNUSABLE = ("met", "radio_browser", "google_translate")

CONFIGURATION = """\
# Written by scripts/develop; delete the folder to start afresh.
homeassistant:
  name: Smart Charging demo
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  currency: EUR
recorder:
history:
logbook:
energy:
{http}logger:
  default: warning
  logs:
    custom_components.smart_charging: info

input_number:
  demo_wallbox:
    name: Demo wallbox current
    min: 0
    max: 16
    step: 1
    unit_of_measurement: A

schedule:
  demo_off_peak:
    name: Off-peak hours
{schedule}

template:
  - triggers:
      - trigger: time_pattern
        seconds: "/10"
      - trigger: homeassistant
        event: start
    sensor:
      - name: Demo household power
        unique_id: demo_household_power
        unit_of_measurement: W
        device_class: power
        state_class: measurement
        state: >-
          {{% set h = (as_timestamp(now()) * {speed} / 3600 + 7) % 24 %}}
          {{{{ (400 + 1800 * e ** (-((h - 7.5) ** 2) / 0.3)
                + 3000 * e ** (-((h - 19.5) ** 2) / 1.5)
                + 250 * sin(h * 9.1) ** 2) | round(0) }}}}
      - name: Demo solar power
        unique_id: demo_solar_power
        unit_of_measurement: W
        device_class: power
        state_class: measurement
        state: >-
          {{% set h = (as_timestamp(now()) * {speed} / 3600 + 7) % 24 %}}
          {{% set sun = sin(pi * (h - 6) / 14) if 6 < h < 20 else 0 %}}
          {{{{ (8000 * sun * (0.8 + 0.2 * cos(h * 5.3))) | round(0) }}}}
"""

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def configuration(port: int, speed: float, first_start: bool) -> str:
    """configuration.yaml of the demo.

    HA keeps its HTTP settings in storage: the YAML only seeds them on the first
    start, and the demo confirms them (else HA reverts them after five minutes).
    """
    http = (
        f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
        if first_start
        else ""
    )
    schedule = "\n".join(
        f"    {day}:\n"
        '      - from: "00:00:00"\n        to: "06:00:00"\n'
        '      - from: "22:00:00"\n        to: "23:59:59"'
        for day in WEEK
    )
    return CONFIGURATION.format(http=http, speed=speed, schedule=schedule)


async def create_site(api: HassApi, ports: tuple[int, int]) -> None:
    """The demo site and its three chargers, through the config flow API."""
    entry_id = await api.add_site(
        {
            "name": "Demo home",
            "grid_limit_kw": 17,
            "household_power_entity": "sensor.demo_household_power",
            "solar_power_entity": "sensor.demo_solar_power",
            "offpeak_entity": "schedule.demo_off_peak",
            "safety_margin_kw": 0.5,
            "standard_max_kw": 7.4,
        }
    )
    chargers: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (
            {
                "name": "Alfen",
                "backend": "modbus",
                "max_current": 16,
                "profile": "premium",
            },
            {"host": "127.0.0.1", "port": ports[0], "unit_id": 1, "model": "alfen"},
        ),
        (
            {"name": "Webasto Unite", "backend": "modbus", "max_current": 16},
            {
                "host": "127.0.0.1",
                "port": ports[1],
                "unit_id": 255,
                "model": "vestel_evc04",
            },
        ),
        (
            {"name": "Carport", "backend": "entity", "phases": "1", "max_current": 16},
            {"current_entity": "input_number.demo_wallbox"},
        ),
    ]
    for charger, backend in chargers:
        result = await api.add_charger(entry_id, charger, backend)
        if result["type"] != "create_entry":
            raise RuntimeError(f"charger {charger['name']} not created: {result}")
    await asyncio.sleep(2)  # let the entities appear
    for name, mode in (("webasto_unite", "solar"), ("carport", "off_peak")):
        await api.call(
            "select",
            "select_option",
            {"entity_id": f"select.{name}_mode", "option": mode},
        )
    for entry in await api.get("/api/config/config_entries/entry"):
        if entry["domain"] in OFFLINE_UNUSABLE:
            await api.delete(f"/api/config/config_entries/entry/{entry['entry_id']}")


async def run(args: argparse.Namespace, config_dir: Path) -> int:
    simulator = WallboxSimulator(log=print, speed=args.speed)
    boxes = (
        await simulator.add("alfen", port=args.port + 1000),
        await simulator.add("vestel_evc04", port=args.port + 1001),
    )
    simulator.start_ticker()
    base = f"http://127.0.0.1:{args.port}"
    process = await start_hass(config_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, process)
            if not await onboarding_done(session, base):
                token = await onboard(
                    session, base, name="Demo", username=USERNAME, password=PASSWORD
                )
                api = HassApi(session, base, token)
                # Keep the HTTP settings seeded from the YAML (else reverted in 5 min).
                await api.websocket({"type": "http/config/promote"})
                await create_site(api, (boxes[0].port, boxes[1].port))
        print(
            f"\nSmart Charging demo: {base}\n"
            f"Log in as {USERNAME} / {PASSWORD}. Ctrl-C stops it.\n"
        )
        waiter = asyncio.ensure_future(process.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait((waiter, stopper), return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        waiter.cancel()
    finally:
        await stop_hass(process)
        await simulator.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=8123,
        help="HTTP port of HA (set on the first start)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster than real time the day runs",
    )
    parser.add_argument(
        "--config", default=str(REPO / "config"), help="HA config folder"
    )
    args = parser.parse_args()
    config_dir = Path(args.config).resolve()
    first_start = not (config_dir / ".storage" / "onboarding").exists()
    prepare_config(config_dir, configuration(args.port, args.speed, first_start))
    return asyncio.run(run(args, config_dir))


if __name__ == "__main__":
    raise SystemExit(main())
