"""Inputs, outputs and state of the allocation engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    """When a charger may charge."""

    OFF = "off"
    FAST = "fast"
    SOLAR = "solar"
    SOLAR_MIN = "solar_min"
    OFF_PEAK = "off_peak"
    SMART = "smart"


class Profile(StrEnum):
    """Priority of a charger: premium is served before standard."""

    PREMIUM = "premium"
    STANDARD = "standard"


class Status(StrEnum):
    """Why a charger gets the current it gets."""

    DISCONNECTED = "disconnected"
    CHARGING = "charging"
    WAITING_FOR_SOLAR = "waiting_for_solar"
    WAITING_FOR_OFF_PEAK = "waiting_for_off_peak"
    SCHEDULED = "scheduled"
    PAUSED_BY_CAP = "paused_by_cap"
    OFF = "off"
    FAILSAFE = "failsafe"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Timing rules; the defaults are those of the specification."""

    solar_start_delay_s: float = 60.0
    solar_stop_delay_s: float = 180.0
    # A charger that has been served this much longer than a waiting one of the same
    # profile gives its place up (fair rotation when not everyone fits).
    rotation_period_s: float = 900.0
    # An increase smaller than this is not written (SPEC §5 rule 4 asks for at least
    # 1 A; 2 A halves the writes when a budget hovers between two amps). Decreases,
    # pauses, starts and a rise to the charger's ceiling are always written. Surplus
    # top-ups use surplus_deadband_a.
    deadband_a: int = 2
    # Learning what a car takes (from ChargerInput.measured_power_w): a draw is judged
    # only once the setpoint has stood this long (the car and the meter follow late),
    demand_settle_s: float = 20.0
    # a car that draws persistently less than offered for this long is capped at what
    # it draws plus 1 A (or, drawing nothing, taken as full),
    demand_window_s: float = 30.0
    # and a full car that had to be paused is offered power again after this long, in
    # case it wants some again (its own timer, climate); each offer it still refuses
    # doubles the wait, up to demand_reprobe_max_s: every offer is a start/stop of
    # the box and holds power others are waiting for.
    demand_reprobe_s: float = 900.0
    demand_reprobe_max_s: float = 3600.0
    # Riding out clouds, off by default (SPEC §4's delays hold exactly); the preset
    # RIDE_THROUGH below turns it on. The first start and stop of a session always
    # follow the plain delays above. The surplus is also followed as an exponential
    # average with this time constant (0 = off):
    surplus_smoothing_s: float = 0.0
    # Top-ups from the surplus (solar running, solar_min) follow that average; one
    # moves only by this many amps or more: up, or down when the cap does not need it.
    surplus_deadband_a: int = 1
    # Once a solar car has been stopped in a session, the surplus is taken as
    # fluctuating: each stop multiplies the next start delay by this (up to
    # solar_start_delay_max_s) and a restart also needs the average to cover this
    # share of its minimum;
    solar_restart_backoff: float = 1.0
    solar_start_delay_max_s: float = 1800.0
    solar_restart_share: float = 0.8
    # and a running car rides a cloud out (no stop after solar_stop_delay_s) while the
    # average still covers this share of its minimum, for at most solar_ride_max_s
    # without the surplus covering its minimum.
    solar_ride_share: float = 0.65
    solar_ride_max_s: float = 0.0
    # The count of stops starts afresh after this long without surplus (a night).
    solar_stops_reset_s: float = 3600.0


# Fewer writes and start/stop cycles under a fluctuating sky, at the cost of SPEC §4's
# exact delays after a session's first stop (measured in bench/results/results.md,
# strategy "engine, ride-through").
RIDE_THROUGH = EngineConfig(
    surplus_smoothing_s=900.0,
    surplus_deadband_a=2,
    solar_restart_backoff=2.0,
    solar_ride_max_s=900.0,
)


