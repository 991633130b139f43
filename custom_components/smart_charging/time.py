"""Time: when each charger's car must be ready (`smart`), kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoredExtraData, RestoreEntity
from homeassistant.util import dt as dt_util

from .coordinator import SmartChargingConfigEntry
from .entity import ChargerEntity, add_charger_entities
from .runtime import UserSettings
from .snapshot import ChargerData

PARALLEL_UPDATES = 0

DEPARTURE_AT = "departure_at"


@dataclass(frozen=True, kw_only=True)
class ChargerTimeEntityDescription(TimeEntityDescription):
    """A charger setting set as a time of day."""

    value_fn: Callable[[ChargerData], time]
    set_fn: Callable[[UserSettings, time], UserSettings]


def _shown_departure(charger: ChargerData) -> time:
    """The one-off departure's local time of day while it is ahead, else the
    departure of every day (as planning counts them: UserSettings.next_departure)."""
    if charger.departure_at is not None and charger.departure_at > dt_util.utcnow():
        return dt_util.as_local(charger.departure_at).time()
    return charger.departure


DEPARTURE = ChargerTimeEntityDescription(
    key="departure",
    translation_key="departure",
    value_fn=_shown_departure,
    # A time set here is the departure of every day: a one-off one is dropped.
    set_fn=UserSettings.with_departure,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each charger's departure."""
    add_charger_entities(
        entry,
        async_add_entities,
        lambda coordinator, charger: [
            ChargerTimeEntity(coordinator, charger, DEPARTURE)
        ],
    )


class ChargerTimeEntity(ChargerEntity, TimeEntity, RestoreEntity):
    """The departure; the one-off departure set by the action survives a restart
    too, as long as it is ahead."""

    entity_description: ChargerTimeEntityDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        extra = await self.async_get_last_extra_data()
        saved: dict[str, Any] = extra.as_dict() if extra else {}
        # The state shows a one-off departure's time: the daily one is in the extra
        # data (a state of an older version is the daily one itself).
        text = saved.get(self.entity_description.key, last.state if last else None)
        settings = self.charger.settings
        if isinstance(text, str) and (daily := dt_util.parse_time(text)) is not None:
            settings = self.entity_description.set_fn(settings, daily)
        once = saved.get(DEPARTURE_AT)
        when = dt_util.parse_datetime(once) if isinstance(once, str) else None
        if when is not None and when.tzinfo is not None and when > dt_util.utcnow():
            settings = settings.with_departure(when)
        self.charger.settings = settings

    @property
    def extra_restore_state_data(self) -> RestoredExtraData:
        """The departure of every day, and the one-off departure if any."""
        settings = self.charger.settings
        once = settings.departure_at
        return RestoredExtraData(
            {
                self.entity_description.key: settings.departure.isoformat(),
                DEPARTURE_AT: None if once is None else once.isoformat(),
            }
        )

    @property
    def native_value(self) -> time | None:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    async def async_set_value(self, value: time) -> None:
        await self.coordinator.async_apply(
            [self.charger.id],
            lambda settings: self.entity_description.set_fn(settings, value),
        )
