"""Number: each charger's own current ceiling, kept across restarts."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import (
    ChargerRuntime,
    SmartChargingConfigEntry,
    SmartChargingCoordinator,
)
from .entity import ChargerEntity, add_charger_entities

PARALLEL_UPDATES = 0

MAX_CURRENT = NumberEntityDescription(
    key="max_current",
    translation_key="max_current",
    device_class=NumberDeviceClass.CURRENT,
    entity_category=EntityCategory.CONFIG,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_step=1,
    mode=NumberMode.SLIDER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each charger's ceiling."""
    add_charger_entities(
        entry,
        async_add_entities,
        lambda coordinator, charger: [
            MaxCurrentNumberEntity(coordinator, charger, MAX_CURRENT)
        ],
    )


class MaxCurrentNumberEntity(ChargerEntity, RestoreNumber):
    """The most this charger may get, within its configured minimum and maximum."""

    def __init__(
        self,
        coordinator: SmartChargingCoordinator,
        charger: ChargerRuntime,
        description: NumberEntityDescription,
    ) -> None:
        super().__init__(coordinator, charger, description)
        self._attr_native_min_value = charger.min_current
        self._attr_native_max_value = charger.max_current

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_number_data()
        if last is not None and last.native_value is not None:
            value = int(last.native_value)
            self.charger.ceiling = min(
                max(value, self.charger.min_current), self.charger.max_current
            )

    @property
    def native_value(self) -> float:
        if self.charger.ceiling is None:
            return self.charger.max_current
        return self.charger.ceiling

    async def async_set_native_value(self, value: float) -> None:
        await self.coordinator.async_apply_setting(self.charger.id, ceiling=int(value))
