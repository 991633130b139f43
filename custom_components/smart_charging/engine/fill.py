"""Filling the budget: premium first, minimums in fair rotation, then equal shares."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from .equal_share import water_fill
from .model import ChargerInput, ChargerState, EngineConfig, Mode, Profile, SiteInput
from .slot import Slot, in_rank_order, planned, planned_current, takes_grid
from .solar import solar_hysteresis

TIERS = (Profile.PREMIUM, Profile.STANDARD)


# Mutable: it is handed out charger by charger across both tiers.
@dataclass(slots=True)
class Pool:
    """What is left to hand out: the budget (as it has been for the steady window,
    and for the restart window), the surplus now, its exponential average and its
    lowest in the surplus window. What a charger takes lowers them alike."""

    budget_w: float
    surplus_w: float
    average_w: float
    steady_surplus_w: float
    # The budget and the surplus of the restart window (paused cars, switching up).
    restart_budget_w: float
    restart_surplus_w: float
    # Budget kept from standard chargers because a premium one is paused by the cap
    # (what a switch to one phase could still use).
    withheld_w: float = 0.0
    # What of the budget the highest load of a jittering meter's last readings takes
    # (rise_budget_w below the steady budget): not room to restart a car in at once.
    jitter_w: float = 0.0

    def take(self, watts: float) -> None:
        """Power that comes from the surplus: budget and surplus figures go down."""
        self.take_from_grid(watts)
        self.take_surplus(watts)

    def take_surplus(self, watts: float) -> None:
        """Surplus spoken for (given back when negative): only the surplus figures
        move."""
        self.surplus_w -= watts
        self.average_w -= watts
        self.steady_surplus_w -= watts
        self.restart_surplus_w -= watts

    def take_from_grid(self, watts: float) -> None:
        """Power that does not come from the surplus: only the budgets go down."""
        self.budget_w -= watts
        self.restart_budget_w -= watts

    @property
    def surplus_share_w(self) -> float:
        """What a top-up following the surplus may take: the lowest surplus of the
        surplus window (more would come from the grid at its dips), in budget."""
        return min(max(self.steady_surplus_w, 0.0), self.budget_w)


@dataclass(frozen=True, slots=True)
class _Tier:
    """The slots of one profile that can charge, by how they may charge, each list in
    rank order."""

    # May draw from the grid: beyond the minimum, or solar_min (the minimum from the
    # grid, surplus on top).
    minimums: list[Slot]
    running: list[Slot]  # solar (and off_peak outside off-peak hours), running
    stopped: list[Slot]  # the same, not running
    full: list[Slot]  # took nothing when offered power: served last


def allocate(
    slots: Collection[Slot],
    site: SiteInput,
    states: dict[str, ChargerState],
    pool: Pool,
    now: float,
    config: EngineConfig,
    *,
    starts: bool = True,
) -> None:
    """Share the budget tier by tier: premium first, the rest to standard; cars that
    took nothing when offered power (full) get their minimum only from what is left.

    The pool's surplus is the surplus now, its average the exponential average: both
    are lowered alike by what each charger takes. Starts and stops look at both;
    top-ups follow the lowest surplus of the surplus window, within the budget.
    Without `starts` (a decrease-only step, which starts nobody) a paused car is
    given nothing: a car that charges is never paused for one that cannot start."""
    full: list[Slot] = []
    ranked = in_rank_order(slots)  # the only sort of all slots
    for tier in TIERS:
        members = [s for s in ranked if s.charger.profile is tier]
        groups = _split_tier(members, site, states, pool, now, config)
        full += groups.full
        # Running ones keep their minimum first, then starters in rank order.
        # Charging planned cars' surplus is spoken for while the cars on surplus
        # alone start or keep running; then the planned cars take it themselves.
        planned_w = _planned_surplus_w(groups.minimums)
        pool.take_surplus(planned_w)
        surplus_w = pool.surplus_w
        running = _start_solar(
            groups.running + groups.stopped, states, pool, now, config, starts
        )
        pool.take_surplus(-planned_w)
        with_min, grid = _reserve_minimums(groups.minimums, pool, config, starts)
        _up_to_plans(with_min, pool)
        _top_up(running, with_min, grid, pool)
        _count_solar_grid(running, surplus_w, states)
        if any(s.capped for s in members):
            # A premium charger left paused by the cap keeps standard ones from
            # taking the power it could not fit in: premium is served first.
            pool.withheld_w += max(pool.budget_w, 0.0)
            pool.budget_w = min(pool.budget_w, 0.0)
    _offer_full_cars(full, pool)


def _split_tier(
    members: list[Slot],
    site: SiteInput,
    states: dict[str, ChargerState],
    pool: Pool,
    now: float,
    config: EngineConfig,
) -> _Tier:
    """The tier's slots that can charge, by how they may charge (in rank order)."""
    tier = _Tier([], [], [], [])
    spare_w: float | None = None  # counted at the first smart car needing it
    for slot in members:
        if not slot.fits:
            continue
        if slot.full:
            if _full_car_may_be_offered(slot, site, states, pool, now, config):
                tier.full.append(slot)
            continue
        charger = slot.charger
        kept = states[charger.id]
        if not grid_allowed(charger, site):
            if _plan_ended(slot, kept):
                if spare_w is None:
                    spare_w = _spare_surplus(members, site, states, pool)
                if spare_w >= slot.min_w:
                    spare_w -= slot.min_w
                    kept = states[charger.id] = replace(
                        kept, solar_running=True, surplus_since=now, deficit_since=None
                    )
            (tier.running if kept.solar_running else tier.stopped).append(slot)
            continue
        tier.minimums.append(slot)
        if kept.solar_running or kept.surplus_since is not None:
            # Not on surplus now (e.g. off-peak began): when it is again, it has to
            # earn its start afresh instead of resuming on a stale timer.
            states[charger.id] = replace(
                kept,
                solar_running=False,
                surplus_since=None,
                deficit_since=None,
                solar_wh=0.0,
                solar_grid_wh=0.0,
                solar_grid_w=0.0,
            )
    return tier


