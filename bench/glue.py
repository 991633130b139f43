"""`python -m bench.glue`: the integration's step through Home Assistant, timed.

A figure, not a test. One site with 200 chargers on the `entity` backend runs in
Home Assistant's test harness (pytest-homeassistant-custom-component): input_number
wallboxes, three phases, 6-16 A or 6-32 A, mixed modes and profiles, a household
power sensor that changes every second and a grid limit that lets many but not all
charge. As in Home Assistant, every household change starts a decrease step (the
coordinator's own listener), and a regular step runs every 10 s; each is timed with
`time.perf_counter` around the coordinator's public `async_step`.

The clock is simulated (Home Assistant's `dt_util.utcnow` and the household's state
timestamps follow it), so minutes of the site run in seconds. The coordinator's own
timer is off: the benchmark runs the regular step itself, on the simulated clock.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
import os
from pathlib import Path
import platform
import random
import statistics
import time
from typing import Any
from unittest.mock import patch

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
    mock_storage,
)

# Ours imported before Home Assistant looks for it: the test plugin's own
# custom_components package would otherwise shadow it.
import custom_components.smart_charging  # noqa: F401
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import SmartChargingCoordinator
from custom_components.smart_charging.engine import Mode, Profile, Status
from custom_components.smart_charging.runtime import UserSettings

RESULTS = Path(__file__).parent / "results" / "glue.md"
CHARGERS = 200
HOUSEHOLD = "sensor.household_power"
GRID_LIMIT_KW = 1000.0
REGULAR_S = 10  # the coordinator's regular cycle
WARM_UP_S = 60  # not counted: the boxes ramp up from 0 A
SEED = 11
# One in ten of each: off, solar (no solar sensor: it waits), off-peak (no off-peak
# sensor: it waits), solar_min (charges at its minimum); the rest charge fast.
MODES = (
    Mode.FAST,
    Mode.FAST,
    Mode.SOLAR_MIN,
    Mode.FAST,
    Mode.OFF_PEAK,
    Mode.FAST,
    Mode.SOLAR,
    Mode.FAST,
    Mode.OFF,
    Mode.FAST,
)

type StepFn = Callable[..., Coroutine[Any, Any, None]]


@dataclass
class SimClock:
    """Simulated wall clock: `dt_util.utcnow` reads it."""

    now: datetime = field(default_factory=lambda: datetime.now(dt_util.UTC))

    def utcnow(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Samples:
    """Seconds per step, by kind."""

    regular: list[float] = field(default_factory=list)
    decrease: list[float] = field(default_factory=list)
    recording: bool = False


def wallbox(i: int) -> str:
    return f"input_number.wb{i:03d}"


def max_current(i: int) -> int:
    return 32 if i % 2 else 16


def charger_subentry(i: int) -> ConfigSubentryData:
    name = f"Charger {i:03d}"
    return ConfigSubentryData(
        data={
            "name": name,
            "backend": "entity",
            "phases": 3,
            "min_current": 6,
            "max_current": max_current(i),
            "profile": Profile.PREMIUM if i % 5 == 0 else Profile.STANDARD,
            "current_entity": wallbox(i),
        },
        subentry_type="charger",
        title=name,
        unique_id=None,
    )


def household_w(rng: random.Random, previous: float) -> float:
    """A random walk between 10 and 80 kW, in 10 W steps; never the same twice."""
    value = round(min(max(previous + rng.gauss(0, 1500), 10000), 80000), -1)
    return value + 10 if value == previous else value


def set_household(hass: HomeAssistant, clock: SimClock, watts: float) -> None:
    hass.states.async_set(
        HOUSEHOLD,
        str(watts),
        {"unit_of_measurement": "W", "device_class": "power"},
        timestamp=clock.now.timestamp(),
    )


async def set_up_site(hass: HomeAssistant, chargers: int) -> SmartChargingCoordinator:
    """The wallboxes, the site and its chargers, each in its mode."""
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                wallbox(i).split(".")[1]: {
                    "min": 0,
                    "max": max_current(i),
                    "step": 1,
                    "initial": 0,
                    "unit_of_measurement": "A",
                }
                for i in range(chargers)
            }
        },
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Lot",
        data={
            "name": "Lot",
            "grid_limit_kw": GRID_LIMIT_KW,
            "household_power_entity": HOUSEHOLD,
            "safety_margin_kw": 0.0,
            "standard_max_kw": 0.0,
            "voltage": 230.0,
            "failsafe_current": 6,
            "stale_after_s": 300,
        },
        subentries_data=[charger_subentry(i) for i in range(chargers)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SmartChargingCoordinator = entry.runtime_data
    by_mode: dict[Mode, list[str]] = {}
    for i, cid in enumerate(coordinator.chargers):
        by_mode.setdefault(MODES[i % len(MODES)], []).append(cid)
    for mode, cids in by_mode.items():
        await coordinator.async_apply(cids, _with_mode(mode))
    return coordinator


def _with_mode(mode: Mode) -> Callable[[UserSettings], UserSettings]:
    return lambda settings: replace(settings, mode=mode)


def time_steps(coordinator: SmartChargingCoordinator, samples: Samples) -> StepFn:
    """Wrap the coordinator's public step (the listener calls it too) in a timer."""
    step = coordinator.async_step

    async def timed(*, allow_increase: bool = True) -> None:
        started = time.perf_counter()
        await step(allow_increase=allow_increase)
        elapsed = time.perf_counter() - started
        if samples.recording:
            (samples.regular if allow_increase else samples.decrease).append(elapsed)

    return timed


