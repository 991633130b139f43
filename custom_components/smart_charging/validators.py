"""Checks of the config flow's forms.

Each returns what the entry or subentry stores and the form errors (field -> error
key in strings.json). No I/O: probing a Modbus box is the flow's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_HOST,
    CONF_NAME,
    CONF_PORT,
    PERCENTAGE,
    UnitOfElectricCurrent,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, split_entity_id, valid_entity_id
from homeassistant.helpers import entity_registry as er
from homeassistant.util import slugify

from .const import (
    BACKEND_ENTITY,
    BATTERY_KWH_MAX,
    CONF_ADAPTIVE_RESERVE,
    CONF_BACKEND,
    CONF_BATTERY_KWH,
    CONF_CO2_ENTITY,
    CONF_CONNECTED_ENTITY,
    CONF_CURRENT_ENTITY,
    CONF_DIMMING_ENTITY,
    CONF_DIMMING_LIMIT_KW,
    CONF_FAILSAFE_CURRENT,
    CONF_FOLLOW_MONTHLY_PEAK,
    CONF_GRID_LIMIT_KW,
    CONF_GRID_POWER_ENTITY,
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_MAIN_FUSE_A,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OFFPEAK_ENTITY,
    CONF_PEAK_LIMIT_KW,
    CONF_PHASE_ROTATION,
    CONF_PHASE_SWITCH_ENTITY,
    CONF_PHASES,
    CONF_PLAN_OBJECTIVE,
    CONF_POWER_ENTITY,
    CONF_PRICE_ENTITY,
    CONF_PROFILE,
    CONF_SAFETY_MARGIN_KW,
    CONF_SOC_ENTITY,
    CONF_SOLAR_FORECAST_ENTITY,
    CONF_SOLAR_POWER_ENTITY,
    CONF_STALE_AFTER_S,
    CONF_STANDARD_MAX_KW,
    CONF_SWITCH_ENTITY,
    CONF_VOLTAGE,
    CURRENT_LIMIT_A,
    DEFAULT_ADAPTIVE_RESERVE,
    DEFAULT_BATTERY_KWH,
    DEFAULT_DIMMING_LIMIT_KW,
    DEFAULT_FOLLOW_MONTHLY_PEAK,
    DEFAULT_MAIN_FUSE_A,
    DEFAULT_PEAK_LIMIT_KW,
    DEFAULT_PHASE_ROTATION,
    DEFAULT_PLAN_OBJECTIVE,
    PHASE_CURRENT_KEYS,
    PHASE_ROTATIONS,
    PLAN_OBJECTIVES,
)
from .engine.limits import MIN_CHARGE_CURRENT
from .modbus import MODEL_GENERIC, RegisterMapError, generic_settings
from .modbus.registers import (
    CONF_MODEL,
    CONF_UNIT_ID,
)

POWER_UNITS = frozenset(
    {UnitOfPower.WATT, UnitOfPower.KILO_WATT, UnitOfPower.MEGA_WATT}
)
# The phase currents at the grid connection (inputs.py converts mA).
PHASE_CURRENT_UNITS = frozenset(
    {UnitOfElectricCurrent.AMPERE, UnitOfElectricCurrent.MILLIAMPERE}
)
# The domains each entity field takes (the forms' pickers show the same).
POWER_SENSOR_DOMAINS = ("sensor",)
# The price and carbon intensity: a sensor in any unit (EUR/kWh, gCO2eq/kWh...).
TARIFF_SENSOR_DOMAINS = ("sensor",)
# A solar forecast: a sensor with the forecast in its attributes, in any unit.
FORECAST_SENSOR_DOMAINS = ("sensor",)
SOC_SENSOR_DOMAINS = ("sensor",)
PHASE_CURRENT_DOMAINS = ("sensor",)
OFFPEAK_DOMAINS = ("schedule", "binary_sensor", "input_boolean", "switch")
DIMMING_DOMAINS = OFFPEAK_DOMAINS  # any on/off entity
CURRENT_DOMAINS = ("number", "input_number")
SWITCH_DOMAINS = ("switch", "input_boolean")
CONNECTED_DOMAINS = ("binary_sensor", "input_boolean", "sensor")
VOLTAGE_RANGE = (100.0, 300.0)  # phase (line to neutral) voltage
PORT_RANGE = (1, 65535)
UNIT_ID_RANGE = (0, 255)
# The site's numbers, read as floats from the form.
SITE_NUMBERS = (
    CONF_GRID_LIMIT_KW,
    CONF_SAFETY_MARGIN_KW,
    CONF_STANDARD_MAX_KW,
    CONF_VOLTAGE,
    CONF_FAILSAFE_CURRENT,
    CONF_STALE_AFTER_S,
)
# The grid's own limits, optional in the form (a site stored before them has none):
# each with its default.
GRID_LIMIT_NUMBERS = {
    CONF_DIMMING_LIMIT_KW: DEFAULT_DIMMING_LIMIT_KW,
    CONF_PEAK_LIMIT_KW: DEFAULT_PEAK_LIMIT_KW,
    CONF_MAIN_FUSE_A: DEFAULT_MAIN_FUSE_A,
}

type Errors = dict[str, str]


def is_whole(value: float, low: float, high: float) -> bool:
    """True for a whole number within [low, high]."""
    return float(value).is_integer() and low <= value <= high


# Entities --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityRule:
    """What an entity picked for a field must be."""

    domains: tuple[str, ...]
    units: frozenset[str] | None = None  # None: any unit, or none
    unit_optional: bool = False  # True: an entity without a unit is accepted too
    unit_error: str = "wrong_unit"


POWER_RULE = EntityRule(POWER_SENSOR_DOMAINS, POWER_UNITS)
SITE_ENTITY_RULES = {
    CONF_HOUSEHOLD_POWER_ENTITY: POWER_RULE,
    CONF_GRID_POWER_ENTITY: POWER_RULE,
    CONF_SOLAR_POWER_ENTITY: POWER_RULE,
    CONF_OFFPEAK_ENTITY: EntityRule(OFFPEAK_DOMAINS),
    CONF_DIMMING_ENTITY: EntityRule(DIMMING_DOMAINS),
    CONF_PRICE_ENTITY: EntityRule(TARIFF_SENSOR_DOMAINS),
    CONF_CO2_ENTITY: EntityRule(TARIFF_SENSOR_DOMAINS),
    CONF_SOLAR_FORECAST_ENTITY: EntityRule(FORECAST_SENSOR_DOMAINS),
    **{
        key: EntityRule(
            PHASE_CURRENT_DOMAINS,
            PHASE_CURRENT_UNITS,
            unit_error="wrong_phase_current_unit",
        )
        for key in PHASE_CURRENT_KEYS
    },
}
# The entities of the charger's first form: the car's state of charge and the
# 1p/3p switch (on = three phases, off = one).
FIRST_FORM_RULES = {
    CONF_SOC_ENTITY: EntityRule(
        SOC_SENSOR_DOMAINS, frozenset({PERCENTAGE}), unit_error="wrong_soc_unit"
    ),
    CONF_PHASE_SWITCH_ENTITY: EntityRule(SWITCH_DOMAINS),
}
CHARGER_ENTITY_RULES = {
    CONF_CURRENT_ENTITY: EntityRule(
        CURRENT_DOMAINS,
        frozenset({UnitOfElectricCurrent.AMPERE}),
        unit_optional=True,
        unit_error="wrong_current_unit",
    ),
    CONF_SWITCH_ENTITY: EntityRule(SWITCH_DOMAINS),
    CONF_CONNECTED_ENTITY: EntityRule(CONNECTED_DOMAINS),
    CONF_POWER_ENTITY: POWER_RULE,
}


def _resolve_entity_id(hass: HomeAssistant, value: str) -> str | None:
    """The entity id of a picked entity (the picker may also send a registry id)."""
    if valid_entity_id(value):
        return value
    return er.async_resolve_entity_id(er.async_get(hass), value)


def _check_entity(hass: HomeAssistant, entity_id: str, rule: EntityRule) -> str | None:
    """The error key for an entity that cannot serve, or None when it can.

    An entity without a state yet (its integration still starting) is judged by its
    registry entry.
    """
    if split_entity_id(entity_id)[0] not in rule.domains:
        return "wrong_domain"
    unit: str | None
    if (state := hass.states.get(entity_id)) is not None:
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    elif (registry_entry := er.async_get(hass).async_get(entity_id)) is not None:
        unit = registry_entry.unit_of_measurement
    else:
        return "entity_not_found"
    if rule.units is None or unit in rule.units:
        return None
    if unit is None and rule.unit_optional:
        return None
    return rule.unit_error


def validate_entities(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    rules: Mapping[str, EntityRule],
) -> tuple[dict[str, str], Errors]:
    """The entities given in the form, by field, and the errors of the bad ones."""
    entities: dict[str, str] = {}
    errors: Errors = {}
    for key, rule in rules.items():
        if not (value := user_input.get(key)):
            continue
        if (entity_id := _resolve_entity_id(hass, value)) is None:
            errors[key] = "entity_not_found"
        elif (error := _check_entity(hass, entity_id, rule)) is not None:
            errors[key] = error
        else:
            entities[key] = entity_id
    return entities, errors


def entity_max(hass: HomeAssistant, entity_id: str) -> int | None:
    """The whole amps a number or input_number accepts at most, from its `max`
    attribute; None when it does not say."""
    if (state := hass.states.get(entity_id)) is None:
        return None
    try:
        maximum = float(state.attributes["max"])
    except KeyError, TypeError, ValueError:
        return None
    return math.floor(maximum) if math.isfinite(maximum) else None


# Site ------------------------------------------------------------------------


def site_name_taken(name: str, others: Iterable[ConfigEntry]) -> bool:
    """True when another site has this name, up to case and punctuation (the
    names would give the same entity ids)."""
    key = slugify(name)
    return any(
        slugify(str(other.data.get(CONF_NAME, other.title))) == key for other in others
    )


def _site_errors(name: str, numbers: Mapping[str, float]) -> Errors:
    """Errors of the site's name and numbers."""
    errors: Errors = {}
    grid_limit = numbers[CONF_GRID_LIMIT_KW]
    margin = numbers[CONF_SAFETY_MARGIN_KW]
    failsafe = numbers[CONF_FAILSAFE_CURRENT]
    if not name:
        errors[CONF_NAME] = "invalid_name"
    if grid_limit <= 0:
        errors[CONF_GRID_LIMIT_KW] = "invalid_limit"
    if margin < 0:
        errors[CONF_SAFETY_MARGIN_KW] = "invalid_number"
    elif grid_limit > 0 and margin >= grid_limit:
        errors[CONF_SAFETY_MARGIN_KW] = "margin_too_large"
    if numbers[CONF_STANDARD_MAX_KW] < 0:
        errors[CONF_STANDARD_MAX_KW] = "invalid_number"
    if not VOLTAGE_RANGE[0] <= numbers[CONF_VOLTAGE] <= VOLTAGE_RANGE[1]:
        errors[CONF_VOLTAGE] = "invalid_voltage"
    if failsafe != 0 and not is_whole(failsafe, MIN_CHARGE_CURRENT, CURRENT_LIMIT_A):
        errors[CONF_FAILSAFE_CURRENT] = "invalid_failsafe_current"
    if numbers[CONF_STALE_AFTER_S] < 0:
        errors[CONF_STALE_AFTER_S] = "invalid_number"
    for key in GRID_LIMIT_NUMBERS:
        if not 0 <= numbers[key] < math.inf:
            errors[key] = "invalid_number"
    return errors


