"""Base entities: one device per site, one per charger."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import BACKEND_MODBUS, CONF_BACKEND, DOMAIN
from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .modbus import register_map
from .runtime import ChargerRuntime
from .snapshot import ChargerData

MANUFACTURER = "Smart Charging"
ENTITY_BACKEND_MODEL = "Home Assistant entities"


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


def charger_device_info(
    coordinator: SmartChargingCoordinator, charger: ChargerRuntime
) -> DeviceInfo:
    """A charger's device: the wallbox's make and model where the preset says."""
    data = coordinator.config_entry.subentries[charger.id].data
    manufacturer: str | None = MANUFACTURER
    model = ENTITY_BACKEND_MODEL
    if data.get(CONF_BACKEND) == BACKEND_MODBUS:
        try:
            preset = register_map(data)
        except ValueError:
            model = "Modbus"
        else:
            manufacturer, model = preset.brand, preset.title
    return DeviceInfo(
        identifiers={(DOMAIN, charger.id)},
        manufacturer=manufacturer,
        model=model,
        name=charger.name,
        via_device_id=coordinator.site_device_id,
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
        self._attr_unique_id = f"{charger.id}_{description.key}"
        self._attr_device_info = charger_device_info(coordinator, charger)
        self._data: ChargerData | None = None
        self._shown: tuple[object, ...] | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed: a site with hundreds of chargers
        would otherwise rewrite every entity at every step. The charger's snapshot
        is compared first, as most steps leave most chargers as they were."""
        data = self.charger_data
        if data is not None and data == self._data:
            return
        self._data = data
        shown = (self.available, self.state, self.extra_state_attributes)
        if shown == self._shown:
            return
        self._shown = shown
        super()._handle_coordinator_update()

    @property
    def charger_data(self) -> ChargerData | None:
        """The charger in the last snapshot; None before the first step."""
        data = self.coordinator.data
        return None if data is None else data.chargers.get(self.charger.id)

    @property
    def available(self) -> bool:
        return super().available and self.charger_data is not None
