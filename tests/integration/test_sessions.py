"""Charging sessions: recorded on unplug with energy, cost, CO2 and solar share,
shown by last_session, announced by an event, added to the long-term statistics,
and kept across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.json import JSONEncoder
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.restore_state import async_get as restore_state
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.smart_charging.const import DOMAIN, EVENT_SESSION_ENDED
from custom_components.smart_charging.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.smart_charging.runtime import Metering
from custom_components.smart_charging.session_publish import STATISTIC_SUMS
from custom_components.smart_charging.sessions import (
    Session,
    SessionProgress,
    Tariff,
    read_co2,
    read_price,
    solar_kwh,
)
from tests.conftest import (
    HOUSEHOLD,
    SOLAR,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    settle,
    setup_wallboxes,
    state_of,
    tick,
)

PLUG = "binary_sensor.wb1_plug"
PRICE = "sensor.electricity_price"
CO2 = "sensor.grid_carbon_intensity"
# 16 A x 690 W/A commanded while plugged in; 1 kW household, 5 kW of sun: 4 kW surplus.
CHARGER_W = 11040
SURPLUS_W = 4000
# Plugged in at 9:30:00 after a step or two: an hour of charging spans 9:00 and 10:00.
START = datetime(2026, 3, 2, 9, 29, 40, tzinfo=dt_util.UTC)
NINE = datetime(2026, 3, 2, 9, tzinfo=dt_util.UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (it must start before Home Assistant), then ours."""


async def statistic_rows(
    hass: HomeAssistant, ids: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """The hourly rows of these statistics since an hour before the start."""
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        START - timedelta(hours=1),
        None,
        ids,
        "hour",
        None,
        {"sum"},
    )
    return {key: [dict(row) for row in value] for key, value in rows.items()}


def plug(hass: HomeAssistant, plugged: bool) -> None:
    hass.states.async_set(PLUG, "on" if plugged else "off")


