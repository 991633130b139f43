"""Shared fixtures and helpers.

Importing the integration here makes HA load ours, not the test plugin's own
custom_components package.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, ServiceCall, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

import custom_components.smart_charging  # noqa: F401
from custom_components.smart_charging.const import DOMAIN


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom integrations in every test."""


type EntryFactory = Callable[..., Awaitable[MockConfigEntry]]
WATTS_PER_AMP = 690  # 230 V x 3 phases
LIMIT_W = 36000  # the sites' default grid limit

HOUSEHOLD = "sensor.household_power"
SOLAR = "sensor.solar_power"
GRID = "sensor.grid_power"
# A site's configuration as the config flow stores it (the factory's defaults).
SITE_DATA: dict[str, Any] = {
    "name": "Home",
    "grid_limit_kw": 36.0,
    "household_power_entity": HOUSEHOLD,
    "safety_margin_kw": 0.0,
    "standard_max_kw": 0.0,
    "voltage": 230.0,
    "failsafe_current": 6,
    "stale_after_s": 300,
}


def power_state(
    hass: HomeAssistant, entity_id: str, value: Any, unit: str = "W"
) -> None:
    """Set a power sensor's state."""
    hass.states.async_set(
        entity_id, str(value), {"unit_of_measurement": unit, "device_class": "power"}
    )


def charger_data(name: str, wallbox: str, **extra: Any) -> ConfigSubentryData:
    """A charger subentry driving an input_number wallbox."""
    data: dict[str, Any] = {
        "name": name,
        "backend": "entity",
        "phases": 3,
        "min_current": 6,
        "max_current": 32,
        "profile": "standard",
        "current_entity": wallbox,
    }
    data.update(extra)
    return ConfigSubentryData(
        data=data, subentry_type="charger", title=name, unique_id=None
    )


async def setup_wallboxes(hass: HomeAssistant, *names: str, maximum: int = 32) -> None:
    """input_number entities that stand in for wallboxes' current entities."""
    await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                name: {
                    "min": 0,
                    "max": maximum,
                    "step": 1,
                    "initial": 0,
                    "unit_of_measurement": "A",
                }
                for name in names
            }
        },
    )


async def one_car_site(
    hass: HomeAssistant,
    site_entry_factory: Callable[..., Awaitable[MockConfigEntry]],
    household: float,
    unit: str = "W",
) -> MockConfigEntry:
    """A site whose one charger, "Car", drives input_number.wb1, with this household
    load."""
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, household, unit)
    return await site_entry_factory([charger_data("Car", "input_number.wb1")])


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def amps(hass: HomeAssistant, entity_id: str) -> float:
    """The current a box entity holds."""
    return float(state_of(hass, entity_id).state)


def modbus_charger_data(
    port: int, name: str = "Drive", model: str = "vestel_evc04", unit_id: int = 255
) -> ConfigSubentryData:
    """A charger subentry talking Modbus to a box on 127.0.0.1."""
    data = {
        "name": name,
        "backend": "modbus",
        "phases": 3,
        "min_current": 6,
        "max_current": 16,
        "profile": "standard",
        "host": "127.0.0.1",
        "port": port,
        "unit_id": unit_id,
        "model": model,
    }
    return ConfigSubentryData(
        data=data, subentry_type="charger", title=name, unique_id=None
    )


def wallbox_current(hass: HomeAssistant, name: str) -> float:
    """The current an input_number wallbox holds now."""
    state = hass.states.get(f"input_number.{name}")
    assert state is not None
    return float(state.state)


def flaky_wallbox(hass: HomeAssistant, box: dict[str, Any]) -> str:
    """A wallbox integration whose set_value fails while box["broken"] is set."""

    async def set_value(call: ServiceCall) -> None:
        box["calls"] += 1
        if box["broken"]:
            raise box.get("error", HomeAssistantError("wallbox offline"))
        hass.states.async_set(
            call.data["entity_id"][0], str(call.data["value"]), {"min": 0, "max": 32}
        )

    hass.services.async_register(
        "flaky",
        "set_value",
        set_value,
        schema=cv.make_entity_service_schema({"value": float}),
    )
    hass.states.async_set("flaky.box", "0", {"min": 0, "max": 32, "step": 1})
    return "flaky.box"


async def settle(hass: HomeAssistant) -> None:
    """Let every step started so far finish, background ones included."""
    await hass.async_block_till_done(wait_background_tasks=True)


async def select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    """Choose an option of a select entity, as the UI does, and let it act."""
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id, "option": option},
        blocking=True,
    )
    await settle(hass)


async def set_mode(hass: HomeAssistant, cid: str, mode: str) -> None:
    """Set a charger's mode through its select entity."""
    await select(hass, find_entity(hass, "select", f"{cid}_mode"), mode)


async def set_target(hass: HomeAssistant, cid: str, **data: Any) -> None:
    """smart_charging.set_target on a charger's device (or the site's, by its
    entry id)."""
    (device,) = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, cid)})
    await hass.services.async_call(
        DOMAIN, "set_target", {"device_id": device.id, **data}, blocking=True
    )


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 10
) -> None:
    """Move the clock on and run what falls due (a regular cycle every 10 s)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass)


def find_entity(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id of one of ours, by unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


@pytest.fixture
def site_entry_factory(
    hass: HomeAssistant,
) -> Callable[..., Awaitable[MockConfigEntry]]:
    """Add and set up a site with chargers."""

    async def factory(
        chargers: list[ConfigSubentryData], *, setup: bool = True, **site: Any
    ) -> MockConfigEntry:
        data: dict[str, Any] = {**SITE_DATA, **site}
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=data["name"],
            data=data,
            subentries_data=chargers,
            version=2,
        )
        entry.add_to_hass(hass)
        if setup:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
        return entry

    return factory
