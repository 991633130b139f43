"""Modbus TCP backend: talks to wallboxes directly (pure asyncio + pymodbus, no HA)."""

from __future__ import annotations

from .hub import (
    CannotConnect,
    InvalidUnitId,
    ModbusErrorResponse,
    ModbusHub,
    ModbusLink,
)
from .registers import (
    DEFAULT_PORT,
    DEFAULT_SETPOINT_SCALE,
    DEFAULT_SETPOINT_TYPE,
    DEFAULT_UNIT_ID,
    DEFAULT_WORD_ORDER,
    MAPS,
    MODEL_GENERIC,
    MODELS,
    SETPOINT_SCALES,
    SETPOINT_TYPES,
    WORD_ORDERS,
    RegisterMap,
    RegisterMapError,
    generic_settings,
    register_map,
)
from .wallbox import ModbusWallbox, async_probe, keep_alive_interval

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_SETPOINT_SCALE",
    "DEFAULT_SETPOINT_TYPE",
    "DEFAULT_UNIT_ID",
    "DEFAULT_WORD_ORDER",
    "MAPS",
    "MODELS",
    "MODEL_GENERIC",
    "SETPOINT_SCALES",
    "SETPOINT_TYPES",
    "WORD_ORDERS",
    "CannotConnect",
    "InvalidUnitId",
    "ModbusErrorResponse",
    "ModbusHub",
    "ModbusLink",
    "ModbusWallbox",
    "RegisterMap",
    "RegisterMapError",
    "async_probe",
    "generic_settings",
    "keep_alive_interval",
    "register_map",
]
