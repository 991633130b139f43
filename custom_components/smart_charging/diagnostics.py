"""Diagnostics: the inputs, the last allocation and the engine's state."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import SmartChargingConfigEntry

# Wallbox addresses say where the boxes live on the network.
TO_REDACT = {"host"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> dict[str, Any]:
    """What a bug report needs to replay a decision."""
    coordinator = entry.runtime_data
    decision = coordinator.data
    return {
        "site": dict(entry.data),
        "inputs": asdict(coordinator.site) if coordinator.site else None,
        "chargers": {
            charger.id: {
                "name": charger.name,
                "config": async_redact_data(dict(charger.subentry.data), TO_REDACT),
                "mode": charger.mode.value,
                "profile": charger.profile.value,
                "ceiling": charger.ceiling,
                "enabled": charger.enabled,
                "reading": asdict(charger.reading),
                "last_command": charger.last_command,
                "status": charger.status.value if charger.status else None,
                "failures": charger.failures,
                "last_error": charger.last_error,
            }
            for charger in coordinator.chargers.values()
        },
        "last_allocation": asdict(decision) if decision else None,
        "engine_state": asdict(coordinator.engine_state),
    }
