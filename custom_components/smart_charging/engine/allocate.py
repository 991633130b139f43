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
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
)

DEFAULT_CONFIG = EngineConfig()
TIERS = (Profile.PREMIUM, Profile.STANDARD)
# IEC 61851 cars do not charge below 6 A, so a lower configured minimum is raised to it:
# a charger never gets 1-5 A.
MIN_CHARGE_CURRENT = 6


@dataclass(slots=True, eq=False)
class _Slot:
    """A charger being allocated: its limits in amps and watts, and its share so far."""

    charger: ChargerInput
    watts_per_amp: float
    min_current: int
    ceiling: int
    rank: tuple[float, int, str]
    target: int = 0
    capped: bool = False  # paused because the budget could not fit its minimum

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
    states = _advance_states(chargers, state, now)
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
    elif state.last_household_w is not None:
        # Nothing is known now: assume the last household seen and no solar at all.
        household = state.last_household_w
        net_load = max(household, 0.0)
        surplus = 0.0
    else:
        # No household was ever seen, so no current can be shown to fit: pause all.
        household = 0.0
        net_load = math.inf
        surplus = 0.0
    budget = site.grid_limit_w - site.safety_margin_w - net_load - disabled_w
    budget_w = max(budget, 0.0)

    slots: dict[str, _Slot] = {}
    for charger in chargers:
        if charger.enabled and charger.connected and charger.mode is not Mode.OFF:
            slots[charger.id] = _make_slot(charger, site, states[charger.id], config)

    if site.inputs_usable:
        _allocate(list(slots.values()), site, states, budget, surplus, now, config)
    else:
        _allocate_failsafe(list(slots.values()), site, budget)

    decisions: dict[str, ChargerDecision] = {}
    decreases: list[tuple[int, str]] = []
    increases: list[tuple[int, str]] = []
    deadband = config.deadband_a
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
            if (
                last is not None
                and current > last
                and (not allow_increase or (last > 0 and current - last < deadband))
            ):
                # Hold the box where it is: increases wait for a regular cycle, and a
                # move inside the dead-band is not worth a write. A held setpoint must
                # still be valid (last < current <= ceiling: only the minimum can fail).
                current = last if last >= slot.min_current else 0
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
        ),
    )


def _advance_states(
    chargers: Sequence[ChargerInput], state: EngineState, now: float
) -> dict[str, ChargerState]:
    """Carry each charger's state to `now`: served time grows, unplugging resets."""
    elapsed = 0.0 if state.last_time is None else max(now - state.last_time, 0.0)
    states: dict[str, ChargerState] = {}
    for charger in chargers:
        kept = state.chargers.get(charger.id)
        if kept is None or not charger.connected:
            states[charger.id] = ChargerState()
        elif charger.last_command and elapsed:
            # Built directly: dataclasses.replace is the slowest part at 1000 chargers.
            states[charger.id] = ChargerState(
                kept.solar_running,
                kept.surplus_since,
                kept.deficit_since,
                kept.served_s + elapsed,
            )
        else:
            states[charger.id] = kept
    return states


def _make_slot(
    charger: ChargerInput, site: SiteInput, state: ChargerState, config: EngineConfig
) -> _Slot:
    watts_per_amp = site.voltage * charger.phases
    ceiling = charger.max_current
    if charger.ceiling is not None:
        ceiling = min(ceiling, charger.ceiling)
    if charger.profile is Profile.STANDARD and site.standard_max_w > 0:
        ceiling = min(ceiling, math.floor(site.standard_max_w / watts_per_amp + 1e-9))
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
        max(charger.min_current, MIN_CHARGE_CURRENT),
        max(ceiling, 0),
        rank,
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
    now: float,
    config: EngineConfig,
) -> None:
    """Share the budget tier by tier: premium first, the rest to standard."""
    for tier in TIERS:
        members = sorted((s for s in slots if s.charger.profile is tier), key=_rank)
        grid: list[_Slot] = []
        with_min: list[_Slot] = []
        solar: list[_Slot] = []  # solar, and off_peak outside off-peak hours
        for slot in members:
            if not slot.fits:
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
                states[cid] = ChargerState(served_s=kept.served_s)

        # Solar chargers first: running ones keep their minimum, then starters in
        # rank order, each reserving its minimum, so two cars never start on one
        # car's surplus.
        running: list[_Slot] = []
        solar.sort(key=lambda s: (not states[s.charger.id].solar_running, _rank(s)))
        for slot in solar:
            cid = slot.charger.id
            states[cid] = _solar_hysteresis(
                states[cid], surplus >= slot.min_w, now, config
            )
            if not states[cid].solar_running:
                continue
            if budget >= slot.min_w:
                running.append(slot)
                budget -= slot.min_w
                surplus -= slot.min_w
            else:
                slot.capped = True

        # Minimums of the chargers that may draw from the grid, in fair rotation order.
        floored: list[_Slot] = []
        for slot in sorted(grid + with_min, key=_rank):
            if budget >= slot.min_w:
                floored.append(slot)
                budget -= slot.min_w
                surplus -= slot.min_w
            else:
                slot.capped = True
        for slot in running + floored:
            slot.target = slot.min_current

        # Surplus on top of the solar minimums, then the grid chargers up to the budget.
        topped = running + [s for s in floored if s.charger.mode is Mode.SOLAR_MIN]
        pool = min(max(surplus, 0.0), budget)
        used = _water_fill(topped, pool)
        budget -= used
        surplus -= used
        used = _water_fill(
            [s for s in floored if s.charger.mode is not Mode.SOLAR_MIN], budget
        )
        budget -= used
        surplus -= used
        if any(s.capped for s in members):
            # A premium charger left paused by the cap keeps standard ones from
            # taking the power it could not fit in: premium is served first.
            budget = min(budget, 0.0)


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


def _solar_hysteresis(
    state: ChargerState, covered: bool, now: float, config: EngineConfig
) -> ChargerState:
    """Start once the surplus covered the minimum for a while; stop once it did not."""
    if covered:
        since = state.surplus_since if state.surplus_since is not None else now
        running = state.solar_running or now - since >= config.solar_start_delay_s
        return ChargerState(running, since, None, state.served_s)
    since = state.deficit_since if state.deficit_since is not None else now
    running = state.solar_running and now - since < config.solar_stop_delay_s
    return ChargerState(running, None, since if running else None, state.served_s)


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
