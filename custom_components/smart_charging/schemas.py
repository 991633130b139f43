"""The forms of the config flow: their fields, selectors and defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
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
import probatio

from .const import (
    BACKEND_ENTITY,
    BACKEND_MODBUS,
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
    DEFAULT_ADAPTIVE_RESERVE,
    DEFAULT_BATTERY_KWH,
    DEFAULT_DIMMING_LIMIT_KW,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_FOLLOW_MONTHLY_PEAK,
    DEFAULT_MAIN_FUSE_A,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_PEAK_LIMIT_KW,
    DEFAULT_PHASE_ROTATION,
    DEFAULT_PHASES,
    DEFAULT_PLAN_OBJECTIVE,
    DEFAULT_SAFETY_MARGIN_KW,
    DEFAULT_SITE_NAME,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STANDARD_MAX_KW,
    DEFAULT_VOLTAGE,
    PHASE_CURRENT_KEYS,
    PHASE_ROTATIONS,
    PLAN_OBJECTIVES,
)
from .engine import Profile
from .modbus import (
    DEFAULT_PORT,
    DEFAULT_SETPOINT_SCALE,
    DEFAULT_SETPOINT_TYPE,
    DEFAULT_UNIT_ID,
    DEFAULT_WORD_ORDER,
    MODELS,
    SETPOINT_SCALES,
    SETPOINT_TYPES,
    WORD_ORDERS,
)
from .modbus.registers import (
    CONF_MODEL,
    CONF_POWER_REGISTER,
    CONF_SETPOINT_REGISTER,
    CONF_SETPOINT_SCALE,
    CONF_SETPOINT_TYPE,
    CONF_STATUS_REGISTER,
    CONF_UNIT_ID,
    CONF_WORD_ORDER,
)
from .validators import (
    CONNECTED_DOMAINS,
    CURRENT_DOMAINS,
    DIMMING_DOMAINS,
    FORECAST_SENSOR_DOMAINS,
    OFFPEAK_DOMAINS,
    PHASE_CURRENT_DOMAINS,
    POWER_SENSOR_DOMAINS,
    SOC_SENSOR_DOMAINS,
    SWITCH_DOMAINS,
    TARIFF_SENSOR_DOMAINS,
)

PHASE_OPTIONS = ("1", "3")


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


def scale_option(scale: float) -> str:
    """The select option of a setpoint scale: "1", "0.1" or "0.001"."""
    return f"{scale:g}"


def _scale_select() -> probatio.All[Any]:
    """Dropdown of the setpoint scales, in amps per register unit; a number given
    instead of the option text is taken too."""
    return probatio.All(
        probatio.Coerce(str),
        SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=scale_option(scale), label=f"{scale:g} A")
                    for scale in SETPOINT_SCALES
                ],
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    )


POWER_SENSOR_SELECTOR = _entity(POWER_SENSOR_DOMAINS, "power")
PHASE_CURRENT_SELECTOR = _entity(PHASE_CURRENT_DOMAINS, "current")

SITE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME, default=DEFAULT_SITE_NAME): TextSelector(),
        probatio.Required(CONF_GRID_LIMIT_KW): _number("kW", "any"),
        probatio.Optional(CONF_HOUSEHOLD_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_GRID_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_SOLAR_POWER_ENTITY): POWER_SENSOR_SELECTOR,
        probatio.Optional(CONF_OFFPEAK_ENTITY): _entity(OFFPEAK_DOMAINS),
        probatio.Optional(CONF_PRICE_ENTITY): _entity(TARIFF_SENSOR_DOMAINS),
        probatio.Optional(CONF_CO2_ENTITY): _entity(TARIFF_SENSOR_DOMAINS),
        probatio.Optional(CONF_SOLAR_FORECAST_ENTITY): _entity(FORECAST_SENSOR_DOMAINS),
        probatio.Required(CONF_PLAN_OBJECTIVE, default=DEFAULT_PLAN_OBJECTIVE): _select(
            PLAN_OBJECTIVES, "plan_objective"
        ),
        probatio.Required(
            CONF_SAFETY_MARGIN_KW, default=DEFAULT_SAFETY_MARGIN_KW
        ): _number("kW", "any"),
        probatio.Required(
            CONF_ADAPTIVE_RESERVE, default=DEFAULT_ADAPTIVE_RESERVE
        ): BooleanSelector(),
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
        # The grid's own limits: §14a dimming and the capacity tariff.
        probatio.Optional(CONF_DIMMING_ENTITY): _entity(DIMMING_DOMAINS),
        probatio.Required(
            CONF_DIMMING_LIMIT_KW, default=DEFAULT_DIMMING_LIMIT_KW
        ): _number("kW", "any"),
        probatio.Required(CONF_PEAK_LIMIT_KW, default=DEFAULT_PEAK_LIMIT_KW): _number(
            "kW", "any"
        ),
        probatio.Required(
            CONF_FOLLOW_MONTHLY_PEAK, default=DEFAULT_FOLLOW_MONTHLY_PEAK
        ): BooleanSelector(),
        # The main fuse per phase, and the grid connection's phase currents.
        probatio.Required(CONF_MAIN_FUSE_A, default=DEFAULT_MAIN_FUSE_A): _number(
            "A", "any"
        ),
        **{
            probatio.Optional(key): PHASE_CURRENT_SELECTOR for key in PHASE_CURRENT_KEYS
        },
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
        probatio.Required(CONF_PHASE_ROTATION, default=DEFAULT_PHASE_ROTATION): _select(
            PHASE_ROTATIONS, "phase_rotation"
        ),
        probatio.Optional(CONF_PHASE_SWITCH_ENTITY): _entity(SWITCH_DOMAINS),
        probatio.Required(CONF_MIN_CURRENT, default=DEFAULT_MIN_CURRENT): _number("A"),
        probatio.Required(CONF_MAX_CURRENT, default=DEFAULT_MAX_CURRENT): _number("A"),
        probatio.Required(CONF_PROFILE, default=Profile.STANDARD.value): _select(
            tuple(profile.value for profile in Profile), "profile"
        ),
        probatio.Optional(CONF_SOC_ENTITY): _entity(SOC_SENSOR_DOMAINS),
        probatio.Required(CONF_BATTERY_KWH, default=DEFAULT_BATTERY_KWH): _number(
            "kWh", "any"
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
        probatio.Required(CONF_PORT, default=DEFAULT_PORT): _plain_number(),
        probatio.Required(CONF_UNIT_ID, default=DEFAULT_UNIT_ID): _plain_number(),
        probatio.Required(CONF_MODEL): _select(MODELS, "model"),
        probatio.Optional(CONF_SETPOINT_REGISTER): _plain_number(),
        probatio.Optional(CONF_SETPOINT_TYPE, default=DEFAULT_SETPOINT_TYPE): _select(
            SETPOINT_TYPES, "setpoint_type"
        ),
        probatio.Optional(
            CONF_SETPOINT_SCALE, default=scale_option(DEFAULT_SETPOINT_SCALE)
        ): _scale_select(),
        probatio.Optional(CONF_WORD_ORDER, default=DEFAULT_WORD_ORDER): _select(
            WORD_ORDERS, "word_order"
        ),
        probatio.Optional(CONF_STATUS_REGISTER): _plain_number(),
        probatio.Optional(CONF_POWER_REGISTER): _plain_number(),
    }
)


def charger_form_values(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored charger as its first form shows it (the phases as an option)."""
    values = dict(stored)
    if CONF_PHASES in values:
        values[CONF_PHASES] = str(values[CONF_PHASES])
    return values


def modbus_form_values(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored charger as the Modbus form shows it (the scale as an option)."""
    values = dict(stored)
    if CONF_SETPOINT_SCALE in values:
        values[CONF_SETPOINT_SCALE] = scale_option(float(values[CONF_SETPOINT_SCALE]))
    return values
