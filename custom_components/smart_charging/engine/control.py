"""One control step, as the integration and the benchmark both run it.

Given the site's readings, each charger's view (settings, what its box holds and
shows), the previous state and the time, it derives the household load, checks the
inputs, keeps to the grid's own limits (§14a dimming, the capacity tariff's
quarter-hour: grid_limits.py), runs the engine with power set aside for boxes that
may draw more than they are told, plans the writes in their order and counts the
energy delivered. Pure: no Home Assistant, no I/O; the caller reads, writes and
publishes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
import math

from .allocate import decide
from .budget import steady_net_w
from .grid_limits import (
    CapacityTariff,
    Dimming,
    GridStatus,
    QuarterPeak,
    chargers_cap_w,
)
from .household_check import DoubleCountCheck
from .limits import MIN_CHARGE_CURRENT, drawn_phases
from .model import (
    ChargerInput,
    ChargerState,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
)
from .phases import (
    DEFAULT_ROTATION,
    Draw,
    PhaseCharger,
    PhaseCurrents,
    apply_limits,
    fit_fuse,
    household_currents,
    keep_shown,
    site_phases,
)
from .readings import check_power, site_power_range
from .reserve import StepReserve
from .slot import served_rank

# How long a car may take to follow a new setpoint, as a grid meter would see it.
RAMP_S = 10.0
# Passes of the engine while the power set aside for boxes settles, then steps of
# the search for it (each halves the gap: 8 bring it within 0.4 % of the hold).
RESERVE_PASSES = 4
RESERVE_SEARCH_STEPS = 8
# Passes of the engine while the main fuse caps chargers: one per charger whose
# phase fills up settles a home's few boxes.
FUSE_PASSES = 4


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """The site's configuration, in W and A."""

    grid_limit_w: float
    safety_margin_w: float = 0.0
    standard_max_w: float = 0.0
    voltage: float = 230.0
    failsafe_current: int = 6
    engine: EngineConfig = field(default_factory=EngineConfig)
    # The grid's own limits (grid_limits.py): the chargers' grid import while
    # dimmed (§14a), and the capacity tariff's quarter-hour target (0 = none).
    dimming_limit_w: float = 4200.0
    peak_limit_w: float = 0.0
    follow_monthly_peak: bool = False
    # The main fuse: each site phase's current at or under this (0 = none;
    # phases.py).
    main_fuse_a: float = 0.0
    # Keep a reserve learned from the household's load steps on top of the
    # safety margin (reserve.py).
    adaptive_reserve: bool = False

    @property
    def capacity(self) -> CapacityTariff:
        return CapacityTariff(self.peak_limit_w, self.follow_monthly_peak)

    @property
    def rules(self) -> EngineConfig:
        """The engine's rules on this site: with the adaptive reserve, rises are not
        also held through the meter's jitter (the reserve learned from the
        household's rises keeps that room already; both would pay for it twice)."""
        if self.adaptive_reserve:
            return replace(self.engine, jitter_window_s=0.0)
        return self.engine


