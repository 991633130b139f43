"""Smart Charging: shares a site's grid power between EV chargers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .card import async_register_card
from .const import CONFIG_VERSION, DOMAIN, LOGGER
from .coordinator import (
    SmartChargingConfigEntry,
    SmartChargingCoordinator,
    subentries_snapshot,
)
from .entity import site_device_info
from .repairs import async_clear_issues
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

# Site keys of version 1 that version 2 drops: riding out clouds became the
# engine's default.
RETIRED_KEYS = ("solar_ride_through",)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Smart Charging's actions."""
    async_setup_services(hass)
    await async_register_card(hass)
    return True


async def async_migrate_entry(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> bool:
    """Bring a site of an older version up to date (Home Assistant itself refuses
    one of a newer version)."""
    if entry.version < CONFIG_VERSION:
        data = {k: v for k, v in entry.data.items() if k not in RETIRED_KEYS}
        options = {k: v for k, v in entry.options.items() if k not in RETIRED_KEYS}
        hass.config_entries.async_update_entry(
            entry, data=data, options=options, version=CONFIG_VERSION
        )
        LOGGER.debug(
            "Site %s migrated to version %s (dropped: %s)",
            entry.title,
            CONFIG_VERSION,
            RETIRED_KEYS,
        )
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> bool:
    """Set up a site and its chargers."""
    # The site device first: each charger's device links to it.
    site_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **site_device_info(entry)
    )
    # Issues of a former set-up (a removed charger, a reconfigured sensor) go;
    # those still true are raised again.
    async_clear_issues(hass, entry.entry_id)
    coordinator = SmartChargingCoordinator(hass, entry, site_device.id)
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The entities have restored mode, profile and limits by now: start acting.
    await coordinator.async_start()
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    # A charger added or changed while this set-up ran found no listener to tell.
    if coordinator.subentries_seen != subentries_snapshot(entry):
        _note_removed(entry)
        hass.config_entries.async_schedule_reload(entry.entry_id)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> bool:
    """Unload a site."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_shutdown()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> None:
    """A removed site leaves no repair issue behind."""
    async_clear_issues(hass, entry.entry_id)


async def _async_update_listener(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> None:
    """Chargers added, changed or removed: reload so devices follow at once."""
    _note_removed(entry)
    await hass.config_entries.async_reload(entry.entry_id)


def _note_removed(entry: SmartChargingConfigEntry) -> None:
    """A removed charger's box is paused as the site unloads."""
    coordinator = entry.runtime_data
    coordinator.removed = set(coordinator.chargers) - set(entry.subentries)
