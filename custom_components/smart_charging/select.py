"""Selects: each charger's mode and profile, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoredExtraData, RestoreEntity

from .coordinator import SmartChargingConfigEntry
from .engine import Mode, Profile
from .entity import ChargerEntity, add_charger_entities
from .runtime import UserSettings
from .snapshot import ChargerData

PARALLEL_UPDATES = 0

BOOST_RESTORE = "boost_restore"
CONFIGURED = "configured"


@dataclass(frozen=True, kw_only=True)
class ChargerSelectEntityDescription(SelectEntityDescription):
    """A charger setting chosen from a list."""

    value_fn: Callable[[ChargerData], str]
    set_fn: Callable[[UserSettings, str], UserSettings]


SELECTS = (
    ChargerSelectEntityDescription(
        key="mode",
        translation_key="mode",
        options=[mode.value for mode in Mode],
        value_fn=lambda charger: charger.mode.value,
        # A chosen mode ends a boost.
        set_fn=lambda settings, value: replace(
            settings, mode=Mode(value), boost_restore=None
        ),
    ),
    ChargerSelectEntityDescription(
        key="profile",
        translation_key="profile",
        entity_category=EntityCategory.CONFIG,
        options=[profile.value for profile in Profile],
        value_fn=lambda charger: charger.profile.value,
        set_fn=lambda settings, value: replace(settings, profile=Profile(value)),
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
        subentry = self.coordinator.config_entry.subentries[self.charger.id]
        self._configured = subentry.data.get(self.entity_description.key)
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        extra = await self.async_get_last_extra_data()
        saved = extra.as_dict() if extra else {}
        # A profile changed in the charger's settings wins over the one restored.
        reconfigured = saved.get(CONFIGURED) not in (None, self._configured)
        charger = self.charger
        if last is not None and last.state in self.options and not reconfigured:
            charger.settings = self.entity_description.set_fn(
                charger.settings, last.state
            )
        restore = saved.get(BOOST_RESTORE)
        if (
            isinstance(restore, list)
            and len(restore) == 2
            and restore[0] in Mode
            and restore[1] in Profile
        ):
            charger.settings = replace(
                charger.settings, boost_restore=(Mode(restore[0]), Profile(restore[1]))
            )

    @property
    def extra_restore_state_data(self) -> RestoredExtraData:
        """What a restart needs beyond the state: the configured value, and a
        boost in progress with what it returns to."""
        data: dict[str, Any] = {CONFIGURED: self._configured}
        boost_restore = self.charger.settings.boost_restore
        if self.entity_description.key == "mode" and boost_restore:
            data[BOOST_RESTORE] = [boost_restore[0].value, boost_restore[1].value]
        return RestoredExtraData(data)

    @property
    def current_option(self) -> str | None:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    async def async_select_option(self, option: str) -> None:
        await self.coordinator.async_apply(
            [self.charger.id],
            lambda settings: self.entity_description.set_fn(settings, option),
        )
