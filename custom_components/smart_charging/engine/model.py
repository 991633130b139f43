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
    # A paused car (re)starts from the grid only once its minimum fits with this
    # many amps to spare (on its phases), or has fitted for restart_window_s: a
    # budget hovering at the edge of one more minimum does not start and stop it
    # at every swing.
    restart_margin_a: int = 4
    restart_window_s: float = 180.0
    # A car keeps its minimum this long after it started against the fair rotation
    # among its profile (never against the cap, nor the higher profile): each start
    # is worth a stretch of charging.
    min_on_s: float = 3600.0
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
    # Increases follow the site as it has been since the last regular cycle (SPEC §5
    # rule 4: they wait for it): the highest net load (household - solar) seen
    # within this window, so a meter's jitter between two cycles moves no setpoint
    # up; decreases follow the site of now.
    steady_window_s: float = 10.0
    # A fall of the net load within the meter's jitter moves no setpoint up before
    # it has lasted jitter_window_s: on a jittering meter a low reading is no room
    # (the next one is as likely high), while a real drop is followed at the next
    # cycle. The jitter: jitter_factor times the jitter_quantile of the net load's
    # changes from sample to sample over the jitter_sample_s before the jitter
    # window, once it has changed jitter_min_changes times there (a meter that
    # mostly holds still has none).
    jitter_window_s: float = 30.0
    jitter_sample_s: float = 300.0
    jitter_factor: float = 4.0
    jitter_quantile: float = 0.5
    jitter_min_changes: int = 10
    # Top-ups from the surplus follow the lowest surplus seen within this window: a
    # passing cloud moves no setpoint up and down.
    surplus_window_s: float = 60.0
    # Solar under a changing sky (SPEC §4's delays are minimums). The first start
    # and stop of a session follow the plain delays above. The surplus is followed
    # as an exponential average with this time constant (0 = the surplus of now):
    surplus_smoothing_s: float = 900.0
    # Top-ups from the surplus (solar running, solar_min) follow the lowest surplus
    # of surplus_window_s; one moves only by this many amps or more: up, or down
    # when the cap does not need it.
    surplus_deadband_a: int = 2
    # Once a solar car has been stopped in a session, the surplus is taken as
    # fluctuating: a restart waits an off time from the stop, the start delay
    # multiplied by this per stop (up to solar_start_delay_max_s), and needs the
    # average to cover this share of its minimum (and the surplus of now to have
    # covered it for the start delay);
    solar_restart_backoff: float = 4.0
    solar_start_delay_max_s: float = 1800.0
    solar_restart_share: float = 0.8
    # and a running car rides a cloud out (no stop after solar_stop_delay_s) while the
    # average still covers this share of its minimum, for at most solar_ride_max_s
    # without the surplus covering its minimum, and only while the part of the
    # session's energy the surplus did not cover stays under solar_grid_share (SPEC
    # §4 allows 10 %; the rest is room for the sensors' lag: counted on readings
    # that trail the clouds, the true share ran 2-3 points higher on a cloudy day).
    solar_ride_share: float = 0.65
    solar_ride_max_s: float = 1800.0
    solar_grid_share: float = 0.07
    # The count of stops starts afresh after this long without surplus (a night).
    solar_stops_reset_s: float = 3600.0
    # A box that can switch phases (SPEC §5 rule 7) is switched at most this often,
    # stays paused this long after a switch, and goes back to three phases once
    # they have fitted with this many amps to spare for the restart window.
    switch_interval_s: float = 600.0
    switch_wait_s: float = 30.0
    switch_up_margin_a: int = 1


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


# SPEC's rules as written, without the default's refinements for calm: §4's solar
# delays exactly, the site followed as it is now (no steady or jitter window, no
# surplus window, no restart window or margin, no hold time before the rotation).
# What the refinements cost and gain is measured against it (bench, "engine, rules
# as written").
RULES_AS_WRITTEN = EngineConfig(
    surplus_smoothing_s=0.0,
    surplus_deadband_a=1,
    solar_restart_backoff=1.0,
    solar_ride_max_s=0.0,
    steady_window_s=0.0,
    jitter_window_s=0.0,
    surplus_window_s=0.0,
    restart_window_s=0.0,
    restart_margin_a=0,
    min_on_s=0.0,
)


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
    # The box can switch between one and three phases; `phases` is then the
    # phases it is switched to now.
    switchable: bool = False


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
    # Energy charged while solar-running this session, and of it the part the
    # surplus did not cover (Wh), and that part's power at the last decision: the
    # grid's share of a `solar` session (EngineConfig.solar_grid_share).
    solar_wh: float = 0.0
    solar_grid_wh: float = 0.0
    solar_grid_w: float = 0.0
    # Since when its box has held a charging current (None = paused).
    charging_since: float | None = None
    # 1p/3p switching (switching.py): the phases the box had at the last decision
    # (a switch resets what was learned of the car's draw), the phases it is being
    # switched to (paused meanwhile), and when it was last switched.
    box_phases: int | None = None
    switch_to: int | None = None
    switched_at: float | None = None
    # When the surplus last stopped it this session (None = never): a restart
    # waits a growing off time from there (EngineConfig.solar_restart_backoff).
    solar_stopped_at: float | None = None


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
    # (time, net load, surplus, room: the limit less the margin and the disabled
    # chargers) of the usable steps within the longest of
    # EngineConfig's steady, surplus and restart windows, oldest first.
    recent: tuple[tuple[float, float, float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ChargerDecision:
    """What to do with one charger."""

    id: str
    current: int | None  # amps to command, 0 = pause, None = leave alone
    status: Status
    power_w: float  # power budgeted for it (current x voltage x phases)
    write: bool  # the setpoint moved enough to be written
    # Switch the box to this many phases now (it is paused: SPEC §5 rule 7); None =
    # leave them.
    phases: int | None = None


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
