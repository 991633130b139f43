"""A wallbox driven over Modbus TCP through its register map."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from ..wallbox import BackendError, ChargerReading
from .hub import CannotConnect, InvalidUnitId, ModbusErrorResponse, ModbusHub
from .registers import (
    CONF_HOST,
    CONF_PHASES,
    CONF_PORT,
    CONF_UNIT_ID,
    DEFAULT_PORT,
    Pause,
    PhaseSwitch,
    RegisterMap,
    State,
    Table,
    Value,
    decode,
    decode_phases,
    decode_state,
    encode,
    encode_phases,
    register_map,
)

_LOGGER = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0


def keep_alive_interval(config: Mapping[str, Any]) -> float | None:
    """Seconds between keep-alives for this model, None when it needs none."""
    return register_map(config).keep_alive_s


class ModbusWallbox:
    """One charge point (unit id) on a shared Modbus TCP connection.

    Implements ChargerBackend. ValueError from the constructor on a bad model or
    generic field; every call afterwards raises BackendError only.
    """

    def __init__(self, hub: ModbusHub, config: Mapping[str, Any]) -> None:
        """Pick the register map; no I/O until the first call."""
        self._map: RegisterMap = register_map(config)
        self._unit = int(config.get(CONF_UNIT_ID) or self._map.unit_id)
        self._hub = hub
        self._link = hub.acquire(
            str(config[CONF_HOST]), int(config.get(CONF_PORT) or DEFAULT_PORT)
        )
        # Only a three-phase charger is switched: one on a single phase stays there.
        self._phase_switch: PhaseSwitch | None = None
        if int(config.get(CONF_PHASES) or 3) == 3:
            self._phase_switch = self._map.phases
        self._closed = False
        self._commanded: int | None = None
        # Connection generation of the last setpoint write: a newer connection means
        # the box may have rebooted and lost its volatile setpoint.
        self._written_on = -1

    def __str__(self) -> str:
        """Model and address, for messages."""
        return f"{self._map.title} at {self._link}, unit {self._unit}"

    @property
    def register_map(self) -> RegisterMap:
        """The map in use."""
        return self._map

    @property
    def can_pause(self) -> bool:
        """False when the model cannot stop charging and holds its minimum."""
        return self._map.pause is not Pause.MINIMUM

    @property
    def measures_power(self) -> bool:
        """Whether the map has a power register."""
        return self._map.power is not None

    @property
    def pending(self) -> bool:
        """A write the box answered is taken."""
        return False

    async def async_set_current(self, current: int) -> int:
        """Command `current` amps; 0 pauses the way the model pauses.

        Returns what the box holds: its minimum where it cannot pause.
        """
        self._commanded = current = max(0, int(current))
        if self._map.heartbeat is not None:
            # Without a heart-beat such a box stays on its failsafe current.
            await self._beat()
        await self._write_commanded(current)
        if self._map.pause is Pause.MINIMUM:
            return max(current, self._map.min_current)
        return current

    async def async_keep_alive(self) -> None:
        """Beat the heart-beat register, or rewrite the setpoint (failsafe timer)."""
        if self._map.heartbeat is not None:
            await self._beat()
            await self._restore()
        elif self._commanded is not None:
            await self._write_commanded(self._commanded)

    async def async_set_phases(self, phases: int) -> bool:
        """Write the phase switch (1 or 3); True when the box shows it at once."""
        switch = self._phase_switch
        if switch is None:
            raise BackendError(f"{self} cannot switch phases")
        await self._link.write(
            self._unit,
            switch.table,
            switch.address,
            encode_phases(switch, phases),
            multiple=False,
        )
        return await self._read_phases() == phases

    async def async_read(self) -> ChargerReading:
        """Vehicle state and power; parts the box refuses come back as None."""
        model = self._map
        errors: list[BackendError] = []
        letter = await self._read_state(model.state, errors)
        failed = len(errors)
        charging_letter = await self._read_state(model.charging, errors)
        charging_read = model.charging is not None and len(errors) == failed
        power = await self._read_value(model.power, errors)
        parts = sum(
            part is not None for part in (model.state, model.charging, model.power)
        )
        if not parts:
            # Nothing to read: the setpoint tells at least whether the box answers.
            parts = 1
            await self._read_value(model.setpoint, errors)
        if len(errors) == parts:
            raise errors[0]
        phases = await self._read_phases()
        await self._restore()
        charging: bool | None = None
        if charging_read:
            charging = charging_letter == "C"
        elif model.charging is None and letter is not None:
            charging = letter in "CD"
        # E and F are error states: whether a vehicle is there is unknown.
        connected = None if letter is None or letter in "EF" else letter in "BCD"
        if charging:
            connected = True
        return ChargerReading(
            connected=connected, charging=charging, power_w=power, phases=phases
        )

    async def async_probe(self) -> None:
        """Read a register: CannotConnect without answer, InvalidUnitId on refusal."""
        state = self._map.state
        try:
            if state is not None:
                await self._link.read(
                    self._unit, state.table, state.address, state.count
                )
            else:
                setpoint = self._map.setpoint
                await self._link.read(
                    self._unit, setpoint.table, setpoint.address, setpoint.count
                )
        except ModbusErrorResponse as err:
            raise InvalidUnitId(f"{self}: {err}") from err
        except CannotConnect:
            raise
        except BackendError as err:
            raise CannotConnect(f"{self}: {err}") from err

    async def async_close(self) -> None:
        """Release the shared connection (closed with its last user)."""
        if not self._closed:
            self._closed = True
            self._hub.release(self._link)

    async def _write_commanded(self, current: int) -> None:
        """Write the commanded current: setpoint, enable, or the minimum."""
        model = self._map
        unit = self._unit
        enable = model.enable
        if model.pause is Pause.ENABLE and enable is not None:
            if current > 0:
                await self._write_setpoint(current)
                await self._link.write(
                    unit, enable.table, enable.address, [enable.on], multiple=False
                )
            else:
                await self._link.write(
                    unit, enable.table, enable.address, [enable.off], multiple=False
                )
        elif model.pause is Pause.MINIMUM:
            await self._write_setpoint(max(current, model.min_current))
        else:
            await self._write_setpoint(current)
        self._written_on = self._link.generation

    async def _beat(self) -> None:
        if (heartbeat := self._map.heartbeat) is not None:
            await self._link.write(
                self._unit, Table.HOLDING, heartbeat, [1], multiple=False
            )

    async def _write_setpoint(self, current: int) -> None:
        setpoint = self._map.setpoint
        await self._link.write(
            self._unit,
            setpoint.table,
            setpoint.address,
            encode(setpoint, current),
            multiple=self._map.write_multiple,
        )

    async def _restore(self) -> None:
        """Rewrite the setpoint once after a reconnect (the box may have rebooted)."""
        if self._commanded is not None and self._written_on != self._link.generation:
            _LOGGER.debug("%s: reconnected, restoring %d A", self, self._commanded)
            await self._write_commanded(self._commanded)

    async def _read_state(
        self, state: State | None, errors: list[BackendError]
    ) -> str | None:
        if state is None:
            return None
        try:
            registers = await self._link.read(
                self._unit, state.table, state.address, state.count
            )
        except ModbusErrorResponse as err:
            errors.append(err)
            return None
        return decode_state(state, registers)

    async def _read_phases(self) -> int | None:
        """The phases the box is switched to; None where it cannot switch, or
        refuses the read (firmware without the switch)."""
        switch = self._phase_switch
        if switch is None:
            return None
        try:
            registers = await self._link.read(
                self._unit, switch.table, switch.address, 1
            )
        except ModbusErrorResponse:
            return None
        return decode_phases(switch, registers)

    async def _read_value(
        self, value: Value | None, errors: list[BackendError]
    ) -> float | None:
        if value is None:
            return None
        try:
            registers = await self._link.read(
                self._unit, value.table, value.address, value.count
            )
        except ModbusErrorResponse as err:
            errors.append(err)
            return None
        return decode(value, registers)


async def async_probe(
    config: Mapping[str, Any], *, probe_timeout: float = PROBE_TIMEOUT
) -> None:
    """Check that the box answers for this unit before anything is created.

    Raises CannotConnect (no TCP connection or no answer in time) or InvalidUnitId
    (a Modbus exception response, e.g. 0x0B from a gateway for an absent unit).
    """
    hub = ModbusHub(
        timeout=probe_timeout, connect_timeout=probe_timeout, backoff_min=0.0
    )
    box = ModbusWallbox(hub, config)
    try:
        await box.async_probe()
    finally:
        await box.async_close()
        await hub.async_close()
