"""Actions: set a charger's mode or profile, or boost it until it is unplugged."""

from __future__ import annotations

from typing import NoReturn

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
import voluptuous as vol

from .const import DOMAIN
from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .engine import Mode, Profile

SERVICE_SET_MODE = "set_mode"
SERVICE_SET_PROFILE = "set_profile"
SERVICE_BOOST = "boost"
ATTR_MODE = "mode"
ATTR_PROFILE = "profile"

# Values are checked in the handler, so a wrong one gets a translated error.
SET_MODE_SCHEMA = cv.make_entity_service_schema({vol.Required(ATTR_MODE): cv.string})
SET_PROFILE_SCHEMA = cv.make_entity_service_schema(
    {vol.Required(ATTR_PROFILE): cv.string}
)
BOOST_SCHEMA = cv.make_entity_service_schema({})


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


async def _async_set_mode(call: ServiceCall) -> None:
    mode = _parse(Mode, call.data[ATTR_MODE], "invalid_mode")
    for coordinator, cid in _targets(call):
        await coordinator.async_apply_setting(cid, mode=mode, boost_restore=None)


async def _async_set_profile(call: ServiceCall) -> None:
    profile = _parse(Profile, call.data[ATTR_PROFILE], "invalid_profile")
    for coordinator, cid in _targets(call):
        await coordinator.async_apply_setting(cid, profile=profile)


async def _async_boost(call: ServiceCall) -> None:
    for coordinator, cid in _targets(call):
        await coordinator.async_boost(cid)


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
    """The chargers a call targets, by device or by any of their entities."""
    hass = call.hass
    subentry_ids: set[str] = set()
    devices = dr.async_get(hass)
    for device_id in call.data.get(ATTR_DEVICE_ID, []):
        device = devices.async_get(device_id)
        if device is None:
            _not_found(device_id)
        subentry_ids.update(
            identifier for domain, identifier in device.identifiers if domain == DOMAIN
        )
    entities = er.async_get(hass)
    for entity_id in call.data.get(ATTR_ENTITY_ID, []):
        registered = entities.async_get(entity_id)
        if registered is None or registered.platform != DOMAIN:
            _not_found(entity_id)
        # A site entity targets the site: all its chargers.
        subentry_ids.add(
            registered.config_subentry_id or registered.config_entry_id or ""
        )

    targets: list[tuple[SmartChargingCoordinator, str]] = []
    loaded: list[SmartChargingConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]
    for target_id in subentry_ids:
        for entry in loaded:
            chargers = entry.runtime_data.chargers
            if target_id in chargers:
                targets.append((entry.runtime_data, target_id))
                break
            if target_id == entry.entry_id:  # the site device: all its chargers
                targets.extend((entry.runtime_data, cid) for cid in chargers)
                break
        else:
            _not_found(target_id)
    if not targets:
        _not_found("")
    return targets


def _not_found(target: str) -> NoReturn:
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="charger_not_found",
        translation_placeholders={"target": str(target)},
    )
