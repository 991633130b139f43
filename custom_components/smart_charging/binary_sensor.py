"""Binary sensors: whether the off-peak tariff applies, and whether the grid
operator dims the chargers (§14a)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartChargingConfigEntry
from .entity import SiteEntity
from .snapshot import SiteData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SiteBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A site binary sensor and where its value comes from."""

    value_fn: Callable[[SiteData], bool]


OFF_PEAK = SiteBinarySensorEntityDescription(
    key="off_peak", translation_key="off_peak", value_fn=lambda site: site.offpeak
)
# On while dimmed as the engine saw it: an unavailable dimming entity counts as on.
DIMMED = SiteBinarySensorEntityDescription(
    key="dimmed", translation_key="dimmed", value_fn=lambda site: site.dimmed
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's binary sensors."""
    async_add_entities(
        SiteBinarySensorEntity(entry.runtime_data, description)
        for description in (OFF_PEAK, DIMMED)
    )


class SiteBinarySensorEntity(SiteEntity, BinarySensorEntity):
    """On or off as the engine saw the site at the last step."""

    entity_description: SiteBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)