def validate_site(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], Errors]:
    """The site entry data built from the form, and the form errors."""
    name = str(user_input[CONF_NAME]).strip()
    numbers = {key: float(user_input[key]) for key in SITE_NUMBERS}
    numbers |= {
        key: float(user_input.get(key, default))
        for key, default in GRID_LIMIT_NUMBERS.items()
    }
    errors = _site_errors(name, numbers)
    stale = numbers[CONF_STALE_AFTER_S]
    data: dict[str, Any] = {
        CONF_NAME: name,
        **numbers,
        CONF_FAILSAFE_CURRENT: int(numbers[CONF_FAILSAFE_CURRENT]),
        CONF_STALE_AFTER_S: int(stale) if stale.is_integer() else stale,
        CONF_FOLLOW_MONTHLY_PEAK: bool(
            user_input.get(CONF_FOLLOW_MONTHLY_PEAK, DEFAULT_FOLLOW_MONTHLY_PEAK)
        ),
        CONF_ADAPTIVE_RESERVE: bool(
            user_input.get(CONF_ADAPTIVE_RESERVE, DEFAULT_ADAPTIVE_RESERVE)
        ),
    }
    objective = user_input.get(CONF_PLAN_OBJECTIVE, DEFAULT_PLAN_OBJECTIVE)
    if objective in PLAN_OBJECTIVES:
        data[CONF_PLAN_OBJECTIVE] = objective
    else:
        errors[CONF_PLAN_OBJECTIVE] = "invalid_plan_objective"
    entities, entity_errors = validate_entities(hass, user_input, SITE_ENTITY_RULES)
    data |= entities
    errors |= entity_errors
    if not user_input.get(CONF_HOUSEHOLD_POWER_ENTITY) and not user_input.get(
        CONF_GRID_POWER_ENTITY
    ):
        errors["base"] = "power_source_required"
    if numbers[CONF_MAIN_FUSE_A] > 0 and not all(
        user_input.get(key) for key in PHASE_CURRENT_KEYS
    ):
        errors.setdefault(CONF_MAIN_FUSE_A, "phase_sensors_required")
    return data, errors


