"""Register maps of the supported wallboxes, as data: one table row per model.

Addresses are 0-based as sent on the wire. Facts come from reference/wallboxes.md;
values marked "unverified" there (or taken from open-source drivers only) are kept
and flagged in `notes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import struct
from types import MappingProxyType
from typing import Any, Literal, get_args

from ..engine.limits import MIN_CHARGE_CURRENT

# Subentry keys (values of the constants in const.py; this package imports no HA).
CONF_HOST = "host"
CONF_PORT = "port"
CONF_UNIT_ID = "unit_id"
CONF_MODEL = "model"
CONF_SETPOINT_REGISTER = "setpoint_register"
CONF_SETPOINT_TYPE = "setpoint_type"
CONF_SETPOINT_SCALE = "setpoint_scale"
CONF_WORD_ORDER = "word_order"
CONF_STATUS_REGISTER = "status_register"
CONF_POWER_REGISTER = "power_register"
CONF_PHASES = "phases"

DEFAULT_PORT = 502
DEFAULT_UNIT_ID = 1
REGISTER_MAX = 0xFFFF  # register addresses run from 0 to this

WordOrder = Literal["big", "little"]


class Table(StrEnum):
    """Which Modbus object table a value lives in."""

    HOLDING = "holding"
    INPUT = "input"
    COIL = "coil"


class DType(StrEnum):
    """How a value is laid out in registers."""

    UINT16 = "uint16"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    STRING = "string"  # ASCII, two characters per register, first in the high byte


# The generic model's choices (the values stored in a charger subentry).
SETPOINT_TYPES: tuple[str, ...] = tuple(
    dtype.value for dtype in (DType.UINT16, DType.UINT32, DType.FLOAT32)
)
SETPOINT_SCALES: tuple[float, ...] = (1.0, 0.1, 0.001)  # amps per register unit
WORD_ORDERS: tuple[str, ...] = get_args(WordOrder)
DEFAULT_SETPOINT_TYPE: str = DType.UINT16.value
DEFAULT_SETPOINT_SCALE = 1.0
DEFAULT_WORD_ORDER: WordOrder = "big"


class Pause(StrEnum):
    """How a model stops charging."""

    ZERO = "zero"  # write 0 A to the setpoint
    ENABLE = "enable"  # clear an enable coil/register
    MINIMUM = "minimum"  # cannot pause: hold the minimum current instead


@dataclass(frozen=True, slots=True)
class Value:
    """A number in registers: `scale` units (A or W) per raw unit."""

    address: int
    dtype: DType = DType.UINT16
    table: Table = Table.HOLDING
    scale: float = 1.0
    word_order: WordOrder = "big"

    @property
    def count(self) -> int:
        """Registers the value spans."""
        return 1 if self.dtype == DType.UINT16 else 2


@dataclass(frozen=True, slots=True)
class State:
    """A register telling the vehicle state.

    With `codes`, the raw number (after `shift` and `mask`) maps to an IEC 61851
    letter; without, the register holds ASCII text whose first letter is the state.
    """

    address: int
    table: Table = Table.HOLDING
    dtype: DType = DType.UINT16
    count: int = 1
    codes: Mapping[int, str] | None = None
    shift: int = 0
    mask: int = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class Switch:
    """A coil or register that enables charging."""

    address: int
    table: Table = Table.COIL
    on: int = 1
    off: int = 0


@dataclass(frozen=True, slots=True)
class PhaseSwitch:
    """A register that switches the box between one and three phases: written with
    `one` or `three`, and read back the same way to tell the phases in use."""

    address: int
    one: int
    three: int
    table: Table = Table.HOLDING


@dataclass(frozen=True, slots=True)
class RegisterMap:
    """Everything the backend needs to drive one model."""

    title: str
    unit_id: int  # the usual unit id, a default for the config flow
    setpoint: Value
    write_multiple: bool  # FC16 even for a single register (else FC6)
    pause: Pause
    enable: Switch | None = None
    min_current: int = MIN_CHARGE_CURRENT
    state: State | None = None
    # A second register that says "charging"; it maps to "C" via its codes.
    charging: State | None = None
    power: Value | None = None
    # Heart-beat register written with 1; None = refresh the setpoint instead.
    heartbeat: int | None = None
    # Seconds between refreshes; None = the box has no failsafe timer.
    keep_alive_s: float | None = None
    # The 1p/3p switch; None = the box cannot switch over Modbus.
    phases: PhaseSwitch | None = None
    brand: str | None = None  # the maker, for the device; None = not known
    notes: str = ""


def _codes(**letters: tuple[int, ...]) -> Mapping[int, str]:
    """Build an immutable raw value -> IEC letter table."""
    return MappingProxyType({v: k for k, values in letters.items() for v in values})


MAPS: Mapping[str, RegisterMap] = MappingProxyType(
    {
        "alfen": RegisterMap(
            title="Alfen NG9xx",
            brand="Alfen",
            unit_id=1,  # 1 = socket 1, 2 = socket 2 (200 = station)
            setpoint=Value(1210, DType.FLOAT32),
            write_multiple=True,
            pause=Pause.ZERO,
            state=State(1201, dtype=DType.STRING, count=5),  # "A", "B1", "C2", ...
            power=Value(344, DType.FLOAT32),
            # Validity time 60 s by default: rewrite the setpoint well within it.
            keep_alive_s=15.0,
            # 1215: 1 or 3 phases (Alfen's Modbus slave table, also its read-back).
            phases=PhaseSwitch(1215, one=1, three=3),
            notes=(
                "needs the active load balancing licence; 1p/3p switching needs "
                "'allow 1- and 3-phased charging' set on the box"
            ),
        ),
        "abb_terra_ac": RegisterMap(
            title="ABB Terra AC",
            brand="ABB",
            unit_id=1,
            setpoint=Value(0x4100, DType.UINT32, scale=0.001),
            write_multiple=True,
            pause=Pause.ZERO,  # < 6 A pauses
            # The state byte is the high byte of the second register (open-source
            # drivers; unverified).
            state=State(
                0x400C,
                dtype=DType.UINT32,
                count=2,
                codes=_codes(A=(0,), B=(1, 2), C=(3, 4)),
                shift=8,
                mask=0x7F,
            ),
            power=Value(0x401C, DType.UINT32),
            # Comm timeout 0x4106 (s); the fallback current is unverified.
            keep_alive_s=15.0,
            notes="fw >= 1.6.5; fallback current unverified",
        ),
        "phoenix_ev_cc": RegisterMap(
            title="Phoenix Contact EV-CC / Wallbe",
            brand="Phoenix Contact",
            unit_id=255,
            setpoint=Value(528),  # some firmware uses 0.1 A (unverified)
            write_multiple=False,
            pause=Pause.ENABLE,
            # Enable coil 400 as on the EM-CP (open-source drivers; unverified).
            enable=Switch(400),
            state=State(100, Table.INPUT),
            notes="setpoint unit 0.1 A on some firmware and enable coil unverified",
        ),
        "phoenix_em_cp": RegisterMap(
            title="Phoenix Contact EM-CP-PP-ETH",
            brand="Phoenix Contact",
            unit_id=180,
            setpoint=Value(300),
            write_multiple=False,
            pause=Pause.ENABLE,
            enable=Switch(400),
            state=State(100, Table.INPUT),
        ),
        "schneider_evlink_pro": RegisterMap(
            title="Schneider EVlink Pro AC",
            brand="Schneider Electric",
            unit_id=255,
            setpoint=Value(4004),
            write_multiple=False,
            pause=Pause.ZERO,  # 0 = disabled
            state=State(1, codes=_codes(A=(0, 1, 2, 6), B=(3, 4, 5, 7), C=(8, 9))),
            power=Value(3059, DType.FLOAT32, scale=1000.0, word_order="little"),
            heartbeat=4000,  # life bit: write 1 every few seconds
            keep_alive_s=5.0,
            notes="fallback on a missed life bit unverified",
        ),
        "vestel_evc04": RegisterMap(
            title="Vestel EVC04 / Webasto Unite",
            brand="Vestel",
            unit_id=255,
            setpoint=Value(5004),
            write_multiple=False,
            pause=Pause.ZERO,  # 0 = off
            state=State(1004, Table.INPUT, codes=_codes(A=(0, 1), B=(2, 3))),
            charging=State(1001, Table.INPUT, codes=_codes(C=(1,))),
            heartbeat=6000,
            # Failsafe timeout in holding 2002 (s); heart-beat at a quarter of the
            # commonly configured 20 s.
            keep_alive_s=5.0,
            # 405: 0 = one phase, 1 = three (Vestel's Modbus spec 1.12, firmware
            # 3.187.0); back to the installed phases after a reboot or a dropped
            # connection. Older firmware refuses it: the box is then not switched.
            phases=PhaseSwitch(405, one=0, three=1),
            notes="1p/3p switching needs fw >= 3.187.0; unverified on Webasto Unite",
        ),
        "webasto_next": RegisterMap(
            title="Webasto NEXT",
            brand="Webasto",
            unit_id=255,
            setpoint=Value(5004),
            write_multiple=False,
            pause=Pause.ZERO,  # unverified: 0 A stops charging
            # Charge point state; table and codes from open-source drivers (unverified).
            state=State(1000, codes=_codes(A=(0,), B=(1, 3, 4), C=(2,))),
            heartbeat=6000,
            keep_alive_s=5.0,  # timeout in 2002
            notes="needs HEMS activated; state codes and 0 A pause unverified",
        ),
        "keba_p30": RegisterMap(
            title="KEBA P30 c/x",
            brand="KEBA",
            unit_id=255,
            setpoint=Value(5004, scale=0.001),  # mA, written as one register
            write_multiple=False,
            pause=Pause.ENABLE,
            enable=Switch(5014, Table.HOLDING),
            # Cable state: bit 2 = plugged at the vehicle.
            state=State(
                1004,
                dtype=DType.UINT32,
                count=2,
                codes=_codes(A=(0,), B=(1,)),
                shift=2,
                mask=1,
            ),
            charging=State(1000, dtype=DType.UINT32, count=2, codes=_codes(C=(3,))),
            power=Value(1020, DType.UINT32, scale=0.001),  # mW
            # Failsafe timeout: read 1602, write 5018; refresh the setpoint.
            keep_alive_s=15.0,
            notes="needs the Modbus firmware; failsafe timeout as set on the box",
        ),
        "go_e": RegisterMap(
            title="go-e Charger v3/v4/Gemini",
            brand="go-e",
            unit_id=1,  # unverified
            # 299 is volatile; never 300, which is stored in EEPROM.
            setpoint=Value(299),
            write_multiple=True,  # go-e documents FC16 for settings
            pause=Pause.MINIMUM,  # accepts 6-32 A only
            state=State(100, Table.INPUT, codes=_codes(A=(1,), B=(3, 4), C=(2,))),
            power=Value(120, DType.UINT32, Table.INPUT, scale=10.0),  # 0.01 kW
            notes="unit id unverified; cannot pause over Modbus",
        ),
        "peblar": RegisterMap(
            title="Peblar",
            brand="Peblar",
            unit_id=255,
            setpoint=Value(40000, DType.UINT32, scale=0.001),
            write_multiple=True,
            pause=Pause.ZERO,  # unverified
            # CP state as ASCII text (unverified).
            state=State(30110, Table.INPUT, dtype=DType.STRING, count=2),
            notes="fw >= 1.6; 0 A pause and state encoding unverified",
        ),
    }
)

# The model whose registers the user enters.
MODEL_GENERIC = "generic"
# Every model a charger subentry may name: the presets, then the generic model.
MODELS: tuple[str, ...] = (*MAPS, MODEL_GENERIC)
GENERIC_REGISTERS = (CONF_SETPOINT_REGISTER, CONF_STATUS_REGISTER, CONF_POWER_REGISTER)

# Generic status register: an ASCII letter (as Phoenix) or 0 = A, 1 = B, 2 = C.
_GENERIC_CODES = _codes(A=(0, 0x41, 0x4100), B=(1, 0x42, 0x4200), C=(2, 0x43, 0x4300))


class RegisterMapError(ValueError):
    """Settings that fit no register map.

    `problems` says, by subentry key, what is wrong: "not_supported" (a model,
    setpoint type, scale or word order this package does not know),
    "register_required" or "invalid_register" (the config flow's error keys).
    """

    def __init__(self, problems: Mapping[str, str], details: list[str]) -> None:
        """Keep the problems; the message tells them in words."""
        super().__init__("; ".join(details))
        self.problems: dict[str, str] = dict(problems)


def _address(raw: Any) -> int | None:
    """A register address, None when `raw` is not a whole number in range."""
    try:
        number = float(raw)
    except TypeError, ValueError:
        return None
    if not number.is_integer() or not 0 <= number <= REGISTER_MAX:
        return None
    return int(number)


def _scale(raw: Any) -> float | None:
    """A setpoint scale as a number ("0.1" as 0.1), None when it is none."""
    try:
        return float(raw)
    except TypeError, ValueError:
        return None


# The generic model's choices: key, words for messages, default, allowed values.
_CHOICES: tuple[tuple[str, str, Any, tuple[Any, ...]], ...] = (
    (CONF_SETPOINT_TYPE, "setpoint type", DEFAULT_SETPOINT_TYPE, SETPOINT_TYPES),
    (CONF_SETPOINT_SCALE, "setpoint scale", DEFAULT_SETPOINT_SCALE, SETPOINT_SCALES),
    (CONF_WORD_ORDER, "word order", DEFAULT_WORD_ORDER, WORD_ORDERS),
)


def generic_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The generic model's settings from `config`, typed as a subentry stores them.

    Register addresses become ints, the scale a float; a missing type, scale or word
    order gets its default. RegisterMapError names every bad setting at once.
    """
    settings: dict[str, Any] = {}
    problems: dict[str, str] = {}
    details: list[str] = []
    for key in GENERIC_REGISTERS:
        raw = config.get(key)
        if raw is None or raw == "":
            continue
        if (address := _address(raw)) is None:
            problems[key] = "invalid_register"
            details.append(f"{key} {raw!r} is no register address")
        else:
            settings[key] = address
    if (
        CONF_SETPOINT_REGISTER not in settings
        and CONF_SETPOINT_REGISTER not in problems
    ):
        problems[CONF_SETPOINT_REGISTER] = "register_required"
        details.append("generic model needs a setpoint register")
    for key, words, default, allowed in _CHOICES:
        raw = config.get(key, default)
        value = _scale(raw) if key == CONF_SETPOINT_SCALE else str(raw)
        if value not in allowed:
            problems[key] = "not_supported"
            details.append(f"{words} {raw!r} not supported")
        settings[key] = value
    if problems:
        raise RegisterMapError(problems, details)
    return settings


def register_map(config: Mapping[str, Any]) -> RegisterMap:
    """The map a charger subentry asks for; RegisterMapError (a ValueError) on a bad
    model or field."""
    model = config.get(CONF_MODEL)
    if model in MAPS:
        return MAPS[str(model)]
    if model != MODEL_GENERIC:
        raise RegisterMapError(
            {CONF_MODEL: "not_supported"}, [f"unknown wallbox model {model!r}"]
        )
    settings = generic_settings(config)
    dtype = DType(settings[CONF_SETPOINT_TYPE])
    word_order: WordOrder = "little" if settings[CONF_WORD_ORDER] == "little" else "big"
    status: int | None = settings.get(CONF_STATUS_REGISTER)
    power: int | None = settings.get(CONF_POWER_REGISTER)
    return RegisterMap(
        title="Generic Modbus wallbox",
        unit_id=DEFAULT_UNIT_ID,
        setpoint=Value(
            settings[CONF_SETPOINT_REGISTER],
            dtype,
            scale=settings[CONF_SETPOINT_SCALE],
            word_order=word_order,
        ),
        write_multiple=dtype != DType.UINT16,
        pause=Pause.ZERO,
        state=None if status is None else State(status, codes=_GENERIC_CODES),
        # Power in W, with the setpoint's type and word order.
        power=None if power is None else Value(power, dtype, word_order=word_order),
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    fmt: str
    registers: int
    integer: bool = True


_LAYOUTS = {
    DType.UINT16: _Layout(">H", 1),
    DType.UINT32: _Layout(">I", 2),
    DType.FLOAT32: _Layout(">f", 2, integer=False),
}


def encode(value: Value, amount: float) -> list[int]:
    """Raw registers that carry `amount` (A or W) in `value`'s encoding."""
    layout = _LAYOUTS[value.dtype]
    raw = amount / value.scale
    number: int | float = round(raw) if layout.integer else raw
    data = struct.pack(layout.fmt, number)
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return words[::-1] if value.word_order == "little" else words


def decode(value: Value, registers: list[int]) -> float:
    """The amount (A or W) that raw registers carry in `value`'s encoding."""
    layout = _LAYOUTS[value.dtype]
    words = registers[: layout.registers]
    if value.word_order == "little":
        words = words[::-1]
    data = b"".join(w.to_bytes(2, "big") for w in words)
    raw: int | float = struct.unpack(layout.fmt, data)[0]
    return float(raw) * value.scale


def encode_phases(switch: PhaseSwitch, phases: int) -> list[int]:
    """The raw register that switches the box to `phases` (1 or 3)."""
    return [switch.one if phases == 1 else switch.three]


def decode_phases(switch: PhaseSwitch, registers: list[int]) -> int | None:
    """The phases (1 or 3) the switch register shows, None for any other value."""
    return {switch.one: 1, switch.three: 3}.get(registers[0])


def decode_state(state: State, registers: list[int]) -> str | None:
    """The IEC 61851 letter (A-F) a state register says, None if unknown."""
    if state.codes is None:
        text = b"".join(r.to_bytes(2, "big") for r in registers)
        letters = text.replace(b"\x00", b"").strip()
        first = chr(letters[0]).upper() if letters else ""
        return first if first and first in "ABCDEF" else None
    raw = 0
    for word in registers[: 2 if state.dtype == DType.UINT32 else 1]:
        raw = raw << 16 | word
    return state.codes.get((raw >> state.shift) & state.mask)
