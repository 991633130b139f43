"""The simulator: replays a scenario tick by tick through a charging strategy.

Each tick (`Scenario.tick_s`, at most 10 s):
1. vehicles arrive and leave;
2. the strategy sees the lagged sensors and writes whole-amp setpoints to the boxes;
3. every vehicle draws what its box offers, up to its on-board limit and its taper,
   until it has what its driver asked for.

Household and solar are sampled every `sensor_period_s` and seen `sensor_delay_s`
later, so the strategy always looks `delay .. delay + period - tick` seconds into the
past; load steps fall anywhere between two samples (`Scenario.profile_jitter_s`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bench.scenario import BoolArray, ChargerSpec, FloatArray, Scenario, Session
from custom_components.smart_charging.engine import (
    RULES_AS_WRITTEN,
    EngineConfig,
    Mode,
    Profile,
)
from custom_components.smart_charging.engine.control import (
    ChargerView,
    ControlState,
    Holding,
    SiteReadings,
    SiteSettings,
    StepResult,
    control_step,
)
from custom_components.smart_charging.engine.phases import site_phases

IntArray = npt.NDArray[np.int64]
DEFAULT_CONFIG = EngineConfig()
ENGINE_CYCLE_S = 10  # the integration's regular update interval
ENGINE = "engine"
# The engine with SPEC's rules as written, without the default's refinements for
# calm: what they cost and gain.
AS_WRITTEN = "engine, rules as written"
# The engine keeping the adaptive reserve (site option adaptive_reserve), on the
# plain days it is for: no safety margin, household steps, a few chargers.
ADAPTIVE_RESERVE = "engine, adaptive reserve"
RESERVE_MAX_CHARGERS = 10
EVCC_INTERVAL_S = 30
EVCC_ENABLE_S = 60.0
EVCC_DISABLE_S = 180.0


@dataclass(slots=True)
class World:
    """The site as the simulator knows it: truth, what the sensors show, the boxes."""

    scenario: Scenario
    times: FloatArray
    household: FloatArray  # true, per tick
    solar: FloatArray
    seen_idx: IntArray  # tick whose household/solar reading is shown at each tick
    household_seen: FloatArray
    solar_seen: FloatArray
    sensor_event: BoolArray  # a reading changed at this tick
    offpeak: BoolArray
    specs: dict[str, ChargerSpec]
    setpoint: dict[str, int] = field(default_factory=dict)
    power_w: dict[str, float] = field(default_factory=dict)  # last tick's draw
    active: dict[str, Session | None] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)
    # The phases each box is switched to (its configured ones unless it switches).
    box_phases: dict[str, int] = field(default_factory=dict)
    ev_w: FloatArray = field(default_factory=lambda: np.zeros(0))
    charger_w: dict[str, FloatArray] = field(default_factory=dict)
    # The grid's own limits (bench/grid.py). Each box's wiring (phase_rotation);
    # with a main fuse, the household's current per site phase (true and as the
    # sensors show it, shape (n, 3)) and the cars' (filled in as they draw).
    rotation: dict[str, str] = field(default_factory=dict)
    household_phase_a: FloatArray | None = None
    household_phase_seen_a: FloatArray | None = None
    ev_phase_a: FloatArray | None = None
    dimmed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def phase_currents_seen(self, k: int) -> tuple[float, float, float] | None:
        """The grid connection's L1, L2, L3 currents the sensors show at tick k:
        household and cars as sampled (the cars' draw after that tick's writes)."""
        if self.household_phase_seen_a is None or self.ev_phase_a is None:
            return None
        row = self.household_phase_seen_a[k] + self.ev_phase_a[self.seen_idx[k]]
        return float(row[0]), float(row[1]), float(row[2])

    def write(self, cid: str, amps: int) -> None:
        self.writes[cid] += 1
        self.setpoint[cid] = amps

    def switch(self, cid: str, phases: int) -> None:
        """Switch a paused box between one and three phases (SPEC §5 rule 7)."""
        if self.setpoint[cid]:
            raise ValueError(f"{cid} switched while it holds {self.setpoint[cid]} A")
        self.box_phases[cid] = phases


def make_world(scenario: Scenario, rotations: Mapping[str, str] | None = None) -> World:
    """The site before the day; `rotations` rewires boxes (a what-if)."""
    tick = scenario.tick_s
    period, delay = scenario.sensor_period_s, scenario.sensor_delay_s
    if period % tick or delay % tick:
        raise ValueError("sensor period and delay must be multiples of the tick")
    times = scenario.ticks()
    household = scenario.household_at(times)
    solar = scenario.profile_at(scenario.solar_w, times, "solar")
    sample = np.maximum(np.floor((times - delay) / period), 0.0) * period
    seen_idx = (sample // tick).astype(np.int64)
    household_seen = household[seen_idx]
    solar_seen = solar[seen_idx]
    event = np.zeros(len(times), dtype=bool)
    event[1:] = (np.diff(household_seen) != 0) | (np.diff(solar_seen) != 0)
    specs = {c.id: c for c in scenario.chargers}
    rotation = {c.id: c.phase_rotation for c in scenario.chargers}
    rotation.update(rotations or {})
    phase_w = scenario.household_phases_at(times)
    phase_a = None if phase_w is None else phase_w / scenario.voltage
    dimmed = scenario.dimmed_at(times)
    # The dimming entity's state is pushed at once, and a change of it starts a
    # (decrease) step, as the coordinator does.
    event[1:] |= np.diff(dimmed.astype(np.int8)) != 0
    return World(
        rotation=rotation,
        household_phase_a=phase_a,
        household_phase_seen_a=None if phase_a is None else phase_a[seen_idx],
        ev_phase_a=None if phase_a is None else np.zeros((len(times), 3)),
        dimmed=dimmed,
        scenario=scenario,
        times=times,
        household=household,
        solar=solar,
        seen_idx=seen_idx,
        household_seen=household_seen,
        solar_seen=solar_seen,
        sensor_event=event,
        offpeak=scenario.offpeak_at(times),
        specs=specs,
        setpoint=dict.fromkeys(specs, 0),
        power_w=dict.fromkeys(specs, 0.0),
        active=dict.fromkeys(specs),
        writes=dict.fromkeys(specs, 0),
        box_phases={c.id: c.phases for c in scenario.chargers},
        ev_w=np.zeros(len(times)),
        charger_w={cid: np.zeros(len(times)) for cid in specs},
    )


class Strategy(Protocol):
    """Decides the boxes' setpoints; called once per tick after arrivals."""

    name: str
    # It keeps the sum of its setpoints within the budget, so a setpoint a car does
    # not draw may be power another car goes without (Trace.idle_kwh).
    budgets_by_setpoint: bool

    def step(self, world: World, k: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Trace:
    """What a strategy did over the day, on the simulator's tick grid."""

    strategy: str
    ev_w: FloatArray  # total vehicle power
    delivered_kwh: tuple[float, ...]  # per session
    # Per session: setpoint 0 -> > 0 transitions (but the resume after a phase
    # switch), and phase switches.
    starts: tuple[int, ...] | None
    writes: dict[str, int] | None  # per charger
    run_s: float = 0.0
    # Power commanded (setpoint x voltage x the box's phases) that a plugged car did
    # not draw while other cars took less than they could, up to what they could have
    # taken more: budget held by a car that could not use it (a one-phase car on a
    # three-phase box, the taper, a full car). None where setpoints are not a budget
    # (see Strategy.budgets_by_setpoint).
    idle_kwh: float | None = None
    idle_one_phase_kwh: float | None = None  # of it, one-phase cars on 3-phase boxes
    # Power per tick of each session in mode `solar`, by its index in
    # Scenario.sessions (for the grid's share of solar sessions); None if not kept.
    solar_session_w: dict[int, FloatArray] | None = None
    # Per session: what it had by its declared departure (Session.departure); None
    # if not kept.
    by_departure_kwh: tuple[float, ...] | None = None
    # Wall time of each call of the `smart` planner (plan_site), if any.
    plan_s: tuple[float, ...] | None = None
    phase_switches: tuple[int, ...] | None = None


def solar_sessions(scenario: Scenario) -> list[int]:
    """Indices of the sessions in mode `solar`."""
    return [i for i, s in enumerate(scenario.sessions) if s.mode == "solar"]


def simulate(
    scenario: Scenario, strategy: Strategy, world: World | None = None
) -> Trace:
    world = world or make_world(scenario)
    volts = scenario.voltage
    by_charger: dict[str, list[int]] = {cid: [] for cid in world.specs}
    for i, s in enumerate(scenario.sessions):
        by_charger[s.charger].append(i)
    for items in by_charger.values():
        items.sort(key=lambda i: scenario.sessions[i].arrive_s)
    cursor = dict.fromkeys(by_charger, 0)
    current: dict[str, int | None] = dict.fromkeys(by_charger)
    delivered = [0.0] * len(scenario.sessions)
    cycles = _Cycles(len(scenario.sessions), world.box_phases)
    dt = float(scenario.tick_s)
    idle_j = 0.0
    idle_one_phase_j = 0.0
    ceiling = {cid: box_ceiling_a(scenario, spec) for cid, spec in world.specs.items()}
    departures = _Departures(scenario)
    for k, t in enumerate(world.times):
        departures.take(k, delivered)
        for cid, items in by_charger.items():
            idx = current[cid]
            if idx is not None and t >= scenario.sessions[idx].depart_s:
                current[cid] = None
                world.active[cid] = None
            pos = cursor[cid]
            if current[cid] is None and pos < len(items):
                nxt = scenario.sessions[items[pos]]
                if nxt.arrive_s <= t < nxt.depart_s:
                    current[cid] = items[pos]
                    world.active[cid] = nxt
                    cursor[cid] = pos + 1
                elif t >= nxt.depart_s:
                    cursor[cid] = pos + 1
        strategy.step(world, k)
        total = 0.0
        # Per plugged car: setpoint power it does not draw, how much more its box,
        # profile and battery would let it take, and whether it draws on fewer phases.
        idle: list[tuple[float, float, bool]] = []
        for cid, idx in current.items():
            if idx is None:
                world.power_w[cid] = 0.0
                continue
            sess = scenario.sessions[idx]
            amps = world.setpoint[cid]
            box = world.box_phases[cid]
            cycles.see(idx, cid, amps, box, delivered[idx] < sess.energy_kwh)
            phases = min(sess.car_phases, box)
            car_amps = sess.car_kw * 1000.0 / (volts * sess.car_phases)
            amps_f = min(float(amps), car_amps)
            left_w = (sess.energy_kwh - delivered[idx]) * 3.6e6 / dt
            taken_w = min(sess.taper_w(delivered[idx]), left_w)
            power = max(min(amps_f * volts * phases, taken_w), 0.0)
            could_w = min(min(float(ceiling[cid]), car_amps) * volts * phases, taken_w)
            delivered[idx] += power * dt / 3.6e6
            idle.append(
                (
                    max(amps * volts * box - power, 0.0),
                    max(could_w - power, 0.0),
                    phases < box,
                )
            )
            world.power_w[cid] = power
            world.charger_w[cid][k] = power
            total += power
            _draw_on_phases(world, k, cid, power, phases)
        world.ev_w[k] = total
        held_w, one_phase_w = held_from_others(idle)
        idle_j += held_w * dt
        idle_one_phase_j += one_phase_w * dt
    return Trace(
        strategy=strategy.name,
        ev_w=world.ev_w.copy(),
        delivered_kwh=tuple(delivered),
        starts=tuple(cycles.starts),
        writes=dict(world.writes),
        idle_kwh=idle_j / 3.6e6 if strategy.budgets_by_setpoint else None,
        idle_one_phase_kwh=(
            idle_one_phase_j / 3.6e6 if strategy.budgets_by_setpoint else None
        ),
        solar_session_w=solar_session_w(scenario, world),
        by_departure_kwh=departures.finish(delivered),
        plan_s=_plan_s(strategy),
        phase_switches=tuple(cycles.switches),
    )


class _Cycles:
    """Per session: its starts (setpoint 0 -> > 0, that the car takes) and its 1p/3p
    switches; the resume after a switch's pause is counted as the switch."""

    def __init__(self, sessions: int, box_phases: Mapping[str, int]) -> None:
        self.starts = [0] * sessions
        self.switches = [0] * sessions
        self.offered = [False] * sessions
        self.resume = [False] * sessions  # the next start ends a switch's pause
        self.box_phases = dict(box_phases)

    def see(self, idx: int, cid: str, amps: int, box_phases: int, wants: bool) -> None:
        """Session idx on box cid at this tick: `amps` set, `wants` more energy (a
        full car offered power does not start)."""
        if box_phases != self.box_phases[cid]:
            self.switches[idx] += 1
            self.box_phases[cid] = box_phases
            self.resume[idx] = self.starts[idx] > 0
        if amps > 0 and not self.offered[idx] and wants:
            self.starts[idx] += 0 if self.resume[idx] else 1
            self.resume[idx] = False
        self.offered[idx] = amps > 0


def _draw_on_phases(world: World, k: int, cid: str, power: float, phases: int) -> None:
    """A car's current at tick k on the site phases its box wires its first
    `phases` to (with a main fuse)."""
    if world.ev_phase_a is None or power <= 0:
        return
    amps = power / (world.scenario.voltage * phases)
    for p in site_phases(world.rotation[cid], phases):
        world.ev_phase_a[k, p] += amps


class _Departures:
    """What each session has by its declared departure: taken at the first tick at
    or after it (a car that has left takes nothing more)."""

    def __init__(self, scenario: Scenario) -> None:
        self.due: dict[int, list[int]] = {}
        for i, s in enumerate(scenario.sessions):
            self.due.setdefault(math.ceil(s.departure / scenario.tick_s), []).append(i)
        self.kwh: list[float | None] = [None] * len(scenario.sessions)

    def take(self, k: int, delivered: list[float]) -> None:
        for i in self.due.get(k, ()):
            self.kwh[i] = delivered[i]

    def finish(self, delivered: list[float]) -> tuple[float, ...]:
        """Past the end of the day: what the session had at the end."""
        return tuple(
            delivered[i] if kwh is None else kwh for i, kwh in enumerate(self.kwh)
        )


def _plan_s(strategy: Strategy) -> tuple[float, ...] | None:
    """The planner's wall times of a strategy that plans (bench.smart)."""
    times = getattr(strategy, "plan_s", None)
    return None if times is None else tuple(times)


def solar_session_w(scenario: Scenario, world: World) -> dict[int, FloatArray]:
    """Each `solar` session's power per tick, from its charger's over its stay."""
    result = {}
    for i in solar_sessions(scenario):
        s = scenario.sessions[i]
        present = (world.times >= s.arrive_s) & (world.times < s.depart_s)
        result[i] = np.where(present, world.charger_w[s.charger], 0.0)
    return result


def held_from_others(idle: list[tuple[float, float, bool]]) -> tuple[float, float]:
    """Setpoint power the cars did not draw that the others could have taken, and the
    part of it held by one-phase cars. A car's unused power counts up to what the
    other cars lacked, and all of it together up to what all of them lacked."""
    lacking_w = sum(lack for _, lack, _ in idle)
    held = one_phase = 0.0
    for unused, lack, one in idle:
        counted = min(unused, lacking_w - lack)
        held += counted
        one_phase += counted if one else 0.0
    if held > lacking_w:
        scale = lacking_w / held
        held, one_phase = held * scale, one_phase * scale
    return held, one_phase


def box_ceiling_a(scenario: Scenario, spec: ChargerSpec) -> int:
    """The most a box may give: its maximum, and the standard profile's ceiling."""
    if spec.profile == "standard" and scenario.standard_max_kw > 0:
        per_amp = scenario.voltage * spec.phases
        limit = math.floor(scenario.standard_max_kw * 1000.0 / per_amp + 1e-9)
        return min(spec.max_current, limit)
    return spec.max_current


class EngineStrategy:
    """The integration's control step: a regular step every 10 s, and a decrease-only
    step as soon as a lagged household or solar reading changes (as the coordinator
    does). It counts each car on the phases it has seen it draw on (SPEC §5 rule 1),
    so its budget is not setpoint x the box's phases: the idle figure (counted on
    the box's phases) would mislead, n/a."""

    budgets_by_setpoint = False

    def __init__(
        self,
        name: str = ENGINE,
        config: EngineConfig = DEFAULT_CONFIG,
        *,
        adaptive_reserve: bool = False,
    ) -> None:
        self.name = name
        self.config = config
        self.adaptive_reserve = adaptive_reserve
        self.state = ControlState()
        self.modes: dict[str, Mode] = {}
        # What each box holds and when it last changed, as the coordinator keeps
        # it (the phase household counts a change the sensors have not seen low).
        self.holdings: dict[str, Holding] = {}

    def step(self, world: World, k: int) -> None:
        t = float(world.times[k])
        regular = t % ENGINE_CYCLE_S == 0
        # Phase sensors report with the others: a new report starts a step too.
        reported = (
            world.ev_phase_a is not None
            and k > 0
            and world.seen_idx[k] != world.seen_idx[k - 1]
        )
        if not regular and not world.sensor_event[k] and not reported:
            return
        self.run(world, k, regular)

    def mode(self, session: Session) -> Mode:
        """The engine mode of a plugged car."""
        return Mode(session.mode)

    def plan_w(self, world: World, cid: str, now: float) -> float | None:
        """`smart`: the power the car's plan gives it now (bench.smart)."""
        return None

    def now(self, world: World, k: int) -> float:
        """The time the control step is given (sim time; epoch with a capacity
        tariff, whose quarters follow the clock; bench.smart: epoch)."""
        if world.scenario.peak_limit_kw:
            return float(world.scenario.epoch0 + world.times[k])
        return float(world.times[k])

    def run(self, world: World, k: int, regular: bool) -> StepResult:
        """One control step, its writes done: regular or decrease-only."""
        now = self.now(world, k)
        phases = world.phase_currents_seen(k)
        reported_at = now - float(world.times[k] - world.times[world.seen_idx[k]])
        readings = SiteReadings(
            household_w=float(world.household_seen[k]),
            solar_w=float(world.solar_seen[k]),
            offpeak=bool(world.offpeak[k]),
            dimmed=bool(world.dimmed[k]),
            phase_currents_a=phases,
            phases_reported_at=(reported_at, reported_at, reported_at),
        )
        views = []
        for cid, spec in world.specs.items():
            session = world.active[cid]
            if session is not None:
                self.modes[cid] = self.mode(session)
            views.append(
                ChargerView(
                    id=cid,
                    phases=world.box_phases[cid],
                    min_current=spec.min_current,
                    max_current=spec.max_current,
                    profile=Profile(spec.profile),
                    mode=self.modes.get(cid, Mode.FAST),
                    connected=session is not None,
                    power_w=world.power_w[cid],
                    measures_power=True,
                    holding=self._holding(world, cid),
                    plan_w=None if session is None else self.plan_w(world, cid, now),
                    phase_rotation=world.rotation.get(cid, "L1L2L3"),
                    switchable=spec.switchable,
                )
            )
        result = control_step(
            self.settings(world.scenario),
            readings,
            views,
            self.state,
            now,
            allow_increase=regular,
        )
        self.state = result.state
        # The simulated boxes take every write at once, so the increases follow.
        for cid in (*result.decreases, *result.increases):
            amps = result.decision.chargers[cid].current
            if amps is not None:
                before = self._holding(world, cid)
                world.write(cid, amps)
                per_amp = world.scenario.voltage * world.box_phases[cid]
                self.holdings[cid] = before.moved_to(amps, now, per_amp)
        for cid, decided in result.decision.chargers.items():
            if decided.phases is not None and decided.phases != world.box_phases[cid]:
                world.switch(cid, decided.phases)
        return result

    def _holding(self, world: World, cid: str) -> Holding:
        kept = self.holdings.get(cid)
        if kept is None or kept.current != world.setpoint[cid]:
            return Holding(current=world.setpoint[cid])
        return kept

    def settings(self, scenario: Scenario) -> SiteSettings:
        return SiteSettings(
            grid_limit_w=scenario.limit_w,
            safety_margin_w=scenario.safety_margin_kw * 1000.0,
            standard_max_w=scenario.standard_max_kw * 1000.0,
            voltage=scenario.voltage,
            engine=self.config,
            main_fuse_a=scenario.main_fuse_a,
            dimming_limit_w=scenario.dimming_limit_kw * 1000.0,
            peak_limit_w=scenario.peak_limit_kw * 1000.0,
            follow_monthly_peak=scenario.follow_monthly_peak,
            adaptive_reserve=self.adaptive_reserve,
        )


class UncontrolledStrategy:
    """Every box at its maximum all day: each car charges at full power on arrival."""

    name = "uncontrolled"
    budgets_by_setpoint = False

    def step(self, world: World, k: int) -> None:
        if k == 0:
            for cid, spec in world.specs.items():
                world.setpoint[cid] = spec.max_current


class StaticSplitStrategy:
    """Each box permanently limited to an equal share of the contract (set once at
    installation, so never written again); below the minimum current it stays off."""

    name = "static split"
    budgets_by_setpoint = True

    def step(self, world: World, k: int) -> None:
        if k:
            return
        sc = world.scenario
        share = (sc.limit_w - sc.safety_margin_kw * 1000.0) / len(world.specs)
        for cid, spec in world.specs.items():
            amps = min(math.floor(share / (sc.voltage * spec.phases)), spec.max_current)
            world.setpoint[cid] = amps if amps >= spec.min_current else 0


@dataclass(slots=True)
class _EvccPoint:
    enabled: bool = False
    enable_since: float | None = None
    disable_since: float | None = None


class EvccStrategy:
    """An evcc-style controller (reference/peers.md): every 30 s one loadpoint, in round
    robin, is regulated from the lagged grid meter. pv: start once the surplus has
    covered the minimum for 1 min, stop once it has not for 3 min; now: maximum current,
    capped by the circuit's headroom; minpv: the minimum plus surplus. Off-peak cars
    charge as `now` while off-peak, else as `pv`."""

    name = "evcc-style"
    budgets_by_setpoint = False  # it regulates on the measured grid power

    def __init__(self) -> None:
        self.points: dict[str, _EvccPoint] = {}
        self.turn = 0

    def step(self, world: World, k: int) -> None:
        for cid in world.specs:
            # Unplugged: the charger is disabled and the loadpoint reset.
            if world.active[cid] is None:
                if world.setpoint[cid]:
                    world.write(cid, 0)
                self.points.pop(cid, None)
        t = float(world.times[k])
        if t % EVCC_INTERVAL_S:
            return
        ids = [cid for cid in world.specs if world.active[cid] is not None]
        if not ids:
            return
        cid = ids[self.turn % len(ids)]
        self.turn += 1
        self._regulate(world, k, cid, t)

    def _regulate(
        self,
        world: World,
        k: int,
        cid: str,
        t: float,
        mode: str | None = None,
        granted_w: float = 0.0,
    ) -> None:
        """Regulate one loadpoint in `mode` (its session's by default); `granted_w`
        is power given to loadpoints earlier in the same cycle, which the lagged
        meter does not show yet."""
        sc = world.scenario
        spec = world.specs[cid]
        session = world.active[cid]
        assert session is not None
        point = self.points.setdefault(cid, _EvccPoint())
        j = int(world.seen_idx[k])  # the grid meter lags like the other sensors
        own_w = world.charger_w[cid][j]
        grid_w = world.household_seen[k] - world.solar_seen[k] + world.ev_w[j]
        grid_w += granted_w
        per_amp = sc.voltage * spec.phases
        headroom = sc.limit_w - sc.safety_margin_kw * 1000.0 - grid_w + own_w
        cap = min(math.floor(headroom / per_amp), spec.max_current)
        mode = session.mode if mode is None else mode
        if mode == "off_peak":
            mode = "fast" if world.offpeak[k] else "solar"
        if mode == "fast":
            target = cap if cap >= spec.min_current else 0
            point.enabled = target > 0
        else:
            surplus_amps = math.floor((own_w - grid_w) / per_amp)
            covered = surplus_amps >= spec.min_current
            if mode == "solar_min":
                amps = max(surplus_amps, spec.min_current)
                point.enabled = True
            elif covered:
                point.disable_since = None
                if not point.enabled:
                    if point.enable_since is None:
                        point.enable_since = t
                    point.enabled = t - point.enable_since >= EVCC_ENABLE_S
                amps = surplus_amps
            else:
                point.enable_since = None
                if point.enabled:
                    if point.disable_since is None:
                        point.disable_since = t
                    point.enabled = t - point.disable_since < EVCC_DISABLE_S
                amps = spec.min_current
            amps = min(amps, spec.max_current, cap)
            target = amps if point.enabled and amps >= spec.min_current else 0
        if target != world.setpoint[cid]:
            world.write(cid, target)


def strategies(scenario: Scenario) -> list[Strategy]:
    """The simulated strategies (the optimum is solved, not simulated)."""
    chosen: list[Strategy] = [
        EngineStrategy(),
        # Scored beside the default for what the calm refinements change.
        EngineStrategy(AS_WRITTEN, RULES_AS_WRITTEN),
    ]
    if reserve_applies(scenario):
        chosen.append(EngineStrategy(ADAPTIVE_RESERVE, adaptive_reserve=True))
    return [*chosen, UncontrolledStrategy(), StaticSplitStrategy(), EvccStrategy()]


def reserve_applies(scenario: Scenario) -> bool:
    """The adaptive reserve is scored on the plain days (no PV day, `smart` or
    grid limit: no tag), without a safety margin, with a few chargers."""
    return (
        not scenario.tags
        and not scenario.has_smart
        and not scenario.has_grid_limits
        and scenario.safety_margin_kw == 0
        and len(scenario.chargers) <= RESERVE_MAX_CHARGERS
    )
