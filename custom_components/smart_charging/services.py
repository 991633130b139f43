"""Actions: set a charger's mode, profile or `smart` target, or boost it until it
is unplugged."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
import math
from typing import Any, NoReturn

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.target import (
    TargetSelection,
    async_extract_referenced_entity_ids,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN, ENERGY_TARGET_MAX_KWH
from .coordinator import (
    SettingsChange,
    SmartChargingConfigEntry,
    SmartChargingCoordinator,
)
from .engine import Mode, Profile
from .runtime import UserSettings

SERVICE_SET_MODE = "set_mode"
SERVICE_SET_PROFILE = "set_profile"
SERVICE_BOOST = "boost"
SERVICE_SET_TARGET = "set_target"
ATTR_MODE = "mode"
ATTR_PROFILE = "profile"
ATTR_DEPARTURE = "departure"
ATTR_ENERGY_KWH = "energy_kwh"
ATTR_SOC = "soc"
SOC_MAX = 100.0
TARGET_FIELDS = (
    ATTR_ENTITY_ID,
    ATTR_DEVICE_ID,
    ATTR_AREA_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)

# Values are checked in the handler, so a wrong one gets a translated error.
SET_MODE_SCHEMA = cv.make_entity_service_schema({vol.Required(ATTR_MODE): cv.string})
SET_PROFILE_SCHEMA = cv.make_entity_service_schema(
    {vol.Required(ATTR_PROFILE): cv.string}
)
BOOST_SCHEMA = cv.make_entity_service_schema({})
SET_TARGET_SCHEMA = cv.make_entity_service_schema(
    {
        vol.Optional(ATTR_DEPARTURE): vol.Any(datetime, time, cv.string),
        vol.Optional(ATTR_ENERGY_KWH): vol.Coerce(float),
        vol.Optional(ATTR_SOC): vol.Coerce(float),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once, for every site."""
    hass.services.async_register(
        DOMAIN, SERVICE_SET_MODE, _async_set_mode, schema=SET_MODE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_PROFILE, _async_set_profile, schema=SET_PROFILE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_BOOST, _async_boost, schema=BOOST_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_TARGET, _async_set_target, schema=SET_TARGET_SCHEMA
    )


async def _async_set_mode(call: ServiceCall) -> None:
    mode = _parse(Mode, call.data[ATTR_MODE], "invalid_mode")
    # A chosen mode ends a boost.
    await _async_apply(call, lambda s: replace(s, mode=mode, boost_restore=None))


async def _async_set_profile(call: ServiceCall) -> None:
    profile = _parse(Profile, call.data[ATTR_PROFILE], "invalid_profile")
    await _async_apply(call, lambda s: replace(s, profile=profile))


async def _async_boost(call: ServiceCall) -> None:
    await _async_apply(call, UserSettings.boosted)


async def _async_set_target(call: ServiceCall) -> None:
    """Departure and energy or SoC; every value and charger is checked before any
    charger changes."""
    data = call.data
    if not {ATTR_DEPARTURE, ATTR_ENERGY_KWH, ATTR_SOC} & data.keys():
        _invalid("target_required")
    departure = _departure(data[ATTR_DEPARTURE]) if ATTR_DEPARTURE in data else None
    energy = _within(data.get(ATTR_ENERGY_KWH), ENERGY_TARGET_MAX_KWH, "invalid_energy")
    soc = _within(data.get(ATTR_SOC), SOC_MAX, "invalid_soc")
    targets = _targets(call)
    for coordinator, cid in targets:
        charger = coordinator.chargers[cid]
        has_soc = charger.config.soc_entity is not None
        if (energy is not None and has_soc) or (soc is not None and not has_soc):
            _invalid(
                "energy_with_soc" if has_soc else "soc_without_sensor",
                charger=charger.name,
            )

    def change(settings: UserSettings) -> UserSettings:
        if departure is not None:
            settings = settings.with_departure(departure)
        if energy is not None:
            settings = replace(settings, energy_target_kwh=energy)
        if soc is not None:
            settings = replace(settings, target_soc=soc)
        return settings

    await _async_apply_to(targets, change)


