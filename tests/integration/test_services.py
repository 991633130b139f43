"""Actions: set_mode, set_profile and boost."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar, device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    setup_wallboxes,
    tick,
    wallbox_current,
)


async def two_chargers(hass: HomeAssistant, factory: EntryFactory) -> MockConfigEntry:
    await setup_wallboxes(hass, "wb1", "wb2")
    power_state(hass, HOUSEHOLD, 0)
    hass.states.async_set("input_boolean.car_plugged", "on")
    return await factory(
        [
            charger_data(
                "A", "input_number.wb1", connected_entity="input_boolean.car_plugged"
            ),
            charger_data("B", "input_number.wb2"),
        ],
        stale_after_s=0,
        standard_max_kw=7.0,
    )


def device_of(hass: HomeAssistant, subentry_id: str) -> str:
    (device,) = dr.async_get(hass).async_get_devices(
        identifiers={(DOMAIN, subentry_id)}
    )
    assert device is not None
    return device.id


async def test_set_mode_by_device_and_by_entity(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_chargers(hass, site_entry_factory)
    a, b = list(entry.subentries)
    await hass.services.async_call(
        DOMAIN,
        "set_mode",
        {"device_id": device_of(hass, a), "mode": "off"},
        blocking=True,
    )
    status_b = find_entity(hass, "sensor", f"{b}_status")
    await hass.services.async_call(
        DOMAIN, "set_mode", {"entity_id": status_b, "mode": "solar"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(find_entity(hass, "select", f"{a}_mode")).state == "off"
    assert hass.states.get(find_entity(hass, "select", f"{b}_mode")).state == "solar"
    assert wallbox_current(hass, "wb1") == 0


async def test_set_profile_for_the_whole_site(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_chargers(hass, site_entry_factory)
    site_device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert site_device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_profile",
        {"device_id": site_device.id, "profile": "premium"},
        blocking=True,
    )
    for cid in entry.subentries:
        profile = find_entity(hass, "select", f"{cid}_profile")
        assert hass.states.get(profile).state == "premium"


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_mode", {"mode": "turbo"}, "invalid_mode"),
        ("set_profile", {"profile": "vip"}, "invalid_profile"),
        ("boost", {"entity_id": "sensor.not_ours"}, "charger_not_found"),
        ("boost", {"device_id": "nope"}, "charger_not_found"),
    ],
)
async def test_bad_calls_raise_translated_errors(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    service: str,
    data: dict[str, str],
    key: str,
) -> None:
    entry = await two_chargers(hass, site_entry_factory)
    if "mode" in data or "profile" in data:
        data = {**data, "device_id": device_of(hass, next(iter(entry.subentries)))}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, service, data, blocking=True)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN


@pytest.mark.parametrize(
    ("data", "target"),
    [
        ({"entity_id": "sensor.not_ours"}, "sensor.not_ours"),
        ({"device_id": ["nope"]}, "nope"),
        ({"area_id": "garage"}, "garage"),
        ({"area_id": ["garage"], "label_id": "ev"}, "garage, ev"),
        ({"floor_id": "basement"}, "basement"),
    ],
)
async def test_no_charger_names_the_target(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    data: dict[str, str | list[str]],
    target: str,
) -> None:
    """The error says which of the given ids matched no charger."""
    await two_chargers(hass, site_entry_factory)
    ar.async_get(hass).async_create("Garage")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "boost", data, blocking=True)
    assert err.value.translation_key == "charger_not_found"
    assert err.value.translation_placeholders == {"target": target}


async def test_unloaded_site_names_the_target(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    """A charger of an unloaded site matches nothing; the error names the call's
    target."""
    entry = await two_chargers(hass, site_entry_factory)
    a, _ = list(entry.subentries)
    device = device_of(hass, a)
    mode = find_entity(hass, "select", f"{a}_mode")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for data, target in (
        ({"device_id": device}, device),
        ({"entity_id": mode}, mode),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, "boost", data, blocking=True)
        assert err.value.translation_key == "charger_not_found"
        assert err.value.translation_placeholders == {"target": target}


async def test_boost_until_unplugged(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await two_chargers(hass, site_entry_factory)
    a, _ = list(entry.subentries)
    mode = find_entity(hass, "select", f"{a}_mode")
    await hass.services.async_call(
        "select", "select_option", {"entity_id": mode, "option": "solar"}, blocking=True
    )
    await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 0  # no sun
    await hass.services.async_call(
        DOMAIN, "boost", {"device_id": device_of(hass, a)}, blocking=True
    )
    await tick(hass, freezer)
    # Full power: premium, so the 7 kW standard ceiling does not hold it back.
    assert wallbox_current(hass, "wb1") == 32
    assert hass.states.get(mode).state == "fast"
    hass.states.async_set("input_boolean.car_plugged", "off")
    await tick(hass, freezer)
    assert hass.states.get(mode).state == "solar"
    profile = find_entity(hass, "select", f"{a}_profile")
    assert hass.states.get(profile).state == "standard"
    assert wallbox_current(hass, "wb1") == 0


async def test_boost_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await two_chargers(hass, site_entry_factory)
    a, _ = list(entry.subentries)
    await hass.services.async_call(
        DOMAIN, "boost", {"device_id": device_of(hass, a)}, blocking=True
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    settings = entry.runtime_data.chargers[a].settings
    assert settings.boost_restore == ("fast", "standard")
    assert settings.profile == "premium"
