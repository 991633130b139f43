"""Tests of the site config flow, the charger subentry flow and the translations."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util.yaml import load_yaml_dict
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.backend import BackendError
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.engine import Mode, Profile, Status
from custom_components.smart_charging.inputs import site_settings
from custom_components.smart_charging.modbus import (
    MODEL_GENERIC,
    MODELS,
    SETPOINT_TYPES,
    WORD_ORDERS,
    CannotConnect,
    InvalidUnitId,
    register_map,
)
from custom_components.smart_charging.runtime import ChargerConfig
from custom_components.smart_charging.schemas import MODBUS_SCHEMA
from custom_components.smart_charging.sessions import Session
from custom_components.smart_charging.validators import validate_charger, validate_site
from wallbox_sim import WallboxSimulator

COMPONENT = Path(__file__).parent.parent / "custom_components" / DOMAIN
STRINGS = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
PROBE = "custom_components.smart_charging.config_flow.async_probe"

SITE_INPUT: dict[str, Any] = {
    "name": "Home",
    "grid_limit_kw": 36,
    "household_power_entity": "sensor.house_power",
    "safety_margin_kw": 0,
    "standard_max_kw": 0,
    "voltage": 230,
    "failsafe_current": 6,
    "stale_after_s": 300,
}
SITE_DATA: dict[str, Any] = {
    "name": "Home",
    "grid_limit_kw": 36.0,
    "household_power_entity": "sensor.house_power",
    "safety_margin_kw": 0.0,
    "standard_max_kw": 0.0,
    "voltage": 230.0,
    "failsafe_current": 6,
    "stale_after_s": 300,
    "plan_objective": "cost",
    "dimming_limit_kw": 4.2,
    "peak_limit_kw": 0.0,
    "follow_monthly_peak": False,
    "adaptive_reserve": False,
    "main_fuse_a": 0.0,
}
CHARGER_INPUT: dict[str, Any] = {
    "name": "Garage",
    "backend": "entity",
    "phases": "3",
    "min_current": 6,
    "max_current": 16,
    "profile": "standard",
}
MODBUS_INPUT: dict[str, Any] = {
    "host": "192.168.1.50",
    "port": 502,
    "unit_id": 1,
    "model": "alfen",
}
GENERIC_INPUT: dict[str, Any] = {
    "host": "wallbox.local",
    "port": 1502,
    "unit_id": 255,
    "model": "generic",
    "setpoint_register": 5004,
    "setpoint_type": "uint32",
    "setpoint_scale": "0.1",
    "word_order": "little",
    "status_register": 1000,
}


@pytest.fixture(autouse=True)
async def mock_setup_entry(hass: HomeAssistant) -> AsyncGenerator[AsyncMock]:
    """Flows only: the site itself is never set up (a reload only pretends to)."""
    with (
        patch(
            "custom_components.smart_charging.async_setup_entry", return_value=True
        ) as setup_entry,
        patch("custom_components.smart_charging.async_unload_entry", return_value=True),
    ):
        yield setup_entry
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture(autouse=True)
def states(hass: HomeAssistant) -> None:
    """Entities a user could pick, good and bad."""
    power = {"device_class": "power"}
    hass.states.async_set(
        "sensor.house_power", "1200", {**power, "unit_of_measurement": "W"}
    )
    hass.states.async_set(
        "sensor.grid_power", "0.4", {**power, "unit_of_measurement": "kW"}
    )
    hass.states.async_set(
        "sensor.solar_power", "0.01", {**power, "unit_of_measurement": "MW"}
    )
    hass.states.async_set("sensor.energy", "12", {"unit_of_measurement": "kWh"})
    hass.states.async_set("sensor.no_unit", "12")
    hass.states.async_set("sensor.nordpool", "0.25", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set(
        "sensor.co2_intensity", "120", {"unit_of_measurement": "gCO2eq/kWh"}
    )
    hass.states.async_set("sensor.car_soc", "54", {"unit_of_measurement": "%"})
    hass.states.async_set("sensor.pv_forecast", "12.5", {"unit_of_measurement": "kWh"})
    hass.states.async_set("schedule.offpeak", "off")
    hass.states.async_set("binary_sensor.offpeak", "on")
    hass.states.async_set("input_boolean.dimmed", "off")
    hass.states.async_set("binary_sensor.grid_dimming", "off")
    hass.states.async_set("light.kitchen", "on")
    hass.states.async_set("number.wallbox_current", "16", {"unit_of_measurement": "A"})
    hass.states.async_set("number.other_current", "16", {"unit_of_measurement": "A"})
    hass.states.async_set("number.wallbox_ma", "16000", {"unit_of_measurement": "mA"})
    hass.states.async_set("input_number.wallbox_current", "16")
    hass.states.async_set("switch.wallbox", "on")
    hass.states.async_set("binary_sensor.wallbox_plug", "on")
    hass.states.async_set("sensor.wallbox_status", "charging")
    hass.states.async_set(
        "sensor.wallbox_power", "7000", {**power, "unit_of_measurement": "W"}
    )


@pytest.fixture
def probe() -> Generator[AsyncMock]:
    """The Modbus probe, answering unless told otherwise."""
    with patch(PROBE, return_value=None) as mock:
        yield mock


def suggested_values(result: Any) -> dict[str, Any]:
    """The values a form suggests, by field."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def _site_entry(
    hass: HomeAssistant,
    name: str = "Home",
    chargers: list[dict[str, Any]] | None = None,
    unique_id: str | None = None,
) -> MockConfigEntry:
    """A site as the flow makes it; `unique_id` for one made by an older version,
    which set the slug of the name."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=name,
        unique_id=unique_id,
        version=2,
        data={**SITE_DATA, "name": name},
        subentries_data=[
            ConfigSubentryData(
                data=charger,
                subentry_type="charger",
                title=charger["name"],
                unique_id=None,
            )
            for charger in chargers or []
        ],
    )
    entry.add_to_hass(hass)
    return entry


def _subentry_id(entry: ConfigEntry, name: str) -> str:
    return next(s.subentry_id for s in entry.subentries.values() if s.title == name)


ENTITY_CHARGER: dict[str, Any] = {
    "name": "Garage",
    "backend": "entity",
    "phases": 3,
    "min_current": 6,
    "max_current": 16,
    "profile": "standard",
    "phase_rotation": "L1L2L3",
    "current_entity": "number.wallbox_current",
    "battery_kwh": 60.0,
}


def _assert_errors(
    result: Mapping[str, Any], errors: dict[str, str], section: dict[str, Any]
) -> None:
    """A form shown again with these errors, each of them translated."""
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    for key in errors.values():
        assert key in section["error"], f"error {key} has no translation"


SITE_STRINGS = STRINGS["config"]
CHARGER_STRINGS = STRINGS["config_subentries"]["charger"]


# Site: user step -------------------------------------------------------------


async def test_user_creates_site_with_defaults(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """Only the limit and one meter: the defaults fill the rest."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"grid_limit_kw": 36, "household_power_entity": "sensor.house_power"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == SITE_DATA
    entry = result["result"]
    assert entry.unique_id is None  # names change: they make no unique id
    assert not entry.subentries
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_creates_site_with_every_field(hass: HomeAssistant) -> None:
    """Every entity and number is stored; only a grid meter is enough."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "name": "  Fleet depot ",
            "grid_limit_kw": 120.5,
            "grid_power_entity": "sensor.grid_power",
            "solar_power_entity": "sensor.solar_power",
            "offpeak_entity": "schedule.offpeak",
            "price_entity": "sensor.nordpool",
            "co2_entity": "sensor.co2_intensity",
            "safety_margin_kw": 2.5,
            "standard_max_kw": 7.4,
            "voltage": 120,
            "failsafe_current": 0,
            "stale_after_s": 90.5,
            "dimming_entity": "input_boolean.dimmed",
            "dimming_limit_kw": 6,
            "peak_limit_kw": 2.5,
            "follow_monthly_peak": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fleet depot"
    assert result["data"] == {
        "name": "Fleet depot",
        "grid_limit_kw": 120.5,
        "grid_power_entity": "sensor.grid_power",
        "solar_power_entity": "sensor.solar_power",
        "offpeak_entity": "schedule.offpeak",
        "price_entity": "sensor.nordpool",
        "co2_entity": "sensor.co2_intensity",
        "safety_margin_kw": 2.5,
        "standard_max_kw": 7.4,
        "voltage": 120.0,
        "failsafe_current": 0,
        "stale_after_s": 90.5,
        "plan_objective": "cost",
        "dimming_entity": "input_boolean.dimmed",
        "dimming_limit_kw": 6.0,
        "peak_limit_kw": 2.5,
        "follow_monthly_peak": True,
        "adaptive_reserve": False,
        "main_fuse_a": 0.0,
    }
    assert result["result"].unique_id is None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"name": "   "}, {"name": "invalid_name"}),
        ({"grid_limit_kw": 0}, {"grid_limit_kw": "invalid_limit"}),
        ({"grid_limit_kw": -5}, {"grid_limit_kw": "invalid_limit"}),
        ({"safety_margin_kw": -1}, {"safety_margin_kw": "invalid_number"}),
        ({"safety_margin_kw": 36}, {"safety_margin_kw": "margin_too_large"}),
        ({"standard_max_kw": -0.1}, {"standard_max_kw": "invalid_number"}),
        ({"stale_after_s": -1}, {"stale_after_s": "invalid_number"}),
        ({"voltage": 400}, {"voltage": "invalid_voltage"}),
        ({"voltage": 0}, {"voltage": "invalid_voltage"}),
        ({"failsafe_current": 3}, {"failsafe_current": "invalid_failsafe_current"}),
        ({"failsafe_current": 81}, {"failsafe_current": "invalid_failsafe_current"}),
        ({"failsafe_current": -1}, {"failsafe_current": "invalid_failsafe_current"}),
        ({"failsafe_current": 6.5}, {"failsafe_current": "invalid_failsafe_current"}),
        (
            {
                "household_power_entity": None,
                "solar_power_entity": "sensor.solar_power",
            },
            {"base": "power_source_required"},
        ),
        (
            {"household_power_entity": "sensor.missing"},
            {"household_power_entity": "entity_not_found"},
        ),
        (
            {"household_power_entity": "light.kitchen"},
            {"household_power_entity": "wrong_domain"},
        ),
        (
            {"grid_power_entity": "sensor.energy"},
            {"grid_power_entity": "wrong_unit"},
        ),
        (
            {"solar_power_entity": "sensor.no_unit"},
            {"solar_power_entity": "wrong_unit"},
        ),
        (
            {"offpeak_entity": "sensor.house_power"},
            {"offpeak_entity": "wrong_domain"},
        ),
        (
            {"offpeak_entity": "input_boolean.missing"},
            {"offpeak_entity": "entity_not_found"},
        ),
        ({"dimming_limit_kw": -0.1}, {"dimming_limit_kw": "invalid_number"}),
        ({"peak_limit_kw": -2.5}, {"peak_limit_kw": "invalid_number"}),
        (
            {"dimming_entity": "sensor.house_power"},
            {"dimming_entity": "wrong_domain"},
        ),
        (
            {"dimming_entity": "binary_sensor.missing_dimming"},
            {"dimming_entity": "entity_not_found"},
        ),
        (
            {"price_entity": "input_number.price"},
            {"price_entity": "wrong_domain"},
        ),
        (
            {"price_entity": "sensor.missing_price"},
            {"price_entity": "entity_not_found"},
        ),
        (
            {"co2_entity": "light.kitchen"},
            {"co2_entity": "wrong_domain"},
        ),
        (
            {"co2_entity": "sensor.missing_co2"},
            {"co2_entity": "entity_not_found"},
        ),
        (
            {"solar_forecast_entity": "light.kitchen"},
            {"solar_forecast_entity": "wrong_domain"},
        ),
        (
            {"solar_forecast_entity": "sensor.missing_forecast"},
            {"solar_forecast_entity": "entity_not_found"},
        ),
        (
            {"grid_limit_kw": -1, "voltage": 1000, "household_power_entity": None},
            {
                "grid_limit_kw": "invalid_limit",
                "voltage": "invalid_voltage",
                "base": "power_source_required",
            },
        ),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Bad input shows the form again with errors and creates nothing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    bad = {
        key: value
        for key, value in {**SITE_INPUT, **changes}.items()
        if value is not None
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], bad)
    _assert_errors(result, errors, SITE_STRINGS)
    assert result["step_id"] == "user"
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SITE_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == SITE_DATA


async def test_user_entity_from_registry(hass: HomeAssistant) -> None:
    """An entity known to the registry but without a state yet is accepted by unit;
    a registry id is stored as the entity id."""
    registry = er.async_get(hass)
    meter = registry.async_get_or_create(
        "sensor",
        "test",
        "meter",
        suggested_object_id="late_meter",
        unit_of_measurement="kW",
    )
    counter = registry.async_get_or_create(
        "sensor",
        "test",
        "counter",
        suggested_object_id="late_counter",
        unit_of_measurement="kWh",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**SITE_INPUT, "household_power_entity": counter.entity_id},
    )
    _assert_errors(result, {"household_power_entity": "wrong_unit"}, SITE_STRINGS)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**SITE_INPUT, "household_power_entity": "0123456789abcdef0123456789abcdef"},
    )
    _assert_errors(result, {"household_power_entity": "entity_not_found"}, SITE_STRINGS)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "household_power_entity": meter.id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["household_power_entity"] == "sensor.late_meter"


@pytest.mark.parametrize("name", ["Home", "home", " HOME "])
@pytest.mark.parametrize("unique_id", [None, "home"])
async def test_user_duplicate_site_aborts(
    hass: HomeAssistant, name: str, unique_id: str | None
) -> None:
    """Sites are unique by name, whether made now or by an older version."""
    _site_entry(hass, unique_id=unique_id)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "name": name}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# Site: reconfigure -----------------------------------------------------------


async def test_reconfigure_site(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """Same fields, same checks; the entry is updated and reloaded."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    _site_entry(hass, "Office")

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    suggested = suggested_values(result)
    assert suggested["grid_limit_kw"] == 36.0
    assert suggested["household_power_entity"] == "sensor.house_power"

    changed = {
        **SITE_INPUT,
        "name": "Main house",
        "grid_limit_kw": 24,
        "household_power_entity": "sensor.energy",
        "offpeak_entity": "binary_sensor.offpeak",
        "standard_max_kw": 7,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], changed)
    _assert_errors(result, {"household_power_entity": "wrong_unit"}, SITE_STRINGS)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**changed, "name": "office", "household_power_entity": "sensor.house_power"},
    )
    _assert_errors(result, {"name": "name_exists"}, SITE_STRINGS)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**changed, "household_power_entity": "sensor.house_power"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.title == "Main house"
    assert entry.unique_id is None
    assert entry.data == {
        **SITE_DATA,
        "name": "Main house",
        "grid_limit_kw": 24.0,
        "offpeak_entity": "binary_sensor.offpeak",
        "standard_max_kw": 7.0,
    }
    assert len(entry.subentries) == 1  # the chargers stay
    assert entry.state is ConfigEntryState.LOADED  # reloaded by the flow
    assert entry in [call.args[1] for call in mock_setup_entry.mock_calls]


