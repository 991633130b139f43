"""Diagnostics: the inputs, the last allocation and the engine's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant

from .coordinator import SmartChargingConfigEntry

# Wallbox addresses say where the boxes live on the network.
TO_REDACT = {CONF_HOST}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> dict[str, Any]:
    """What a bug report needs to replay a decision."""
    coordinator = entry.runtime_data
    decision = coordinator.data
    diagnostics = {
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
    # Error texts and inputs may name a wallbox's address too.
    hosts = _hosts(entry)
    return {key: _redact_hosts(value, hosts) for key, value in diagnostics.items()}


def _hosts(entry: SmartChargingConfigEntry) -> list[str]:
    """Every wallbox address of the site, host:port before the bare host."""
    hosts: set[str] = set()
    for subentry in entry.subentries.values():
        if host := str(subentry.data.get(CONF_HOST, "")).strip():
            hosts.add(host)
            if CONF_PORT in subentry.data:
                hosts.add(f"{host}:{subentry.data[CONF_PORT]}")
    return sorted(hosts, key=len, reverse=True)


def _redact_hosts(value: Any, hosts: list[str]) -> Any:
    """The value with every host replaced in every string, however deep."""
    if isinstance(value, str):
        for host in hosts:
            value = value.replace(host, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {
            _redact_hosts(key, hosts): _redact_hosts(item, hosts)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_hosts(item, hosts) for item in value]
    return value
