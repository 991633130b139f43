"""Simulated wallboxes served by real pymodbus TCP servers, with a vehicle each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import time
from typing import Literal

from pymodbus.client.mixin import ModbusClientMixin
from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer

from .profiles import Profile, Reg, Table, profile

VOLTAGE = 230.0
IEC_MIN_CURRENT = 6.0

Fault = Literal["silent", "exception"]
Log = Callable[[str], None]

_CONVERT = ModbusClientMixin.DATATYPE
_DTYPES = {
    "uint16": _CONVERT.UINT16,
    "uint32": _CONVERT.UINT32,
    "float32": _CONVERT.FLOAT32,
}
# Function code -> table it addresses.
_TABLES: dict[int, Table] = {
    1: "coil",
    5: "coil",
    15: "coil",
    4: "input",
    3: "holding",
    6: "holding",
    16: "holding",
    22: "holding",
    23: "holding",
}


def _clock() -> float:
    """The monotonic clock, looked up at each call: a test that freezes time moves
    it too (a reference to the real function would not follow)."""
    return time.monotonic()


def to_registers(reg: Reg, value: float | str) -> list[int]:
    """Raw registers carrying `value` (A, W or text) the way `reg` is laid out."""
    if reg.dtype == "string":
        data = str(value).encode("ascii").ljust(reg.size * 2, b"\x00")[: reg.size * 2]
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    raw = float(value) / reg.scale
    number: int | float = raw if reg.dtype == "float32" else round(raw)
    return ModbusClientMixin.convert_to_registers(
        number, _DTYPES[reg.dtype], word_order=reg.word_order
    )


def from_registers(reg: Reg, registers: list[int]) -> float:
    """The amount (A or W) raw registers carry in `reg`'s layout."""
    raw = ModbusClientMixin.convert_from_registers(
        registers[: reg.size], _DTYPES[reg.dtype], word_order=reg.word_order
    )
    assert isinstance(raw, int | float)
    return float(raw) * reg.scale


@dataclass(slots=True)
class Vehicle:
    """A car that takes what it is offered, up to its limit, until it is full."""

    battery_kwh: float = 60.0
    energy_kwh: float = 12.0
    max_current: float = 16.0  # A per phase
    phases: int = 3

    @property
    def full(self) -> bool:
        """True once the battery holds its capacity."""
        return self.energy_kwh >= self.battery_kwh


@dataclass(slots=True)
class Write:
    """One write a box received."""

    at: float
    unit: int
    function_code: int
    table: Table
    address: int
    values: list[int]


