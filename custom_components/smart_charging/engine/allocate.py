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


@dataclass(slots=True, eq=False)
class _Slot:
    """A charger being allocated: its limits in amps and watts, and its share so far."""

    charger: ChargerInput
    watts_per_amp: float
    ceiling: int
    rank: tuple[float, int, str]
    target: int = 0
    cap_reason: bool = False  # paused because the budget could not fit it

    @property
    def min_w(self) -> float:
        return self.charger.min_current * self.watts_per_amp

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
    disabled_w = sum(
        c.measured_power_w or 0.0 for c in chargers if not c.enabled and c.connected
    )
    if site.inputs_usable:
        household = site.household_w
        net_load = site.household_w - site.solar_w
        surplus = site.solar_w - site.household_w - disabled_w
    else:
        # Nothing is known now: assume the last household seen and no solar at all.
        household = state.last_household_w or 0.0
        net_load = max(household, 0.0)
        surplus = 0.0
    budget = site.grid_limit_w - site.safety_margin_w - net_load - disabled_w
    budget_w = max(budget, 0.0)

    slots: list[_Slot] = []
    statuses: dict[str, Status] = {}
    for charger in chargers:
        if not charger.enabled:
            statuses[charger.id] = Status.OFF
        elif not charger.connected:
            statuses[charger.id] = Status.DISCONNECTED
        elif charger.mode is Mode.OFF:
            statuses[charger.id] = Status.OFF
        else:
            slots.append(_make_slot(charger, site, states[charger.id], config))

    if site.inputs_usable:
        _allocate(slots, site, states, budget, surplus, now, config)
    else:
        _allocate_failsafe(slots, site, budget)

    targets = {slot.charger.id: slot.target for slot in slots}
    for slot in slots:
        statuses[slot.charger.id] = _status(slot, site, states[slot.charger.id])

    decisions: dict[str, ChargerDecision] = {}
    decreases: list[tuple[int, str]] = []
    increases: list[tuple[int, str]] = []
    for charger in chargers:
        volts = site.voltage * charger.phases
        if not charger.enabled:
            decisions[charger.id] = ChargerDecision(
                charger.id, None, Status.OFF, 0.0, write=False
            )
            continue
        target = targets.get(charger.id, 0)
        last = charger.last_command
        current = target
        if not allow_increase and last is not None and target > last:
            current = last
        write = _needs_write(last, current, config.deadband_a)
        if not write and last is not None and current > last:
            current = last  # a move inside the dead-band is not worth a write
        decisions[charger.id] = ChargerDecision(
            charger.id, current, statuses[charger.id], current * volts, write=write
        )
        if write:
            step = current - (last or 0)
            (decreases if step < 0 or last is None else increases).append(
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
    return _Slot(charger, watts_per_amp, max(ceiling, 0), rank)


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
        fits = [s for s in members if s.ceiling >= s.charger.min_current]
        for slot in members:
            if slot.ceiling < slot.charger.min_current:
                slot.cap_reason = True
        grid: list[_Slot] = []
        with_min: list[_Slot] = []
        solar: list[_Slot] = []  # solar, and off_peak outside off-peak hours
        for slot in fits:
            if _takes_grid(slot.charger, site.offpeak):
                grid.append(slot)
            elif slot.charger.mode is Mode.SOLAR_MIN:
                with_min.append(slot)
            else:
                solar.append(slot)

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
                slot.cap_reason = True

        # Minimums of the chargers that may draw from the grid, in fair rotation order.
        floored: list[_Slot] = []
        for slot in sorted(grid + with_min, key=_rank):
            if budget >= slot.min_w:
                floored.append(slot)
                budget -= slot.min_w
                surplus -= slot.min_w
            else:
                slot.cap_reason = True
        for slot in running + floored:
            slot.target = slot.charger.min_current

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


def _allocate_failsafe(slots: list[_Slot], site: SiteInput, budget: float) -> None:
    """Each charger at the failsafe current, never above its present one, in budget."""
    for tier in TIERS:
        for slot in sorted((s for s in slots if s.charger.profile is tier), key=_rank):
            charger = slot.charger
            current = min(site.failsafe_current, slot.ceiling)
            if charger.last_command is not None:
                current = min(current, charger.last_command)
            if current < charger.min_current or current * slot.watts_per_amp > budget:
                current = 0
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
    """The level L at which sum(clamp(L, floor, ceiling)) == total."""
    free = sorted(range(len(floors)), key=floors.__getitem__)
    fixed = 0.0
    # Floors above the level stay at their floor: the level only drops as they leave.
    while free and floors[free[-1]] >= (total - fixed) / len(free):
        fixed += floors[free.pop()]
    # Ceilings under the level stay there: the level only rises as they leave.
    free.sort(key=ceilings.__getitem__, reverse=True)
    while free and ceilings[free[-1]] <= (total - fixed) / len(free):
        fixed += ceilings[free.pop()]
    return (total - fixed) / len(free) if free else math.inf


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


def _status(slot: _Slot, site: SiteInput, state: ChargerState) -> Status:
    charger = slot.charger
    if not site.inputs_usable:
        return Status.FAILSAFE
    if charger.error:
        return Status.ERROR
    if slot.target > 0:
        return Status.CHARGING
    if slot.cap_reason or _takes_grid(charger, site.offpeak):
        return Status.PAUSED_BY_CAP
    if charger.mode is Mode.OFF_PEAK:
        return Status.WAITING_FOR_OFF_PEAK
    return Status.WAITING_FOR_SOLAR


def _needs_write(last: int | None, current: int, deadband_a: int) -> bool:
    """Write when the box's setpoint is unknown, must go down, pauses or starts, or
    moves up by the dead-band or more."""
    if last is None or current < last:
        return True
    if (current == 0) != (last == 0):
        return True
    return current - last >= deadband_a
