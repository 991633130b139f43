"""Constants of Smart Charging: the keys of the configuration are fixed by the spec."""

from __future__ import annotations

from datetime import time, timedelta
import logging
from typing import Final

from .engine.limits import MIN_CHARGE_CURRENT
from .engine.phases import DEFAULT_ROTATION, ROTATIONS

DOMAIN: Final = "smart_charging"
# The config entry's version; older entries are migrated on set-up.
CONFIG_VERSION: Final = 2
LOGGER = logging.getLogger(__package__)

# Site (config entry) keys.
CONF_GRID_LIMIT_KW: Final = "grid_limit_kw"
CONF_HOUSEHOLD_POWER_ENTITY: Final = "household_power_entity"
CONF_GRID_POWER_ENTITY: Final = "grid_power_entity"
CONF_SOLAR_POWER_ENTITY: Final = "solar_power_entity"
CONF_OFFPEAK_ENTITY: Final = "offpeak_entity"
CONF_SAFETY_MARGIN_KW: Final = "safety_margin_kw"
CONF_STANDARD_MAX_KW: Final = "standard_max_kw"
CONF_VOLTAGE: Final = "voltage"
CONF_FAILSAFE_CURRENT: Final = "failsafe_current"
CONF_STALE_AFTER_S: Final = "stale_after_s"
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_CO2_ENTITY: Final = "co2_entity"
CONF_SOLAR_FORECAST_ENTITY: Final = "solar_forecast_entity"
CONF_PLAN_OBJECTIVE: Final = "plan_objective"
CONF_DIMMING_ENTITY: Final = "dimming_entity"
CONF_DIMMING_LIMIT_KW: Final = "dimming_limit_kw"
CONF_PEAK_LIMIT_KW: Final = "peak_limit_kw"
CONF_FOLLOW_MONTHLY_PEAK: Final = "follow_monthly_peak"
CONF_ADAPTIVE_RESERVE: Final = "adaptive_reserve"
CONF_MAIN_FUSE_A: Final = "main_fuse_a"
CONF_L1_CURRENT_ENTITY: Final = "l1_current_entity"
CONF_L2_CURRENT_ENTITY: Final = "l2_current_entity"
CONF_L3_CURRENT_ENTITY: Final = "l3_current_entity"
# The grid connection's L1, L2, L3 current sensors, in that order.
PHASE_CURRENT_KEYS: Final = (
    CONF_L1_CURRENT_ENTITY,
    CONF_L2_CURRENT_ENTITY,
    CONF_L3_CURRENT_ENTITY,
)
OBJECTIVE_COST: Final = "cost"
OBJECTIVE_CO2: Final = "co2"
PLAN_OBJECTIVES: Final = (OBJECTIVE_COST, OBJECTIVE_CO2)

DEFAULT_SITE_NAME: Final = "Home"
DEFAULT_SAFETY_MARGIN_KW: Final = 0.0
DEFAULT_STANDARD_MAX_KW: Final = 0.0
DEFAULT_VOLTAGE: Final = 230.0
DEFAULT_FAILSAFE_CURRENT: Final = 6
DEFAULT_STALE_AFTER_S: Final = 300
DEFAULT_PLAN_OBJECTIVE: Final = OBJECTIVE_COST
DEFAULT_DIMMING_LIMIT_KW: Final = 4.2  # §14a EnWG
DEFAULT_PEAK_LIMIT_KW: Final = 0.0  # no capacity tariff
DEFAULT_FOLLOW_MONTHLY_PEAK: Final = False
DEFAULT_ADAPTIVE_RESERVE: Final = False
DEFAULT_MAIN_FUSE_A: Final = 0.0  # no per-phase limit

# Charger (config subentry) keys.
SUBENTRY_CHARGER: Final = "charger"
CONF_BACKEND: Final = "backend"
CONF_PHASES: Final = "phases"
CONF_MIN_CURRENT: Final = "min_current"
CONF_MAX_CURRENT: Final = "max_current"
CONF_PROFILE: Final = "profile"
CONF_CURRENT_ENTITY: Final = "current_entity"
CONF_SWITCH_ENTITY: Final = "switch_entity"
CONF_CONNECTED_ENTITY: Final = "connected_entity"
CONF_POWER_ENTITY: Final = "power_entity"
CONF_SOC_ENTITY: Final = "soc_entity"
CONF_BATTERY_KWH: Final = "battery_kwh"
CONF_PHASE_ROTATION: Final = "phase_rotation"
# on = three phases, off = one (automatic 1p/3p switching, SPEC §5 rule 7)
CONF_PHASE_SWITCH_ENTITY: Final = "phase_switch_entity"

BACKEND_ENTITY: Final = "entity"
BACKEND_MODBUS: Final = "modbus"
DEFAULT_PHASES: Final = 3
PHASE_ROTATIONS: Final = ROTATIONS  # L1L2L3, L2L3L1, L3L1L2
DEFAULT_PHASE_ROTATION: Final = DEFAULT_ROTATION
DEFAULT_MIN_CURRENT: Final = MIN_CHARGE_CURRENT
DEFAULT_MAX_CURRENT: Final = 16
CURRENT_LIMIT_A: Final = 80  # currents are accepted from 0 to this
DEFAULT_BATTERY_KWH: Final = 60.0
BATTERY_KWH_MAX: Final = 250.0  # a battery is accepted above 0 and up to this

# A charger's target for `smart` (SPEC §3): the defaults and the accepted ranges.
DEFAULT_DEPARTURE: Final = time(7, 0)
DEFAULT_ENERGY_TARGET_KWH: Final = 20.0
ENERGY_TARGET_MAX_KWH: Final = 200.0
DEFAULT_TARGET_SOC: Final = 80.0

# Timing: the regular cycle runs timers and increases (SPEC: at most 10 s).
UPDATE_INTERVAL: Final = timedelta(seconds=10)
# A failsafe or failing write that lasts this long raises a repair issue.
REPAIR_AFTER_S: Final = 120.0
WRITE_RETRY_MAX_S: Final = 300.0

EVENT_STATUS_CHANGED: Final = "smart_charging_status_changed"
EVENT_SESSION_ENDED: Final = "smart_charging_session_ended"
EVENT_PLAN_UNREACHABLE: Final = "smart_charging_plan_unreachable"

# The Modbus models, setpoint types, scales, word orders and their defaults are
# owned by the modbus package (modbus/registers.py).