async def test_price_and_carbon_sensors_take_any_unit_and_can_be_changed(
    hass: HomeAssistant,
) -> None:
    """The price and carbon sensors are optional sensors in any unit (or none);
    reconfigure offers them, sets them and clears them."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    fields = {str(key) for key in result["data_schema"].schema}
    assert {"price_entity", "co2_entity"} <= fields
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**SITE_INPUT, "price_entity": "sensor.energy", "co2_entity": "sensor.no_unit"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data["price_entity"] == "sensor.energy"
    assert entry.data["co2_entity"] == "sensor.no_unit"

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    suggested = suggested_values(result)
    assert suggested["price_entity"] == "sensor.energy"
    assert suggested["co2_entity"] == "sensor.no_unit"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "price_entity": "light.kitchen"}
    )
    _assert_errors(result, {"price_entity": "wrong_domain"}, SITE_STRINGS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "price_entity": "sensor.nordpool"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["price_entity"] == "sensor.nordpool"
    assert "co2_entity" not in entry.data  # left empty: removed


async def test_smart_site_options(hass: HomeAssistant) -> None:
    """The solar forecast (any unit) and the plan objective are stored, offered
    again by reconfigure and changed there; an objective not offered is refused."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {**SITE_INPUT, "plan_objective": "cheapest"}
        )
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **SITE_INPUT,
            "solar_forecast_entity": "sensor.pv_forecast",
            "plan_objective": "co2",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {
        **SITE_DATA,
        "solar_forecast_entity": "sensor.pv_forecast",
        "plan_objective": "co2",
    }

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    suggested = suggested_values(result)
    assert suggested["solar_forecast_entity"] == "sensor.pv_forecast"
    assert suggested["plan_objective"] == "co2"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "plan_objective": "cost"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == SITE_DATA  # the forecast left empty: removed


