"""What each simulated wallbox looks like on the wire, as data (device side).

Written from reference/wallboxes.md independently of the backend's tables, so the
tests check one against the other. Addresses are 0-based as sent on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Table = Literal["holding", "input", "coil"]
DType = Literal["uint16", "uint32", "float32", "string"]
WordOrder = Literal["big", "little"]


@dataclass(frozen=True, slots=True)
class Reg:
    """A number (or text) in registers; `scale` is A or W per raw unit."""

    address: int
    dtype: DType = "uint16"
    table: Table = "holding"
    scale: float = 1.0
    word_order: WordOrder = "big"
    count: int = 0  # registers; 0 = from the type

    @property
    def size(self) -> int:
        """Registers the value spans."""
        if self.count:
            return self.count
        return 1 if self.dtype == "uint16" else 2


@dataclass(frozen=True, slots=True)
class StatusReg:
    """A register showing the vehicle state: IEC letter -> raw value (or text)."""

    reg: Reg
    values: Mapping[str, int | str]


@dataclass(frozen=True, slots=True)
class PhaseReg:
    """A holding register that switches the box between one and three phases: the
    raw value for each; it reads back what was last written."""

    address: int
    one: int
    three: int


@dataclass(frozen=True, slots=True)
class Profile:
    """One model: registers, setpoint, pause, failsafe."""

    model: str
    title: str
    units: tuple[int, ...]
    setpoint: Reg
    enable: Reg | None = None  # coil or register; 0 stops charging
    status: tuple[StatusReg, ...] = ()
    power: Reg | None = None
    heartbeat: int | None = None  # holding register the controller writes 1 to
    failsafe_s: float | None = None  # None: the box has no failsafe timer
    failsafe_register: Reg | None = None  # where the box shows its timeout (s)
    safe_current: float = 6.0
    # Setpoints below the minimum are refused (ILLEGAL_VALUE) instead of pausing.
    refuses_below_min: bool = False
    max_current: float = 32.0
    phase_switch: PhaseReg | None = None  # None: the box cannot switch phases
    # Registers that are stored in flash: every write is counted and reported.
    eeprom: tuple[int, ...] = ()
    # Further registers: (table, address) -> initial value, and whether writable.
    extra: Mapping[tuple[Table, int], int] = field(default_factory=dict)
    writable_extra: frozenset[tuple[Table, int]] = frozenset()


def _fixed(**values: int | str) -> Mapping[str, int | str]:
    return MappingProxyType(dict(values))


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "alfen": Profile(
            model="alfen",
            title="Alfen NG9xx",
            units=(1, 2),  # two sockets
            setpoint=Reg(1210, "float32"),
            status=(
                StatusReg(Reg(1201, "string", count=5), _fixed(A="A", B="B2", C="C2")),
            ),
            power=Reg(344, "float32"),
            failsafe_s=60.0,  # validity time
            phase_switch=PhaseReg(1215, one=1, three=3),
            extra={("holding", 1212): 0, ("holding", 1213): 0},  # safe current (float)
        ),
        "abb_terra_ac": Profile(
            model="abb_terra_ac",
            title="ABB Terra AC",
            units=(1,),
            setpoint=Reg(0x4100, "uint32", scale=0.001),
            # State code in the high byte of the second register.
            status=(StatusReg(Reg(0x400C, "uint32"), _fixed(A=0, B=2 << 8, C=4 << 8)),),
            power=Reg(0x401C, "uint32"),
            failsafe_s=60.0,  # unverified
            failsafe_register=Reg(0x4106),
        ),
        "phoenix_ev_cc": Profile(
            model="phoenix_ev_cc",
            title="Phoenix Contact EV-CC",
            units=(255,),
            setpoint=Reg(528),
            enable=Reg(400, table="coil"),
            status=(
                StatusReg(Reg(100, table="input"), _fixed(A=0x41, B=0x42, C=0x43)),
            ),
        ),
        "phoenix_em_cp": Profile(
            model="phoenix_em_cp",
            title="Phoenix Contact EM-CP-PP-ETH",
            units=(180,),
            setpoint=Reg(300),
            enable=Reg(400, table="coil"),
            status=(
                StatusReg(Reg(100, table="input"), _fixed(A=0x41, B=0x42, C=0x43)),
            ),
        ),
        "schneider_evlink_pro": Profile(
            model="schneider_evlink_pro",
            title="Schneider EVlink Pro AC",
            units=(255,),
            setpoint=Reg(4004),
            status=(StatusReg(Reg(1), _fixed(A=0, B=4, C=8)),),
            power=Reg(3059, "float32", scale=1000.0, word_order="little"),
            heartbeat=4000,
            failsafe_s=20.0,  # unverified
        ),
        "vestel_evc04": Profile(
            model="vestel_evc04",
            title="Vestel EVC04 / Webasto Unite",
            units=(255,),
            setpoint=Reg(5004),
            status=(
                StatusReg(Reg(1004, table="input"), _fixed(A=0, B=3, C=3)),
                StatusReg(Reg(1001, table="input"), _fixed(A=0, B=0, C=1)),
            ),
            heartbeat=6000,
            failsafe_s=20.0,
            failsafe_register=Reg(2002),
            phase_switch=PhaseReg(405, one=0, three=1),  # firmware 3.187.0
        ),
        "webasto_next": Profile(
            model="webasto_next",
            title="Webasto NEXT",
            units=(255,),
            setpoint=Reg(5004),
            status=(StatusReg(Reg(1000), _fixed(A=0, B=1, C=2)),),
            heartbeat=6000,
            failsafe_s=20.0,
            failsafe_register=Reg(2002),
        ),
        "keba_p30": Profile(
            model="keba_p30",
            title="KEBA P30",
            units=(255,),
            setpoint=Reg(5004, scale=0.001),
            enable=Reg(5014),
            status=(
                StatusReg(Reg(1004, "uint32"), _fixed(A=0, B=7, C=7)),  # cable
                StatusReg(Reg(1000, "uint32"), _fixed(A=1, B=2, C=3)),  # charging state
            ),
            power=Reg(1020, "uint32", scale=0.001),
            failsafe_s=60.0,
            failsafe_register=Reg(1602, "uint32"),
            extra={("holding", 5018): 0},
            writable_extra=frozenset({("holding", 5018)}),
        ),
        "go_e": Profile(
            model="go_e",
            title="go-e Charger",
            units=(1,),
            setpoint=Reg(299),
            status=(StatusReg(Reg(100, table="input"), _fixed(A=1, B=3, C=2)),),
            power=Reg(120, "uint32", table="input", scale=10.0),
            refuses_below_min=True,
            eeprom=(300,),
            extra={("holding", 300): 16},
            writable_extra=frozenset({("holding", 300)}),
        ),
        "peblar": Profile(
            model="peblar",
            title="Peblar",
            units=(255,),
            setpoint=Reg(40000, "uint32", scale=0.001),
            status=(
                StatusReg(
                    Reg(30110, "string", table="input", count=2),
                    _fixed(A="A", B="B", C="C"),
                ),
            ),
        ),
    }
)

MODELS: tuple[str, ...] = (*PROFILES, "generic")


def generic_profile(
    *,
    setpoint_register: int = 100,
    setpoint_type: DType = "uint16",
    setpoint_scale: float = 1.0,
    word_order: WordOrder = "big",
    status_register: int | None = 110,
    power_register: int | None = 120,
    unit_id: int = 1,
) -> Profile:
    """A box with the layout a user describes for the `generic` model.

    Status: 0 = A, 1 = B, 2 = C; power in W with the setpoint's type and word order.
    """
    status: tuple[StatusReg, ...] = ()
    if status_register is not None:
        status = (StatusReg(Reg(status_register), _fixed(A=0, B=1, C=2)),)
    power = None
    if power_register is not None:
        power = Reg(power_register, setpoint_type, word_order=word_order)
    return Profile(
        model="generic",
        title="Generic Modbus wallbox",
        units=(unit_id,),
        setpoint=Reg(
            setpoint_register,
            setpoint_type,
            scale=setpoint_scale,
            word_order=word_order,
        ),
        status=status,
        power=power,
    )


def profile(model: str) -> Profile:
    """The profile of a preset model (see generic_profile for `generic`)."""
    if model == "generic":
        return generic_profile()
    if model not in PROFILES:
        raise ValueError(f"unknown model {model!r}; one of {', '.join(MODELS)}")
    return PROFILES[model]