def _departure(value: datetime | time | str) -> datetime | time:
    """A date and time (local when naive), or a time of day; a date and time
    already past is refused."""
    when = value
    if isinstance(value, str):
        when = dt_util.parse_datetime(value) or dt_util.parse_time(value) or value
    if isinstance(when, datetime):
        when = dt_util.as_utc(when)
        if when <= dt_util.utcnow():
            _invalid("departure_in_past", departure=dt_util.as_local(when).isoformat())
        return when
    if not isinstance(when, time):
        _invalid("invalid_departure", value=str(value))
    return when


def _within(value: float | None, maximum: float, key: str) -> float | None:
    """A target from 0 to `maximum`, or None when not given."""
    if value is not None and not (math.isfinite(value) and 0 <= value <= maximum):
        _invalid(key, value=f"{value:g}", maximum=f"{maximum:g}")
    return value


def _invalid(key: str, **placeholders: Any) -> NoReturn:
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


async def _async_apply(call: ServiceCall, change: SettingsChange) -> None:
    """Change every targeted charger, in one step per site."""
    await _async_apply_to(_targets(call), change)


async def _async_apply_to(
    targets: list[tuple[SmartChargingCoordinator, str]], change: SettingsChange
) -> None:
    by_site: dict[SmartChargingCoordinator, list[str]] = {}
    for coordinator, cid in targets:
        by_site.setdefault(coordinator, []).append(cid)
    for coordinator, cids in by_site.items():
        await coordinator.async_apply(cids, change)


def _parse[T: (Mode, Profile)](kind: type[T], value: str, key: str) -> T:
    try:
        return kind(value)
    except ValueError:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={
                "value": value,
                "options": ", ".join(member.value for member in kind),
            },
        ) from None


def _targets(call: ServiceCall) -> list[tuple[SmartChargingCoordinator, str]]:
    """The chargers a call targets: by device, entity, area, floor or label.

    A charger is targeted through its device or any of its entities; the site's
    device or entities target all its chargers. Entities of other integrations
    reached through an area or label are passed over.
    """
    hass = call.hass
    selected = async_extract_referenced_entity_ids(
        hass, TargetSelection(call.data), primary_entities_only=False
    )
    for missing in selected.missing_devices:
        _not_found(missing)
    entities = er.async_get(hass)
    owners: set[tuple[str, str | None]] = set()
    for entity_id in selected.referenced | selected.indirectly_referenced:
        registered = entities.async_get(entity_id)
        if registered is None or registered.platform != DOMAIN:
            if entity_id in selected.referenced:
                _not_found(entity_id)
            continue
        if registered.config_entry_id:
            owners.add((registered.config_entry_id, registered.config_subentry_id))

    targets: list[tuple[SmartChargingCoordinator, str]] = []
    for entry_id, subentry_id in owners:
        entry: SmartChargingConfigEntry | None = hass.config_entries.async_get_entry(
            entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            _not_found(_given_target(call))
        chargers = entry.runtime_data.chargers
        cids = [subentry_id] if subentry_id else list(chargers)
        targets.extend((entry.runtime_data, cid) for cid in cids if cid in chargers)
    if not targets:
        _not_found(_given_target(call))
    return sorted(set(targets), key=lambda target: target[1])


def _given_target(call: ServiceCall) -> str:
    """The target as the call gave it: its entity, device, area, floor and label ids."""
    return ", ".join(
        str(value)
        for field in TARGET_FIELDS
        for value in cv.ensure_list(call.data.get(field))
    )


def _not_found(target: str) -> NoReturn:
    """No charger matches this target (ids as the call gave them)."""
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="charger_not_found",
        translation_placeholders={"target": str(target)},
    )
