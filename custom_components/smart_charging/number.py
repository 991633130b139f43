"""Number: each charger's own current ceiling, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .entity import ChargerEntity, add_charger_entities
from .runtime import ChargerRuntime, UserSettings
from .snapshot import ChargerData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerNumberEntityDescription(NumberEntityDescription):
    """A charger setting set as a number."""

    value_fn: Callable[[ChargerData], int]
    set_fn: Callable[[UserSettings, int], UserSettings]


MAX_CURRENT = ChargerNumberEntityDescription(
    key="max_current",
    translation_key="max_current",
    device_class=NumberDeviceClass.CURRENT,
    entity_category=EntityCategory.CONFIG,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_step=1,
    mode=NumberMode.SLIDER,
    value_fn=lambda charger: charger.ceiling,
    set_fn=lambda settings, value: replace(settings, ceiling=value),
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
            ChargerNumberEntity(coordinator, charger, MAX_CURRENT)
        ],
    )


class ChargerNumberEntity(ChargerEntity, RestoreNumber):
    """The most this charger may get, within its configured minimum and maximum."""

    entity_description: ChargerNumberEntityDescription

    def __init__(
        self,
        coordinator: SmartChargingCoordinator,
        charger: ChargerRuntime,
        description: ChargerNumberEntityDescription,
    ) -> None:
        super().__init__(coordinator, charger, description)
        self._attr_native_min_value = charger.config.min_current
        self._attr_native_max_value = charger.config.max_current

    def _within(self, value: float) -> int:
        return int(min(max(value, self.native_min_value), self.native_max_value))

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_number_data()
        if last is not None and last.native_value is not None:
            self.charger.settings = self.entity_description.set_fn(
                self.charger.settings, self._within(last.native_value)
            )

    @property
    def native_value(self) -> float | None:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    async def async_set_native_value(self, value: float) -> None:
        await self.coordinator.async_apply(
            [self.charger.id],
            lambda settings: self.entity_description.set_fn(
                settings, self._within(value)
            ),
        )
