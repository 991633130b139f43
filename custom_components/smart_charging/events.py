"""The integration's events about a charger carry the same identification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_STATUS_CHANGED
from .engine import Status
from .engine.control import StepResult
from .runtime import ChargerRuntime


def fire_charger_event(
    hass: HomeAssistant,
    event_type: str,
    entry_id: str,
    cid: str,
    name: str,
    data: Mapping[str, Any],
) -> None:
    """Fire `event_type` for a charger: its name, subentry id and device id first."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, cid), entry_id)
    hass.bus.async_fire(
        event_type,
        {
            "charger": name,
            "subentry_id": cid,
            "device_id": device.id if device else None,
            **data,
        },
    )


def publish_statuses(
    hass: HomeAssistant,
    entry_id: str,
    chargers: Mapping[str, ChargerRuntime],
    result: StepResult,
) -> None:
    """Copy the step's statuses onto the chargers and announce their changes."""
    for cid, decided in result.decision.chargers.items():
        charger = chargers[cid]
        status = decided.status
        if charger.link.failing and charger.settings.enabled:
            status = Status.ERROR
        old, charger.status = charger.status, status
        if old is not None and old != status:
            fire_charger_event(
                hass,
                EVENT_STATUS_CHANGED,
                entry_id,
                cid,
                charger.name,
                {"old_status": old.value, "new_status": status.value},
            )