def _spare_surplus(
    members: list[Slot],
    site: SiteInput,
    states: dict[str, ChargerState],
    pool: Pool,
) -> float:
    """The surplus, now and on average (the lower), that the tier's running solar
    cars leave at their minimums."""
    taken_w = sum(
        slot.min_w
        for slot in members
        if states[slot.charger.id].solar_running
        and not grid_allowed(slot.charger, site)
    )
    return min(pool.surplus_w, pool.average_w) - taken_w


def _plan_ended(slot: Slot, kept: ChargerState) -> bool:
    """Whether a `smart` car was charging on its plan and has none now: it goes on at
    once where the spare surplus covers its minimum (no stop and start at the
    slot's end)."""
    return (
        slot.charger.mode is Mode.SMART
        and slot.charging == 1
        and not kept.solar_running
        and kept.surplus_since is None
    )


def grid_allowed(charger: ChargerInput, site: SiteInput) -> bool:
    """Whether the charger may draw from the grid now (beyond surplus)."""
    return (
        takes_grid(charger, site.offpeak)
        or charger.mode is Mode.SOLAR_MIN
        or planned(charger)
    )


def _full_car_may_be_offered(
    slot: Slot,
    site: SiteInput,
    states: dict[str, ChargerState],
    pool: Pool,
    now: float,
    config: EngineConfig,
) -> bool:
    """Whether a full car may be offered its minimum from what is left. Its solar
    timers still run, so it resumes as it would have."""
    charger = slot.charger
    if grid_allowed(charger, site):
        return True
    states[charger.id] = solar_hysteresis(
        states[charger.id], pool.surplus_w, pool.average_w, slot.min_w, now, config
    )
    return states[charger.id].solar_running


def _start_solar(
    solar: list[Slot],
    states: dict[str, ChargerState],
    pool: Pool,
    now: float,
    config: EngineConfig,
    starts: bool,
) -> list[Slot]:
    """Solar chargers first (running ones, then starters, each in rank order): running
    ones keep their minimum, then starters each reserve theirs, so two cars never
    start on one car's surplus. Returns the running ones, at their minimum."""
    running: list[Slot] = []
    for slot in solar:
        cid = slot.charger.id
        min_w = slot.min_w
        state = solar_hysteresis(
            states[cid], pool.surplus_w, pool.average_w, min_w, now, config
        )
        states[cid] = state
        if not state.solar_running or not (starts or slot.may_hold):
            continue
        if pool.budget_w >= min_w:
            running.append(slot)
            pool.take(min_w)
            slot.target = slot.min_current
            slot.follows = True
        else:
            slot.capped = True
    return running


def _planned_surplus_w(minimums: list[Slot]) -> float:
    """The power of the charging planned smart cars: a plan counts on the forecast
    surplus, so no car on surplus alone starts or keeps running on it (it would
    leave the plan to the grid). A planned car the limit keeps paused holds none."""
    return sum(
        planned_current(slot) * slot.watts_per_amp
        for slot in minimums
        if planned(slot.charger) and slot.charging
    )