# Charger ---------------------------------------------------------------------


def _charger_name(subentry: ConfigSubentry) -> str:
    """A charger's name as compared: trimmed, case folded."""
    return str(subentry.data.get(CONF_NAME, subentry.title)).strip().casefold()


def _current_errors(min_current: float, max_current: float) -> Errors:
    """Errors of a charger's minimum and maximum current."""
    errors: Errors = {}
    if not is_whole(min_current, 0, CURRENT_LIMIT_A):
        errors[CONF_MIN_CURRENT] = "current_out_of_range"
    elif 0 < min_current < MIN_CHARGE_CURRENT:
        errors[CONF_MIN_CURRENT] = "invalid_min_current"
    if not is_whole(max_current, 0, CURRENT_LIMIT_A):
        errors[CONF_MAX_CURRENT] = "current_out_of_range"
    elif max_current < MIN_CHARGE_CURRENT:
        errors[CONF_MAX_CURRENT] = "invalid_max_current"
    if not errors and min_current > max_current:
        errors["base"] = "min_above_max"
    return errors


def validate_charger(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    others: Sequence[ConfigSubentry],
) -> tuple[dict[str, Any], Errors]:
    """The charger's first form: its data (empty while there are errors) and the
    errors. `others` are the site's other chargers."""
    errors: Errors = {}
    name = str(user_input[CONF_NAME]).strip()
    if not name:
        errors[CONF_NAME] = "invalid_name"
    elif any(_charger_name(other) == name.casefold() for other in others):
        errors[CONF_NAME] = "name_exists"
    min_current = float(user_input[CONF_MIN_CURRENT])
    max_current = float(user_input[CONF_MAX_CURRENT])
    errors |= _current_errors(min_current, max_current)
    battery_kwh = float(user_input.get(CONF_BATTERY_KWH, DEFAULT_BATTERY_KWH))
    if not 0 < battery_kwh <= BATTERY_KWH_MAX:
        errors[CONF_BATTERY_KWH] = "invalid_battery_kwh"
    rotation = user_input.get(CONF_PHASE_ROTATION, DEFAULT_PHASE_ROTATION)
    if rotation not in PHASE_ROTATIONS:
        errors[CONF_PHASE_ROTATION] = "invalid_phase_rotation"
    entities, entity_errors = validate_entities(hass, user_input, FIRST_FORM_RULES)
    errors |= entity_errors | _phase_switch_errors(user_input, entities)
    if errors:
        return {}, errors
    return {
        CONF_NAME: name,
        CONF_BACKEND: user_input[CONF_BACKEND],
        CONF_PHASES: int(user_input[CONF_PHASES]),
        CONF_MIN_CURRENT: int(min_current),
        CONF_MAX_CURRENT: int(max_current),
        CONF_PROFILE: user_input[CONF_PROFILE],
        CONF_PHASE_ROTATION: rotation,
        **entities,
        CONF_BATTERY_KWH: battery_kwh,
    }, errors


