"""Drive a wallbox through its own Home Assistant entities."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import math
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_ON,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import PowerConverter

from .backend import BackendError, ChargerReading
from .const import (
    CONF_CONNECTED_ENTITY,
    CONF_CURRENT_ENTITY,
    CONF_POWER_ENTITY,
    CONF_SWITCH_ENTITY,
)

CALL_TIMEOUT_S = 10.0

# Status words of the common wallbox integrations (reference/wallboxes.md), lower case.
DISCONNECTED_WORDS = frozenset(
    {"a", "disconnected", "not_plugged", "no_ev_connected", "not_connected", "idle"}
    | {"available", "no_vehicle", "unplugged"}
)
CHARGING_WORDS = frozenset({"c", "charging", "connected_charging", "c1", "c2"})


def parse_power_w(value: str, unit: str | None) -> float | None:
    """A power state in W, kW or MW as watts; None when it is not a usable number."""
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if unit is None:
        return number
    if unit not in PowerConverter.VALID_UNITS:
        return None
    return PowerConverter.convert(number, unit, UnitOfPower.WATT)


def connected_from_state(domain: str, state: str) -> bool | None:
    """Whether a vehicle is plugged in, from an on/off entity or a status sensor."""
    word = state.strip().lower()
    if word in ("unavailable", "unknown", ""):
        return None
    if domain != "sensor":
        return word == STATE_ON
    return word not in DISCONNECTED_WORDS


class EntityWallbox:
    """A wallbox whose current is a `number`/`input_number` entity."""

    def __init__(self, hass: HomeAssistant, config: Mapping[str, Any]) -> None:
        self._hass = hass
        self._current_entity: str = config[CONF_CURRENT_ENTITY]
        self._switch_entity: str | None = config.get(CONF_SWITCH_ENTITY)
        self._connected_entity: str | None = config.get(CONF_CONNECTED_ENTITY)
        self._power_entity: str | None = config.get(CONF_POWER_ENTITY)
        self._can_pause = True

    @property
    def can_pause(self) -> bool:
        return self._can_pause

    async def async_set_current(self, current: int) -> int:
        state = self._hass.states.get(self._current_entity)
        if state is None:
            raise BackendError(f"{self._current_entity} does not exist")
        low = float(state.attributes.get("min", 0))
        high = float(state.attributes.get("max", current))
        step = float(state.attributes.get("step", 1)) or 1.0
        # Below the target's own minimum the granted current cannot be honoured
        # without exceeding it: pause instead.
        if current >= low and current > 0:
            value = _on_step(min(current, high), step)
            await self._async_set_value(value)
            if self._switch_entity:
                await self._async_call_switch(SERVICE_TURN_ON)
            return math.floor(value)
        if self._switch_entity:
            await self._async_call_switch(SERVICE_TURN_OFF)
            return 0
        # No switch: 0 A pauses where the target allows it, otherwise its minimum.
        self._can_pause = low <= 0
        await self._async_set_value(max(low, 0.0))
        return math.ceil(max(low, 0.0))

    async def async_read(self) -> ChargerReading:
        return ChargerReading(
            connected=self._connected(),
            power_w=self._power(),
            setpoint=self._setpoint(),
        )

    def _setpoint(self) -> int | None:
        """What the box holds: its current entity, or 0 while its switch is off."""
        if self._switch_entity:
            switch = self._hass.states.get(self._switch_entity)
            if switch is not None and switch.state == "off":
                return 0
        state = self._hass.states.get(self._current_entity)
        try:
            return math.ceil(float(state.state)) if state else None
        except ValueError:
            return None

    def _connected(self) -> bool | None:
        connected = None
        if self._connected_entity and (
            state := self._hass.states.get(self._connected_entity)
        ):
            connected = connected_from_state(state.domain, state.state)
        return connected

    def _power(self) -> float | None:
        if self._power_entity and (state := self._hass.states.get(self._power_entity)):
            return parse_power_w(
                state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
            )
        return None

    async def async_keep_alive(self) -> None:
        """The target entity keeps its value; nothing to refresh."""

    async def async_close(self) -> None:
        """No connection of its own."""

    async def _async_set_value(self, value: float) -> None:
        domain = self._current_entity.split(".", 1)[0]
        await self._async_call(
            domain, "set_value", {ATTR_ENTITY_ID: self._current_entity, "value": value}
        )

    async def _async_call_switch(self, service: str) -> None:
        assert self._switch_entity is not None
        domain = self._switch_entity.split(".", 1)[0]
        await self._async_call(domain, service, {ATTR_ENTITY_ID: self._switch_entity})

    async def _async_call(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> None:
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                await self._hass.services.async_call(
                    domain, service, data, blocking=True
                )
        except Exception as err:  # any failure of another integration's action
            raise BackendError(
                f"{domain}.{service}: {err or type(err).__name__}"
            ) from err


def _on_step(value: float, step: float) -> float:
    """Round down to the target's step, so the box never gets more than granted."""
    return math.floor(value / step + 1e-9) * step