@dataclass(slots=True)
class Socket:
    """One charge point (unit id) of a box: its registers, failsafe and vehicle."""

    profile: Profile
    unit: int
    failsafe_s: float | None
    safe_current: float
    vehicle: Vehicle | None
    speed: float
    log: Log
    name: str
    registers: dict[Table, dict[int, int]] = field(default_factory=dict)
    writable: set[tuple[Table, int]] = field(default_factory=set)
    eeprom_writes: int = 0
    # The phases the box supplies; the car draws on as many of them as it can.
    phases: int = 3
    # Off: phase switch writes are refused (the box's own setting, as on an Alfen
    # without "allow 1- and 3-phased charging").
    phase_switch_allowed: bool = True
    # Failsafe: until the first refresh a box runs on its safe current.
    refreshed_until: float | None = None
    fallen_back: bool = True
    _last: float = field(default_factory=_clock)

    def __post_init__(self) -> None:
        """Lay out the registers with the box's power-on values."""
        self.reset()

    def reset(self) -> None:
        """Power-on state, as after a reboot: volatile setpoint lost, failsafe on."""
        profile = self.profile
        self.registers = {"holding": {}, "input": {}, "coil": {}}
        self.refreshed_until = None
        self.fallen_back = True
        self._define(profile.setpoint, profile.max_current, new=True, writable=True)
        if profile.enable is not None:
            self._define(profile.enable, 1, new=True, writable=True)
        if profile.heartbeat is not None:
            self._define(Reg(profile.heartbeat), 0, new=True, writable=True)
        if profile.failsafe_register is not None and self.failsafe_s is not None:
            self._define(
                profile.failsafe_register, self.failsafe_s, new=True, writable=True
            )
        for status in profile.status:
            self._define(status.reg, status.values["A"], new=True)
        if profile.power is not None:
            self._define(profile.power, 0.0, new=True)
        self.phases = 3
        if (switch := profile.phase_switch) is not None:
            self._define(Reg(switch.address), switch.three, new=True, writable=True)
        for (table, address), value in profile.extra.items():
            self.registers[table][address] = value
        self.writable |= set(profile.writable_extra)
        self._sync()

    def _define(
        self, reg: Reg, value: float | str, *, new: bool = False, writable: bool = False
    ) -> None:
        words = [int(value)] if reg.table == "coil" else to_registers(reg, value)
        for offset, word in enumerate(words):
            if new and reg.address + offset in self.registers[reg.table]:
                raise ValueError(f"{reg.table} {reg.address + offset} defined twice")
            self.registers[reg.table][reg.address + offset] = word
            if writable:
                self.writable.add((reg.table, reg.address + offset))

    def read(self, reg: Reg) -> list[int]:
        """Raw registers of `reg` as stored now."""
        table = self.registers[reg.table]
        return [table[reg.address + i] for i in range(reg.size)]

    @property
    def setpoint(self) -> float:
        """The setpoint register, decoded (A)."""
        return from_registers(self.profile.setpoint, self.read(self.profile.setpoint))

    @property
    def enabled(self) -> bool:
        """The enable coil/register (True where the model has none)."""
        enable = self.profile.enable
        return enable is None or bool(self.registers[enable.table][enable.address])

    @property
    def offered(self) -> float:
        """Current (A) the box offers the vehicle now: what the vehicle may draw."""
        self.advance()
        return self._offered()

    def _offered(self) -> float:
        if self.failsafe_s is not None and self.fallen_back:
            return self.safe_current
        if not self.enabled:
            return 0.0
        setpoint = min(self.setpoint, self.profile.max_current)
        return setpoint if setpoint >= IEC_MIN_CURRENT else 0.0

    def _draw(self) -> float:
        """Current (A) the vehicle takes."""
        vehicle = self.vehicle
        offered = self._offered()
        if vehicle is None or vehicle.full or offered < IEC_MIN_CURRENT:
            return 0.0
        return min(offered, vehicle.max_current)

    @property
    def power_w(self) -> float:
        """Power the vehicle draws now (W)."""
        self.advance()
        return self._power()

    def _power(self) -> float:
        phases = min(self.vehicle.phases, self.phases) if self.vehicle else 3
        return self._draw() * VOLTAGE * phases

    @property
    def state(self) -> str:
        """IEC 61851 state: A no vehicle, B connected, C charging."""
        self.advance()
        return self._state()

    def _state(self) -> str:
        if self.vehicle is None:
            return "A"
        return "C" if self._draw() > 0 else "B"

    def plug(self, vehicle: Vehicle | None = None) -> Vehicle:
        """Plug a vehicle in (a default one if none given)."""
        self.advance()
        self.vehicle = vehicle or Vehicle()
        self._sync()
        return self.vehicle

    def unplug(self) -> None:
        """Take the vehicle away."""
        self.advance()
        self.vehicle = None
        self._sync()

    def advance(self, now: float | None = None) -> None:
        """Run the vehicle and the failsafe timer up to `now`."""
        now = time.monotonic() if now is None else now
        deadline = self.refreshed_until
        if not self.fallen_back and deadline is not None and deadline <= now:
            self._charge(deadline - self._last)
            self._last = deadline
            self.fallen_back = True
            self.log(
                f"{self.name}: no refresh for {self.failsafe_s:g} s, "
                f"falling back to {self.safe_current:g} A"
            )
        self._charge(now - self._last)
        self._last = max(self._last, now)
        self._sync()

    def _charge(self, seconds: float) -> None:
        vehicle = self.vehicle
        if vehicle is None or seconds <= 0:
            return
        was_full = vehicle.full
        kwh = self._power() * seconds * self.speed / 3_600_000
        vehicle.energy_kwh = min(vehicle.battery_kwh, vehicle.energy_kwh + kwh)
        if vehicle.full and not was_full:
            self.log(f"{self.name}: vehicle full ({vehicle.battery_kwh:g} kWh)")

    def _sync(self) -> None:
        """Show state and power in the registers."""
        state = self._state()
        for status in self.profile.status:
            self._define(status.reg, status.values[state])
        if self.profile.power is not None:
            self._define(self.profile.power, self._power())

    def refresh(self) -> None:
        """A controller write that restarts the failsafe timer."""
        if self.failsafe_s is None:
            return
        if self.fallen_back and self.refreshed_until is not None:
            self.log(f"{self.name}: refreshed, leaving the safe current")
        self.fallen_back = False
        self.refreshed_until = time.monotonic() + self.failsafe_s

    def write(self, table: Table, address: int, values: list[int]) -> ExcCodes | None:
        """Apply a controller write; an exception code when the box refuses it."""
        self.advance()
        profile = self.profile
        span = range(address, address + len(values))
        if any((table, a) not in self.writable for a in span):
            return ExcCodes.ILLEGAL_ADDRESS
        setpoint = profile.setpoint
        touches_setpoint = table == setpoint.table and any(
            setpoint.address <= a < setpoint.address + setpoint.size for a in span
        )
        refused = self._refused(table, address, values, touches_setpoint)
        if refused is not None:
            return refused
        for offset, value in enumerate(values):
            self.registers[table][address + offset] = value
        parts = [f"{self.name}: write {table} {address} = {values}"]
        if touches_setpoint:
            parts.append(f"setpoint {self.setpoint:g} A")
        enable = profile.enable
        if enable is not None and table == enable.table and enable.address in span:
            parts.append("enabled" if self.enabled else "disabled")
        if table == "holding" and profile.heartbeat in span:
            parts.append("heart-beat")
        if table == "holding" and any(a in profile.eeprom for a in span):
            self.eeprom_writes += 1
            parts.append(f"EEPROM WRITE #{self.eeprom_writes}")
        self.log(", ".join(parts))
        # Heart-beat models count only the heart-beat; the others any control write.
        if profile.heartbeat is not None:
            if table == "holding" and profile.heartbeat in span:
                self.refresh()
        elif touches_setpoint or (
            enable is not None and table == enable.table and enable.address in span
        ):
            self.refresh()
        self._sync()
        return None

    def _refused(
        self, table: Table, address: int, values: list[int], touches_setpoint: bool
    ) -> ExcCodes | None:
        """The exception code of a write the box refuses; None when it takes it (a
        phase switch taken is made here)."""
        profile = self.profile
        if touches_setpoint and profile.refuses_below_min:
            amps = from_registers(profile.setpoint, values)
            if not IEC_MIN_CURRENT <= amps <= profile.max_current:
                self.log(f"{self.name}: refused {amps:g} A")
                return ExcCodes.ILLEGAL_VALUE
        switch = profile.phase_switch
        if table == "holding" and switch is not None:
            offset = switch.address - address
            if 0 <= offset < len(values):
                return self._switch_phases(values[offset])
        return None

    def _switch_phases(self, raw: int) -> ExcCodes | None:
        """Switch to the phases `raw` stands for, only while the car draws nothing
        (a contactor is not switched under load); an exception code otherwise."""
        switch = self.profile.phase_switch
        assert switch is not None
        phases = {switch.one: 1, switch.three: 3}.get(raw)
        if not self.phase_switch_allowed:
            self.log(f"{self.name}: phase switching not allowed")
            return ExcCodes.ILLEGAL_FUNCTION
        if phases is None:
            return ExcCodes.ILLEGAL_VALUE
        if self._draw() > 0:
            self.log(f"{self.name}: refused to switch phases while charging")
            return ExcCodes.DEVICE_BUSY
        if phases != self.phases:
            self.log(f"{self.name}: switched to {phases} phase(s)")
        self.phases = phases
        return None


