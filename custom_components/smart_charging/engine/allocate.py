"""One engine step: from the site, the chargers and the kept state to the currents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

from .model import (
    ChargerDecision,
    ChargerInput,
    ChargerState,
    Decision,
    DemandState,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
)

DEFAULT_CONFIG = EngineConfig()
UNPLUGGED = ChargerState()
TIERS = (Profile.PREMIUM, Profile.STANDARD)
# IEC 61851 cars do not charge below 6 A, so a lower configured minimum is raised to it:
# a charger never gets 1-5 A.
MIN_CHARGE_CURRENT = 6
# Learning what a car takes. A meter reads a little high when the voltage is above
# nominal, so a draw counts as needing another phase only past this share of a phase.
PHASE_TOLERANCE = 0.2
BELOW_SHARE = 0.9  # drawing under this share of the offer is "taking less"
SATURATED_A = 0.25  # drawing within this of the offer is "taking all it gets"
CAP_HEADROOM_A = 0.75  # a cap is at least this (and under 1.75 A) above the draw
# Under 1 A on one phase a car is not charging: a charging car takes at least 6 A.
IDLE_A = 1.0
# The solar restart delay and a full car's wait for the next offer double at most this
# many times (both are capped long before anyway).
MAX_BACKOFF_STEPS = 16


@dataclass(slots=True, eq=False)
class _Slot:
    """A charger being allocated: its limits in amps and watts, and its share so far."""

    charger: ChargerInput
    watts_per_amp: float
    min_current: int
    ceiling: int
    rank: tuple[float, int, str]
    full: bool = False  # its car took nothing when offered power: served last
    target: int = 0
    capped: bool = False  # paused because the budget could not fit its minimum
    follows: bool = False  # its top-up follows the (averaged) surplus

    @property
    def fits(self) -> bool:
        """Whether a current exists between its minimum and its ceiling."""
        return self.ceiling >= self.min_current

    @property
    def min_w(self) -> float:
        return self.min_current * self.watts_per_amp

    @property
    def ceiling_w(self) -> float:
        return self.ceiling * self.watts_per_amp


def decide(
    site: SiteInput,
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    *,
    allow_increase: bool = True,
    config: EngineConfig = DEFAULT_CONFIG,
) -> Decision:
    """Decide the current of every charger.

    `allow_increase` is False for a step triggered by a load or solar change: such a
    step only lowers currents; increases wait for the next regular cycle.
    """
    states = _advance_states(chargers, state, now, site.voltage, config)
    # A disabled charger is left alone but still draws: reserve what it measures, or
    # else what it was last told.
    disabled_w = 0.0
    for c in chargers:
        if not c.enabled and c.connected:
            if c.measured_power_w is not None:
                disabled_w += max(c.measured_power_w, 0.0)
            else:
                disabled_w += (c.last_command or 0) * site.voltage * c.phases
    if site.inputs_usable:
        household = site.household_w
        net_load = site.household_w - site.solar_w
        surplus = site.solar_w - site.household_w - disabled_w
        average = _average(state, surplus, now, config)
    elif state.last_household_w is not None:
        # Nothing is known now: assume the last household seen and no solar at all.
        household = state.last_household_w
        net_load = max(household, 0.0)
        surplus = 0.0
        average = None
    else:
        # No household was ever seen, so no current can be shown to fit: pause all.
        household = 0.0
        net_load = math.inf
        surplus = 0.0
        average = None
    budget = site.grid_limit_w - site.safety_margin_w - net_load - disabled_w
    budget_w = max(budget, 0.0)

    slots: dict[str, _Slot] = {}
    for charger in chargers:
        if charger.enabled and charger.connected and charger.mode is not Mode.OFF:
            slots[charger.id] = _make_slot(charger, site, states[charger.id], config)

    if average is not None:
        _allocate(
            list(slots.values()), site, states, budget, surplus, average, now, config
        )
    else:
        _allocate_failsafe(list(slots.values()), site, budget)

    decisions: dict[str, ChargerDecision] = {}
    decreases: list[tuple[int, str]] = []
    increases: list[tuple[int, str]] = []
    deadband = config.deadband_a
    surplus_deadband = config.surplus_deadband_a
    held: list[_Slot] = []  # surplus top-ups lowered within the dead-band
    # Budget left over by the allocation, for rises to a ceiling inside the dead-band.
    spare_w = budget - sum(s.target * s.watts_per_amp for s in slots.values())
    for charger in chargers:
        if not charger.enabled:
            decisions[charger.id] = ChargerDecision(
                charger.id, None, Status.OFF, 0.0, write=False
            )
            continue
        slot = slots.get(charger.id)
        last = charger.last_command
        if slot is None:
            current = 0
            status = Status.OFF if charger.connected else Status.DISCONNECTED
        else:
            current = slot.target
            if last is not None and current > last:
                # A top-up following the surplus has its own dead-band: the surplus
                # moves both ways, and a wider band for increases than for the
                # decreases would ratchet it below the surplus under noise.
                band = surplus_deadband if slot.follows else deadband
                # A rise to the ceiling inside the dead-band is written when the
                # budget has room for the whole band, as if there were no ceiling:
                # with room to spare a charger would else sit below its maximum,
                # and a budget hovering at the ceiling still does not flood the box.
                # Each such rise uses that room up.
                room_w = (last + band - current) * slot.watts_per_amp
                to_ceiling = (
                    current == slot.ceiling and not slot.follows and spare_w >= room_w
                )
                if not allow_increase or (
                    last > 0 and current - last < band and not to_ceiling
                ):
                    # Hold the box where it is: increases wait for a regular cycle, and
                    # a move inside the dead-band is not worth a write. A held setpoint
                    # must still be valid (last < current <= ceiling: only the minimum
                    # can fail).
                    current = last if last >= slot.min_current else 0
                elif to_ceiling and current - last < band:
                    spare_w -= room_w
            elif (
                slot.follows
                and last is not None
                and current >= slot.min_current
                and current < last <= slot.ceiling
                and last - current < surplus_deadband
            ):
                held.append(slot)
            status = _status(slot, current, site)
        write = last is None or current != last
        decisions[charger.id] = ChargerDecision(
            charger.id,
            current,
            status,
            current * site.voltage * charger.phases,
            write=write,
        )
        if write:
            step = current - (last or 0)
            (decreases if last is None or step < 0 else increases).append(
                (step, charger.id)
            )
    if held and not any(s.capped for s in slots.values()):
        room_w = budget - sum(d.power_w for d in decisions.values())
        kept = _hold_small_decreases(held, room_w, decisions, site)
        if kept:
            decreases = [d for d in decreases if d[1] not in kept]
    decreases.sort()
    increases.sort(reverse=True)
    write_order = tuple(cid for _, cid in decreases) + tuple(
        cid for _, cid in increases
    )

    return Decision(
        chargers=decisions,
        write_order=write_order,
        budget_w=budget_w,
        surplus_w=max(surplus, 0.0),
        household_w=household,
        failsafe=not site.inputs_usable,
        state=EngineState(
            chargers=states,
            last_time=now,
            last_household_w=site.household_w
            if site.inputs_usable
            else state.last_household_w,
            surplus_avg_w=average,
        ),
    )


def _advance_states(
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> dict[str, ChargerState]:
    """Carry each charger's state to `now`: served time grows, what the car takes is
    learned from its draw, unplugging resets."""
    elapsed = 0.0 if state.last_time is None else max(now - state.last_time, 0.0)
    states: dict[str, ChargerState] = {}
    for charger in chargers:
        if not charger.connected:
            states[charger.id] = UNPLUGGED
            continue
        kept = state.chargers.get(charger.id) or UNPLUGGED
        demand = kept.demand
        command = charger.last_command or 0
        if (
            command != demand.command
            or demand.command_since is None
            or demand.full_since is not None
            or (charger.measured_power_w is not None and command >= MIN_CHARGE_CURRENT)
        ):
            # Skipped when there is nothing to learn: it is the hot loop.
            demand = _learn_demand(charger, demand, now, voltage, config)
        served = kept.served_s + elapsed if charger.last_command else kept.served_s
        if demand is not kept.demand or served != kept.served_s:
            # Built directly: dataclasses.replace is the slowest part at 1000 chargers.
            kept = ChargerState(
                kept.solar_running,
                kept.surplus_since,
                kept.deficit_since,
                served,
                demand,
                kept.solar_stops,
            )
        states[charger.id] = kept
    return states


def _learn_demand(
    charger: ChargerInput,
    kept: DemandState,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> DemandState:
    """Learn from the measured draw how much the car takes of what it is offered.

    A car that persistently draws less than offered (an 11 kW car on a 22 kW box, a
    one-phase car offered more than it takes, the taper near full) is capped at its
    draw plus about 1 A, so the budget it cannot use goes to others; one that draws
    nothing is taken as full. A car that takes all it is offered at its cap loses the
    cap at once: it may want more. The cap only lowers a ceiling, so SPEC §5 rule 1
    (on commanded current x voltage x configured phases) is untouched.
    """
    command = charger.last_command or 0
    if kept.command_since is None or command != kept.command:
        # A new setpoint: the car and the meter need time to follow. A window of
        # taking less survives a change between two charging setpoints only.
        keep = command >= MIN_CHARGE_CURRENT and kept.command >= MIN_CHARGE_CURRENT
        return DemandState(
            command,
            now,
            kept.phases,
            kept.phases_known,
            kept.below_since if keep else None,
            kept.below_peak_w if keep else 0.0,
            kept.cap,
            kept.probing,
            kept.full_since,
            kept.refused,
        )
    power = charger.measured_power_w
    if (
        power is None
        or command < MIN_CHARGE_CURRENT
        or now - kept.command_since < config.demand_settle_s
    ):
        if (
            command == 0
            and kept.full_since is not None
            and now - kept.full_since >= _reprobe_after(kept.refused, config)
        ):
            # Paused as full for a while: offer it power again to see.
            return DemandState(
                command,
                kept.command_since,
                kept.phases,
                kept.phases_known,
                refused=kept.refused,
            )
        return kept
    power = max(power, 0.0)
    phases = kept.phases
    known = kept.phases_known
    # More power than one phase carries at this setpoint proves more phases. Until
    # the count is known, the fewest consistent with what was seen gives the highest
    # estimate of its current: an error that way never starves a car.
    seen = math.ceil(power / (command * voltage) - PHASE_TOLERANCE)
    if seen > phases:
        phases = min(seen, charger.phases)
    if phases >= charger.phases:
        known = True
    drawn = power / (phases * voltage)
    if drawn >= command - SATURATED_A:
        # It takes all it gets. Under a probing cap this shows it draws on `phases`
        # phases; at its cap it may want more, so the cap goes.
        known = known or kept.probing
        cap = kept.cap
        if cap is not None and command >= cap - 1:
            cap = None
        if (
            cap is kept.cap
            and known is kept.phases_known
            and phases == kept.phases
            and kept.below_since is None
            and kept.full_since is None
            and not kept.refused
        ):
            return kept
        return DemandState(
            command,
            kept.command_since,
            phases,
            known,
            cap=cap,
            probing=kept.probing and cap is not None,
        )
    if drawn >= command * BELOW_SHARE:
        # Close to the offer: a car at its cap, or following its setpoint.
        if (
            kept.below_since is None
            and kept.full_since is None
            and not kept.refused
            and phases == kept.phases
            and known is kept.phases_known
        ):
            return kept
        return DemandState(
            command,
            kept.command_since,
            phases,
            known,
            cap=kept.cap,
            probing=kept.probing and not known,
        )
    since = kept.below_since
    peak = power
    if since is None:
        since = now
    else:
        peak = max(kept.below_peak_w, power)
    if now - since < config.demand_window_s:
        return DemandState(
            command,
            kept.command_since,
            phases,
            known,
            since,
            peak,
            kept.cap,
            kept.probing,
            kept.full_since,
            # Drawing power (not only less than offered) ends a run of refusals.
            0 if power >= IDLE_A * voltage else kept.refused,
        )
    # Taken less for the whole window: learn from its peak draw in it, then watch
    # a new window (the taper goes on lowering it).
    if peak < IDLE_A * voltage:
        return DemandState(
            command,
            kept.command_since,
            phases,
            known,
            full_since=now,
            # Only a verdict after an offer counts: a full car kept at its minimum
            # (nobody else needs the power) is judged again every window.
            refused=kept.refused + (kept.full_since is None),
        )
    # While fewer phases are not ruled out, the cap first assumes them all: if the
    # car then takes all of that smaller offer, its phases are known and the cap
    # goes; if not, the offer was not what held it and the cap stands.
    counted = phases if known else charger.phases
    cap = math.ceil(peak / (counted * voltage) + CAP_HEADROOM_A)
    return DemandState(
        command, kept.command_since, phases, known, cap=cap, probing=not known
    )


def _reprobe_after(refused: int, config: EngineConfig) -> float:
    """How long a full car waits paused before it is offered power again: twice as
    long for each time in a row it was found full."""
    return min(
        config.demand_reprobe_s * 2.0 ** min(max(refused - 1, 0), MAX_BACKOFF_STEPS),
        max(config.demand_reprobe_max_s, config.demand_reprobe_s),
    )


def _make_slot(
    charger: ChargerInput, site: SiteInput, state: ChargerState, config: EngineConfig
) -> _Slot:
    watts_per_amp = site.voltage * charger.phases
    ceiling = charger.max_current
    if charger.ceiling is not None:
        ceiling = min(ceiling, charger.ceiling)
    if charger.profile is Profile.STANDARD and site.standard_max_w > 0:
        ceiling = min(ceiling, math.floor(site.standard_max_w / watts_per_amp + 1e-9))
    demand = state.demand
    min_current = max(charger.min_current, MIN_CHARGE_CURRENT)
    if demand.cap is not None:
        # What the car takes, but never below a current the box can offer.
        ceiling = min(ceiling, max(demand.cap, min_current))
    charging = bool(charger.last_command)
    # Least served first; a charging one keeps its place until it is a rotation
    # period ahead of a waiting one, so a full site rotates instead of starving anyone.
    rank = (
        state.served_s - (config.rotation_period_s if charging else 0.0),
        int(charging),
        charger.id,
    )
    return _Slot(
        charger,
        watts_per_amp,
        min_current,
        max(ceiling, 0),
        rank,
        full=demand.full_since is not None,
    )


def _takes_grid(charger: ChargerInput, offpeak: bool) -> bool:
    """Whether the mode allows power from the grid beyond the minimum."""
    return charger.mode is Mode.FAST or (charger.mode is Mode.OFF_PEAK and offpeak)


def _allocate(
    slots: list[_Slot],
    site: SiteInput,
    states: dict[str, ChargerState],
    budget: float,
    surplus: float,
    average: float,
    now: float,
    config: EngineConfig,
) -> None:
    """Share the budget tier by tier: premium first, the rest to standard; cars that
    took nothing when offered power (full) get their minimum only from what is left.

    `surplus` is the surplus now, `average` its exponential average: both are lowered
    alike by what each charger takes. Starts and stops look at both; top-ups follow
    the average (within the budget, which is always the one of now)."""
    full: list[_Slot] = []
    for tier in TIERS:
        members = sorted((s for s in slots if s.charger.profile is tier), key=_rank)
        grid: list[_Slot] = []
        with_min: list[_Slot] = []
        solar: list[_Slot] = []  # solar, and off_peak outside off-peak hours
        for slot in members:
            if not slot.fits:
                continue
            if slot.full:
                # Its solar timers still run, so it resumes as it would have.
                if not _takes_grid(slot.charger, site.offpeak):
                    cid = slot.charger.id
                    if slot.charger.mode is Mode.SOLAR_MIN:
                        full.append(slot)
                    else:
                        states[cid] = _solar_hysteresis(
                            states[cid], surplus, average, slot.min_w, now, config
                        )
                        if states[cid].solar_running:
                            full.append(slot)
                    continue
                full.append(slot)
                continue
            if _takes_grid(slot.charger, site.offpeak):
                grid.append(slot)
            elif slot.charger.mode is Mode.SOLAR_MIN:
                with_min.append(slot)
            else:
                solar.append(slot)
                continue
            cid = slot.charger.id
            kept = states[cid]
            if kept.solar_running or kept.surplus_since is not None:
                # Not on surplus now (e.g. off-peak began): when it is again, it has to
                # earn its start afresh instead of resuming on a stale timer.
                states[cid] = ChargerState(
                    served_s=kept.served_s,
                    demand=kept.demand,
                    solar_stops=kept.solar_stops,
                )

        # Solar chargers first: running ones keep their minimum, then starters in
        # rank order, each reserving its minimum, so two cars never start on one
        # car's surplus.
        running: list[_Slot] = []
        solar.sort(key=lambda s: (not states[s.charger.id].solar_running, _rank(s)))
        for slot in solar:
            cid = slot.charger.id
            states[cid] = _solar_hysteresis(
                states[cid], surplus, average, slot.min_w, now, config
            )
            if not states[cid].solar_running:
                continue
            if budget >= slot.min_w:
                running.append(slot)
                budget -= slot.min_w
                surplus -= slot.min_w
                average -= slot.min_w
            else:
                slot.capped = True

        # Minimums of the chargers that may draw from the grid, in fair rotation order.
        floored: list[_Slot] = []
        for slot in sorted(grid + with_min, key=_rank):
            if budget >= slot.min_w:
                floored.append(slot)
                budget -= slot.min_w
                if slot.charger.mode is not Mode.SOLAR_MIN:
                    # A solar_min minimum comes from the grid: the surplus goes on
                    # top of it (SPEC §4).
                    surplus -= slot.min_w
                    average -= slot.min_w
            else:
                slot.capped = True
        for slot in running:
            slot.target = slot.min_current
            slot.follows = True
        for slot in floored:
            slot.target = slot.min_current
            slot.follows = slot.charger.mode is Mode.SOLAR_MIN

        # Surplus first to the chargers that can only charge from it, then on top of
        # the solar_min minimums (which the grid already covers), then the grid
        # chargers up to the budget.
        for topped in (
            running,
            [s for s in floored if s.charger.mode is Mode.SOLAR_MIN],
        ):
            used = _water_fill(topped, min(max(average, 0.0), budget))
            budget -= used
            surplus -= used
            average -= used
        used = _water_fill(
            [s for s in floored if s.charger.mode is not Mode.SOLAR_MIN], budget
        )
        budget -= used
        surplus -= used
        average -= used
        if any(s.capped for s in members):
            # A premium charger left paused by the cap keeps standard ones from
            # taking the power it could not fit in: premium is served first.
            budget = min(budget, 0.0)
    # A full car is offered its minimum when nobody else can use it, so it is seen
    # at once if it takes power again; else it waits paused by the cap.
    for slot in sorted(full, key=_rank):
        if budget >= slot.min_w:
            slot.target = slot.min_current
            budget -= slot.min_w
        else:
            slot.capped = True


def _allocate_failsafe(slots: list[_Slot], site: SiteInput, budget: float) -> None:
    """Each charger at the failsafe current, never above its present one, in budget.

    Lowest priority is paused first: once one does not fit, none after it in priority
    order gets anything, so no standard charger runs while a premium one is paused.
    """
    for tier in TIERS:
        for slot in sorted((s for s in slots if s.charger.profile is tier), key=_rank):
            charger = slot.charger
            current = min(site.failsafe_current, slot.ceiling)
            if charger.last_command is not None:
                current = min(current, charger.last_command)
            if current < slot.min_current:
                continue
            if current * slot.watts_per_amp > budget:
                slot.capped = True
                budget = min(budget, 0.0)
                continue
            slot.target = current
            budget -= current * slot.watts_per_amp


def _water_fill(slots: list[_Slot], pool_w: float) -> float:
    """Raise the slots above their current target toward an equal power, within pool_w.

    Returns the power handed out. Currents are whole amps, rounded down; what rounding
    leaves is handed out one amp at a time in rank order.
    """
    if not slots or pool_w <= 0:
        return 0.0
    base = [s.target * s.watts_per_amp for s in slots]
    level = _level(base, [s.ceiling_w for s in slots], pool_w + sum(base))
    handed = 0.0
    for slot, floor_w in zip(slots, base, strict=True):
        share = min(max(level, floor_w), slot.ceiling_w)
        amps = max(math.floor(share / slot.watts_per_amp + 1e-9), slot.target)
        handed += (amps - slot.target) * slot.watts_per_amp
        slot.target = amps
    for slot in sorted(slots, key=_rank):
        if slot.target < slot.ceiling and handed + slot.watts_per_amp <= pool_w + 1e-6:
            slot.target += 1
            handed += slot.watts_per_amp
    return handed


def _level(floors: list[float], ceilings: list[float], total: float) -> float:
    """The level L at which sum(clamp(L, floor, ceiling)) == total, for total above
    sum(floors); inf when even every ceiling is below total.

    The sum rises piecewise linearly in L: each slot joins the rise at its floor and
    leaves it at its ceiling, so a sweep over those points finds L exactly.
    """
    events = sorted([(f, 1) for f in floors] + [(c, -1) for c in ceilings])
    value = sum(floors)  # the sum at `at`
    at = events[0][0]
    slope = 0  # slots between their floor and their ceiling
    for point, delta in events:
        reached = value + slope * (point - at)
        if reached >= total and slope > 0:
            return at + (total - value) / slope
        value, at = reached, point
        slope += delta
    return math.inf


def _average(
    state: EngineState, surplus: float, now: float, config: EngineConfig
) -> float:
    """The surplus as an exponential average over surplus_smoothing_s."""
    previous = state.surplus_avg_w
    tau = config.surplus_smoothing_s
    if previous is None or state.last_time is None or tau <= 0:
        return surplus
    elapsed = max(now - state.last_time, 0.0)
    return previous + (surplus - previous) * -math.expm1(-elapsed / tau)


def _solar_hysteresis(
    state: ChargerState,
    surplus: float,
    average: float,
    min_w: float,
    now: float,
    config: EngineConfig,
) -> ChargerState:
    """Start once the surplus covered the minimum for a while; stop once it did not.

    SPEC §4's delays, refined for a fluctuating surplus. The first start and stop of
    a session follow the plain delays exactly. A stop shows that the surplus comes
    and goes: from then on each restart needs a longer run of surplus (doubled per
    stop, capped) and the average to cover most of the minimum, and a running car
    rides a cloud out while the average still covers a share of its minimum, for at
    most solar_ride_max_s; a steady deficit brings the average down and stops it.
    An hour or so without surplus (a night) starts the count afresh.
    """
    stops = state.solar_stops
    if surplus >= min_w:
        since = state.surplus_since if state.surplus_since is not None else now
        running = state.solar_running
        if not running and now - since >= config.solar_start_delay_s:
            running = stops == 0 or (
                now - since
                >= min(
                    config.solar_start_delay_s
                    * config.solar_restart_backoff ** min(stops, MAX_BACKOFF_STEPS),
                    config.solar_start_delay_max_s,
                )
                and average >= min_w * config.solar_restart_share
            )
        return ChargerState(running, since, None, state.served_s, state.demand, stops)
    since = state.deficit_since if state.deficit_since is not None else now
    lasted = now - since
    running = state.solar_running and (
        lasted < config.solar_stop_delay_s
        or (
            stops > 0
            and lasted < config.solar_ride_max_s
            and average >= min_w * config.solar_ride_share
        )
    )
    if state.solar_running and not running:
        stops += 1
    elif not running and lasted >= config.solar_stops_reset_s:
        stops = 0  # a long time without surplus (a night): a fresh start
    return ChargerState(running, None, since, state.served_s, state.demand, stops)


def _hold_small_decreases(
    held: list[_Slot],
    room_w: float,
    decisions: dict[str, ChargerDecision],
    site: SiteInput,
) -> set[str]:
    """Keep surplus top-ups that fell by less than the dead-band where they are, as
    far as the budget of now leaves room (`room_w`): a decrease the cap needs is never
    held, nor one while a charger is paused by the cap. Returns the ids kept."""
    kept: set[str] = set()
    for slot in sorted(held, key=_rank):
        charger = slot.charger
        last = charger.last_command or 0
        extra = (last - slot.target) * slot.watts_per_amp
        if extra <= room_w + 1e-6:
            room_w -= extra
            kept.add(charger.id)
            decisions[charger.id] = ChargerDecision(
                charger.id,
                last,
                decisions[charger.id].status,
                last * site.voltage * charger.phases,
                write=False,
            )
    return kept


def _rank(slot: _Slot) -> tuple[float, int, str]:
    return slot.rank


def _status(slot: _Slot, current: int, site: SiteInput) -> Status:
    charger = slot.charger
    if not site.inputs_usable:
        return Status.FAILSAFE
    if charger.error:
        return Status.ERROR
    if current > 0:
        return Status.CHARGING
    if slot.capped or not slot.fits or _takes_grid(charger, site.offpeak):
        return Status.PAUSED_BY_CAP
    if charger.mode is Mode.OFF_PEAK:
        return Status.WAITING_FOR_OFF_PEAK
    return Status.WAITING_FOR_SOLAR
