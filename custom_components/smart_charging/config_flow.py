"""Config flow of Smart Charging: a site entry, with one subentry per charger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import Any, Literal, override

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_HOST,
    CONF_NAME,
    CONF_PORT,
    UnitOfElectricCurrent,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback, split_entity_id, valid_entity_id
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.util import slugify
import probatio

from .backend import BackendError
from .const import (
    BACKEND_ENTITY,
    BACKEND_MODBUS,
    CONF_BACKEND,
    CONF_CONNECTED_ENTITY,
    CONF_CURRENT_ENTITY,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT_KW,
    CONF_GRID_POWER_ENTITY,
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_MODEL,
    CONF_OFFPEAK_ENTITY,
    CONF_PHASES,
    CONF_POWER_ENTITY,
    CONF_POWER_REGISTER,
    CONF_PROFILE,
    CONF_SAFETY_MARGIN_KW,
    CONF_SETPOINT_REGISTER,
    CONF_SETPOINT_SCALE,
    CONF_SETPOINT_TYPE,
    CONF_SOLAR_POWER_ENTITY,
    CONF_SOLAR_RIDE_THROUGH,
    CONF_STALE_AFTER_S,
    CONF_STANDARD_MAX_KW,
    CONF_STATUS_REGISTER,
    CONF_SWITCH_ENTITY,
    CONF_UNIT_ID,
    CONF_VOLTAGE,
    CONF_WORD_ORDER,
    CURRENT_LIMIT_A,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_MODBUS_PORT,
    DEFAULT_PHASES,
    DEFAULT_SAFETY_MARGIN_KW,
    DEFAULT_SETPOINT_SCALE,
    DEFAULT_SETPOINT_TYPE,
    DEFAULT_SITE_NAME,
    DEFAULT_SOLAR_RIDE_THROUGH,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STANDARD_MAX_KW,
    DEFAULT_UNIT_ID,
    DEFAULT_VOLTAGE,
    DEFAULT_WORD_ORDER,
    DOMAIN,
    LOGGER,
    MIN_CHARGE_CURRENT_A,
    MODBUS_MODELS,
    MODEL_GENERIC,
    SETPOINT_SCALES,
    SETPOINT_TYPES,
    SUBENTRY_CHARGER,
    WORD_ORDERS,
)
from .engine import Profile
from .modbus import InvalidUnitId, async_probe

POWER_UNITS = frozenset(
    {UnitOfPower.WATT, UnitOfPower.KILO_WATT, UnitOfPower.MEGA_WATT}
)
POWER_SENSOR_DOMAINS = ("sensor",)
OFFPEAK_DOMAINS = ("schedule", "binary_sensor", "input_boolean", "switch")
CURRENT_DOMAINS = ("number", "input_number")
SWITCH_DOMAINS = ("switch", "input_boolean")
CONNECTED_DOMAINS = ("binary_sensor", "input_boolean", "sensor")
PHASE_OPTIONS = ("1", "3")
VOLTAGE_RANGE = (100.0, 300.0)  # phase (line to neutral) voltage
PORT_RANGE = (1, 65535)
UNIT_ID_RANGE = (0, 255)
REGISTER_RANGE = (0, 65535)


def _number(unit: str, step: float | Literal["any"] = 1) -> NumberSelector:
    """A box for a number. No bounds: out-of-range values become form errors."""
    return NumberSelector(
        NumberSelectorConfig(
            mode=NumberSelectorMode.BOX, unit_of_measurement=unit, step=step
        )
    )


def _plain_number() -> NumberSelector:
    """A box for a register address, port or unit id."""
    return NumberSelector(NumberSelectorConfig(mode=NumberSelectorMode.BOX, step=1))


def _entity(
    domains: tuple[str, ...], device_class: str | None = None
) -> EntitySelector:
    """Entity picker. The filter only guides the UI; the handler checks the domain."""
    if device_class is None:
        return EntitySelector(EntitySelectorConfig(filter={"domain": list(domains)}))
    return EntitySelector(
        EntitySelectorConfig(
            filter={"domain": list(domains), "device_class": device_class}
        )
    )


def _select(options: tuple[str, ...], translation_key: str) -> SelectSelector:
    """Dropdown with translated options."""
    return SelectSelector(
        SelectSelectorConfig(
            options=list(options),
            mode=SelectSelectorMode.DROPDOWN,
            translation_key=translation_key,
        )
    )


def _scale_option(scale: float) -> str:
    """The select option of a setpoint scale: "1", "0.1" or "0.001"."""
    return f"{scale:g}"


POWER_SENSOR_SELECTOR = _entity(POWER_SENSOR_DOMAINS, "power")

SITE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME, default=DEFAULT_SITE_NAME): TextSelector(),
        probatio.Required(CONF_GRID_LIMIT_KW): _number("kW", "any"),
        probatio.Optional(CONF_HOUSEHOLD_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_GRID_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_SOLAR_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_OFFPEAK_ENTITY): _entity(OFFPEAK_DOMAINS),
        probatio.Required(
            CONF_SAFETY_MARGIN_KW, default=DEFAULT_SAFETY_MARGIN_KW
        ): _number("kW", "any"),
        probatio.Required(
            CONF_STANDARD_MAX_KW, default=DEFAULT_STANDARD_MAX_KW
        ): _number("kW", "any"),
        probatio.Required(CONF_VOLTAGE, default=DEFAULT_VOLTAGE): _number("V", "any"),
        probatio.Required(
            CONF_FAILSAFE_CURRENT, default=DEFAULT_FAILSAFE_CURRENT
        ): _number("A"),
        probatio.Required(CONF_STALE_AFTER_S, default=DEFAULT_STALE_AFTER_S): _number(
            "s"
        ),
        probatio.Required(
            CONF_SOLAR_RIDE_THROUGH, default=DEFAULT_SOLAR_RIDE_THROUGH
        ): BooleanSelector(),
    }
)

CHARGER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_BACKEND, default=BACKEND_ENTITY): _select(
            (BACKEND_ENTITY, BACKEND_MODBUS), "backend"
        ),
        probatio.Required(CONF_PHASES, default=str(DEFAULT_PHASES)): probatio.All(
            probatio.Coerce(str), _select(PHASE_OPTIONS, "phases")
        ),
        probatio.Required(CONF_MIN_CURRENT, default=DEFAULT_MIN_CURRENT): _number("A"),
        probatio.Required(CONF_MAX_CURRENT, default=DEFAULT_MAX_CURRENT): _number("A"),
        probatio.Required(CONF_PROFILE, default=Profile.STANDARD.value): _select(
            tuple(profile.value for profile in Profile), "profile"
        ),
    }
)

ENTITY_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_CURRENT_ENTITY): _entity(CURRENT_DOMAINS),
        probatio.Optional(CONF_SWITCH_ENTITY): _entity(SWITCH_DOMAINS),
        probatio.Optional(CONF_CONNECTED_ENTITY): _entity(CONNECTED_DOMAINS),
        probatio.Optional(CONF_POWER_ENTITY): POWER_SENSOR_SELECTOR,
    }
)

MODBUS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_HOST): TextSelector(),
        probatio.Required(CONF_PORT, default=DEFAULT_MODBUS_PORT): _plain_number(),
        probatio.Required(CONF_UNIT_ID, default=DEFAULT_UNIT_ID): _plain_number(),
        probatio.Required(CONF_MODEL): _select(MODBUS_MODELS, "model"),
        probatio.Optional(CONF_SETPOINT_REGISTER): _plain_number(),
        probatio.Optional(CONF_SETPOINT_TYPE, default=DEFAULT_SETPOINT_TYPE): _select(
            SETPOINT_TYPES, "setpoint_type"
        ),
        probatio.Optional(
            CONF_SETPOINT_SCALE, default=_scale_option(DEFAULT_SETPOINT_SCALE)
        ): probatio.All(
            probatio.Coerce(str),
            SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(
                            value=_scale_option(scale), label=f"{scale:g} A"
                        )
                        for scale in SETPOINT_SCALES
                    ],
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
        ),
        probatio.Optional(CONF_WORD_ORDER, default=DEFAULT_WORD_ORDER): _select(
            WORD_ORDERS, "word_order"
        ),
        probatio.Optional(CONF_STATUS_REGISTER): _plain_number(),
        probatio.Optional(CONF_POWER_REGISTER): _plain_number(),
    }
)


def _is_whole(value: float, low: float, high: float) -> bool:
    """True for a whole number within [low, high]."""
    return float(value).is_integer() and low <= value <= high


def _resolve_entity_id(hass: HomeAssistant, value: str) -> str | None:
    """The entity id of a picked entity (the picker may also send a registry id)."""
    if valid_entity_id(value):
        return value
    return er.async_resolve_entity_id(er.async_get(hass), value)


@dataclass(frozen=True, slots=True)
class _EntityRule:
    """What an entity picked for a field must be."""

    domains: tuple[str, ...]
    units: frozenset[str] | None = None  # None: any unit, or none
    unit_optional: bool = False  # True: an entity without a unit is accepted too
    unit_error: str = "wrong_unit"


POWER_RULE = _EntityRule(POWER_SENSOR_DOMAINS, POWER_UNITS)
SITE_ENTITY_RULES = {
    CONF_HOUSEHOLD_POWER_ENTITY: POWER_RULE,
    CONF_GRID_POWER_ENTITY: POWER_RULE,
    CONF_SOLAR_POWER_ENTITY: POWER_RULE,
    CONF_OFFPEAK_ENTITY: _EntityRule(OFFPEAK_DOMAINS),
}
CHARGER_ENTITY_RULES = {
    CONF_CURRENT_ENTITY: _EntityRule(
        CURRENT_DOMAINS,
        frozenset({UnitOfElectricCurrent.AMPERE}),
        unit_optional=True,
        unit_error="wrong_current_unit",
    ),
    CONF_SWITCH_ENTITY: _EntityRule(SWITCH_DOMAINS),
    CONF_CONNECTED_ENTITY: _EntityRule(CONNECTED_DOMAINS),
    CONF_POWER_ENTITY: POWER_RULE,
}


def _entity_max(hass: HomeAssistant, entity_id: str) -> int | None:
    """The whole amps a number or input_number accepts at most, from its `max`
    attribute; None when it does not say."""
    if (state := hass.states.get(entity_id)) is None:
        return None
    try:
        maximum = float(state.attributes["max"])
    except KeyError, TypeError, ValueError:
        return None
    return math.floor(maximum) if math.isfinite(maximum) else None


def _check_entity(hass: HomeAssistant, entity_id: str, rule: _EntityRule) -> str | None:
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


def _validate_entities(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    rules: Mapping[str, _EntityRule],
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Check every entity given in the form; copy the valid ones into `data`."""
    for key, rule in rules.items():
        if not (value := user_input.get(key)):
            continue
        if (entity_id := _resolve_entity_id(hass, value)) is None:
            errors[key] = "entity_not_found"
        elif (error := _check_entity(hass, entity_id, rule)) is not None:
            errors[key] = error
        else:
            data[key] = entity_id