def test_site_objective_checked_without_the_form(hass: HomeAssistant) -> None:
    """The check itself refuses an objective the form would not offer."""
    _, errors = validate_site(hass, {**SITE_INPUT, "plan_objective": "speed"})
    assert errors == {"plan_objective": "invalid_plan_objective"}
    assert "invalid_plan_objective" in SITE_STRINGS["error"]


async def test_site_of_a_version_without_smart_options(hass: HomeAssistant) -> None:
    """A site stored before `smart` existed: reconfigure offers the default
    objective and stores it."""
    entry = _site_entry(hass)
    hass.config_entries.async_update_entry(
        entry, data={k: v for k, v in SITE_DATA.items() if k != "plan_objective"}
    )
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SITE_INPUT
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["plan_objective"] == "cost"


async def test_grid_limit_options(hass: HomeAssistant) -> None:
    """§14a dimming and the capacity tariff: offered with their defaults, stored,
    suggested again by reconfigure and changed there; bad values are refused
    there too, and a site stored before them gets the defaults."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if str(key) in ("dimming_limit_kw", "peak_limit_kw", "follow_monthly_peak")
    }
    assert defaults == {
        "dimming_limit_kw": 4.2,
        "peak_limit_kw": 0.0,
        "follow_monthly_peak": False,
    }
    assert "dimming_entity" in {str(key) for key in result["data_schema"].schema}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **SITE_INPUT,
            "dimming_entity": "binary_sensor.grid_dimming",
            "peak_limit_kw": 4,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {
        **SITE_DATA,
        "dimming_entity": "binary_sensor.grid_dimming",
        "peak_limit_kw": 4.0,
    }

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    suggested = suggested_values(result)
    assert suggested["dimming_entity"] == "binary_sensor.grid_dimming"
    assert suggested["peak_limit_kw"] == 4.0
    assert suggested["dimming_limit_kw"] == 4.2
    for changes, errors in (
        ({"dimming_limit_kw": -1}, {"dimming_limit_kw": "invalid_number"}),
        ({"peak_limit_kw": -0.5}, {"peak_limit_kw": "invalid_number"}),
        ({"dimming_entity": "light.kitchen"}, {"dimming_entity": "wrong_domain"}),
        ({"dimming_entity": "switch.gone"}, {"dimming_entity": "entity_not_found"}),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**SITE_INPUT, **changes}
        )
        _assert_errors(result, errors, SITE_STRINGS)
        assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **SITE_INPUT,
            "dimming_limit_kw": 0,
            "peak_limit_kw": 2.5,
            "follow_monthly_peak": True,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        **SITE_DATA,
        "dimming_limit_kw": 0.0,
        "peak_limit_kw": 2.5,
        "follow_monthly_peak": True,
    }  # the dimming entity left empty: removed

    # A site stored before these options runs with their defaults.
    older = {
        key: value
        for key, value in SITE_DATA.items()
        if key not in ("dimming_limit_kw", "peak_limit_kw", "follow_monthly_peak")
    }
    settings = site_settings(older)
    assert (settings.dimming_limit_w, settings.peak_limit_w) == (4200.0, 0.0)
    assert not settings.follow_monthly_peak


async def test_adaptive_reserve_option(hass: HomeAssistant) -> None:
    """Offered off, stored when on, suggested again by reconfigure and switched
    off there; a site stored before it runs without it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if str(key) == "adaptive_reserve"
    }
    assert defaults == {"adaptive_reserve": False}
    description = SITE_STRINGS["step"]["user"]["data_description"]["adaptive_reserve"]
    assert "10 seconds" in description
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "adaptive_reserve": True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {**SITE_DATA, "adaptive_reserve": True}
    assert site_settings(entry.data).adaptive_reserve

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    suggested = suggested_values(result)
    assert suggested["adaptive_reserve"] is True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "adaptive_reserve": False}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == SITE_DATA
    older = {k: v for k, v in SITE_DATA.items() if k != "adaptive_reserve"}
    assert not site_settings(older).adaptive_reserve