def _count_solar_grid(
    running: list[Slot], surplus_w: float, states: dict[str, ChargerState]
) -> None:
    """What of each running solar car's power the surplus of now does not cover
    (the surplus goes to them first, in rank order): the grid's share of a solar
    session is counted on it until the next decision."""
    for slot in running:
        power_w = slot.target * slot.watts_per_amp
        grid_w = max(power_w - max(surplus_w, 0.0), 0.0)
        surplus_w -= power_w
        kept = states[slot.charger.id]
        if grid_w != kept.solar_grid_w:
            states[slot.charger.id] = replace(kept, solar_grid_w=grid_w)


def _not_protected(slot: Slot) -> bool:
    return not slot.protected


def _reserve_minimums(
    slots: list[Slot], pool: Pool, config: EngineConfig, starts: bool
) -> tuple[list[Slot], list[Slot]]:
    """Minimums of the chargers that may draw from the grid, in fair rotation order
    (the order of `slots`), those the rotation protects first; a paused one needs
    restart_margin_a on top, or to have fitted for the restart window. Returns the
    ones that got theirs, at their minimum: those in solar_min and planned smart
    ones (raised to their plan next: _up_to_plans), then the others."""
    with_min: list[Slot] = []
    grid: list[Slot] = []
    # Cars that started lately first: the rotation does not pause them.
    for slot in sorted(slots, key=_not_protected):
        if not (starts or slot.may_hold):
            continue
        min_w = slot.min_w
        fits = pool.budget_w >= min_w  # not `<`: a NaN budget fits nobody
        if fits and not slot.charging:
            margin_w = config.restart_margin_a * slot.watts_per_amp
            fits = (
                pool.budget_w - pool.jitter_w >= min_w + margin_w
                or pool.restart_budget_w >= min_w
            )
        if not fits:
            slot.capped = True
        elif planned(slot.charger):
            # Its minimum now, its plan once every minimum is in (_up_to_plans).
            pool.take(min_w)
            slot.target = slot.min_current
            slot.follows = True
            with_min.append(slot)
        elif slot.charger.mode is Mode.SOLAR_MIN:
            # A solar_min minimum comes from the grid: the surplus goes on top of it
            # (SPEC §4).
            pool.take_from_grid(min_w)
            slot.target = slot.min_current
            slot.follows = True
            with_min.append(slot)
        else:
            pool.take(min_w)
            slot.target = slot.min_current
            grid.append(slot)
    return with_min, grid


def _up_to_plans(with_min: list[Slot], pool: Pool) -> None:
    """The planned smart cars up to their plans, in rotation order, as far as the
    budget allows, counted against the surplus too (a plan may count on it; live
    surplus beyond it comes on top): after every car's minimum, so that no plan's
    rise (nor a new car's first minute at full power) pauses another car."""
    for slot in with_min:
        if not planned(slot.charger):
            continue
        amps = int(pool.budget_w / slot.watts_per_amp + 1e-9)
        raised = max(min(planned_current(slot), slot.target + amps), slot.target)
        pool.take((raised - slot.target) * slot.watts_per_amp)
        slot.target = raised


def _top_up(
    running: list[Slot], with_min: list[Slot], grid: list[Slot], pool: Pool
) -> None:
    """Everyone is at the minimum: the surplus first to the chargers that can only
    charge from it, then on top of the solar_min minimums (which the grid already
    covers), then the grid chargers up to the budget."""
    pool.take(water_fill(running, pool.surplus_share_w))
    pool.take(water_fill(with_min, pool.surplus_share_w))
    pool.take(water_fill(grid, pool.budget_w))


def _offer_full_cars(full: list[Slot], pool: Pool) -> None:
    """A full car is kept at its minimum while nobody else can use it, so it is
    seen at once if it takes power again; once the cap paused it, it waits for its
    next offer (demand.reprobe_after): each offer is a start of the box."""
    for slot in in_rank_order(full):
        if slot.charging and pool.budget_w >= slot.min_w:
            slot.target = slot.min_current
            pool.take_from_grid(slot.min_w)
        else:
            slot.capped = True


def allocate_failsafe(slots: Collection[Slot], site: SiteInput, budget: float) -> None:
    """Each charger at the failsafe current, never above its present one, in budget.

    Lowest priority is paused first: once one does not fit, none after it in priority
    order gets anything, so no standard charger runs while a premium one is paused.
    """
    for tier in TIERS:
        for slot in in_rank_order(s for s in slots if s.charger.profile is tier):
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