class _Context(ModbusServerContext):
    """Routes every access of a server to its box (so writes are seen and logged)."""

    def __init__(self, box: SimBox) -> None:  # pylint: disable=super-init-not-called
        # The base class only warns of deprecation and keeps devices we do not use.
        self.simdevices = []
        self._box = box

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        """Serve a read (also the read-back after a write)."""
        return await self._box.handle(device_id, func_code, address, count, None)

    async def async_setValues(
        self,
        device_id: int,
        func_code: int,
        address: int,
        values: list[int] | list[bool],
    ) -> ExcCodes | None:
        """Serve a write."""
        result = await self._box.handle(
            device_id, func_code, address, len(values), [int(v) for v in values]
        )
        return result if isinstance(result, ExcCodes) else None

    def device_ids(self) -> list[int]:
        """Unit ids the box answers."""
        return list(self._box.sockets)


class SimBox:
    """A simulated wallbox on 127.0.0.1, one socket per unit id of its model."""

    def __init__(
        self,
        profile: Profile,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        failsafe_s: float | None = None,
        safe_current: float | None = None,
        vehicle: bool = True,
        speed: float = 1.0,
        log: Log | None = None,
    ) -> None:
        """Set a box up; `failsafe_s` overrides the model's failsafe timeout."""
        self.profile = profile
        self.host = host
        self.port = port
        self._log = log or (lambda _line: None)
        self.fault: Fault | None = None
        self.fault_code = ExcCodes.DEVICE_FAILURE
        self.delay_s = 0.0
        # Registers answered with ILLEGAL_ADDRESS, as if the firmware lacked them.
        self.refused: set[tuple[Table, int]] = set()
        self.writes: list[Write] = []
        self._server: ModbusTcpServer | None = None
        timeout = profile.failsafe_s if failsafe_s is None else failsafe_s
        self.sockets: dict[int, Socket] = {
            unit: Socket(
                profile,
                unit,
                timeout if profile.failsafe_s is not None else None,
                profile.safe_current if safe_current is None else safe_current,
                Vehicle() if vehicle else None,
                speed,
                self._log,
                f"{profile.model} unit {unit}",
            )
            for unit in profile.units
        }

    def __repr__(self) -> str:
        """Model and address."""
        return f"<SimBox {self.profile.model} {self.host}:{self.port}>"

    @property
    def socket(self) -> Socket:
        """The first (usually only) socket."""
        return next(iter(self.sockets.values()))

    @property
    def connections(self) -> int:
        """Open client connections."""
        return len(self._server.active_connections) if self._server else 0

    @property
    def serving(self) -> bool:
        """True while the box listens."""
        return self._server is not None

    async def start(self) -> None:
        """Listen (again, on the same port after stop())."""
        if self._server is not None:
            return
        server = ModbusTcpServer(
            _Context(self),
            address=(self.host, self.port),
            # A silent box raises NoSuchIdException: this makes it send nothing.
            ignore_missing_devices=True,
        )
        await server.serve_forever(background=True)
        listener = server.transport
        if isinstance(listener, asyncio.Server) and listener.sockets:
            self.port = int(listener.sockets[0].getsockname()[1])
        self._server = server
        for unit, socket in self.sockets.items():
            socket.name = f"{self.profile.model}:{self.port} unit {unit}"
        self._log(f"{self.profile.model}: listening on {self.host}:{self.port}")

    async def stop(self) -> None:
        """Stop listening and close every connection (the box is down)."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()  # type: ignore[no-untyped-call]
            self._log(f"{self.profile.model}:{self.port}: down")

    def drop_connections(self) -> int:
        """Close the open connections but keep listening; how many were closed."""
        if self._server is None:
            return 0
        connections = list(self._server.active_connections.values())
        for connection in connections:
            connection.close()
        self._log(f"{self.profile.model}:{self.port}: dropped {len(connections)}")
        return len(connections)

    def set_fault(
        self, fault: Fault | None, code: ExcCodes = ExcCodes.DEVICE_FAILURE
    ) -> None:
        """`silent`: never answer; `exception`: answer everything with `code`."""
        self.fault = fault
        self.fault_code = code

    async def handle(
        self,
        unit: int,
        func_code: int,
        address: int,
        count: int,
        values: list[int] | None,
    ) -> list[int] | list[bool] | ExcCodes:
        """Serve one access of the server."""
        if self.fault == "silent":
            raise NoSuchIdException("simulated silent box")  # type: ignore[no-untyped-call]
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fault == "exception":
            return self.fault_code
        socket = self.sockets.get(unit)
        if socket is None:
            # What a gateway answers for a unit behind it that does not respond.
            return ExcCodes.GATEWAY_NO_RESPONSE
        table = _TABLES.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        if any((table, a) in self.refused for a in range(address, address + count)):
            return ExcCodes.ILLEGAL_ADDRESS
        if values is not None:
            result = socket.write(table, address, values)
            if result is not None:
                return result
            self.writes.append(
                Write(time.monotonic(), unit, func_code, table, address, values)
            )
            return values
        socket.advance()
        data = socket.registers[table]
        if any(a not in data for a in range(address, address + count)):
            return ExcCodes.ILLEGAL_ADDRESS
        words = [data[a] for a in range(address, address + count)]
        if table == "coil":
            return [bool(w) for w in words]
        return words


class WallboxSimulator:
    """Serves any number of simulated boxes inside the running event loop."""

    def __init__(self, *, log: Log | None = None, speed: float = 1.0) -> None:
        """`log` receives one line per write and event; `speed` scales charging."""
        self.boxes: list[SimBox] = []
        self._log = log
        self._speed = speed
        self._ticker: asyncio.Task[None] | None = None

    async def add(
        self,
        model_or_profile: str | Profile,
        *,
        port: int = 0,
        failsafe_s: float | None = None,
        safe_current: float | None = None,
        vehicle: bool = True,
    ) -> SimBox:
        """Start a box (port 0 = a free port) and return it."""
        prof = (
            profile(model_or_profile)
            if isinstance(model_or_profile, str)
            else model_or_profile
        )
        box = SimBox(
            prof,
            port=port,
            failsafe_s=failsafe_s,
            safe_current=safe_current,
            vehicle=vehicle,
            speed=self._speed,
            log=self._log,
        )
        await box.start()
        self.boxes.append(box)
        return box

    def start_ticker(self, interval: float = 1.0) -> None:
        """Advance every box regularly, so failsafe and full batteries get logged."""

        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                for socket in self._sockets():
                    socket.advance()

        if self._ticker is None:
            self._ticker = asyncio.create_task(tick())

    def _sockets(self) -> Iterable[Socket]:
        for box in self.boxes:
            yield from box.sockets.values()

    async def close(self) -> None:
        """Stop every box."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        for box in self.boxes:
            await box.stop()
        self.boxes.clear()
