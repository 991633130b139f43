"""Builds the backend that talks to a charger's wallbox."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant

from .const import BACKEND_MODBUS, CONF_BACKEND
from .entity_backend import EntityWallbox
from .modbus import ModbusHub, ModbusWallbox, keep_alive_interval
from .wallbox import BackendError, ChargerBackend, ChargerReading

__all__ = [
    "BackendError",
    "Backends",
    "BrokenBackend",
    "ChargerBackend",
    "ChargerReading",
]


class BrokenBackend:
    """A charger whose stored settings no longer fit a model: always an error."""

    can_pause = True
    measures_power = False
    pending = False

    def __init__(self, reason: str) -> None:
        self._reason = reason

    async def async_set_current(self, current: int) -> int:
        raise BackendError(self._reason)

    async def async_read(self) -> ChargerReading:
        raise BackendError(self._reason)

    async def async_set_phases(self, phases: int) -> bool:
        raise BackendError(self._reason)

    async def async_keep_alive(self) -> None:
        """Nothing to keep alive."""

    async def async_close(self) -> None:
        """Nothing to close."""


class Backends:
    """Makes each charger's backend; Modbus boxes share one connection per host."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._modbus_hub: ModbusHub | None = None

    def make(self, subentry: ConfigSubentry) -> tuple[ChargerBackend, float | None]:
        """The backend, and how often its box's failsafe timer wants a keep-alive."""
        if subentry.data.get(CONF_BACKEND) != BACKEND_MODBUS:
            return EntityWallbox(self._hass, subentry.data), None
        if self._modbus_hub is None:
            self._modbus_hub = ModbusHub()
        try:
            backend = ModbusWallbox(self._modbus_hub, subentry.data)
            return backend, keep_alive_interval(subentry.data)
        except ValueError as err:
            return BrokenBackend(str(err)), None

    async def async_close(self) -> None:
        """Close the shared connections."""
        if self._modbus_hub is not None:
            await self._modbus_hub.async_close()