async def run_site(
    hass: HomeAssistant, clock: SimClock, chargers: int, seconds: int
) -> tuple[Samples, dict[Status, int]]:
    """Set up, warm up, then run `seconds` simulated seconds; the step times and
    the chargers' statuses at the end."""
    rng = random.Random(SEED)
    watts = 40000.0
    set_household(hass, clock, watts)
    coordinator = await set_up_site(hass, chargers)
    # The benchmark runs the regular step itself, on the simulated clock; the next
    # regular step cancels the timer already scheduled.
    coordinator.update_interval = None
    samples = Samples()
    coordinator.async_step = time_steps(coordinator, samples)  # type: ignore[method-assign]
    for second in range(1, WARM_UP_S + seconds + 1):
        samples.recording = second > WARM_UP_S
        clock.tick(1)
        watts = household_w(rng, watts)
        set_household(hass, clock, watts)  # the listener starts a decrease step
        await hass.async_block_till_done(wait_background_tasks=True)
        if second % REGULAR_S == 0:
            await coordinator.async_step(allow_increase=True)
    statuses: dict[Status, int] = {}
    for charger in coordinator.data.chargers.values():
        statuses[charger.status] = statuses.get(charger.status, 0) + 1
    await hass.config_entries.async_unload(coordinator.config_entry.entry_id)
    await hass.async_block_till_done()
    return samples, statuses


async def measure(chargers: int, seconds: int) -> tuple[Samples, dict[Status, int]]:
    """Run the site in a test instance of Home Assistant."""
    clock = SimClock()
    with mock_storage(), patch.object(dt_util, "utcnow", clock.utcnow):
        async with async_test_home_assistant() as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations on
            try:
                return await run_site(hass, clock, chargers, seconds)
            finally:
                await hass.async_stop(force=True)


def _ms(values: Sequence[float], quantile: float) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    index = min(round(quantile * (len(ordered) - 1)), len(ordered) - 1)
    return f"{ordered[index] * 1000:.1f}"


def table(samples: Samples) -> str:
    rows = [
        "| step | steps | median ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, values in (
        ("regular step", samples.regular),
        ("decrease step", samples.decrease),
    ):
        median = f"{statistics.median(values) * 1000:.1f}" if values else "n/a"
        rows.append(f"| {name} | {len(values)} | {median} | {_ms(values, 0.95)} |")
    return "\n".join(rows)


def report(
    samples: Samples,
    statuses: dict[Status, int],
    chargers: int,
    seconds: int,
    load: float,
) -> str:
    counts = ", ".join(
        f"{status.value} {count}" for status, count in sorted(statuses.items())
    )
    return "\n".join(
        [
            f"Generated by `python -m bench.glue` on {platform.machine()}, Python "
            f"{platform.python_version()}, load average {load:.1f} at the start "
            "(times vary by machine and load).",
            "",
            f"{chargers} entity chargers (input_number wallboxes, 3 phases, 6-16 A "
            f"or 6-32 A, one in five premium) on a {GRID_LIMIT_KW:.0f} kW grid "
            f"limit in Home Assistant's test harness; the household changes every "
            f"second (10-80 kW), a decrease step on every change and a regular step "
            f"every {REGULAR_S} s; {seconds} simulated seconds after {WARM_UP_S} s "
            f"of warm-up. Statuses at the end: {counts}. p95 is the nearest rank.",
            "",
            table(samples),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.glue", description=__doc__)
    parser.add_argument("--chargers", type=int, default=CHARGERS)
    parser.add_argument(
        "--seconds", type=int, default=600, help="simulated seconds measured"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # Not the warning that a custom integration is loaded, once per run.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    load = os.getloadavg()[0]
    samples, statuses = asyncio.run(measure(args.chargers, args.seconds))
    text = report(samples, statuses, args.chargers, args.seconds, load)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(text)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