def _phase_switch_errors(
    user_input: Mapping[str, Any], entities: Mapping[str, str]
) -> Errors:
    """A 1p/3p switch serves a three-phase box driven through entities only (a
    Modbus box that can switch would do it itself)."""
    if CONF_PHASE_SWITCH_ENTITY not in entities:
        return {}
    if int(user_input[CONF_PHASES]) != 3:
        return {CONF_PHASE_SWITCH_ENTITY: "phase_switch_needs_three_phases"}
    if user_input[CONF_BACKEND] != BACKEND_ENTITY:
        return {CONF_PHASE_SWITCH_ENTITY: "phase_switch_not_modbus"}
    return {}


@dataclass(frozen=True, slots=True)
class EntityCheck:
    """The outcome of the entity step's form."""

    entities: dict[str, str]  # the entities given, by field
    errors: Errors
    entity_max: int | None  # whole amps the current entity accepts at most, if known


def validate_entity_charger(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    charger: Mapping[str, Any],
    others: Sequence[ConfigSubentry],
) -> EntityCheck:
    """The entities of a charger driven through HA entities.

    A current entity already used by another charger is refused, and so is one whose
    `max` is below what the charger needs (6 A and its minimum current).
    """
    entities, errors = validate_entities(hass, user_input, CHARGER_ENTITY_RULES)
    current_entity = entities.get(CONF_CURRENT_ENTITY)
    if current_entity is None:
        return EntityCheck(entities, errors, None)
    if any(other.data.get(CONF_CURRENT_ENTITY) == current_entity for other in others):
        errors[CONF_CURRENT_ENTITY] = "already_in_use"
        return EntityCheck(entities, errors, None)
    maximum = entity_max(hass, current_entity)
    needed = max(MIN_CHARGE_CURRENT, charger[CONF_MIN_CURRENT])
    if maximum is not None and maximum < needed:
        errors[CONF_CURRENT_ENTITY] = "current_entity_range"
    return EntityCheck(entities, errors, maximum)