PHASE_SENSORS = {
    "l1_current_entity": "sensor.grid_l1",
    "l2_current_entity": "sensor.grid_l2",
    "l3_current_entity": "sensor.grid_l3",
}

TWO_PHASE_SENSORS = {
    key: value for key, value in PHASE_SENSORS.items() if key != "l3_current_entity"
}


def _phase_sensor_states(hass: HomeAssistant) -> None:
    current = {"device_class": "current"}
    hass.states.async_set(
        "sensor.grid_l1", "7.5", {**current, "unit_of_measurement": "A"}
    )
    hass.states.async_set(
        "sensor.grid_l2", "7500", {**current, "unit_of_measurement": "mA"}
    )
    hass.states.async_set(
        "sensor.grid_l3", "2", {**current, "unit_of_measurement": "A"}
    )
    hass.states.async_set("sensor.grid_volts", "231", {"unit_of_measurement": "V"})


async def test_main_fuse_options(hass: HomeAssistant) -> None:
    """The main fuse and the three phase current sensors: offered with their
    default (no fuse), stored, suggested again and changed by reconfigure; a
    fuse without the three sensors, a sensor of the wrong unit or domain and a
    negative fuse are refused, each with a translated error."""
    _phase_sensor_states(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    keys = {str(key): key for key in result["data_schema"].schema}
    assert keys["main_fuse_a"].default() == 0.0
    assert set(PHASE_SENSORS) <= set(keys)
    for changes, errors in (
        ({"main_fuse_a": 25}, {"main_fuse_a": "phase_sensors_required"}),
        (
            {"main_fuse_a": 25, **TWO_PHASE_SENSORS},
            {"main_fuse_a": "phase_sensors_required"},
        ),
        ({"main_fuse_a": -25, **PHASE_SENSORS}, {"main_fuse_a": "invalid_number"}),
        (
            {
                "main_fuse_a": 25,
                **PHASE_SENSORS,
                "l2_current_entity": "sensor.grid_volts",
            },
            {"l2_current_entity": "wrong_phase_current_unit"},
        ),
        (
            {
                "main_fuse_a": 25,
                **PHASE_SENSORS,
                "l1_current_entity": "sensor.house_power",
            },
            {"l1_current_entity": "wrong_phase_current_unit"},
        ),
        (
            {"main_fuse_a": 25, **PHASE_SENSORS, "l1_current_entity": "light.kitchen"},
            {"l1_current_entity": "wrong_domain"},
        ),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**SITE_INPUT, **changes}
        )
        _assert_errors(result, errors, SITE_STRINGS)
        assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "main_fuse_a": 25, **PHASE_SENSORS}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {**SITE_DATA, "main_fuse_a": 25.0, **PHASE_SENSORS}
    assert site_settings(entry.data).main_fuse_a == 25.0

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    suggested = suggested_values(result)
    assert suggested["main_fuse_a"] == 25.0
    assert suggested["l2_current_entity"] == "sensor.grid_l2"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**SITE_INPUT, "main_fuse_a": 32, "l1_current_entity": "sensor.grid_l1"},
    )
    _assert_errors(result, {"main_fuse_a": "phase_sensors_required"}, SITE_STRINGS)
    assert result["step_id"] == "reconfigure"
    # Sensors without a fuse are stored, unused; no fuse needs no sensors.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "main_fuse_a": 0}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == SITE_DATA
    # A site stored before the option has no fuse.
    older = {k: v for k, v in SITE_DATA.items() if k != "main_fuse_a"}
    assert site_settings(older).main_fuse_a == 0.0


async def test_charger_phase_rotation(hass: HomeAssistant) -> None:
    """A charger's phase rotation: L1L2L3 by default, stored, suggested again
    and changed by reconfigure; anything else is refused."""
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    keys = {str(key): key for key in result["data_schema"].schema}
    assert keys["phase_rotation"].default() == "L1L2L3"
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**CHARGER_INPUT, "phase_rotation": "L1L3L2"}
        )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "phases": "1", "phase_rotation": "L2L3L1"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        **ENTITY_CHARGER,
        "phases": 1,
        "phase_rotation": "L2L3L1",
    }
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    suggested = suggested_values(result)
    assert suggested["phase_rotation"] == "L2L3L1"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "phase_rotation": "L3L1L2"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data["phase_rotation"] == "L3L1L2"
    # Checked without the form too; a charger stored before the option is L1L2L3.
    _, errors = validate_charger(
        hass, {**CHARGER_INPUT, "phase_rotation": "L1L1L1"}, []
    )
    assert errors == {"phase_rotation": "invalid_phase_rotation"}
    assert "invalid_phase_rotation" in CHARGER_STRINGS["error"]
    older = {k: v for k, v in ENTITY_CHARGER.items() if k != "phase_rotation"}
    config = ChargerConfig.from_subentry(
        ConfigSubentry(
            data=older, subentry_type="charger", title="Garage", unique_id=None
        )
    )
    assert config.phase_rotation == "L1L2L3"


async def test_reconfigure_site_keeps_name_and_drops_cleared_entity(
    hass: HomeAssistant,
) -> None:
    """The site's own name is no clash; an entity left empty is removed."""
    entry = _site_entry(hass)
    hass.config_entries.async_update_entry(
        entry, data={**SITE_DATA, "solar_power_entity": "sensor.solar_power"}
    )
    result = await entry.start_reconfigure_flow(hass)
    suggested = suggested_values(result)
    assert suggested["solar_power_entity"] == "sensor.solar_power"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SITE_INPUT
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == SITE_DATA


async def test_reconfigure_loaded_site_reloads_through_its_listener(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """A loaded site has an update listener: the flow leaves the reload to it."""
    entry = _site_entry(hass)
    listener = AsyncMock()
    entry.add_update_listener(listener)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "grid_limit_kw": 20}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["grid_limit_kw"] == 20.0
    listener.assert_awaited_once()
    assert not mock_setup_entry.mock_calls


async def test_reconfigure_refuses_another_sites_name(hass: HomeAssistant) -> None:
    """A rename onto another site's name (in any case) is refused; the site keeps its
    own name and no unique id is made of either."""
    entry = _site_entry(hass)
    _site_entry(hass, "Office")
    result = await entry.start_reconfigure_flow(hass)
    for name in ("Office", " office", "OFFICE"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**SITE_INPUT, "name": name}
        )
        _assert_errors(result, {"name": "name_exists"}, SITE_STRINGS)
        assert result["step_id"] == "reconfigure"
    assert entry.title == "Home"
    assert entry.data == SITE_DATA

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "name": "Office 2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Office 2"
    assert entry.unique_id is None
    titles = {other.title for other in hass.config_entries.async_entries(DOMAIN)}
    assert titles == {"Office", "Office 2"}


