"""Binary sensor: whether the off-peak tariff applies now."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartChargingConfigEntry
from .entity import SiteEntity

PARALLEL_UPDATES = 0

OFF_PEAK = BinarySensorEntityDescription(key="off_peak", translation_key="off_peak")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's off-peak sensor."""
    async_add_entities([OffPeakBinarySensorEntity(entry.runtime_data, OFF_PEAK)])


class OffPeakBinarySensorEntity(SiteEntity, BinarySensorEntity):
    """On while the off-peak tariff applies, as the engine saw it."""

    @property
    def is_on(self) -> bool | None:
        data = self.coordinator.data
        return None if data is None else data.offpeak
