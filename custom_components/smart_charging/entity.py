"""Base entities: one device per site, one per charger."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import BACKEND_MODBUS, CONF_BACKEND, CONF_MODEL, DOMAIN
from .coordinator import (
    ChargerRuntime,
    SmartChargingConfigEntry,
    SmartChargingCoordinator,
)

MANUFACTURER = "Smart Charging"


def add_charger_entities(
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[SmartChargingCoordinator, ChargerRuntime], Iterable[Entity]],
) -> None:
    """Add each charger's entities to its own subentry, so its device follows it."""
    coordinator = entry.runtime_data
    for charger in coordinator.chargers.values():
        async_add_entities(build(coordinator, charger), config_subentry_id=charger.id)


def site_device_info(entry: SmartChargingConfigEntry) -> DeviceInfo:
    """The site's device: the chargers hang below it."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer=MANUFACTURER,
        model="Site",
        name=entry.title,
    )


class SiteEntity(CoordinatorEntity[SmartChargingCoordinator]):
    """An entity of the site device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SmartChargingCoordinator, description: EntityDescription
    ) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = site_device_info(entry)


class ChargerEntity(CoordinatorEntity[SmartChargingCoordinator]):
    """An entity of a charger device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: SmartChargingCoordinator,
        charger: ChargerRuntime,
        description: EntityDescription,
    ) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self.charger = charger
        data = charger.subentry.data
        model = "Entity"
        if data.get(CONF_BACKEND) == BACKEND_MODBUS:
            model = f"Modbus {data.get(CONF_MODEL, '')}".strip()
        self._attr_unique_id = f"{charger.id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, charger.id)},
            manufacturer=MANUFACTURER,
            model=model,
            name=charger.name,
            via_device_id=coordinator.site_device_id,
        )