async def test_site_of_an_older_version(hass: HomeAssistant) -> None:
    """A site whose unique id is its old name's slug: renamed, it drops that id; its
    old name is free again and its new one taken."""
    entry = _site_entry(hass, unique_id="home")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "name": "Main house"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Main house"
    assert entry.unique_id is None

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_INPUT, "name": "main HOUSE"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SITE_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


# Charger: entity backend -----------------------------------------------------


async def _start_charger(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "charger"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def test_add_entity_charger(hass: HomeAssistant) -> None:
    """Name and limits, then the current entity: a charger subentry."""
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"name": "Garage"},  # every other field has its default
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "entity"
    assert result["description_placeholders"] == {"name": "Garage"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage"
    assert result["data"] == ENTITY_CHARGER
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == "charger"
    assert subentry.title == "Garage"
    assert dict(subentry.data) == ENTITY_CHARGER


async def test_add_entity_charger_with_every_entity(hass: HomeAssistant) -> None:
    """Optional entities are stored; an input_number without unit is fine."""
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Van 1",
            "backend": "entity",
            "phases": "1",
            "min_current": 0,
            "max_current": 32,
            "profile": "premium",
        },
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "current_entity": "input_number.wallbox_current",
            "switch_entity": "switch.wallbox",
            "connected_entity": "sensor.wallbox_status",
            "power_entity": "sensor.wallbox_power",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "name": "Van 1",
        "backend": "entity",
        "phases": 1,
        "min_current": 0,
        "max_current": 32,
        "profile": "premium",
        "phase_rotation": "L1L2L3",
        "current_entity": "input_number.wallbox_current",
        "switch_entity": "switch.wallbox",
        "connected_entity": "sensor.wallbox_status",
        "power_entity": "sensor.wallbox_power",
        "battery_kwh": 60.0,
    }


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"name": "garage "}, {"name": "name_exists"}),
        ({"name": " "}, {"name": "invalid_name"}),
        ({"min_current": -1}, {"min_current": "current_out_of_range"}),
        ({"min_current": 6.5}, {"min_current": "current_out_of_range"}),
        ({"max_current": 81}, {"max_current": "current_out_of_range"}),
        ({"min_current": 3}, {"min_current": "invalid_min_current"}),
        ({"max_current": 4}, {"max_current": "invalid_max_current"}),
        ({"min_current": 16, "max_current": 10}, {"base": "min_above_max"}),
        ({"battery_kwh": 0}, {"battery_kwh": "invalid_battery_kwh"}),
        ({"battery_kwh": -10}, {"battery_kwh": "invalid_battery_kwh"}),
        ({"battery_kwh": 251}, {"battery_kwh": "invalid_battery_kwh"}),
        ({"soc_entity": "sensor.energy"}, {"soc_entity": "wrong_soc_unit"}),
        ({"soc_entity": "sensor.no_unit"}, {"soc_entity": "wrong_soc_unit"}),
        ({"soc_entity": "sensor.house_power"}, {"soc_entity": "wrong_soc_unit"}),
        ({"soc_entity": "light.kitchen"}, {"soc_entity": "wrong_domain"}),
        ({"soc_entity": "sensor.missing_soc"}, {"soc_entity": "entity_not_found"}),
        (
            {"phase_switch_entity": "switch.missing"},
            {"phase_switch_entity": "entity_not_found"},
        ),
        (
            {"phase_switch_entity": "sensor.no_unit"},
            {"phase_switch_entity": "wrong_domain"},
        ),
        (
            {"phase_switch_entity": "switch.wallbox", "phases": "1"},
            {"phase_switch_entity": "phase_switch_needs_three_phases"},
        ),
        (
            {"phase_switch_entity": "switch.wallbox", "backend": "modbus"},
            {"phase_switch_entity": "phase_switch_not_modbus"},
        ),
        (
            {"min_current": 1, "max_current": 100},
            {
                "min_current": "invalid_min_current",
                "max_current": "current_out_of_range",
            },
        ),
    ],
)
async def test_charger_errors_then_recovers(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Bad names and currents show the first form again."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Carport", **changes}
    )
    _assert_errors(result, errors, CHARGER_STRINGS)
    assert result["step_id"] == "user"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Carport"}
    )
    assert result["step_id"] == "entity"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.other_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(entry.subentries) == 2


@pytest.mark.parametrize(
    ("entities", "errors"),
    [
        ({"current_entity": "number.missing"}, {"current_entity": "entity_not_found"}),
        ({"current_entity": "sensor.house_power"}, {"current_entity": "wrong_domain"}),
        (
            {"current_entity": "number.wallbox_ma"},
            {"current_entity": "wrong_current_unit"},
        ),
        (
            {"current_entity": "number.wallbox_current"},
            {"current_entity": "already_in_use"},
        ),
        (
            {
                "current_entity": "number.other_current",
                "switch_entity": "light.kitchen",
            },
            {"switch_entity": "wrong_domain"},
        ),
        (
            {
                "current_entity": "number.other_current",
                "connected_entity": "light.kitchen",
            },
            {"connected_entity": "wrong_domain"},
        ),
        (
            {"current_entity": "number.other_current", "power_entity": "sensor.energy"},
            {"power_entity": "wrong_unit"},
        ),
        (
            {
                "current_entity": "number.other_current",
                "power_entity": "number.wallbox_current",
            },
            {"power_entity": "wrong_domain"},
        ),
        (
            {
                "current_entity": "sensor.energy",
                "switch_entity": "switch.missing",
                "power_entity": "sensor.no_unit",
            },
            {
                "current_entity": "wrong_domain",
                "switch_entity": "entity_not_found",
                "power_entity": "wrong_unit",
            },
        ),
    ],
)
async def test_entity_step_errors_then_recovers(
    hass: HomeAssistant, entities: dict[str, str], errors: dict[str, str]
) -> None:
    """Entities that do not exist, or have the wrong domain or unit."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Carport"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], entities
    )
    _assert_errors(result, errors, CHARGER_STRINGS)
    assert result["step_id"] == "entity"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "current_entity": "number.other_current",
            "connected_entity": "binary_sensor.wallbox_plug",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["connected_entity"] == "binary_sensor.wallbox_plug"


@pytest.mark.parametrize(
    ("entity_max", "min_current", "shown_max"),
    [(5, 0, "5"), (5.9, 6, "5"), (8, 10, "8")],
)
async def test_entity_below_the_charger_is_refused(
    hass: HomeAssistant, entity_max: float, min_current: int, shown_max: str
) -> None:
    """An entity whose max is under 6 A, or under the minimum current, is refused."""
    hass.states.async_set(
        "number.small_box",
        "0",
        {"unit_of_measurement": "A", "min": 0, "max": entity_max},
    )
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "min_current": min_current}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.small_box"}
    )
    _assert_errors(result, {"current_entity": "current_entity_range"}, CHARGER_STRINGS)
    assert result["step_id"] == "entity"
    assert result["description_placeholders"] == {
        "name": "Garage",
        "entity_max": shown_max,
    }
    assert _placeholders(CHARGER_STRINGS["error"]["current_entity_range"]) <= set(
        result["description_placeholders"]
    )
    assert not entry.subentries


async def test_max_current_capped_at_the_entity_max(hass: HomeAssistant) -> None:
    """A maximum current above the entity's max is lowered, after a note."""
    hass.states.async_set(
        "number.wallbox_current", "0", {"unit_of_measurement": "A", "max": 13.5}
    )
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], CHARGER_INPUT
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "max_current_capped"
    assert result["data_schema"] is None
    placeholders = result["description_placeholders"]
    assert placeholders == {"name": "Garage", "entity_max": "13", "max_current": "16"}
    description = CHARGER_STRINGS["step"]["max_current_capped"]["description"]
    assert _placeholders(description) <= set(placeholders)
    assert not entry.subentries  # nothing created before the note is confirmed

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {**ENTITY_CHARGER, "max_current": 13}
    (subentry,) = entry.subentries.values()
    assert subentry.data["max_current"] == 13