@dataclass(frozen=True, slots=True)
class SiteReadings:
    """The site's sensors as last read and checked; None where absent or unusable."""

    household_w: float | None
    grid_w: float | None = None
    solar_w: float | None = None
    offpeak: bool = False
    unusable: tuple[str, ...] = ()  # "entity (why)" for each unusable input
    grid_reported_at: float = 0.0
    dimmed: bool = False  # the grid operator dims the chargers (§14a)
    utc_offset_s: float = 0.0  # the local clock's offset now: the tariff's month
    # The grid connection's L1, L2, L3 currents (import positive, chargers
    # included), and when each was reported; None = none or unusable.
    phase_currents_a: PhaseCurrents | None = None
    phases_reported_at: PhaseCurrents = (0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Holding:
    """What a box holds, as far as the integration knows."""

    current: int | None = None  # None = unknown
    # The lowest power held lately, and when it last changed: a grid meter that
    # reported before the car followed a change has not seen the higher value.
    low_w: float = 0.0
    changed_at: float = 0.0
    # The lowest current the box can hold, once it showed it cannot pause below it.
    floor: int = 0

    def moved_to(self, current: int, now: float, watts_per_amp: float) -> Holding:
        """The box holds `current` from `now` on."""
        old_w = (self.current or 0) * watts_per_amp
        low_w = min(self.low_w, old_w) if now - self.changed_at < RAMP_S else old_w
        return replace(self, current=current, low_w=low_w, changed_at=now)


@dataclass(frozen=True, slots=True)
class ChargerView:
    """One charger as the control step sees it."""

    id: str
    name: str = ""  # for messages
    phases: int = 3
    min_current: int = 6
    max_current: int = 16
    ceiling: int | None = None
    profile: Profile = Profile.STANDARD
    mode: Mode = Mode.FAST
    enabled: bool = True
    connected: bool | None = None  # None = cannot tell (taken as plugged in)
    charging: bool | None = None
    power_w: float | None = None  # measured and checked; None = not known now
    measures_power: bool = False  # the box has a power reading at all
    power_problem: str | None = None  # why that reading is unusable now
    accepts: tuple[int, int] | None = None  # the currents the box's entity takes
    holding: Holding = field(default_factory=Holding)
    failing: bool = False  # writes fail or the box does not answer
    retry_at: float = 0.0  # a failed write is not retried before this
    attempted: int | None = None  # a current whose write failed or is not shown
    plan_w: float | None = None  # `smart`: the power its plan gives it now
    phase_rotation: str = DEFAULT_ROTATION  # the site phases of its L1, L2, L3
    # The box switches between one and three phases; `phases` is then the phases
    # it is switched to now.
    switchable: bool = False

    @property
    def plugged(self) -> bool:
        # Without a way to tell, assume a vehicle may draw: the box only takes what
        # it needs, and the budget stays reserved for it.
        return self.connected is not False


def commanded_w(view: ChargerView, voltage: float) -> float:
    """Power the box is told it may draw."""
    return (view.holding.current or 0) * voltage * view.phases


def held_above(view: ChargerView, decided: int) -> int:
    """Amps a box may draw beyond `decided`: one failing, or whose last write is not
    shown yet, keeps what it holds (its maximum when that is unknown), one that
    cannot pause its floor."""
    if not view.enabled or not view.plugged:
        return 0
    if view.failing or view.attempted is not None:
        held = (
            view.max_current if view.holding.current is None else view.holding.current
        )
        return max(held - decided, 0)
    return max(view.holding.floor - decided, 0)


@dataclass(frozen=True, slots=True)
class PhaseCount:
    """What the household's current per phase was counted from: when each phase
    sensor reported, and each charger taken off it with the site phases it
    draws on (_counted_on)."""

    reported_at: PhaseCurrents
    counted: tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class ControlState:
    """What the control step remembers between steps."""

    engine: EngineState = field(default_factory=EngineState)
    last_step: float | None = None
    double_count: DoubleCountCheck = field(default_factory=DoubleCountCheck)
    quarter: QuarterPeak = field(default_factory=QuarterPeak)
    # The net load (household - solar) the last step read: it held until this
    # step, as a change of it starts a step at once.
    net_w: float | None = None
    # The household's current per phase when the phase sensors were last usable:
    # it bounds the chargers while they are not (failsafe). None = never seen.
    phase_household_a: PhaseCurrents | None = None
    # What that count was taken from: it stands until the sensors report again
    # (_counted_household).
    phase_count: PhaseCount | None = None
    # The household's recent load steps, with adaptive_reserve.
    reserve: StepReserve = field(default_factory=StepReserve)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What to do now, and what to remember."""

    decision: Decision
    readings: SiteReadings
    unusable: tuple[str, ...]  # the inputs that put the site in failsafe
    decreases: tuple[str, ...]  # chargers to lower now, first
    increases: tuple[str, ...]  # chargers to raise once the decreases hold
    # Amps each box may draw beyond its decided current, as counted in the budget:
    # a box holding more after the decreases holds the increases back.
    counted: Mapping[str, int]
    energy_kwh: Mapping[str, float]  # delivered since the last step
    household_includes_chargers: bool
    state: ControlState
    grid: GridStatus = field(default_factory=GridStatus)


def control_step(
    settings: SiteSettings,
    readings: SiteReadings,
    chargers: Sequence[ChargerView],
    state: ControlState,
    now: float,
    *,
    allow_increase: bool,
) -> StepResult:
    """One step: regular (allow_increase) or decrease-only."""
    energy = _energy_kwh(chargers, state.last_step, now, settings.voltage)
    household_w, unusable = _household(settings, readings, chargers)
    reserve, margin_w = _learned(settings, state.reserve, household_w, unusable, now)
    site = SiteInput(
        grid_limit_w=settings.grid_limit_w,
        household_w=household_w,
        solar_w=readings.solar_w or 0.0,
        safety_margin_w=margin_w,
        standard_max_w=settings.standard_max_w,
        voltage=settings.voltage,
        offpeak=readings.offpeak,
        inputs_usable=not unusable,
        failsafe_current=settings.failsafe_current,
    )
    net_w = _net_w(site, state)
    grid, quarter = _grid_limits(settings, readings, chargers, net_w, state, now)
    if grid.chargers_cap_w is not None and net_w is not None:
        site = _capped(site, grid.chargers_cap_w, net_w, state, now, settings)
    decision, phase_household, phase_count = _decide_within_fuse(
        settings, readings, site, chargers, state, now, allow_increase=allow_increase
    )
    decision = _failsafe_statuses(decision, chargers)
    decreases, increases = _plan_writes(decision, chargers, now)
    double_count = state.double_count
    if readings.household_w is not None and not unusable:
        chargers_w = sum(decision.chargers[c.id].power_w for c in chargers if c.plugged)
        double_count = double_count.update(now, readings.household_w, chargers_w)
    return StepResult(
        decision=decision,
        readings=readings,
        unusable=unusable,
        decreases=decreases,
        increases=increases,
        counted={
            c.id: held_above(c, decision.chargers[c.id].current or 0) for c in chargers
        },
        energy_kwh=energy,
        household_includes_chargers=double_count.suspected,
        state=ControlState(
            decision.state,
            now,
            double_count,
            quarter,
            net_w,
            phase_household,
            phase_count,
            reserve,
        ),
        grid=grid,
    )


def _learned(
    settings: SiteSettings,
    reserve: StepReserve,
    household_w: float,
    unusable: tuple[str, ...],
    now: float,
) -> tuple[StepReserve, float]:
    """The reserve with this step's household reading, and the margin the site
    keeps now. Learned before deciding, so that a grown reserve lowers the
    chargers at once; in failsafe (`unusable`) nothing is learned and the site
    keeps its configured margin."""
    if not settings.adaptive_reserve or unusable:
        return reserve, settings.safety_margin_w
    reserve = reserve.update(now, household_w)
    return reserve, settings.safety_margin_w + reserve.margin_w


def reserve_w(settings: SiteSettings, reserve: StepReserve) -> float:
    """The learned reserve the site keeps on top of its margin: 0 without
    adaptive_reserve."""
    return reserve.margin_w if settings.adaptive_reserve else 0.0


def _capped(
    site: SiteInput,
    cap_w: float,
    net_w: float,
    state: ControlState,
    now: float,
    settings: SiteSettings,
) -> SiteInput:
    """The site with the grid's lower limit on the chargers (`cap_w`) as its limit,
    in the same frame: what is left above the net load and the margin is what the
    chargers may take. The net load is the one the engine's increases follow (its
    highest lately), so that a falling net load does not lower the cap (decreases
    follow the net load of now, below it)."""
    steady_w = net_w
    if site.inputs_usable:
        steady_w = steady_net_w(state.engine, now, net_w, settings.rules)
    limit_w = steady_w + site.safety_margin_w + cap_w
    return replace(site, grid_limit_w=min(site.grid_limit_w, limit_w))


def _net_w(site: SiteInput, state: ControlState) -> float | None:
    """The net load (household - solar) the budget counts: in failsafe the last
    household seen and no solar; None when no household was ever seen (nothing
    fits then anyway)."""
    if site.inputs_usable:
        return site.household_w - site.solar_w
    last = state.engine.last_household_w
    return None if last is None else max(last, 0.0)


def chargers_draw_w(chargers: Sequence[ChargerView], voltage: float) -> float:
    """What the chargers draw now: measured where known, else what a box holds
    while a car may be plugged in."""
    draw_w = 0.0
    for charger in chargers:
        if charger.power_w is not None:
            draw_w += charger.power_w
        elif charger.plugged:
            draw_w += commanded_w(charger, voltage)
    return draw_w


def _grid_limits(
    settings: SiteSettings,
    readings: SiteReadings,
    chargers: Sequence[ChargerView],
    net_w: float | None,
    state: ControlState,
    now: float,
) -> tuple[GridStatus, QuarterPeak]:
    """The quarter counted on to now, and what §14a dimming and the capacity
    tariff leave the chargers.

    The interval since the last step is counted at the net load read then (a
    change of it starts a step at once) plus what the chargers draw now (what
    their boxes held meanwhile, or what they measure)."""
    draw_w = chargers_draw_w(chargers, settings.voltage)
    past_net_w = net_w if state.net_w is None else state.net_w
    quarter = state.quarter.advance(
        state.last_step,
        now,
        max((past_net_w or 0.0) + draw_w, 0.0),
        readings.utc_offset_s,
    )
    import_w = max((net_w or 0.0) + draw_w, 0.0)
    tariff = settings.capacity
    cap_w = None
    if net_w is not None:
        dimming = Dimming(settings.dimming_limit_w) if readings.dimmed else None
        cap_w = chargers_cap_w(net_w, dimming, tariff.import_cap_w(quarter, now))
    grid = GridStatus(
        dimmed=readings.dimmed,
        import_w=import_w,
        chargers_grid_w=max(draw_w - max(-(net_w or 0.0), 0.0), 0.0),
        quarter_average_w=quarter.average_w(now, import_w),
        peak_target_w=tariff.target_w(quarter),
        month_peak_w=quarter.month_peak_w,
        chargers_cap_w=cap_w,
    )
    return grid, quarter


def _energy_kwh(
    chargers: Sequence[ChargerView], last: float | None, now: float, voltage: float
) -> dict[str, float]:
    """Energy of the last interval: measured power where the box measures it (none
    while that reading is unusable); otherwise what it was told, but only while a
    car is known to be plugged in and the box answers and takes its writes."""
    if last is None or now <= last:
        return {}
    hours = (now - last) / 3600
    energy: dict[str, float] = {}
    for charger in chargers:
        if charger.measures_power:
            power = charger.power_w or 0.0
        elif (
            charger.enabled
            and not charger.failing  # what the box holds is not known now
            and (charger.connected or charger.charging)
        ):
            power = commanded_w(charger, voltage)
        else:
            continue
        if power > 0:
            energy[charger.id] = power * hours / 1000
    return energy


def _household(
    settings: SiteSettings, readings: SiteReadings, chargers: Sequence[ChargerView]
) -> tuple[float, tuple[str, ...]]:
    """The household load and the unusable inputs.

    Without a household sensor the load is derived from the grid meter, so each
    charger's power reading is an input too, and the derived load must be plausible.
    """
    unusable = list(readings.unusable)
    if readings.household_w is not None or unusable:
        return readings.household_w or 0.0, tuple(unusable)
    unusable += [
        f"{charger.name or charger.id} power ({charger.power_problem})"
        for charger in chargers
        if charger.power_problem is not None
    ]
    derived = derive_household(readings, chargers, settings.voltage)
    checked = check_power(derived, *site_power_range(settings.grid_limit_w))
    if checked.problem is not None:
        unusable.append(f"household derived from the grid ({checked.problem})")
    return derived, tuple(unusable)


def derive_household(
    readings: SiteReadings, chargers: Sequence[ChargerView], voltage: float
) -> float:
    """Household load from the grid meter: grid + solar - the chargers.

    Each charger's share is what the meter could have seen when it last reported:
    measured power, else what the box holds, and right after a change the lowest it
    held lately. A car drawing less than that leaves as much of its own reserve
    unused, so the site stays under the limit anyway.
    """
    chargers_w = 0.0
    for charger in chargers:
        if charger.power_w is not None:
            chargers_w += charger.power_w
        elif not charger.plugged:
            continue  # no car: the box draws nothing, whatever it holds
        elif charger.holding.changed_at > readings.grid_reported_at - RAMP_S:
            chargers_w += min(commanded_w(charger, voltage), charger.holding.low_w)
        else:
            chargers_w += commanded_w(charger, voltage)
    return (readings.grid_w or 0.0) + (readings.solar_w or 0.0) - chargers_w


def _engine_input(charger: ChargerView, failsafe_current: int) -> ChargerInput:
    min_current, ceiling = charger.min_current, charger.ceiling
    # 0 is a ceiling too (the main fuse pauses a charger that way).
    most = charger.max_current if ceiling is None else ceiling
    if charger.accepts is not None:
        # Within what the box's entity accepts, so no write is clamped.
        min_current = max(min_current, charger.accepts[0])
        ceiling = most = min(most, charger.accepts[1])
    if charger.power_problem is not None:
        # Its own reading is unusable (SPEC §5 rules 5 and 8): this charger is in
        # failsafe, at the failsafe current and never above what it holds.
        held = charger.holding.current or 0
        ceiling = min(most, failsafe_current, held)
    return ChargerInput(
        id=charger.id,
        phases=charger.phases,
        min_current=min_current,
        max_current=charger.max_current,
        ceiling=ceiling,
        profile=charger.profile,
        mode=charger.mode,
        connected=charger.plugged,
        enabled=charger.enabled,
        measured_power_w=charger.power_w,
        last_command=charger.holding.current,
        error=charger.failing,
        plan_w=charger.plan_w,
        switchable=charger.switchable,
    )


def _failsafe_statuses(decision: Decision, chargers: Sequence[ChargerView]) -> Decision:
    """Status failsafe for a charger whose own power reading is unusable."""
    blind = {
        c.id
        for c in chargers
        if c.power_problem is not None
        and decision.chargers[c.id].status not in (Status.OFF, Status.DISCONNECTED)
    }
    if not blind:
        return decision
    return replace(
        decision,
        chargers={
            cid: replace(d, status=Status.FAILSAFE) if cid in blind else d
            for cid, d in decision.chargers.items()
        },
    )


def _decide_with_reserve(
    site: SiteInput,
    chargers: Sequence[ChargerView],
    state: EngineState,
    now: float,
    allow_increase: bool,
    config: EngineConfig,
) -> Decision:
    """The engine's decision with the power set aside that boxes may draw beyond
    what they are told (a failing box, one that cannot pause). A lower limit holds
    in failsafe too.

    Decided again until the set-aside covers what the decision leaves them. If a
    few passes do not settle it, the set-aside is searched between the last one
    tried and all those boxes may hold (which always covers it), keeping the
    smallest that covers it."""

    def held_w(decision: Decision | None) -> float:
        return sum(
            held_above(
                c, 0 if decision is None else decision.chargers[c.id].current or 0
            )
            * site.voltage
            * c.phases
            for c in chargers
        )

    def decide_under(reserved_w: float) -> Decision:
        return decide(
            replace(site, grid_limit_w=site.grid_limit_w - reserved_w),
            inputs,
            state,
            now,
            allow_increase=allow_increase,
            config=config,
        )

    inputs = [_engine_input(charger, site.failsafe_current) for charger in chargers]
    low_w = 0.0
    for _ in range(RESERVE_PASSES):
        decision = decide_under(low_w)
        needed_w = held_w(decision)
        if needed_w <= low_w:
            return decision
        low_w = needed_w
    high_w = held_w(None)
    covered = decide_under(high_w)
    for _ in range(RESERVE_SEARCH_STEPS):
        middle_w = (low_w + high_w) / 2
        decision = decide_under(middle_w)
        if held_w(decision) <= middle_w:
            high_w, covered = middle_w, decision
        else:
            low_w = middle_w
    return covered


def _decide_within_fuse(
    settings: SiteSettings,
    readings: SiteReadings,
    site: SiteInput,
    chargers: Sequence[ChargerView],
    state: ControlState,
    now: float,
    *,
    allow_increase: bool,
) -> tuple[Decision, PhaseCurrents | None, PhaseCount | None]:
    """The engine's decision, every site phase then kept within the main fuse
    (phases.py), and the household's current per phase counted, with what it
    was counted from (_counted_household).

    Without usable phase sensors the household's last currents bound the
    chargers; never seen, every charger is paused."""

    def decide_for(views: Sequence[ChargerView]) -> Decision:
        return _decide_with_reserve(
            site, views, state.engine, now, allow_increase, settings.rules
        )

    fuse_a = settings.main_fuse_a
    if fuse_a <= 0:
        return decide_for(chargers), state.phase_household_a, state.phase_count
    if not allow_increase:
        # No box goes up in this step, so each counts for at most what it holds:
        # the share one cannot take (the fuse capped it at the last regular
        # step) goes to the others up to what they hold, instead of lowering
        # them for it.
        chargers = [_held_at_most(view) for view in chargers]
    decision = decide_for(chargers)
    household_a, phase_count = _counted_household(
        readings, chargers, settings.voltage, state, decision.state
    )
    bound = household_a if household_a is not None else (fuse_a, fuse_a, fuse_a)
    shown = _shown_within_fuse(readings, chargers, fuse_a)
    holding = {view.id: view.holding.current or 0 for view in chargers}

    def fit(decision: Decision) -> dict[str, int]:
        found = _phase_chargers(chargers, decision, settings.rules)
        if shown:
            found = keep_shown(fuse_a, bound, found, holding)
        return fit_fuse(fuse_a, bound, found)

    decision = _fuse_passes(decision, decide_for, fit, chargers)
    return decision, household_a, phase_count


def _fuse_passes(
    decision: Decision,
    decide_for: Callable[[Sequence[ChargerView]], Decision],
    fit: Callable[[Decision], dict[str, int]],
    chargers: Sequence[ChargerView],
) -> Decision:
    """The decision within the fuse. When the fuse (`fit`) lowers chargers, the
    engine decides again with them capped there, so that what they leave goes
    to the others, and the fuse is kept again: until it lowers none (each pass
    only caps more), FUSE_PASSES at most; what the last pass lowers is applied
    as it is."""
    ceilings: dict[str, int] = {}
    lowered = fit(decision)
    for _ in range(FUSE_PASSES):
        if not lowered:
            break
        ceilings.update(lowered)
        decision = decide_for(
            [
                replace(view, ceiling=ceilings[view.id])
                if view.id in ceilings
                else view
                for view in chargers
            ]
        )
        lowered = fit(decision)
    held = {view.id: view.holding.current for view in chargers}
    return apply_limits(decision, lowered, held)


def _held_at_most(view: ChargerView) -> ChargerView:
    """The charger with its ceiling at most what its box holds, when it holds a
    charging current."""
    held = view.holding.current or 0
    if held < view.min_current or (view.ceiling is not None and view.ceiling <= held):
        return view
    return replace(view, ceiling=held)


def _shown_within_fuse(
    readings: SiteReadings, chargers: Sequence[ChargerView], fuse_a: float
) -> bool:
    """Whether every phase sensor reported, settled, since each box last changed
    (the car had RAMP_S to follow) and showed its phase within the fuse: what the
    boxes hold then fits, whatever the household estimate says."""
    if readings.phase_currents_a is None or max(readings.phase_currents_a) > fuse_a:
        return False
    settled = min(readings.phases_reported_at) - RAMP_S
    return all(
        view.holding.current is not None and view.holding.changed_at <= settled
        for view in chargers
        if view.enabled and view.plugged
    )


def _phase_chargers(
    chargers: Sequence[ChargerView], decision: Decision, config: EngineConfig
) -> list[PhaseCharger]:
    """The chargers the integration drives, as the fuse sees them, with their
    place in the fair rotation; one left alone (disabled) counts with the
    household."""
    found = []
    for view in chargers:
        current = decision.chargers[view.id].current
        if current is None:
            continue
        kept = decision.state.chargers.get(view.id) or ChargerState()
        phases = drawn_phases(view.phases, kept.car_phases)
        low = MIN_CHARGE_CURRENT if view.accepts is None else view.accepts[0]
        found.append(
            PhaseCharger(
                view.id,
                site_phases(view.phase_rotation, phases),
                current,
                max(view.min_current, low, MIN_CHARGE_CURRENT),
                view.profile is Profile.PREMIUM,
                held_above(view, 0),
                rank=served_rank(kept, bool(view.holding.current), config),
            )
        )
    return found


def _counted_household(
    readings: SiteReadings,
    chargers: Sequence[ChargerView],
    voltage: float,
    state: ControlState,
    engine: EngineState,
) -> tuple[PhaseCurrents | None, PhaseCount | None]:
    """The household's current per phase, and what it was counted from. A phase
    whose sensor has not reported again keeps its count while the same chargers
    draw on the same phases (`engine`: this step's states): the boxes' writes
    since change what is counted for them, not what the sensor showed, and a
    decrease counted at once would show as household load until the next report
    (and lower the chargers further). Without usable sensors, the last count."""
    if readings.phase_currents_a is None:
        return state.phase_household_a, state.phase_count
    count = PhaseCount(readings.phases_reported_at, _counted_on(chargers, engine))
    fresh = _phase_household(readings, chargers, voltage, count.counted)
    kept, before = state.phase_household_a, state.phase_count
    if kept is None or before is None or before.counted != count.counted:
        return fresh, count
    l1, l2, l3 = (
        kept[p] if count.reported_at[p] == before.reported_at[p] else fresh[p]
        for p in range(3)
    )
    return (l1, l2, l3), count


def _counted_on(
    chargers: Sequence[ChargerView], engine: EngineState
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The chargers the integration drives with a car plugged in, each with the
    site phases this step's states (`engine`) count it on; one left alone
    (disabled) counts with the household, a box without a car draws nothing."""
    counted = []
    for view in chargers:
        if view.enabled and view.plugged:
            kept = engine.chargers.get(view.id)
            phases = drawn_phases(
                view.phases, None if kept is None else kept.car_phases
            )
            counted.append((view.id, site_phases(view.phase_rotation, phases)))
    return tuple(counted)


def _phase_household(
    readings: SiteReadings,
    chargers: Sequence[ChargerView],
    voltage: float,
    counted: tuple[tuple[str, tuple[int, ...]], ...],
) -> PhaseCurrents:
    """The household's current per phase: measured less what each charger
    `counted` draws now on its phases (phases.py): what its box holds (on a
    phase whose sensor reported before the box last changed, the lowest it held
    lately), and no more than its power reading shows.

    A sensor that reports while a car is still ramping up to a new current shows
    the household a little low until its next report; counting the new current
    as household instead would pause and restart a car at a fuse-filling current
    at every report."""
    assert readings.phase_currents_a is not None
    views = {view.id: view for view in chargers}
    draws = []
    for cid, on in counted:
        view = views[cid]
        held = float(view.holding.current or 0)
        # Changed since a sensor reported: it shows what the box held before.
        low = min(held, view.holding.low_w / (voltage * view.phases))
        measured = math.inf
        if view.power_w is not None:
            measured = max(view.power_w, 0.0) / (voltage * len(on))
        changed_at = view.holding.changed_at  # 0: never changed
        for phase in on:
            seen = changed_at < readings.phases_reported_at[phase] or not changed_at
            draws.append(Draw((phase,), min(held if seen else low, measured)))
    return household_currents(readings.phase_currents_a, draws)


def _plan_writes(
    decision: Decision, chargers: Sequence[ChargerView], now: float
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The chargers to lower, then to raise.

    A decrease is tried at once unless the same or a lower one failed within the
    back-off; an increase, or a write not shown, waits for the back-off. A box at
    its floor stays there.
    """
    views = {charger.id: charger for charger in chargers}
    # A write the box took but did not show is tried again once the back-off is
    # over, though the current counted already is the one wanted.
    retries = [
        charger.id
        for charger in chargers
        if charger.attempted is not None
        and charger.attempted == decision.chargers[charger.id].current
        and charger.attempted == charger.holding.current
        and charger.retry_at <= now
    ]
    decreases: list[str] = []
    increases: list[str] = []
    for cid in decision.write_order:
        charger = views[cid]
        current = decision.chargers[cid].current
        held = charger.holding.current
        if current is None or current == held:
            continue
        if current < charger.holding.floor and held == charger.holding.floor:
            continue  # the box is as low as it goes
        backing_off = charger.retry_at > now
        if held is None or current < held:
            if not backing_off or current < (charger.attempted or 0):
                decreases.append(cid)
        elif not backing_off:
            increases.append(cid)
    return tuple(decreases), (*increases, *retries)
