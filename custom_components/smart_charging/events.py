"""The integration's events about a charger carry the same identification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN


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