async def test_reconfigure_caps_max_current(hass: HomeAssistant) -> None:
    """Reconfiguring goes through the same note and stores the capped value."""
    hass.states.async_set(
        "number.wallbox_current", "0", {"unit_of_measurement": "A", "max": 20}
    )
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "max_current": 32}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["step_id"] == "max_current_capped"
    assert result["description_placeholders"]["entity_max"] == "20"
    assert result["description_placeholders"]["max_current"] == "32"
    assert entry.subentries[subentry_id].data["max_current"] == 16

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[subentry_id].data) == {
        **ENTITY_CHARGER,
        "max_current": 20,
    }


@pytest.mark.parametrize(
    "attributes",
    [{}, {"min": 0, "max": 32}, {"max": 16}, {"max": "unknown"}, {"max": None}],
)
async def test_entity_range_that_fits_or_is_unknown(
    hass: HomeAssistant, attributes: dict[str, Any]
) -> None:
    """An entity without a usable max, or one that fits, is taken as it is."""
    hass.states.async_set(
        "number.wallbox_current", "0", {"unit_of_measurement": "A", **attributes}
    )
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], CHARGER_INPUT
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == ENTITY_CHARGER


# Charger: Modbus backend -----------------------------------------------------


async def _start_modbus(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Box", "backend": "modbus"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "modbus"
    return dict(result)


async def test_add_modbus_charger(hass: HomeAssistant, probe: AsyncMock) -> None:
    """A preset model: the generic register fields are not stored."""
    entry = _site_entry(hass)
    result = await _start_modbus(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**MODBUS_INPUT, "setpoint_register": 7}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = {
        "name": "Box",
        "backend": "modbus",
        "phases": 3,
        "min_current": 6,
        "max_current": 16,
        "profile": "standard",
        "phase_rotation": "L1L2L3",
        "host": "192.168.1.50",
        "port": 502,
        "unit_id": 1,
        "model": "alfen",
        "battery_kwh": 60.0,
    }
    assert result["data"] == data
    probe.assert_awaited_once_with(data)


async def test_add_generic_modbus_charger(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    """The generic model stores its register map, typed."""
    entry = _site_entry(hass)
    result = await _start_modbus(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], GENERIC_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "name": "Box",
        "backend": "modbus",
        "phases": 3,
        "min_current": 6,
        "max_current": 16,
        "profile": "standard",
        "phase_rotation": "L1L2L3",
        "host": "wallbox.local",
        "port": 1502,
        "unit_id": 255,
        "model": "generic",
        "setpoint_register": 5004,
        "setpoint_type": "uint32",
        "setpoint_scale": 0.1,
        "word_order": "little",
        "status_register": 1000,
        "battery_kwh": 60.0,
    }


@pytest.mark.parametrize(("scale", "stored"), [("1", 1.0), (0.001, 0.001)])
async def test_generic_scale_choices(
    hass: HomeAssistant, probe: AsyncMock, scale: Any, stored: float
) -> None:
    """The scale is chosen as text ("1", "0.1", "0.001") or given as a number."""
    entry = _site_entry(hass)
    result = await _start_modbus(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**GENERIC_INPUT, "setpoint_scale": scale}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["setpoint_scale"] == stored


MODBUS_CHARGER: dict[str, Any] = {
    "name": "Box",
    "backend": "modbus",
    "phases": 3,
    "min_current": 6,
    "max_current": 16,
    "profile": "standard",
    "phase_rotation": "L1L2L3",
    "host": "192.168.1.50",
    "port": 502,
    "unit_id": 1,
    "model": "alfen",
    "battery_kwh": 60.0,
}


@pytest.mark.parametrize(
    ("user_input", "side_effect", "errors"),
    [
        ({**MODBUS_INPUT, "host": " "}, None, {"host": "invalid_host"}),
        ({**MODBUS_INPUT, "port": 0}, None, {"port": "invalid_port"}),
        ({**MODBUS_INPUT, "port": 70000}, None, {"port": "invalid_port"}),
        ({**MODBUS_INPUT, "unit_id": 256}, None, {"unit_id": "invalid_unit_id"}),
        ({**MODBUS_INPUT, "unit_id": 1.5}, None, {"unit_id": "invalid_unit_id"}),
        (MODBUS_INPUT, InvalidUnitId("exception 0x0B"), {"unit_id": "invalid_unit_id"}),
        (MODBUS_INPUT, CannotConnect("timeout"), {"base": "cannot_connect"}),
        (MODBUS_INPUT, BackendError("refused"), {"base": "cannot_connect"}),
        (MODBUS_INPUT, RuntimeError("boom"), {"base": "unknown"}),
        ({**MODBUS_INPUT, "host": "192.168.1.60"}, None, {"host": "already_in_use"}),
        (
            {**GENERIC_INPUT, "setpoint_register": None},
            None,
            {"setpoint_register": "register_required"},
        ),
        (
            {**GENERIC_INPUT, "setpoint_register": 70000, "power_register": -1},
            None,
            {
                "setpoint_register": "invalid_register",
                "power_register": "invalid_register",
            },
        ),
    ],
)
async def test_modbus_step_errors_then_recovers(
    hass: HomeAssistant,
    probe: AsyncMock,
    user_input: dict[str, Any],
    side_effect: Exception | None,
    errors: dict[str, str],
) -> None:
    """Bad addresses, an unreachable or refusing box: the form comes back."""
    entry = _site_entry(
        hass, chargers=[{**MODBUS_CHARGER, "name": "Old box", "host": "192.168.1.60"}]
    )
    result = await _start_modbus(hass, entry)
    probe.side_effect = side_effect
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {key: value for key, value in user_input.items() if value is not None},
    )
    _assert_errors(result, errors, CHARGER_STRINGS)
    assert result["step_id"] == "modbus"
    assert len(entry.subentries) == 1

    probe.side_effect = None
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**MODBUS_INPUT, "unit_id": 2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(entry.subentries) == 2


# Charger: reconfigure --------------------------------------------------------


