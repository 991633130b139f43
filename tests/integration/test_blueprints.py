"""The blueprints load, and drive Smart Charging end to end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import datetime as dt
from datetime import timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    ValidationStatus,
    async_validate_config_item,
)
from homeassistant.components.blueprint import models
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
    setup_test_component_platform,
)

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.engine import Mode
from tests.conftest import (
    HOUSEHOLD,
    charger_data,
    find_entity,
    power_state,
    setup_wallboxes,
    wallbox_current,
)

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "smart_charging"


@pytest.mark.parametrize(
    "path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.stem
)
def test_blueprint_is_valid(path: Path) -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(str(path)),
        expected_domain="automation",
        path=str(path),
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    assert blueprint.inputs


async def test_departure_blueprint_makes_a_valid_automation(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(
        BLUEPRINTS, tmp_path / "blueprints" / "automation" / "smart_charging"
    )
    config = await async_validate_config_item(
        hass,
        "automation.trip",
        {
            "use_blueprint": {
                "path": "smart_charging/premium_before_departure.yaml",
                "input": {"calendar": "calendar.trips", "charger": "abc"},
            }
        },
    )
    assert config is not None
    assert config.validation_status == ValidationStatus.OK
    assert config["triggers"][0]["options"]["offset"] == -timedelta(hours=6)
    assert [action["action"] for action in config["actions"]] == [
        "smart_charging.set_target",
        "smart_charging.set_mode",
    ]


@pytest.fixture
async def site(
    hass: HomeAssistant,
    tmp_path: Path,
    site_entry_factory: Callable[..., Awaitable[MockConfigEntry]],
) -> tuple[MockConfigEntry, str]:
    """A site with one solar charger, and the blueprints in HA's config folder."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(
        BLUEPRINTS, tmp_path / "blueprints" / "automation" / "smart_charging"
    )
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 30000)
    hass.states.async_set("input_boolean.plugged", "on")
    entry = await site_entry_factory(
        [
            charger_data(
                "Car", "input_number.wb1", connected_entity="input_boolean.plugged"
            )
        ],
        stale_after_s=0,
    )
    cid = next(iter(entry.subentries))
    (device,) = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, cid)})
    return entry, device.id


async def test_nfc_tag_boosts_the_charger(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site: tuple[MockConfigEntry, str],
) -> None:
    entry, device_id = site
    cid = next(iter(entry.subentries))
    mode = find_entity(hass, "select", f"{cid}_mode")
    await hass.services.async_call(
        "select", "select_option", {"entity_id": mode, "option": "off"}, blocking=True
    )
    assert await async_setup_component(hass, "tag", {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "smart_charging/boost_from_nfc_tag.yaml",
                    "input": {"tag": "garage-tag", "charger": device_id},
                }
            }
        },
    )
    hass.bus.async_fire("tag_scanned", {"tag_id": "garage-tag", "device_id": None})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(mode).state == "fast"
    assert wallbox_current(hass, "wb1") == 8  # 6 kW left under the 36 kW limit


async def test_paused_by_cap_notifies_after_the_wait(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site: tuple[MockConfigEntry, str],
) -> None:
    entry, _ = site
    cid = next(iter(entry.subentries))
    status = find_entity(hass, "sensor", f"{cid}_status")
    calls = async_mock_service(hass, "notify", "phone")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "smart_charging/notify_paused_by_cap.yaml",
                    "input": {
                        "status_sensor": status,
                        "minutes": 10,
                        "notify": [
                            {"action": "notify.phone", "data": {"message": "held"}}
                        ],
                    },
                }
            }
        },
    )
    power_state(hass, HOUSEHOLD, 35000)  # 1 kW left: below a 4.1 kW minimum
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(status).state == "paused_by_cap"
    for _ in range(9):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert calls == []
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(calls) == 1


async def test_person_home_makes_the_charger_premium(
    hass: HomeAssistant, site: tuple[MockConfigEntry, str]
) -> None:
    entry, device_id = site
    cid = next(iter(entry.subentries))
    profile = find_entity(hass, "select", f"{cid}_profile")
    hass.states.async_set("person.alex", "not_home")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "smart_charging/premium_when_home.yaml",
                    "input": {"person": "person.alex", "charger": device_id},
                }
            }
        },
    )
    hass.states.async_set("person.alex", "home")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(profile).state == "premium"
    hass.states.async_set("person.alex", "not_home")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(profile).state == "standard"


class TripCalendar(CalendarEntity):
    """A calendar with one trip."""

    _attr_name = "Trips"

    def __init__(self, trip: CalendarEvent) -> None:
        self.trip = trip

    @property
    def event(self) -> CalendarEvent | None:
        return self.trip

    async def async_get_events(
        self, hass: HomeAssistant, start_date: dt.datetime, end_date: dt.datetime
    ) -> list[CalendarEvent]:
        trip = self.trip
        return [trip] if trip.start_datetime_local < end_date else []


# The calendar's own timers (its next poll, the trip's end) outlive the test.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_calendar_trip_sets_the_target_and_smart_mode(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site: tuple[MockConfigEntry, str],
) -> None:
    """Six hours before the trip, the charger aims at its start, with the energy
    asked for, in smart mode."""
    entry, device_id = site
    cid = next(iter(entry.subentries))
    start = dt_util.now().replace(microsecond=0) + timedelta(hours=6, minutes=5)
    trip = CalendarEvent(start, start + timedelta(hours=2), "Trip to Lyon")
    setup_test_component_platform(hass, "calendar", [TripCalendar(trip)])
    assert await async_setup_component(
        hass, "calendar", {"calendar": {"platform": "test"}}
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "smart_charging/premium_before_departure.yaml",
                    "input": {
                        "calendar": "calendar.trips",
                        "charger": device_id,
                        "energy_kwh": 31.5,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    mode = find_entity(hass, "select", f"{cid}_mode")
    assert hass.states.get(mode).state == "fast"
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    settings = entry.runtime_data.chargers[cid].settings
    assert settings.departure_at == dt_util.as_utc(start)
    assert settings.energy_target_kwh == 31.5
    assert settings.mode is Mode.SMART
    assert hass.states.get(mode).state == "smart"
