"""The demo: a real Home Assistant with a working Smart Charging site, no hardware.

    scripts/develop [--port 8123] [--speed 60] [--config config] [--verbose]

Household and solar follow a day curve on the local clock of the configured time
zone (sped up by --speed from the current local time), off-peak hours come from a
`schedule`, two wallboxes are simulated over Modbus and a third is an
`input_number`. On first start it finishes onboarding, creates the site and its
chargers through the config flow API and a "Smart Charging" dashboard with the
site's card. The terminal shows the URL and the login; HA's log is in the config
folder's home-assistant.log (--verbose: also HA's console and the simulator's
lines). Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import signal
import time
from typing import Any

import aiohttp

from wallbox_sim import WallboxSimulator

from .hass import (
    REPO,
    HassApi,
    HassError,
    onboard,
    onboarding_done,
    owner_exists,
    prepare_config,
    skip_core_config_step,
    start_hass,
    stop_hass,
    wait_until_up,
)

USERNAME = "demo"
PASSWORD = "smart-charging"
DASHBOARD = "smart-charging"
TIME_ZONE = "Europe/Paris"

CONFIGURATION = """\
# Written by scripts/develop; delete the folder to start afresh.
homeassistant:
  name: Smart Charging demo
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: {time_zone}
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
          {{% set t = as_timestamp(now()) %}}
          {{% set local = t + now().utcoffset().total_seconds() %}}
          {{% set h = ((local + (t - {start}) * ({speed} - 1)) / 3600) % 24 %}}
          {{{{ (400 + 1800 * e ** (-((h - 7.5) ** 2) / 0.3)
                + 3000 * e ** (-((h - 19.5) ** 2) / 1.5)
                + 250 * sin(h * 9.1) ** 2) | round(0) }}}}
      - name: Demo solar power
        unique_id: demo_solar_power
        unit_of_measurement: W
        device_class: power
        state_class: measurement
        state: >-
          {{% set t = as_timestamp(now()) %}}
          {{% set local = t + now().utcoffset().total_seconds() %}}
          {{% set h = ((local + (t - {start}) * ({speed} - 1)) / 3600) % 24 %}}
          {{% set sun = sin(pi * (h - 6) / 14) if 6 < h < 20 else 0 %}}
          {{{{ (8000 * sun * (0.8 + 0.2 * cos(h * 5.3))) | round(0) }}}}
"""

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def configuration(
    port: int, speed: float, first_start: bool, start: float | None = None
) -> str:
    """configuration.yaml of the demo.

    HA keeps its HTTP settings in storage: the YAML only seeds them on the first
    start, and the demo confirms them (else HA reverts them after five minutes).
    The day curves take the hour of the day h on the local clock of the configured
    time zone; with a speed other than 1, h starts at the local time of `start`
    (default: now) and runs `speed` times faster.
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
    return CONFIGURATION.format(
        http=http,
        speed=speed,
        start=round(time.time() if start is None else start),
        schedule=schedule,
        time_zone=TIME_ZONE,
    )


async def create_site(api: HassApi, ports: tuple[int, int]) -> str:
    """The demo site and its three chargers, through the config flow API.

    Returns the site's config entry id.
    """
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
    return entry_id


def dashboard_config(entry_id: str, sensors: list[str]) -> dict[str, Any]:
    """The dashboard's view: the site's card, then its sensors as a fallback."""
    full = {"columns": "full"}
    return {
        "views": [
            {
                "title": "Demo home",
                "path": "site",
                "type": "sections",
                "max_columns": 2,
                "sections": [
                    {
                        "type": "grid",
                        "column_span": 2,
                        "cards": [
                            {
                                "type": "custom:smart-charging-card",
                                "site": entry_id,
                                "grid_options": full,
                            },
                            {
                                "type": "entities",
                                "title": "Site sensors",
                                "entities": sensors,
                                "grid_options": full,
                            },
                        ],
                    }
                ],
            }
        ]
    }


async def create_dashboard(api: HassApi, entry_id: str) -> None:
    """A "Smart Charging" dashboard with the site's card, made the default one."""
    registry = await api.websocket({"type": "config/entity_registry/list"})
    sensors = sorted(
        entity["entity_id"]
        for entity in registry
        if entity["config_entry_id"] == entry_id
        and entity.get("config_subentry_id") is None
        and entity["entity_id"].split(".")[0] in ("sensor", "binary_sensor")
    )
    await api.websocket(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Smart Charging",
            "icon": "mdi:ev-station",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    await api.websocket(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD,
            "config": dashboard_config(entry_id, sensors),
        }
    )
    # What the UI's "Set as default" does: the dashboard opens at the URL.
    system = await api.websocket({"type": "frontend/get_system_data", "key": "core"})
    await api.websocket(
        {
            "type": "frontend/set_system_data",
            "key": "core",
            "value": {**(system.get("value") or {}), "default_panel": DASHBOARD},
        }
    )


def _timestamped(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} wallbox_sim: {line}", flush=True)


async def run(args: argparse.Namespace, config_dir: Path) -> int:
    simulator = WallboxSimulator(
        log=_timestamped if args.verbose else None, speed=args.speed
    )
    boxes = (
        await simulator.add("alfen", port=args.port + 1000),
        await simulator.add("vestel_evc04", port=args.port + 1001),
    )
    simulator.start_ticker()
    base = f"http://127.0.0.1:{args.port}"
    process = await start_hass(config_dir, quiet=not args.verbose)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, process)
            if not await onboarding_done(session, base):
                token = await onboard(
                    session,
                    base,
                    name="Demo",
                    username=USERNAME,
                    password=PASSWORD,
                    core_config=False,  # marked done: it adds online integrations
                )
                api = HassApi(session, base, token)
                await api.wait_until_running()
                # Keep the HTTP settings seeded from the YAML (else reverted in 5 min).
                await api.websocket({"type": "http/config/promote"})
                # Its repair ("http in YAML") is moot: later starts leave it out.
                with contextlib.suppress(HassError):
                    await api.websocket(
                        {
                            "type": "repairs/ignore_issue",
                            "domain": "http",
                            "issue_id": "deprecated_yaml",
                            "ignore": True,
                        }
                    )
                entry_id = await create_site(api, (boxes[0].port, boxes[1].port))
                await create_dashboard(api, entry_id)
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
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show HA's console output and the simulated wallboxes' lines",
    )
    args = parser.parse_args()
    config_dir = Path(args.config).resolve()
    first_start = not owner_exists(config_dir)
    prepare_config(config_dir, configuration(args.port, args.speed, first_start))
    skip_core_config_step(config_dir)
    return asyncio.run(run(args, config_dir))


if __name__ == "__main__":
    raise SystemExit(main())
