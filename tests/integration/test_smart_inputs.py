"""The inputs and outputs of `smart`: departure, targets, set_target, the plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.engine import Mode
from custom_components.smart_charging.runtime import ChargerConfig, UserSettings
from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    set_mode,
    set_target,
    settle,
    setup_wallboxes,
    state_of,
)

SOC = "sensor.car_soc"


async def two_cars(hass: HomeAssistant, factory: EntryFactory) -> MockConfigEntry:
    """Charger "A" without a state of charge sensor, "B" with one."""
    await setup_wallboxes(hass, "wb1", "wb2")
    power_state(hass, HOUSEHOLD, 0)
    hass.states.async_set(SOC, "40", {"unit_of_measurement": "%"})
    return await factory(
        [
            charger_data("A", "input_number.wb1"),
            charger_data("B", "input_number.wb2", soc_entity=SOC, battery_kwh=77),
        ],
        stale_after_s=0,
    )


def ids(entry: MockConfigEntry) -> tuple[str, str]:
    a, b = entry.subentries
    return a, b


def settings_of(entry: MockConfigEntry) -> dict[str, UserSettings]:
    return {
        cid: charger.settings for cid, charger in entry.runtime_data.chargers.items()
    }


async def test_entities_and_their_defaults(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, b = ids(entry)
    registry = er.async_get(hass)
    expected = {
        ("time", f"{a}_departure"): ("departure", "07:00:00"),
        ("time", f"{b}_departure"): ("departure", "07:00:00"),
        ("number", f"{a}_energy_target"): ("energy_target", "20.0"),
        ("number", f"{b}_target_soc"): ("target_soc", "80.0"),
        ("sensor", f"{a}_planned_start"): ("planned_start", "unknown"),
    }
    for (platform, unique_id), (key, value) in expected.items():
        entity_id = find_entity(hass, platform, unique_id)
        registered = registry.async_get(entity_id)
        assert registered is not None
        assert registered.translation_key == key
        assert state_of(hass, entity_id).state == value, entity_id
    # Each charger has the target its car can be given.
    assert registry.async_get_entity_id("number", DOMAIN, f"{a}_target_soc") is None
    assert registry.async_get_entity_id("number", DOMAIN, f"{b}_energy_target") is None
    energy = state_of(hass, find_entity(hass, "number", f"{a}_energy_target"))
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert (energy.attributes["min"], energy.attributes["max"]) == (0, 200)
    assert energy.attributes["step"] == 0.5
    soc = state_of(hass, find_entity(hass, "number", f"{b}_target_soc"))
    assert soc.attributes["unit_of_measurement"] == "%"
    assert (soc.attributes["min"], soc.attributes["max"]) == (0, 100)
    planned = state_of(hass, find_entity(hass, "sensor", f"{a}_planned_start"))
    assert planned.attributes["device_class"] == "timestamp"
    assert planned.attributes["schedule"] == []
    assert planned.attributes["reachable"] is None
    mode = state_of(hass, find_entity(hass, "select", f"{a}_mode"))
    assert "smart" in mode.attributes["options"]
    status = state_of(hass, find_entity(hass, "sensor", f"{a}_status"))
    assert "scheduled" in status.attributes["options"]
    chargers = entry.runtime_data.chargers
    assert (chargers[a].config.soc_entity, chargers[a].config.battery_kwh) == (
        None,
        60.0,
    )
    assert (chargers[b].config.soc_entity, chargers[b].config.battery_kwh) == (
        SOC,
        77.0,
    )


async def test_the_entities_change_the_settings(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, b = ids(entry)
    departure = find_entity(hass, "time", f"{a}_departure")
    chargers = entry.runtime_data.chargers
    once = dt_util.utcnow().replace(microsecond=0) + timedelta(days=1)
    chargers[a].settings = replace(chargers[a].settings, departure_at=once)
    await hass.services.async_call(
        "time", "set_value", {"entity_id": departure, "time": "06:30"}, blocking=True
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": find_entity(hass, "number", f"{a}_energy_target"), "value": 35.5},
        blocking=True,
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": find_entity(hass, "number", f"{b}_target_soc"), "value": 90},
        blocking=True,
    )
    await set_mode(hass, a, "smart")
    settings = settings_of(entry)
    # A time set on the entity is the departure of every day: the one-off goes.
    assert settings[a].departure == time(6, 30)
    assert settings[a].departure_at is None
    assert settings[a].energy_target_kwh == 35.5
    assert settings[a].mode is Mode.SMART
    assert settings[b].target_soc == 90
    assert state_of(hass, departure).state == "06:30:00"
    assert state_of(hass, find_entity(hass, "select", f"{a}_mode")).state == "smart"


async def test_a_restart_keeps_departure_and_targets(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, b = ids(entry)
    entities = {
        "a_departure": find_entity(hass, "time", f"{a}_departure"),
        "b_departure": find_entity(hass, "time", f"{b}_departure"),
        "energy": find_entity(hass, "number", f"{a}_energy_target"),
        "soc": find_entity(hass, "number", f"{b}_target_soc"),
    }
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    once = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=10)

    def number(value: float, unit: str) -> dict[str, Any]:
        return {
            "native_max_value": 100,
            "native_min_value": 0,
            "native_step": 1,
            "native_unit_of_measurement": unit,
            "native_value": value,
        }

    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entities["a_departure"], "12:00:00"),
                {"departure": "05:45:00", "departure_at": once.isoformat()},
            ),
            # As an older version left it: the state alone.
            (State(entities["b_departure"], "08:15:00"), {}),
            (State(entities["energy"], "42.5"), number(42.5, "kWh")),
            (State(entities["soc"], "65"), number(65, "%")),
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    settings = settings_of(entry)
    assert settings[a].departure == time(5, 45)
    assert settings[a].departure_at == once
    assert settings[a].energy_target_kwh == 42.5
    assert settings[b].departure == time(8, 15)
    assert settings[b].departure_at is None
    assert settings[b].target_soc == 65
    # The time entity shows the one-off departure's local time of day.
    shown = dt_util.as_local(once).time().isoformat()
    assert state_of(hass, entities["a_departure"]).state == shown
    assert state_of(hass, entities["energy"]).state == "42.5"


async def test_a_one_off_departure_that_passed_is_not_restored(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, _ = ids(entry)
    departure = find_entity(hass, "time", f"{a}_departure")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    gone = dt_util.utcnow() - timedelta(minutes=1)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(departure, "09:00:00"),
                {"departure": "06:00:00", "departure_at": gone.isoformat()},
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    settings = settings_of(entry)[a]
    assert (settings.departure, settings.departure_at) == (time(6, 0), None)
    assert state_of(hass, departure).state == "06:00:00"


async def test_set_target_with_a_time_and_an_energy(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, _ = ids(entry)
    await set_target(hass, a, departure="2099-01-01 08:00:00")
    await set_target(hass, a, departure="06:45", energy_kwh=33)
    settings = settings_of(entry)[a]
    assert (settings.departure, settings.departure_at) == (time(6, 45), None)
    assert settings.energy_target_kwh == 33
    departure = find_entity(hass, "time", f"{a}_departure")
    assert state_of(hass, departure).state == "06:45:00"
    energy = find_entity(hass, "number", f"{a}_energy_target")
    assert state_of(hass, energy).state == "33.0"


async def test_set_target_with_a_datetime_and_a_soc(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    _, b = ids(entry)
    local = dt_util.now().replace(microsecond=0) + timedelta(days=2)
    await set_target(hass, b, departure=local.isoformat(), soc=95)
    settings = settings_of(entry)[b]
    assert settings.departure_at == dt_util.as_utc(local)
    assert settings.departure == time(7, 0)  # the daily departure stays
    assert settings.target_soc == 95
    departure = find_entity(hass, "time", f"{b}_departure")
    assert state_of(hass, departure).state == local.time().isoformat()
    # A naive date and time (as the UI's picker sends) is local time.
    naive = local.replace(tzinfo=None) + timedelta(hours=1)
    await set_target(hass, b, departure=naive.isoformat(sep=" "))
    assert settings_of(entry)[b].departure_at == dt_util.as_utc(
        local + timedelta(hours=1)
    )


async def test_set_target_on_the_site_takes_departures_for_all(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    (site,) = dr.async_get(hass).async_get_devices(
        identifiers={(DOMAIN, entry.entry_id)}
    )
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": site.id, "departure": time(5, 30)},
        blocking=True,
    )
    assert {s.departure for s in settings_of(entry).values()} == {time(5, 30)}


@pytest.mark.parametrize(
    ("charger", "data", "key"),
    [
        ("A", {}, "target_required"),
        ("A", {"departure": "2000-01-01 08:00:00"}, "departure_in_past"),
        ("A", {"departure": "soon", "energy_kwh": 10}, "invalid_departure"),
        ("A", {"energy_kwh": 200.5}, "invalid_energy"),
        ("A", {"energy_kwh": -1}, "invalid_energy"),
        ("B", {"soc": 101}, "invalid_soc"),
        ("B", {"departure": "06:00", "energy_kwh": 10}, "energy_with_soc"),
        ("A", {"departure": "06:00", "soc": 90}, "soc_without_sensor"),
        ("site", {"departure": "06:00", "energy_kwh": 10}, "energy_with_soc"),
    ],
)
async def test_set_target_refusals_change_nothing(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    charger: str,
    data: dict[str, Any],
    key: str,
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, b = ids(entry)
    before = settings_of(entry)
    identifier = {"A": a, "B": b, "site": entry.entry_id}[charger]
    with pytest.raises(ServiceValidationError) as err:
        await set_target(hass, identifier, **data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert settings_of(entry) == before


async def test_planned_start_shows_the_schedule(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, _ = ids(entry)
    coordinator = entry.runtime_data
    start = datetime(2030, 1, 1, 1, 0, tzinfo=dt_util.UTC)
    slots = (
        (start, start + timedelta(minutes=15), 11040.0),
        (start + timedelta(hours=2), start + timedelta(hours=3), 4140.0),
    )
    charger = replace(
        coordinator.data.chargers[a],
        planned_start=start,
        schedule=slots,
        reachable=True,
    )
    coordinator.async_set_updated_data(
        replace(coordinator.data, chargers={**coordinator.data.chargers, a: charger})
    )
    await hass.async_block_till_done()
    state = state_of(hass, find_entity(hass, "sensor", f"{a}_planned_start"))
    assert state.state == "2030-01-01T01:00:00+00:00"
    assert state.attributes["reachable"] is True
    assert state.attributes["schedule"] == [
        {
            "start": "2030-01-01T01:00:00+00:00",
            "end": "2030-01-01T01:15:00+00:00",
            "power_w": 11040.0,
        },
        {
            "start": "2030-01-01T03:00:00+00:00",
            "end": "2030-01-01T04:00:00+00:00",
            "power_w": 4140.0,
        },
    ]


async def test_diagnostics_show_the_targets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await two_cars(hass, site_entry_factory)
    a, b = ids(entry)
    once = dt_util.utcnow().replace(microsecond=0) + timedelta(days=1)
    await set_target(hass, a, departure=once.isoformat(), energy_kwh=12)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    target = diagnostics["chargers"][a]["target"]
    assert target == {
        "departure": "07:00:00",
        "departure_at": once.isoformat(),
        "energy_target_kwh": 12.0,
        "target_soc": 80.0,
        "soc_entity": None,
        "battery_kwh": 60.0,
        "planned_start": None,
        "schedule": [],
        "reachable": None,
    }
    assert diagnostics["chargers"][b]["target"]["soc_entity"] == SOC


async def test_a_charger_given_a_soc_sensor_swaps_its_target(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    """Reconfigured with a SoC sensor, a charger's energy target makes way for a
    SoC target; no orphan entity is left."""
    entry = await two_cars(hass, site_entry_factory)
    a, _ = ids(entry)
    subentry = entry.subentries[a]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "soc_entity": SOC}
    )
    await settle(hass)
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("number", DOMAIN, f"{a}_energy_target") is None
    find_entity(hass, "number", f"{a}_target_soc")
    assert entry.runtime_data.chargers[a].config == ChargerConfig(
        a, "A", 3, 6, 32, entry.runtime_data.chargers[a].config.profile, SOC, 60.0
    )


async def test_next_departure(hass: HomeAssistant) -> None:
    """The one-off departure while it is ahead, else the next 07:00 local."""
    zone = dt_util.get_default_time_zone()
    settings = UserSettings()
    early = datetime(2030, 1, 1, 6, 0, tzinfo=zone)
    late = datetime(2030, 1, 1, 7, 0, tzinfo=zone)
    assert settings.next_departure(early) == datetime(2030, 1, 1, 7, 0, tzinfo=zone)
    assert settings.next_departure(late) == datetime(2030, 1, 2, 7, 0, tzinfo=zone)
    once = settings.with_departure(datetime(2030, 1, 1, 9, 30, tzinfo=zone))
    assert once.departure_at == dt_util.as_utc(datetime(2030, 1, 1, 9, 30, tzinfo=zone))
    assert once.next_departure(late) == once.departure_at
    assert once.next_departure(late + timedelta(hours=3)) == datetime(
        2030, 1, 2, 7, 0, tzinfo=zone
    )
