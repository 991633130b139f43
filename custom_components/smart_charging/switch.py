"""Switch: whether Smart Charging controls a charger at all."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .coordinator import SmartChargingConfigEntry
from .entity import ChargerEntity, add_charger_entities

PARALLEL_UPDATES = 0

ENABLED = SwitchEntityDescription(key="enabled", translation_key="enabled")


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
            EnabledSwitchEntity(coordinator, charger, ENABLED)
        ],
    )


class EnabledSwitchEntity(ChargerEntity, SwitchEntity, RestoreEntity):
    """Off: the charger is left alone, nothing is written to it."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state == STATE_OFF:
            self.charger.enabled = False

    @property
    def is_on(self) -> bool:
        return self.charger.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.coordinator.async_apply_setting(self.charger.id, enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.coordinator.async_apply_setting(self.charger.id, enabled=False)