def _validate_site(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The site entry data built from the form, and the form errors."""
    errors: dict[str, str] = {}
    name = str(user_input[CONF_NAME]).strip()
    grid_limit = float(user_input[CONF_GRID_LIMIT_KW])
    margin = float(user_input[CONF_SAFETY_MARGIN_KW])
    standard_max = float(user_input[CONF_STANDARD_MAX_KW])
    voltage = float(user_input[CONF_VOLTAGE])
    failsafe = float(user_input[CONF_FAILSAFE_CURRENT])
    stale = float(user_input[CONF_STALE_AFTER_S])

    if not name:
        errors[CONF_NAME] = "invalid_name"
    if grid_limit <= 0:
        errors[CONF_GRID_LIMIT_KW] = "invalid_limit"
    if margin < 0:
        errors[CONF_SAFETY_MARGIN_KW] = "invalid_number"
    elif grid_limit > 0 and margin >= grid_limit:
        errors[CONF_SAFETY_MARGIN_KW] = "margin_too_large"
    if standard_max < 0:
        errors[CONF_STANDARD_MAX_KW] = "invalid_number"
    if not VOLTAGE_RANGE[0] <= voltage <= VOLTAGE_RANGE[1]:
        errors[CONF_VOLTAGE] = "invalid_voltage"
    if failsafe != 0 and not _is_whole(failsafe, MIN_CHARGE_CURRENT_A, CURRENT_LIMIT_A):
        errors[CONF_FAILSAFE_CURRENT] = "invalid_failsafe_current"
    if stale < 0:
        errors[CONF_STALE_AFTER_S] = "invalid_number"

    data: dict[str, Any] = {
        CONF_NAME: name,
        CONF_GRID_LIMIT_KW: grid_limit,
        CONF_SAFETY_MARGIN_KW: margin,
        CONF_STANDARD_MAX_KW: standard_max,
        CONF_VOLTAGE: voltage,
        CONF_FAILSAFE_CURRENT: int(failsafe),
        CONF_STALE_AFTER_S: int(stale) if stale.is_integer() else stale,
    }
    if user_input.get(CONF_SOLAR_RIDE_THROUGH, DEFAULT_SOLAR_RIDE_THROUGH):
        # Stored only when on: a site as the spec describes it has the spec's keys.
        data[CONF_SOLAR_RIDE_THROUGH] = True
    _validate_entities(hass, user_input, SITE_ENTITY_RULES, data, errors)
    if not user_input.get(CONF_HOUSEHOLD_POWER_ENTITY) and not user_input.get(
        CONF_GRID_POWER_ENTITY
    ):
        errors["base"] = "power_source_required"
    return data, errors


class SmartChargingConfigFlow(ConfigFlow, domain=DOMAIN):
    """A site: its grid connection, meters and limits."""

    VERSION = 1

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Chargers are subentries of the site."""
        return {SUBENTRY_CHARGER: ChargerSubentryFlowHandler}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up a site."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _validate_site(self.hass, user_input)
            if not errors:
                await self.async_set_unique_id(slugify(data[CONF_NAME]))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of a site."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _validate_site(self.hass, user_input)
            unique_id = slugify(data[CONF_NAME])
            if any(
                other.unique_id == unique_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                errors[CONF_NAME] = "name_exists"
            if not errors:
                if entry.update_listeners:
                    # A loaded site reloads itself from its update listener.
                    return self.async_update_and_abort(
                        entry, unique_id=unique_id, title=data[CONF_NAME], data=data
                    )
                return self.async_update_reload_and_abort(
                    entry, unique_id=unique_id, title=data[CONF_NAME], data=data
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SITE_SCHEMA, user_input if user_input is not None else entry.data
            ),
            errors=errors,
        )


class ChargerSubentryFlowHandler(ConfigSubentryFlow):
    """A charger of the site, driven through HA entities or Modbus TCP."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._charger: dict[str, Any] = {}
        self._capped: dict[str, Any] = {}  # the data waiting for the capped note

    @property
    def _is_new(self) -> bool:
        """True when adding a charger, False when reconfiguring one."""
        return self.source == SOURCE_USER

    def _stored(self) -> Mapping[str, Any]:
        """The data of the charger being reconfigured (empty when adding one)."""
        if self._is_new:
            return {}
        return self._get_reconfigure_subentry().data

    def _other_chargers(self) -> list[ConfigSubentry]:
        """The site's other chargers."""
        own_id = None if self._is_new else self._get_reconfigure_subentry().subentry_id
        return [
            subentry
            for subentry in self._get_entry().subentries.values()
            if subentry.subentry_type == SUBENTRY_CHARGER
            and subentry.subentry_id != own_id
        ]

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a charger: name, backend, phases, currents and profile."""
        return await self._async_step_charger("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a charger."""
        return await self._async_step_charger("reconfigure", user_input)

    async def _async_step_charger(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """The first form of both adding and reconfiguring a charger."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate_charger(user_input)
            if not errors:
                self._charger = {
                    CONF_NAME: str(user_input[CONF_NAME]).strip(),
                    CONF_BACKEND: user_input[CONF_BACKEND],
                    CONF_PHASES: int(user_input[CONF_PHASES]),
                    CONF_MIN_CURRENT: int(user_input[CONF_MIN_CURRENT]),
                    CONF_MAX_CURRENT: int(user_input[CONF_MAX_CURRENT]),
                    CONF_PROFILE: user_input[CONF_PROFILE],
                }
                if self._charger[CONF_BACKEND] == BACKEND_MODBUS:
                    return await self.async_step_modbus()
                return await self.async_step_entity()
            values: Mapping[str, Any] = user_input
        else:
            values = dict(self._stored())
            if CONF_PHASES in values:
                values = {**values, CONF_PHASES: str(values[CONF_PHASES])}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(CHARGER_SCHEMA, values),
            errors=errors,
        )

    def _validate_charger(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        """Errors of the first form."""
        errors: dict[str, str] = {}
        name = str(user_input[CONF_NAME]).strip()
        if not name:
            errors[CONF_NAME] = "invalid_name"
        elif any(
            str(other.data.get(CONF_NAME, other.title)).strip().casefold()
            == name.casefold()
            for other in self._other_chargers()
        ):
            errors[CONF_NAME] = "name_exists"

        min_current = float(user_input[CONF_MIN_CURRENT])
        max_current = float(user_input[CONF_MAX_CURRENT])
        if not _is_whole(min_current, 0, CURRENT_LIMIT_A):
            errors[CONF_MIN_CURRENT] = "current_out_of_range"
        elif 0 < min_current < MIN_CHARGE_CURRENT_A:
            errors[CONF_MIN_CURRENT] = "invalid_min_current"
        if not _is_whole(max_current, 0, CURRENT_LIMIT_A):
            errors[CONF_MAX_CURRENT] = "current_out_of_range"
        elif max_current < MIN_CHARGE_CURRENT_A:
            errors[CONF_MAX_CURRENT] = "invalid_max_current"
        if not errors.keys() & {CONF_MIN_CURRENT, CONF_MAX_CURRENT} and (
            min_current > max_current
        ):
            errors["base"] = "min_above_max"
        return errors

    async def async_step_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A charger driven through existing HA entities.

        A current entity whose `max` is below what the charger needs is refused; one
        below the charger's maximum current caps it, after a note.
        """
        errors: dict[str, str] = {}
        placeholders = {"name": self._charger[CONF_NAME]}
        if user_input is not None:
            entities: dict[str, Any] = {}
            _validate_entities(
                self.hass, user_input, CHARGER_ENTITY_RULES, entities, errors
            )
            current_entity = entities.get(CONF_CURRENT_ENTITY)
            if current_entity is not None and any(
                other.data.get(CONF_CURRENT_ENTITY) == current_entity
                for other in self._other_chargers()
            ):
                errors[CONF_CURRENT_ENTITY] = "already_in_use"
            entity_max: int | None = None
            if current_entity is not None and CONF_CURRENT_ENTITY not in errors:
                entity_max = _entity_max(self.hass, current_entity)
            needed = max(MIN_CHARGE_CURRENT_A, self._charger[CONF_MIN_CURRENT])
            if entity_max is not None and entity_max < needed:
                errors[CONF_CURRENT_ENTITY] = "current_entity_range"
                placeholders["entity_max"] = str(entity_max)
            if not errors:
                data = {**self._charger, **entities}
                if entity_max is not None and data[CONF_MAX_CURRENT] > entity_max:
                    self._capped = {**data, CONF_MAX_CURRENT: entity_max}
                    return await self.async_step_max_current_capped()
                return self._async_finish(data)
            values: Mapping[str, Any] = user_input
        else:
            values = self._stored()
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(ENTITY_SCHEMA, values),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_max_current_capped(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Tell that the maximum current is lowered to what the entity accepts."""
        if user_input is not None:
            return self._async_finish(self._capped)
        return self.async_show_form(
            step_id="max_current_capped",
            description_placeholders={
                "name": self._capped[CONF_NAME],
                "entity_max": str(self._capped[CONF_MAX_CURRENT]),
                "max_current": str(self._charger[CONF_MAX_CURRENT]),
            },
        )

    async def async_step_modbus(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A wallbox reached directly over Modbus TCP."""
        errors: dict[str, str] = {}
        if user_input is not None:
            modbus, errors = self._validate_modbus(user_input)
            if not errors:
                data = {**self._charger, **modbus}
                try:
                    await async_probe(data)
                except InvalidUnitId:
                    errors[CONF_UNIT_ID] = "invalid_unit_id"
                except BackendError:
                    errors["base"] = "cannot_connect"
                except Exception:
                    LOGGER.exception("Unexpected error probing %s", data[CONF_HOST])
                    errors["base"] = "unknown"
                else:
                    return self._async_finish(data)
            values: Mapping[str, Any] = user_input
        else:
            values = dict(self._stored())
            if CONF_SETPOINT_SCALE in values:
                values = {
                    **values,
                    CONF_SETPOINT_SCALE: _scale_option(
                        float(values[CONF_SETPOINT_SCALE])
                    ),
                }
        return self.async_show_form(
            step_id="modbus",
            data_schema=self.add_suggested_values_to_schema(MODBUS_SCHEMA, values),
            errors=errors,
            description_placeholders={"name": self._charger[CONF_NAME]},
        )

    def _validate_modbus(
        self, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The Modbus part of the charger data, and the form errors."""
        errors: dict[str, str] = {}
        host = str(user_input[CONF_HOST]).strip()
        port = float(user_input[CONF_PORT])
        unit_id = float(user_input[CONF_UNIT_ID])
        model = user_input[CONF_MODEL]
        if not host:
            errors[CONF_HOST] = "invalid_host"
        if not _is_whole(port, *PORT_RANGE):
            errors[CONF_PORT] = "invalid_port"
        if not _is_whole(unit_id, *UNIT_ID_RANGE):
            errors[CONF_UNIT_ID] = "invalid_unit_id"
        data: dict[str, Any] = {
            CONF_HOST: host,
            CONF_PORT: int(port),
            CONF_UNIT_ID: int(unit_id),
            CONF_MODEL: model,
        }
        if model == MODEL_GENERIC:
            if user_input.get(CONF_SETPOINT_REGISTER) is None:
                errors[CONF_SETPOINT_REGISTER] = "register_required"
            for key in (
                CONF_SETPOINT_REGISTER,
                CONF_STATUS_REGISTER,
                CONF_POWER_REGISTER,
            ):
                if (value := user_input.get(key)) is None:
                    continue
                if not _is_whole(float(value), *REGISTER_RANGE):
                    errors[key] = "invalid_register"
                else:
                    data[key] = int(value)
            data[CONF_SETPOINT_TYPE] = user_input[CONF_SETPOINT_TYPE]
            data[CONF_SETPOINT_SCALE] = float(user_input[CONF_SETPOINT_SCALE])
            data[CONF_WORD_ORDER] = user_input[CONF_WORD_ORDER]
        if not errors and any(
            other.data.get(CONF_HOST, "").casefold() == host.casefold()
            and other.data.get(CONF_PORT) == data[CONF_PORT]
            and other.data.get(CONF_UNIT_ID) == data[CONF_UNIT_ID]
            for other in self._other_chargers()
        ):
            errors[CONF_HOST] = "already_in_use"
        return data, errors

    @callback
    def _async_finish(self, data: dict[str, Any]) -> SubentryFlowResult:
        """Create the charger, or store the reconfigured one."""
        if self._is_new:
            return self.async_create_entry(title=data[CONF_NAME], data=data)
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        if entry.update_listeners:
            # A loaded site reloads itself from its update listener.
            return self.async_update_and_abort(
                entry, subentry, title=data[CONF_NAME], data=data
            )
        return self.async_update_reload_and_abort(
            entry, subentry, title=data[CONF_NAME], data=data
        )
