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
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State

from .const import (
    CONF_CONNECTED_ENTITY,
    CONF_CURRENT_ENTITY,
    CONF_PHASE_SWITCH_ENTITY,
    CONF_POWER_ENTITY,
    CONF_SWITCH_ENTITY,
)
from .engine.limits import MIN_CHARGE_CURRENT
from .engine.readings import parse_number, read_power
from .wallbox import BackendError, ChargerReading

CALL_TIMEOUT_S = 10.0

# Status words of the common wallbox integrations (reference/wallboxes.md), lower case.
DISCONNECTED_WORDS = frozenset(
    {"a", "disconnected", "not_plugged", "no_ev_connected", "not_connected", "idle"}
    | {"available", "no_vehicle", "unplugged"}
)
CHARGING_WORDS = frozenset({"c", "charging", "connected_charging", "c1", "c2"})


def connected_from_state(domain: str, state: str) -> bool | None:
    """Whether a vehicle is plugged in, from an on/off entity or a status sensor."""
    word = state.strip().lower()
    if word in ("unavailable", "unknown", ""):
        return None
    if domain != "sensor":
        return word == STATE_ON
    return word not in DISCONNECTED_WORDS


class EntityWallbox:
    """A wallbox whose current is a `number`/`input_number` entity.

    A write counts only when confirmed (SPEC §5 rule 9): the target entities must be
    available before the call, and show what was written by the next read.
    """

    def __init__(self, hass: HomeAssistant, config: Mapping[str, Any]) -> None:
        self._hass = hass
        self._current_entity: str = config[CONF_CURRENT_ENTITY]
        self._switch_entity: str | None = config.get(CONF_SWITCH_ENTITY)
        self._connected_entity: str | None = config.get(CONF_CONNECTED_ENTITY)
        self._power_entity: str | None = config.get(CONF_POWER_ENTITY)
        # On = three phases, off = one (SPEC §5 rule 7).
        self._phase_switch: str | None = config.get(CONF_PHASE_SWITCH_ENTITY)
        self._can_pause = True
        # The setpoint last written and not yet shown by the entities.
        self._expected: int | None = None

    @property
    def can_pause(self) -> bool:
        return self._can_pause

    @property
    def measures_power(self) -> bool:
        return self._power_entity is not None

    @property
    def pending(self) -> bool:
        return self._expected is not None

    async def async_set_current(self, current: int) -> int:
        state = self._available(self._current_entity)
        if self._switch_entity:
            self._available(self._switch_entity)
        low = _attribute(state, "min", 0.0)
        high = _attribute(state, "max", float(current))
        step = _attribute(state, "step", 1.0) or 1.0
        value = _on_step(min(current, high), step)
        # Below the target's own minimum the granted current cannot be honoured
        # without exceeding it, and rounded down to its step a current may fall
        # under the minimum a car takes (SPEC §5 rule 2): pause instead.
        if current >= low and current > 0 and value >= MIN_CHARGE_CURRENT:
            await self._async_set_value(value)
            if self._switch_entity:
                await self._async_call_switch(SERVICE_TURN_ON)
            held = math.floor(value)
        elif self._switch_entity:
            await self._async_call_switch(SERVICE_TURN_OFF)
            held = 0
        else:
            # No switch: 0 A pauses where the target allows it, otherwise its minimum.
            self._can_pause = low <= 0
            await self._async_set_value(max(low, 0.0))
            held = math.ceil(max(low, 0.0))
        shown = self._setpoint()
        if shown is None:
            # Gone unavailable meanwhile: whether the box took it is not known.
            raise BackendError(f"{self._current_entity} does not show its current")
        if shown == held:
            self._expected = None
            return held
        # Not shown yet: count the higher of the two until it is.
        self._expected = held
        return max(held, shown or 0)

    async def async_read(self) -> ChargerReading:
        setpoint = self._setpoint()
        if setpoint is None:
            raise BackendError(f"{self._current_entity} does not show its current")
        unconfirmed = None
        if self._expected is not None and setpoint != self._expected:
            unconfirmed = (
                f"{self._current_entity} shows {setpoint} A, not the "
                f"{self._expected} A written"
            )
        self._expected = None
        return ChargerReading(
            connected=self._connected(),
            power_w=self._power(),
            setpoint=setpoint,
            accepts=self._accepts(),
            unconfirmed=unconfirmed,
            phases=self._phases(),
        )

    async def async_set_phases(self, phases: int) -> bool:
        """Turn the phase switch on (3) or off (1); True when it shows it now."""
        if self._phase_switch is None:
            raise BackendError("no phase switch")
        self._available(self._phase_switch)
        domain = self._phase_switch.split(".", 1)[0]
        service = SERVICE_TURN_ON if phases == 3 else SERVICE_TURN_OFF
        await self._async_call(domain, service, {ATTR_ENTITY_ID: self._phase_switch})
        return self._phases() == phases

    def _phases(self) -> int | None:
        """3 while the phase switch is on, 1 while off; None without one or while
        it does not tell."""
        if self._phase_switch is None:
            return None
        state = self._hass.states.get(self._phase_switch)
        if state is None or state.state not in (STATE_ON, STATE_OFF):
            return None
        return 3 if state.state == STATE_ON else 1

    def _available(self, entity_id: str) -> State:
        """The entity's state, which must be known: HA skips calls to unavailable
        entities without an error."""
        state = self._hass.states.get(entity_id)
        if state is None:
            raise BackendError(f"{entity_id} does not exist")
        if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            raise BackendError(f"{entity_id} is {state.state}")
        return state

    def _setpoint(self) -> int | None:
        """What the box holds: its current entity, or 0 while its switch is off;
        None while that is unknown."""
        if self._switch_entity:
            switch = self._hass.states.get(self._switch_entity)
            if switch is None or switch.state not in (STATE_ON, STATE_OFF):
                return None
            if switch.state == STATE_OFF:
                return 0
        state = self._hass.states.get(self._current_entity)
        number = parse_number(state.state) if state else None
        return None if number is None else math.ceil(number - 1e-9)

    def _accepts(self) -> tuple[int, int] | None:
        """The currents the target entity accepts, from its min and max."""
        state = self._hass.states.get(self._current_entity)
        if state is None or "max" not in state.attributes:
            return None
        low = math.ceil(_attribute(state, "min", 0.0) - 1e-9)
        return max(low, 0), math.floor(_attribute(state, "max", 0.0) + 1e-9)

    def _connected(self) -> bool | None:
        connected = None
        if self._connected_entity and (
            state := self._hass.states.get(self._connected_entity)
        ):
            connected = connected_from_state(state.domain, state.state)
        return connected

    def _power(self) -> float | None:
        """The power sensor in W, converted but not range-checked (the caller
        knows the charger's maximum); None while it is not a usable number."""
        if self._power_entity and (state := self._hass.states.get(self._power_entity)):
            return read_power(
                state.state,
                state.attributes.get(ATTR_UNIT_OF_MEASUREMENT),
                -math.inf,
                math.inf,
            ).watts
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


def _attribute(state: State, name: str, default: float) -> float:
    """A numeric attribute of the target entity, or the default."""
    value = state.attributes.get(name)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return default


def _on_step(value: float, step: float) -> float:
    """Round down to the target's step, so the box never gets more than granted."""
    return math.floor(value / step + 1e-9) * step