async def test_reconfigure_entity_charger(hass: HomeAssistant) -> None:
    """The forms come filled in; the charger keeps its own name and entity."""
    entry = _site_entry(
        hass,
        chargers=[
            {**ENTITY_CHARGER, "switch_entity": "switch.wallbox"},
            {
                **ENTITY_CHARGER,
                "name": "Carport",
                "current_entity": "number.other_current",
            },
        ],
    )
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    suggested = suggested_values(result)
    assert suggested["name"] == "Garage"
    assert suggested["phases"] == "3"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Carport"}
    )
    _assert_errors(result, {"name": "name_exists"}, CHARGER_STRINGS)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**CHARGER_INPUT, "name": "Garage left", "max_current": 32, "phases": 1},
    )
    assert result["step_id"] == "entity"
    suggested = suggested_values(result)
    assert suggested == {
        "current_entity": "number.wallbox_current",
        "switch_entity": "switch.wallbox",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Garage left"
    assert dict(subentry.data) == {
        **ENTITY_CHARGER,
        "name": "Garage left",
        "max_current": 32,
        "phases": 1,
    }


async def test_charger_with_a_state_of_charge(hass: HomeAssistant) -> None:
    """A SoC sensor in % and the battery are stored; reconfigure offers them, and a
    SoC sensor left empty is removed."""
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**CHARGER_INPUT, "soc_entity": "sensor.car_soc", "battery_kwh": 77.5},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        **ENTITY_CHARGER,
        "soc_entity": "sensor.car_soc",
        "battery_kwh": 77.5,
    }
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    suggested = suggested_values(result)
    assert suggested["soc_entity"] == "sensor.car_soc"
    assert suggested["battery_kwh"] == 77.5
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "battery_kwh": 250}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[subentry_id].data) == {
        **ENTITY_CHARGER,
        "battery_kwh": 250.0,
    }


async def test_charger_with_a_phase_switch(hass: HomeAssistant) -> None:
    """A 1p/3p switch (switch or input_boolean) of a three-phase charger is stored;
    reconfigure offers it, and a switch left empty is removed."""
    hass.states.async_set("input_boolean.three_phases", "on")
    entry = _site_entry(hass)
    result = await _start_charger(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**CHARGER_INPUT, "phase_switch_entity": "input_boolean.three_phases"},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        **ENTITY_CHARGER,
        "phase_switch_entity": "input_boolean.three_phases",
    }
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    suggested = suggested_values(result)
    assert suggested["phase_switch_entity"] == "input_boolean.three_phases"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**CHARGER_INPUT, "phase_switch_entity": "switch.wallbox", "phases": "1"},
    )
    _assert_errors(
        result,
        {"phase_switch_entity": "phase_switch_needs_three_phases"},
        CHARGER_STRINGS,
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "phase_switch_entity": "switch.wallbox"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data["phase_switch_entity"] == "switch.wallbox"
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], CHARGER_INPUT
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[subentry_id].data) == ENTITY_CHARGER


async def test_reconfigure_modbus_charger_to_entity_and_back(
    hass: HomeAssistant, probe: AsyncMock, mock_setup_entry: AsyncMock
) -> None:
    """A charger may change its backend; only the new backend's keys stay."""
    entry = _site_entry(hass, chargers=[{**MODBUS_CHARGER, "setpoint_scale": 0.1}])
    subentry_id = _subentry_id(entry, "Box")

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Box", "backend": "modbus"}
    )
    assert result["step_id"] == "modbus"
    suggested = suggested_values(result)
    assert suggested["host"] == "192.168.1.50"
    assert suggested["setpoint_scale"] == "0.1"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        MODBUS_INPUT,  # its own address is no clash
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1  # not loaded: reloaded by the flow

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "Box"}
    )
    assert result["step_id"] == "entity"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert dict(entry.subentries[subentry_id].data) == {**ENTITY_CHARGER, "name": "Box"}


async def test_reconfigure_charger_of_loaded_site(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """A loaded site reloads through its update listener, not the flow."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    listener = AsyncMock()
    entry.add_update_listener(listener)
    subentry_id = _subentry_id(entry, "Garage")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "profile": "premium"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"current_entity": "number.wallbox_current"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].data["profile"] == "premium"
    listener.assert_awaited_once()
    assert not mock_setup_entry.mock_calls


async def test_reconfigure_source_is_used(hass: HomeAssistant) -> None:
    """A subentry reconfigure flow starts at the reconfigure step."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "charger"),
        context={
            "source": SOURCE_RECONFIGURE,
            "subentry_id": _subentry_id(entry, "Garage"),
        },
    )
    assert result["step_id"] == "reconfigure"


# Translations ----------------------------------------------------------------


