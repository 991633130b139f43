"""Numbers: each charger's current ceiling and its target for `smart` (energy, or
state of charge where the car's is known), kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
import math

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    Platform,
    UnitOfElectricCurrent,
    UnitOfEnergy,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, ENERGY_TARGET_MAX_KWH
from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .entity import ChargerEntity, add_charger_entities
from .runtime import ChargerConfig, ChargerRuntime, UserSettings
from .snapshot import ChargerData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerNumberEntityDescription(NumberEntityDescription):
    """A charger setting set as a number."""

    value_fn: Callable[[ChargerData], float]
    set_fn: Callable[[UserSettings, float], UserSettings]
    # The range from the charger's configuration, where it is not fixed.
    range_fn: Callable[[ChargerConfig], tuple[float, float]] | None = None


MAX_CURRENT = ChargerNumberEntityDescription(
    key="max_current",
    translation_key="max_current",
    device_class=NumberDeviceClass.CURRENT,
    entity_category=EntityCategory.CONFIG,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_step=1,
    mode=NumberMode.SLIDER,
    value_fn=lambda charger: charger.ceiling,
    set_fn=lambda settings, value: replace(settings, ceiling=int(value)),
    range_fn=lambda config: (config.min_current, config.max_current),
)

ENERGY_TARGET = ChargerNumberEntityDescription(
    key="energy_target",
    translation_key="energy_target",
    device_class=NumberDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    native_min_value=0,
    native_max_value=ENERGY_TARGET_MAX_KWH,
    native_step=0.5,
    mode=NumberMode.BOX,
    value_fn=lambda charger: charger.energy_target_kwh,
    set_fn=lambda settings, value: replace(settings, energy_target_kwh=value),
)

TARGET_SOC = ChargerNumberEntityDescription(
    key="target_soc",
    translation_key="target_soc",
    device_class=NumberDeviceClass.BATTERY,
    native_unit_of_measurement=PERCENTAGE,
    native_min_value=0,
    native_max_value=100,
    native_step=1,
    mode=NumberMode.SLIDER,
    value_fn=lambda charger: charger.target_soc,
    set_fn=lambda settings, value: replace(settings, target_soc=value),
)


def _target(charger: ChargerRuntime) -> tuple[ChargerNumberEntityDescription, str]:
    """The charger's target number, and the key of the one it does not have: a
    charger with a state of charge sensor aims at a SoC, others at an energy."""
    if charger.config.soc_entity:
        return TARGET_SOC, ENERGY_TARGET.key
    return ENERGY_TARGET, TARGET_SOC.key


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each charger's ceiling and target."""
    registry = er.async_get(hass)
    for charger in entry.runtime_data.chargers.values():
        # The target a reconfigured charger no longer has leaves no orphan behind.
        unused = f"{charger.id}_{_target(charger)[1]}"
        if entity_id := registry.async_get_entity_id(Platform.NUMBER, DOMAIN, unused):
            registry.async_remove(entity_id)
    add_charger_entities(
        entry,
        async_add_entities,
        lambda coordinator, charger: [
            ChargerNumberEntity(coordinator, charger, description)
            for description in (MAX_CURRENT, _target(charger)[0])
        ],
    )


class ChargerNumberEntity(ChargerEntity, RestoreNumber):
    """A number of this charger, kept within its range."""

    entity_description: ChargerNumberEntityDescription

    def __init__(
        self,
        coordinator: SmartChargingCoordinator,
        charger: ChargerRuntime,
        description: ChargerNumberEntityDescription,
    ) -> None:
        super().__init__(coordinator, charger, description)
        if description.range_fn is not None:
            low, high = description.range_fn(charger.config)
            self._attr_native_min_value = low
            self._attr_native_max_value = high

    def _within(self, value: float) -> float:
        return min(max(value, self.native_min_value), self.native_max_value)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_number_data()
        if (
            last is not None
            and last.native_value is not None
            and math.isfinite(last.native_value)
        ):
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
