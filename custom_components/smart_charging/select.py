"""Selects: each charger's mode and profile, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoredExtraData, RestoreEntity

from .coordinator import ChargerRuntime, SmartChargingConfigEntry
from .engine import Mode, Profile
from .entity import ChargerEntity, add_charger_entities

PARALLEL_UPDATES = 0
BOOST_RESTORE = "boost_restore"
CONFIGURED = "configured"


@dataclass(frozen=True, kw_only=True)
class ChargerSelectEntityDescription(SelectEntityDescription):
    """A charger setting chosen from a list."""

    setting: str  # the ChargerRuntime attribute it sets
    parse_fn: Callable[[str], StrEnum]
    value_fn: Callable[[ChargerRuntime], StrEnum]


SELECTS = (
    ChargerSelectEntityDescription(
        key="mode",
        translation_key="mode",
        options=[mode.value for mode in Mode],
        setting="mode",
        parse_fn=Mode,
        value_fn=lambda charger: charger.mode,
    ),
    ChargerSelectEntityDescription(
        key="profile",
        translation_key="profile",
        entity_category=EntityCategory.CONFIG,
        options=[profile.value for profile in Profile],
        setting="profile",
        parse_fn=Profile,
        value_fn=lambda charger: charger.profile,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each charger's selects."""
    add_charger_entities(
        entry,
        async_add_entities,
        lambda coordinator, charger: (
            ChargerSelectEntity(coordinator, charger, desc) for desc in SELECTS
        ),
    )


class ChargerSelectEntity(ChargerEntity, SelectEntity, RestoreEntity):
    """A charger setting; the user's last choice survives a restart."""

    entity_description: ChargerSelectEntityDescription

    _configured: str | None = None

    async def async_added_to_hass(self) -> None:
        # The value in the charger's settings as this entity starts; the subentry
        # itself changes in place when reconfigured.
        self._configured = self.charger.subentry.data.get(self.entity_description.key)
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        extra = await self.async_get_last_extra_data()
        saved = extra.as_dict() if extra else {}
        # A profile changed in the charger's settings wins over the one restored.
        reconfigured = saved.get(CONFIGURED) not in (None, self._configured)
        if last is not None and last.state in self.options and not reconfigured:
            setattr(
                self.charger,
                self.entity_description.setting,
                self.entity_description.parse_fn(last.state),
            )
        if restore := saved.get(BOOST_RESTORE):
            self.charger.boost_restore = (Mode(restore[0]), Profile(restore[1]))

    @property
    def extra_restore_state_data(self) -> RestoredExtraData:
        """What a restart needs beyond the state: the configured value, and a
        boost in progress with what it returns to."""
        data: dict[str, Any] = {CONFIGURED: self._configured}
        if self.entity_description.key == "mode" and self.charger.boost_restore:
            mode, profile = self.charger.boost_restore
            data[BOOST_RESTORE] = [mode.value, profile.value]
        return RestoredExtraData(data)

    @property
    def current_option(self) -> str:
        return self.entity_description.value_fn(self.charger).value

    async def async_select_option(self, option: str) -> None:
        changes: dict[str, Any] = {
            self.entity_description.setting: self.entity_description.parse_fn(option)
        }
        if self.entity_description.key == "mode":
            changes["boost_restore"] = None  # a chosen mode ends a boost
        await self.coordinator.async_apply_setting(self.charger.id, **changes)