def validate_modbus(
    user_input: Mapping[str, Any], others: Sequence[ConfigSubentry]
) -> tuple[dict[str, Any], Errors]:
    """The Modbus part of the charger data (empty while there are errors) and the
    form errors. The generic model's registers and choices are checked by the
    modbus package, as when the backend is made."""
    errors: Errors = {}
    host = str(user_input[CONF_HOST]).strip()
    port = float(user_input[CONF_PORT])
    unit_id = float(user_input[CONF_UNIT_ID])
    if not host:
        errors[CONF_HOST] = "invalid_host"
    if not is_whole(port, *PORT_RANGE):
        errors[CONF_PORT] = "invalid_port"
    if not is_whole(unit_id, *UNIT_ID_RANGE):
        errors[CONF_UNIT_ID] = "invalid_unit_id"
    data: dict[str, Any] = {CONF_MODEL: user_input[CONF_MODEL]}
    if data[CONF_MODEL] == MODEL_GENERIC:
        try:
            data |= generic_settings(user_input)
        except RegisterMapError as err:
            # The form's selectors offer only supported choices: what is left to
            # refuse here are the register addresses.
            errors |= err.problems
    if errors:
        return {}, errors
    data = {CONF_HOST: host, CONF_PORT: int(port), CONF_UNIT_ID: int(unit_id), **data}
    if any(
        str(other.data.get(CONF_HOST, "")).casefold() == host.casefold()
        and other.data.get(CONF_PORT) == data[CONF_PORT]
        and other.data.get(CONF_UNIT_ID) == data[CONF_UNIT_ID]
        for other in others
    ):
        return {}, {CONF_HOST: "already_in_use"}
    return data, errors
