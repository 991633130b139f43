"""Switch: whether Smart Charging controls a charger at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .coordinator import SmartChargingConfigEntry
from .entity import ChargerEntity, add_charger_entities
from .runtime import UserSettings
from .snapshot import ChargerData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerSwitchEntityDescription(SwitchEntityDescription):
    """A charger setting that is on or off."""

    value_fn: Callable[[ChargerData], bool]
    set_fn: Callable[[UserSettings, bool], UserSettings]


ENABLED = ChargerSwitchEntityDescription(
    key="enabled",
    translation_key="enabled",
    value_fn=lambda charger: charger.enabled,
    set_fn=lambda settings, on: replace(settings, enabled=on),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each charger's switch."""
    add_charger_entities(
        entry,
        async_add_entities,
        lambda coordinator, charger: [
            ChargerSwitchEntity(coordinator, charger, ENABLED)
        ],
    )


class ChargerSwitchEntity(ChargerEntity, SwitchEntity, RestoreEntity):
    """Off: the charger is left alone, nothing is written to it."""

    entity_description: ChargerSwitchEntityDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state == STATE_OFF:
            self.charger.settings = self.entity_description.set_fn(
                self.charger.settings, False
            )

    @property
    def is_on(self) -> bool | None:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    async def _async_set(self, on: bool) -> None:
        await self.coordinator.async_apply(
            [self.charger.id],
            lambda settings: self.entity_description.set_fn(settings, on),
        )

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._async_set(False)
