"""Diagnostics: the chargers, the last step (inputs, allocation, state) and the
§14a dimming periods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant

from .coordinator import SmartChargingConfigEntry
from .engine.control import reserve_w
from .runtime import ChargerRuntime
from .snapshot import ChargerData

# Wallbox addresses say where the boxes live on the network.
TO_REDACT = {CONF_HOST}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> dict[str, Any]:
    """What a bug report needs to replay a decision."""
    coordinator = entry.runtime_data
    result = coordinator.last_result
    diagnostics = {
        "site": dict(entry.data),
        "inputs": asdict(result.readings) if result else None,
        "chargers": {
            charger.id: {
                "name": charger.name,
                "config": async_redact_data(
                    dict(entry.subentries[charger.id].data), TO_REDACT
                ),
                "settings": asdict(charger.settings),
                "target": _target(
                    charger,
                    coordinator.data.chargers.get(charger.id)
                    if coordinator.data
                    else None,
                ),
                "reading": asdict(charger.reading),
                "power_problem": charger.power_problem,
                "last_command": charger.link.holding.current,
                # The phases the box supplies, and a phase switch's health.
                "phases": charger.phases,
                "phase_switch": asdict(charger.link.phase_switch),
                "status": charger.status.value if charger.status else None,
                "failures": charger.link.failures,
                "last_error": charger.link.last_error,
                "session_kwh": charger.metering.session_kwh,
                "session_in_progress": charger.metering.progress.as_dict(),
                "last_sessions": [
                    session.as_dict() for session in charger.metering.history
                ],
            }
            for charger in coordinator.chargers.values()
        },
        "last_allocation": asdict(result.decision) if result else None,
        # §14a dimming and the capacity tariff at the last step, and the last
        # dimming periods with what the chargers drew from the grid meanwhile.
        "grid_limits": asdict(result.grid) if result else None,
        "dimming_periods": coordinator.dimming.as_list(),
        # The reserve learned from the household's load steps (adaptive_reserve).
        "adaptive_reserve": {
            "enabled": coordinator.settings.adaptive_reserve,
            "reserve_w": reserve_w(coordinator.settings, coordinator.state.reserve),
            "learned_w": coordinator.state.reserve.margin_w,
        },
        "unusable": list(result.unusable) if result else None,
        "state": asdict(coordinator.state),
    }
    # Error texts and inputs may name a wallbox's address too.
    hosts = _hosts(entry)
    return {key: _redact_hosts(value, hosts) for key, value in diagnostics.items()}


def _target(charger: ChargerRuntime, data: ChargerData | None) -> dict[str, Any]:
    """The charger's target for `smart`, and its plan as last shown."""
    settings, config = charger.settings, charger.config
    once = settings.departure_at
    return {
        "departure": settings.departure.isoformat(),
        "departure_at": None if once is None else once.isoformat(),
        "energy_target_kwh": settings.energy_target_kwh,
        "target_soc": settings.target_soc,
        "soc_entity": config.soc_entity,
        "battery_kwh": config.battery_kwh,
        "planned_start": (
            data.planned_start.isoformat() if data and data.planned_start else None
        ),
        "schedule": [
            [start.isoformat(), end.isoformat(), power]
            for start, end, power in (data.schedule if data else ())
        ],
        "reachable": data.reachable if data else None,
    }


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