def tariff(hass: HomeAssistant, price: float | str, co2: float | str) -> None:
    hass.states.async_set(PRICE, str(price), {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set(CO2, str(co2), {"unit_of_measurement": "gCO2eq/kWh"})


async def solar_site(hass: HomeAssistant, site_entry_factory: EntryFactory) -> str:
    """One 16 A car with a plug sensor, a price, a carbon sensor and the sun."""
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 1000)
    power_state(hass, SOLAR, 5000)
    tariff(hass, 0.25, 200)
    plug(hass, False)
    entry = await site_entry_factory(
        [
            charger_data(
                "Car", "input_number.wb1", connected_entity=PLUG, max_current=16
            )
        ],
        solar_power_entity=SOLAR,
        price_entity=PRICE,
        co2_entity=CO2,
        stale_after_s=0,
    )
    return next(iter(entry.subentries))


async def charge(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    """Minutes of charging, one step a minute."""
    for _ in range(minutes):
        await tick(hass, freezer, 60)


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the site and start it again with what Home Assistant stored, through
    JSON as on disk."""
    stored = [
        (item.state, item.extra_data.as_dict() if item.extra_data else {})
        for item in restore_state(hass).async_get_stored_states()
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (state, json.loads(json.dumps(extra, cls=JSONEncoder)))
            for state, extra in stored
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)


def last_session(hass: HomeAssistant, cid: str) -> State:
    return state_of(hass, find_entity(hass, "sensor", f"{cid}_last_session"))


def assert_session(attributes: dict[str, Any], minutes: float) -> None:
    """A session of this many minutes at 16 A: half at 0.25 EUR, half at 0.10."""
    kwh = CHARGER_W * minutes / 60 / 1000
    assert attributes["energy_kwh"] == pytest.approx(kwh, abs=0.01)
    assert attributes["cost"] == pytest.approx(
        kwh / 2 * 0.25 + kwh / 2 * 0.10, abs=0.01
    )
    assert attributes["currency"] == "EUR"
    assert attributes["co2_kg"] == pytest.approx(kwh * 0.2, abs=0.01)
    assert attributes["solar_share"] == pytest.approx(
        SURPLUS_W / CHARGER_W * 100, abs=0.2
    )


async def charge_again_after_a_reload(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Reload the site and forget the sums known (as a restart would: the last
    sums come from the database), then a session of ten minutes."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await async_wait_recording_done(hass)
    hass.data.pop(STATISTIC_SUMS)
    await settle(hass)
    plug(hass, True)
    await tick(hass, freezer, 10)
    await charge(hass, freezer, 10)
    plug(hass, False)
    await tick(hass, freezer, 10)


async def test_a_session_is_recorded_announced_and_added_to_the_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(START)
    cid = await solar_site(hass, site_entry_factory)
    events = async_capture_events(hass, EVENT_SESSION_ENDED)
    await tick(hass, freezer, 10)
    assert last_session(hass, cid).state == "unknown"  # no session yet
    plug(hass, True)
    await tick(hass, freezer, 10)
    plugged_at = dt_util.utcnow()
    await charge(hass, freezer, 30)
    tariff(hass, 0.10, 200)  # the price falls at 10:00
    await charge(hass, freezer, 30)
    plug(hass, False)
    await tick(hass, freezer, 10)
    await tick(hass, freezer, 10)  # unplugged stays unplugged: one session
    state = last_session(hass, cid)
    assert float(state.state) == pytest.approx(11.04, abs=0.01)
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert_session(dict(state.attributes), 60)
    assert state.attributes["start"] == plugged_at.isoformat()
    assert dt_util.parse_datetime(state.attributes["end"]) - plugged_at == timedelta(
        minutes=60, seconds=10
    )
    assert len(events) == 1
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, cid), hass.config_entries.async_entries(DOMAIN)[0].entry_id
    )
    assert device is not None
    assert events[0].data["charger"] == "Car"
    assert events[0].data["subentry_id"] == cid
    assert events[0].data["device_id"] == device.id
    assert events[0].data["energy_kwh"] == state.attributes["energy_kwh"]
    assert events[0].data["cost"] == state.attributes["cost"]
    await async_wait_recording_done(hass)
    ids = {
        item["statistic_id"]: item
        for item in await get_instance(hass).async_add_executor_job(
            list_statistic_ids, hass
        )
    }
    assert ids["smart_charging:home_car_energy"]["statistics_unit_of_measurement"] == (
        "kWh"
    )
    assert ids["smart_charging:home_car_cost"]["statistics_unit_of_measurement"] == (
        "EUR"
    )
    rows = await statistic_rows(hass, set(ids))
    energy = rows["smart_charging:home_car_energy"]
    # 9:30 to 10:30: two hours, half the energy in each, summed up.
    assert [row["start"] for row in energy] == [
        NINE.timestamp(),
        (NINE + timedelta(hours=1)).timestamp(),
    ]
    assert energy[0]["sum"] == pytest.approx(5.52, abs=0.01)
    assert energy[-1]["sum"] == pytest.approx(11.04, abs=0.01)
    cost = rows["smart_charging:home_car_cost"]
    assert cost[0]["sum"] == pytest.approx(5.52 * 0.25, abs=0.01)
    assert cost[-1]["sum"] == pytest.approx(state.attributes["cost"], abs=0.001)
    solar = rows["smart_charging:home_car_solar_energy"]
    assert solar[-1]["sum"] == pytest.approx(4.0, abs=0.01)

    # A second session, after a reload, continues the sums.
    await charge_again_after_a_reload(hass, freezer)
    rows = await statistic_rows(hass, {"smart_charging:home_car_energy"})
    assert rows["smart_charging:home_car_energy"][-1]["sum"] == pytest.approx(
        11.04 + 1.84, abs=0.01
    )
    assert len(events) == 2


async def test_a_restart_in_a_session_and_after_it_loses_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(START)
    cid = await solar_site(hass, site_entry_factory)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert isinstance(entry, MockConfigEntry)
    events = async_capture_events(hass, EVENT_SESSION_ENDED)
    plug(hass, True)
    await tick(hass, freezer, 10)
    plugged_at = dt_util.utcnow()
    await charge(hass, freezer, 30)
    await restart(hass, entry)  # in the middle of the session
    tariff(hass, 0.10, 200)
    await charge(hass, freezer, 30)
    plug(hass, False)
    await tick(hass, freezer, 10)
    state = last_session(hass, cid)
    assert_session(dict(state.attributes), 60)
    assert state.attributes["start"] == plugged_at.isoformat()
    assert len(events) == 1
    await restart(hass, entry)  # after it
    await tick(hass, freezer, 10)
    restored = last_session(hass, cid)
    assert restored.state == state.state
    assert restored.attributes == state.attributes
    assert len(events) == 1  # not announced twice
    charger = entry.runtime_data.chargers[cid]
    assert charger.metering.progress.start is None  # no session in progress


async def test_a_car_that_left_while_home_assistant_was_down_ends_its_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    freezer.move_to(START)
    cid = await solar_site(hass, site_entry_factory)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert isinstance(entry, MockConfigEntry)
    events = async_capture_events(hass, EVENT_SESSION_ENDED)
    plug(hass, True)
    await tick(hass, freezer, 10)
    await charge(hass, freezer, 20)
    last_energy_at = dt_util.utcnow()
    plug(hass, False)  # while stopped
    freezer.tick(timedelta(hours=2))
    await restart(hass, entry)
    await tick(hass, freezer, 10)
    assert len(events) == 1
    attributes = last_session(hass, cid).attributes
    assert attributes["energy_kwh"] == pytest.approx(CHARGER_W / 3 / 1000, abs=0.01)
    assert attributes["end"] == last_energy_at.isoformat()


async def test_without_price_and_carbon_sensors_cost_and_co2_are_unknown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 1000)
    plug(hass, False)
    entry = await site_entry_factory(
        [charger_data("Car", "input_number.wb1", connected_entity=PLUG)],
        stale_after_s=0,
    )
    cid = next(iter(entry.subentries))
    plug(hass, True)
    await tick(hass, freezer, 10)
    await charge(hass, freezer, 5)
    plug(hass, False)
    await tick(hass, freezer, 10)
    attributes = last_session(hass, cid).attributes
    assert attributes["energy_kwh"] > 0
    assert attributes["cost"] is None
    assert attributes["co2_kg"] is None
    assert attributes["solar_share"] is None  # no solar sensor


async def test_an_unusable_price_makes_the_cost_unknown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    cid = await solar_site(hass, site_entry_factory)
    plug(hass, True)
    await tick(hass, freezer, 10)
    await charge(hass, freezer, 2)
    tariff(hass, "unavailable", 200)
    await charge(hass, freezer, 2)
    tariff(hass, 0.2, 200)
    await charge(hass, freezer, 2)
    plug(hass, False)
    await tick(hass, freezer, 10)
    attributes = last_session(hass, cid).attributes
    assert attributes["cost"] is None
    assert attributes["co2_kg"] == pytest.approx(
        attributes["energy_kwh"] * 0.2, abs=0.001
    )


async def test_diagnostics_list_the_last_sessions(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    cid = await solar_site(hass, site_entry_factory)
    for _ in range(7):
        plug(hass, True)
        await tick(hass, freezer, 10)
        await charge(hass, freezer, 1)
        plug(hass, False)
        await tick(hass, freezer, 10)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    sessions = diagnostics["chargers"][cid]["last_sessions"]
    assert len(sessions) == 5
    assert all(session["energy_kwh"] > 0 for session in sessions)
    assert diagnostics["chargers"][cid]["session_in_progress"]["start"] is None


# Pure pieces ------------------------------------------------------------------


def test_prices_are_read_per_kwh_in_their_currency() -> None:
    assert read_price("0.25", "EUR/kWh") == (0.25, "EUR")
    assert read_price("250", "EUR/MWh") == (0.25, "EUR")
    assert read_price("-0.02", "SEK/kWh") == (-0.02, "SEK")
    assert read_price("12", "ct/kWh") == (12, "ct")
    assert read_price("0.3", None) == (0.3, None)
    assert read_price("unavailable", "EUR/kWh") == (None, None)
    assert read_price("nan", "EUR/kWh") == (None, None)
    assert read_price("1", "EUR/m³") == (None, None)


def test_carbon_is_read_in_grams_per_kwh() -> None:
    assert read_co2("120", "gCO2eq/kWh") == 120
    assert read_co2("0.12", "kgCO2/kWh") == pytest.approx(120)
    assert read_co2("120000", "g/MWh") == pytest.approx(120)
    assert read_co2("-1", "g/kWh") is None
    assert read_co2("unknown", "g/kWh") is None


def test_the_surplus_is_shared_in_proportion_and_never_above_the_energy() -> None:
    # Two chargers drew 2 kWh and 1 kWh in an hour with a 1.5 kW surplus.
    assert solar_kwh({"a": 2.0, "b": 1.0}, 1500, 1.0) == {"a": 1.0, "b": 0.5}
    assert solar_kwh({"a": 2.0}, 5000, 1.0) == {"a": 2.0}
    assert solar_kwh({"a": 2.0}, 0, 1.0) == {}


def test_sessions_follow_the_plug() -> None:
    metering = Metering(solar=True)
    metering.add(1.0, 10.0)  # no car seen yet: no session
    assert metering.progress.start is None
    metering.follow_plug(True, False, 20.0)
    metering.add(2.0, 30.0, 1.0, Tariff(0.1, "EUR", None))
    metering.follow_plug(True, True, 40.0)  # still plugged in
    metering.follow_plug(None, True, 50.0)  # cannot tell: the session goes on
    # Unplugged while the plug state was unknown: ended when energy last came.
    metering.follow_plug(False, None, 60.0)
    (session,) = metering.take_ended()
    assert (session.start, session.end, session.energy_kwh) == (20.0, 30.0, 2.0)
    assert session.cost == pytest.approx(0.2)
    assert session.co2_kg is None  # no carbon sensor
    assert session.solar_share == 50
    assert metering.take_ended() == []
    assert metering.last_session == session
    assert metering.session_kwh == 2.0  # since the plug-in, shown until the next


def test_a_session_survives_its_stored_form() -> None:
    progress = SessionProgress()
    progress.add(1.0, 0.5, Tariff(0.2, "EUR", 100), 3600.0 * 10 + 5)
    restored = SessionProgress.from_dict(json.loads(json.dumps(progress.as_dict())))
    assert restored == progress
    session = progress.finish(3600.0 * 11, solar=True)
    assert session.hours == ((36000, (1.0, 0.2, 0.5)),)
    assert session.solar_share == 50
    again = Session.from_dict(json.loads(json.dumps(session.as_dict())))
    assert again is not None
    assert again.attributes() == session.attributes()
    assert Session.from_dict({"start": "nonsense"}) is None
    assert SessionProgress.from_dict({"start": 3}) == SessionProgress()
