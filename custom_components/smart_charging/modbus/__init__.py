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
    MAPS,
    MODELS,
    SETPOINT_SCALES,
    SETPOINT_TYPES,
    WORD_ORDERS,
    RegisterMap,
    register_map,
)
from .wallbox import ModbusWallbox, async_probe, keep_alive_interval

__all__ = [
    "MAPS",
    "MODELS",
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
    "async_probe",
    "keep_alive_interval",
    "register_map",
]