@dataclass(frozen=True, slots=True)
class SiteInput:
    """What the site looks like right now. Power in W, positive = consumption."""

    grid_limit_w: float
    household_w: float
    solar_w: float = 0.0
    safety_margin_w: float = 0.0
    standard_max_w: float = 0.0  # 0 = no ceiling for standard chargers
    voltage: float = 230.0
    offpeak: bool = False
    inputs_usable: bool = True
    failsafe_current: int = 6


@dataclass(frozen=True, slots=True)
class ChargerInput:
    """One charger as the caller sees it now."""

    id: str
    phases: int = 3
    min_current: int = 6  # a lower value is taken as 6 A: never 1-5 A
    max_current: int = 16
    ceiling: int | None = None  # the user's own limit; None = max_current
    profile: Profile = Profile.STANDARD
    mode: Mode = Mode.FAST
    connected: bool = True
    enabled: bool = True
    measured_power_w: float | None = None
    # The setpoint the box holds now (last successful write); None = unknown.
    last_command: int | None = None
    # The last write failed; it is still allocated (and retried) but reported as error.
    error: bool = False
    # `smart` only: the power its plan gives it now (0 or None = none: it then takes
    # only solar surplus, as `solar`).
    plan_w: float | None = None


@dataclass(frozen=True, slots=True)
class DemandState:
    """What the measured draw has shown of the car plugged in (reset on unplug)."""

    command: int = 0  # the setpoint the box held at the last decision
    command_since: float | None = None  # it has held that setpoint since then
    # The fewest phases the car can be drawing on, from the most power seen per amp
    # offered; a lower count gives a higher (safer) estimate of its current.
    phases: int = 1
    phases_known: bool = False  # shown to take all it is offered on `phases` phases
    below_since: float | None = None  # it has drawn less than offered since then
    below_peak_w: float = 0.0  # the most it drew in that time
    cap: int | None = None  # learned ceiling in amps (what it takes + 1 A); None = none
    # The cap assumes every configured phase while fewer are not ruled out: a probe.
    probing: bool = False
    full_since: float | None = (
        None  # it has drawn nothing when offered power since then
    )
    refused: int = 0  # times in a row it was found full (drawing power resets it)


NO_DEMAND = DemandState()


@dataclass(frozen=True, slots=True)
class ChargerState:
    """What the engine remembers of one charger between decisions."""

    solar_running: bool = False
    surplus_since: float | None = None  # surplus has covered the minimum since then
    deficit_since: float | None = None  # surplus has not covered the minimum since then
    served_s: float = 0.0  # seconds charged since plug-in, for fair rotation
    demand: DemandState = NO_DEMAND
    solar_stops: int = 0  # solar stops since plug-in (EngineConfig.solar_restart_*)
    # The most the car drew when it took less than offered, since plug-in: what the
    # car itself can take (kept while it is paused, unlike the cap). None = not seen.
    car_limit_w: float | None = None
    # The phases it was then seen to draw on (kept too). None = not seen.
    car_phases: int | None = None


@dataclass(frozen=True, slots=True)
class EngineState:
    """Everything time-dependent. The caller keeps it and passes it back next time."""

    chargers: Mapping[str, ChargerState] = field(default_factory=dict)
    last_time: float | None = None
    # Household load when inputs were last usable; bounds the failsafe budget. None
    # (never seen) leaves no budget: in failsafe every charger is then paused.
    last_household_w: float | None = None
    # The surplus as an exponential average (EngineConfig.surplus_smoothing_s); None =
    # not known (start, or after unusable inputs): it restarts from the surplus seen.
    surplus_avg_w: float | None = None


@dataclass(frozen=True, slots=True)
class ChargerDecision:
    """What to do with one charger."""

    id: str
    current: int | None  # amps to command, 0 = pause, None = leave alone
    status: Status
    power_w: float  # power budgeted for it (current x voltage x phases)
    write: bool  # the setpoint moved enough to be written


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one engine step."""

    chargers: Mapping[str, ChargerDecision]
    write_order: tuple[str, ...]  # decreases first, then increases
    budget_w: float  # power the chargers may use now
    surplus_w: float  # solar minus household, never negative
    household_w: float
    failsafe: bool
    state: EngineState