def _leaves(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[str, str]:
    """Every translated text by its dotted path."""
    leaves: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            leaves |= _leaves(value, (*path, key))
        else:
            leaves[".".join((*path, key))] = value
    return leaves


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is a copy of strings.json."""
    english = json.loads((COMPONENT / "translations" / "en.json").read_text("utf-8"))
    assert english == STRINGS


@pytest.mark.parametrize("language", ["fr", "de"])
def test_translation_matches_strings(language: str) -> None:
    """Same keys and same placeholders as the English strings."""
    translated = _leaves(
        json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))
    )
    english = _leaves(STRINGS)
    assert translated.keys() == english.keys()
    for path, text in english.items():
        assert _placeholders(translated[path]) == _placeholders(text), path
        assert translated[path].strip(), path


def test_strings_describe_every_field() -> None:
    """Every form field has a label and a description; texts are literal."""
    flows = [STRINGS["config"], *STRINGS["config_subentries"].values()]
    for flow in flows:
        for step_id, step in flow["step"].items():
            fields = step.get("data", {}).keys()
            assert fields == step.get("data_description", {}).keys(), step_id
    for text in _leaves(STRINGS).values():
        assert "[%key:" not in text


async def test_forms_have_translated_fields(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    """Every field of every form has a label in strings.json."""
    entry = _site_entry(hass, chargers=[ENTITY_CHARGER])
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    forms = [(result, SITE_STRINGS["step"]["user"])]
    result = await entry.start_reconfigure_flow(hass)
    forms.append((result, SITE_STRINGS["step"]["reconfigure"]))
    result = await _start_charger(hass, entry)
    forms.append((result, CHARGER_STRINGS["step"]["user"]))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**CHARGER_INPUT, "name": "X"}
    )
    forms.append((result, CHARGER_STRINGS["step"]["entity"]))
    result = await _start_modbus(hass, entry)
    forms.append((result, CHARGER_STRINGS["step"]["modbus"]))
    result = await entry.start_subentry_reconfigure_flow(
        hass, _subentry_id(entry, "Garage")
    )
    forms.append((result, CHARGER_STRINGS["step"]["reconfigure"]))
    for form, step in forms:
        fields = {str(key) for key in form["data_schema"].schema}
        assert fields == step["data"].keys(), form["step_id"]
        # The frontend gets the form as JSON.
        serialized = probatio.to_field_list(
            form["data_schema"], custom_serializer=cv.custom_serializer
        )
        assert {field["name"] for field in serialized} == fields
        json.dumps(serialized)


def test_selector_and_entity_translations() -> None:
    """Select options, entity names and states follow the code's values."""
    selector = {
        key: set(value["options"]) for key, value in STRINGS["selector"].items()
    }
    assert selector == {
        "backend": {"entity", "modbus"},
        "mode": {mode.value for mode in Mode},
        "phases": {"1", "3"},
        "phase_rotation": {"L1L2L3", "L2L3L1", "L3L1L2"},
        "profile": {profile.value for profile in Profile},
        "model": set(MODELS),
        "setpoint_type": set(SETPOINT_TYPES),
        "word_order": set(WORD_ORDERS),
        "plan_objective": {"cost", "co2"},
    }
    entity = STRINGS["entity"]
    assert set(entity["select"]["mode"]["state"]) == {mode.value for mode in Mode}
    assert set(entity["select"]["profile"]["state"]) == {p.value for p in Profile}
    assert set(entity["sensor"]["status"]["state"]) == {s.value for s in Status}
    boost = entity["sensor"]["status"]["state_attributes"]["boost"]
    assert set(boost["state"]) == {"armed", "active"}
    assert set(entity["sensor"]) == {
        "allocated_current",
        "allocated_power",
        "status",
        "session_energy",
        "planned_start",
        "phases_in_use",
        "last_session",
        "ev_budget",
        "solar_surplus",
        "household_power",
        "quarter_peak",
        "adaptive_reserve",
    }
    session = Session(0.0, 3600.0, 1.0, None, None, None, None)
    assert set(entity["sensor"]["last_session"]["state_attributes"]) == set(
        session.attributes()
    )
    assert set(entity["number"]) == {"max_current", "energy_target", "target_soc"}
    assert set(entity["switch"]) == {"enabled"}
    assert set(entity["time"]) == {"departure"}
    planned = entity["sensor"]["planned_start"]["state_attributes"]
    assert set(planned) == {"schedule", "reachable"}
    assert set(entity["binary_sensor"]) == {"off_peak", "dimmed"}
    quarter = entity["sensor"]["quarter_peak"]["state_attributes"]
    assert set(quarter) == {"peak_limit_kw", "month_peak_kw"}


def test_exception_and_issue_placeholders() -> None:
    """The placeholders the code passes are the ones the texts use."""
    exceptions = {
        key: _placeholders(value["message"])
        for key, value in STRINGS["exceptions"].items()
    }
    assert exceptions == {
        "charger_not_found": {"target"},
        "invalid_mode": {"value", "options"},
        "invalid_profile": {"value", "options"},
        "target_required": set(),
        "invalid_departure": {"value"},
        "departure_in_past": {"departure"},
        "invalid_energy": {"value", "maximum"},
        "invalid_soc": {"value", "maximum"},
        "energy_with_soc": {"charger"},
        "soc_without_sensor": {"charger"},
    }
    issues = {
        key: _placeholders(value["title"]) | _placeholders(value["description"])
        for key, value in STRINGS["issues"].items()
    }
    assert issues == {
        "failsafe": {"site", "entities"},
        "write_failed": {"charger", "error"},
        "phase_switch_failed": {"charger", "error"},
        "cannot_pause": {"charger"},
        "household_includes_chargers": {"site", "entity"},
        "forecast_unusable": {"site", "problems"},
    }


def test_services_are_translated() -> None:
    """Every action in services.yaml has a name, a description and its fields."""
    services = load_yaml_dict(str(COMPONENT / "services.yaml"))
    assert STRINGS["services"].keys() == services.keys()
    for name, service in services.items():
        translated = STRINGS["services"][name]
        assert translated["name"]
        assert translated["description"]
        fields = set((service or {}).get("fields", {}))
        assert set(translated.get("fields", {})) == fields, name
        for field in fields:
            assert translated["fields"][field].keys() == {"name", "description"}
            if selector := service["fields"][field]["selector"].get("select"):
                options = STRINGS["selector"][selector["translation_key"]]["options"]
                assert set(options) == set(selector["options"])


def test_icons_follow_the_entities_and_actions() -> None:
    """Every entity and action has an icon, and every translated state its own."""
    icons = json.loads((COMPONENT / "icons.json").read_text("utf-8"))
    for platform, entities in STRINGS["entity"].items():
        assert icons["entity"][platform].keys() == entities.keys(), platform
        for key, entity in entities.items():
            if "state" in entity:
                shown = icons["entity"][platform][key].get("state", {})
                assert shown.keys() == entity["state"].keys(), key
    services = load_yaml_dict(str(COMPONENT / "services.yaml"))
    assert icons["services"].keys() == services.keys()


def _options(schema: probatio.Schema) -> dict[str, list[str]]:
    """The values each dropdown of a form offers, as the frontend gets them."""
    fields = probatio.to_field_list(schema, custom_serializer=cv.custom_serializer)
    assert isinstance(fields, list)
    return {
        field["name"]: [
            option["value"] if isinstance(option, dict) else option
            for option in field["selector"]["select"]["options"]
        ]
        for field in fields
        if "select" in field.get("selector", {})
    }


def test_modbus_form_offers_what_the_backend_takes() -> None:
    """Every model, setpoint type, scale and word order the form offers makes a
    register map, and the form offers every model, generic last."""
    options = _options(MODBUS_SCHEMA)
    assert options["model"] == list(MODELS)
    assert options["model"][-1] == MODEL_GENERIC
    for model in options["model"]:
        if model != MODEL_GENERIC:
            assert register_map({"model": model})
    for dtype in options["setpoint_type"]:
        for scale in options["setpoint_scale"]:
            for order in options["word_order"]:
                generic = register_map(
                    {
                        "model": MODEL_GENERIC,
                        "setpoint_register": 1,
                        "setpoint_type": dtype,
                        "setpoint_scale": scale,
                        "word_order": order,
                    }
                )
                assert generic.setpoint.dtype == dtype
                assert generic.setpoint.scale == float(scale)
                assert generic.setpoint.word_order == order


async def test_modbus_step_probes_a_real_box(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """Against a simulated wallbox on 127.0.0.1: a refused unit, a dead port, then
    the right address."""
    simulator = WallboxSimulator()
    try:
        box = await simulator.add("phoenix_em_cp")
        dead = await simulator.add("alfen")
        await dead.stop()
        entry = _site_entry(hass)
        result = await _start_modbus(hass, entry)
        address = {**MODBUS_INPUT, "model": "phoenix_em_cp", "host": box.host}

        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**address, "port": box.port, "unit_id": 7}
        )
        _assert_errors(result, {"unit_id": "invalid_unit_id"}, CHARGER_STRINGS)

        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**address, "port": dead.port, "unit_id": 180}
        )
        _assert_errors(result, {"base": "cannot_connect"}, CHARGER_STRINGS)

        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**address, "port": box.port, "unit_id": 180}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["unit_id"] == 180
    finally:
        await simulator.close()
