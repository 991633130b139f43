"""`smart` mode around the planner: the slots to plan over, when to replan, and
what the plan asks of each car now. The integration and the benchmark both call
these, so a benchmark figure is a figure of the product."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
import itertools
import math

from .forecast import Point, Series, mean_over, value_at
from .limits import MIN_CHARGE_CURRENT, drawn_phases
from .model import ChargerState
from .planner import (
    MINIMUMS_MAX_CARS,
    START_MAX_CARS,
    TAPER_SOC,
    CarPlan,
    Objective,
    Plan,
    PlanCar,
    PlanSlot,
    make_plan,
    slot_costs,
    taper_share,
)

DEFAULT_SLOT_S = 900.0  # without a price forecast of their own, 15-minute slots
HORIZON_S = 48 * 3600.0  # nothing is planned further ahead
REPLAN_EVERY_S = 900.0
# A plan due to be made again (next_replan_at) is followed this long at most with
# every car kept at its power of the quarter hour before (smart_power).
DUE_GRACE_S = 60.0
# The slots after the one of now keep this share of the forecast household free
# of the grid's headroom, for a household above its forecast: a plan that counts
# on every watt of the coming hours falls behind at the household's first
# surprise, too late to catch up by the departure. The slot of now is planned with
# the household of now; the surplus is the solar's cautious estimate already.
HOUSEHOLD_CAUTION = 0.05
# A need under this is met: a start of the box for it (again and again, for a
# car that takes nothing more) costs more than the energy is worth.
NEED_MET_WH = 100.0
# A charging car with this little left to take (and the power to take it within
# FINISH_S) finishes it in one go where that costs at most FINISH_PREMIUM more for
# those kWh at the mean cost per kWh (price, or carbon) of the slots until it
# leaves: a tail split over the cheapest quarters of the night is a stop and a
# start each, for a few cents. Waiting for the sun costs more.
FINISH_WH = 6000.0
FINISH_S = 3600.0
FINISH_PREMIUM = 0.2
# Where the sun read over the last NOWCAST_WINDOW_S gave more than its cautious
# forecast for that time, the coming slots' forecast is lifted by as much, fading
# by e every NOWCAST_FADE_S, and by at most the sun each slot is expected to have:
# a forecast too cautious (or wrong) all day would otherwise buy from the grid what
# the sun then gives. The plan is made again every quarter hour, so a lift the sun
# does not keep up goes with it.
NOWCAST_WINDOW_S = 900.0
NOWCAST_FADE_S = 4 * 3600.0


def next_replan_at(now: float) -> float:
    """When the plan made at `now` is made again at the latest: at the next quarter
    hour of the clock, where 15-minute slots (and hourly ones, on the hour) begin:
    a plan made again within a slot may take the rest of it from one car for
    another, a stop and a start."""
    return (math.floor(now / REPLAN_EVERY_S) + 1) * REPLAN_EVERY_S


# On a site of many cars, the plan counts on this share of each car's power and
# the cars are run at face value (plan_power; in a slot the plan fills, at what
# fits it: Plan.full_slots): a car without a known state of charge takes less
# than its nominal power as it fills, and whole amps and the rotation cost some; a
# plan with no slack for that ends short, one with it gets ahead, and the next
# plan buys less later. A home's few cars are planned exactly (minimums).
PLANNED_SHARE = 0.9
# Without any price forecast nor off-peak hours, a plan ends this long before the
# departure (SPEC §4).
FALLBACK_END_S = 1800.0
# A smart car plugged in charges at full power until its draw shows what it takes
# (the phases it draws on, its own charger's limit), for this long at most: a plan
# made on the box's power alone counts on power a one-phase or 11 kW car never
# takes, and ends short when that shows.
PROBE_S = 90.0
# The probe is a start and a stop of the box: a car ready on time even if it draws
# on one phase at this current at most (the least of common cars), from its plan's
# first block on, in at most this share of the room the slots have for it until it
# leaves, and below the battery's taper, waits for its plan instead, and shows
# what it takes then.
UNSEEN_ONE_PHASE_A = 16
UNSEEN_SLACK = 0.8


@dataclass(frozen=True, slots=True)
class SiteForecast:
    """What is known of the coming hours. Empty series = not known."""

    prices: Series = ()
    co2: Series = ()
    solar_p10: Series = ()  # W, cautious (the low estimate)
    solar_p50: Series = ()  # W, expected: the shape of the day (plan_slots' lift)
    offpeak: Series = ()  # 1.0 while off-peak, 0.0 otherwise
    # The household's expected load (W) at a time; None = not known.
    household_w: Callable[[float], float | None] = lambda _when: None


DAY_S = 86400.0


def repeat_last_day(
    changes: Sequence[tuple[float, bool]], now: float, days: int = 2
) -> tuple[Point, ...]:
    """The off-peak hours of the coming days, as the last 24 hours had them: an
    off-peak tariff keeps its hours from day to day. `changes` are (time, on) in
    time order, the first one the state at the start of the window."""
    window: list[tuple[float, float]] = []
    for (changed, on), (next_change, _) in zip(
        changes, [*changes[1:], (now, False)], strict=True
    ):
        start, end = max(changed, now - DAY_S), min(next_change, now)
        if on and end > start:
            window.append((start, end))
    return tuple(
        Point(start + day * DAY_S, end + day * DAY_S, 1.0)
        for day in range(1, days + 1)
        for start, end in window
    )


@dataclass(frozen=True, slots=True)
class SolarSeen:
    """The solar production read lately, (time, W) from the oldest: what the sun
    gives now, for plan_site's lift of its forecast (NOWCAST_WINDOW_S)."""

    readings: tuple[tuple[float, float], ...] = ()

    def add(self, now: float, solar_w: float | None) -> SolarSeen:
        """With the reading of now. An unusable one (None) forgets them all: the
        mean is only taken over a window read throughout. A reading equal to the
        last one adds nothing (the last holds until a new one)."""
        if solar_w is None:
            return SolarSeen()
        start = now - NOWCAST_WINDOW_S
        # The last reading before the window holds at its start.
        before = [r for r in self.readings if r[0] <= start][-1:]
        kept = (*before, *(r for r in self.readings if start < r[0] < now))
        if kept and kept[-1][1] == solar_w:
            return SolarSeen(kept)
        return SolarSeen((*kept, (now, solar_w)))

    def mean_w(self, now: float) -> float | None:
        """The time-weighted mean over the last NOWCAST_WINDOW_S; None unless the
        readings cover all of it."""
        start = now - NOWCAST_WINDOW_S
        if not self.readings or self.readings[0][0] > start:
            return None
        ends = [*(r[0] for r in self.readings[1:]), now]
        held = [
            Point(t, end, w) for (t, w), end in zip(self.readings, ends, strict=True)
        ]
        return mean_over(held, start, now)


@dataclass(frozen=True, slots=True)
class SmartCharger:
    """A smart charger's settings, as the planner needs them (A, W)."""

    id: str
    phases: int
    min_current: int
    ceiling: int  # the user's ceiling, else the box's maximum
    premium: bool = False
    standard_max_w: float = 0.0  # a standard charger's power ceiling (0 = none)
    battery_wh: float = 0.0  # the car's usable capacity (0 = not known)


def smart_car(
    charger: SmartCharger,
    need_wh: float,
    departure: float,
    voltage: float,
    state: ChargerState | None,
    soc: float | None = None,
) -> PlanCar:
    """The car as the planner sees it: on the phases it draws on, up to what it was
    seen to take (its learned cap less the cap's headroom, and the most it drew
    when it took less than offered, this session). With its state of charge
    (`soc`, 0..1) and capacity known, the planner follows its taper instead of
    the learned cap, which falls with the taper as it fills: the taper line
    starts from the car's full power."""
    demand = None if state is None else state.demand
    if need_wh < NEED_MET_WH:  # and nothing below 0
        need_wh = 0.0
    phases = drawn_phases(charger.phases, None if state is None else state.car_phases)
    min_w = charger.min_current * voltage * phases
    # What the box may offer (its ceiling, the standard profile's): under the
    # minimum it cannot charge at all.
    box_w = charger.ceiling * voltage * phases
    if not charger.premium and charger.standard_max_w > 0:
        box_w = min(box_w, charger.standard_max_w)
    if box_w < min_w:
        return PlanCar(charger.id, need_wh, departure, min_w, 0.0)
    tapers = soc is not None and charger.battery_wh > 0
    # What the car takes of it; a car that takes less than its minimum current
    # (at which it is still run) is planned at what it takes.
    max_w = box_w
    if not tapers and demand is not None and demand.cap is not None:
        max_w = min(max_w, max(demand.cap - 1, charger.min_current) * voltage * phases)
    if state is not None and state.car_limit_w:
        max_w = min(max_w, state.car_limit_w)
    return PlanCar(
        id=charger.id,
        need_wh=need_wh,
        departure=departure,
        min_w=min(min_w, max_w),
        max_w=max_w,
        premium=charger.premium,
        soc=soc if tapers else None,
        capacity_wh=charger.battery_wh if tapers else 0.0,
        charging=state is not None
        and state.charging_since is not None
        and not state.solar_running,
        unseen_w=_unseen_w(charger, voltage, box_w) if probing(state) else None,
    )


def _unseen_w(charger: SmartCharger, voltage: float, box_w: float) -> float:
    """The power of a car drawing on one phase at UNSEEN_ONE_PHASE_A at most,
    within what the box offers."""
    amps = max(min(charger.ceiling, UNSEEN_ONE_PHASE_A), charger.min_current)
    return min(amps * voltage, box_w)


def plan_power(plan: Plan | None, cid: str, now: float) -> float:
    """The power the plan gives the car now from the grid (as it is counted: on
    the phases the car draws on); 0 where the plan counts on the forecast surplus
    only: the car then follows the live surplus (as `solar`), so it never rounds a
    share of the surplus up from the grid. Any power from the grid starts the car,
    at its minimum at least: ready on time comes first."""
    car = None if plan is None else plan.cars.get(cid)
    block = None if car is None else car.block_at(now)
    if block is None or not block.from_grid:
        return 0.0
    assert plan is not None
    return block.power_w / plan.share_at(now)


def probing(state: ChargerState | None) -> bool:
    """Whether a smart car has yet to show what it takes: it has neither drawn on
    fewer phases or less than offered, nor taken all it was offered, nor charged
    for PROBE_S."""
    return state is None or (
        state.car_limit_w is None
        and state.car_phases is None
        and state.served_s < PROBE_S
    )


def smart_power(
    plan: Plan | None,
    cid: str,
    now: float,
    state: ChargerState | None,
    full_w: float | None,
) -> float:
    """The power a smart car is given now: `full_w` (its box's; None = its draw
    is not measured, so a probe would show nothing) while it shows what it takes,
    if its plan has anything left to charge; then its plan's."""
    car = None if plan is None else plan.cars.get(cid)
    if (
        full_w is not None
        and car is not None
        and car.probe
        and car.needed_wh > 0
        and probing(state)
    ):
        return full_w
    if plan is not None:
        due = next_replan_at(plan.made_at)
        if due <= now < due + DUE_GRACE_S:
            # The plan of this quarter hour is being made: until it is, every car
            # keeps its power of the quarter before, rather than a start, a stop or
            # a rise the new plan may take back at once.
            return plan_power(plan, cid, due - 1.0)
    return plan_power(plan, cid, now)


def slot_end(start: float, forecast: SiteForecast) -> float:
    """Where the slot starting at `start` ends: with its price point (the price
    forecast's own slot length, 15 or 60 minutes, even mixed), else at the next
    quarter hour."""
    for point in forecast.prices:
        if point.start <= start < point.end:
            return point.end
    quarter = (math.floor(start / DEFAULT_SLOT_S) + 1) * DEFAULT_SLOT_S
    # A price point starting before the next quarter hour starts a slot there.
    starts = [p.start for p in forecast.prices if start < p.start < quarter]
    return min(starts, default=quarter)


def plan_slots(
    now: float,
    until: float,
    headroom_w: float,
    forecast: SiteForecast,
    current_household_w: float,
    solar_seen_w: float | None = None,
) -> list[PlanSlot]:
    """The slots from `now` to `until`, each a price point of the forecast, else
    a quarter hour of the clock. `headroom_w` is the
    grid limit minus the safety margin. The slot of now plans with the household
    of now; later ones with its forecast (else the household of now), keeping
    HOUSEHOLD_CAUTION of it free. The solar forecast is lifted by what the sun
    read over the last quarter hour (`solar_seen_w`) gave beyond it, fading
    (NOWCAST_*). Without a price forecast, off-peak slots count as cheap."""
    lift = _solar_lift(forecast, now, solar_seen_w)
    covering = [p.start for p in forecast.prices if p.start <= now < p.end]
    start = (
        covering[0] if covering else math.floor(now / DEFAULT_SLOT_S) * DEFAULT_SLOT_S
    )
    slots: list[PlanSlot] = []
    while start < until:
        end = slot_end(start, forecast)
        middle = max(start, now) + (end - max(start, now)) / 2
        household = current_household_w
        caution_w = 0.0
        if start > now:
            expected = forecast.household_w(middle)
            if expected is not None:
                household = expected
                caution_w = max(expected, 0.0) * HOUSEHOLD_CAUTION
        # Solar beyond its forecast counts as none (the cautious estimate).
        solar = mean_over(forecast.solar_p10, max(start, now), end, gaps=0.0) or 0.0
        solar += lift.at(max(start, now), end, now)
        price = value_at(forecast.prices, middle)
        if not forecast.prices and forecast.offpeak:
            # Off-peak is cheap; any other hour (or one not known) is not.
            price = 0.0 if value_at(forecast.offpeak, middle) else 1.0
        slots.append(
            PlanSlot(
                start=start,
                end=end,
                headroom_w=max(
                    headroom_w - max(household - solar, 0.0) - caution_w, 0.0
                ),
                solar_w=max(solar - household, 0.0),
                price=price,
                co2=mean_over(forecast.co2, max(start, now), end),
            )
        )
        start = end
    return slots


@dataclass(frozen=True, slots=True)
class _Lift:
    """The sun read above its cautious forecast (W), and the forecast's expected
    sun (P50, else P10), which bounds the lift of each slot."""

    watts: float = 0.0
    expected: Series = ()

    def at(self, start: float, end: float, now: float) -> float:
        """The lift of the slot from `start` to `end`, fading by e every
        NOWCAST_FADE_S, and at most the sun the slot is expected to have: a sunny
        noon lifts no sunset, nor the night."""
        if self.watts <= 0.0:
            return 0.0
        sun = mean_over(self.expected, start, end, gaps=0.0) or 0.0
        fade = math.exp((now - (start + end) / 2) / NOWCAST_FADE_S)
        return min(self.watts * fade, sun)


def _recent(series: Series, now: float) -> float | None:
    """A forecast over the last NOWCAST_WINDOW_S, or at now for one that starts
    now; None where it knows neither."""
    recent = mean_over(series, now - NOWCAST_WINDOW_S, now)
    return value_at(series, now) if recent is None else recent


def _solar_lift(
    forecast: SiteForecast, now: float, solar_seen_w: float | None
) -> _Lift:
    """How far the sun read over the last NOWCAST_WINDOW_S was above its cautious
    forecast for that time (none where below it, or where either is not known)."""
    cautious = _recent(forecast.solar_p10, now)
    if solar_seen_w is None or cautious is None or solar_seen_w <= cautious:
        return _Lift()
    return _Lift(solar_seen_w - cautious, forecast.solar_p50 or forecast.solar_p10)


def _fallback_end(car: PlanCar, now: float) -> float:
    """FALLBACK_END_S before the departure, as far as the car still has the time:
    a car that needs all of it charges to the departure."""
    needed_s = car.need_wh / car.max_w * 3600 if car.max_w > 0 else 0.0
    slack_s = car.departure - now - needed_s
    return car.departure - min(max(slack_s, 0.0), FALLBACK_END_S)


def plan_site(
    cars: Sequence[PlanCar],
    now: float,
    headroom_w: float,
    forecast: SiteForecast,
    current_household_w: float,
    objective: Objective = Objective.COST,
    *,
    solar_seen_w: float | None = None,
) -> Plan:
    """Plan every smart car of the site from `now`; `solar_seen_w`: the mean
    solar production of the last NOWCAST_WINDOW_S (SolarSeen), where known.

    With neither prices nor off-peak hours to go by, each car is planned as late as
    it can be, to end FALLBACK_END_S before its departure (SPEC §4)."""
    if not cars:
        return Plan(made_at=now, cars={})
    # A forecast that has ended is no forecast.
    forecast = replace(
        forecast,
        prices=tuple(p for p in forecast.prices if p.end > now),
        co2=tuple(p for p in forecast.co2 if p.end > now),
    )
    until = min(max(car.departure for car in cars), now + HORIZON_S)
    share = 1.0 if len(cars) <= MINIMUMS_MAX_CARS else PLANNED_SHARE
    cars = [replace(car, max_w=car.max_w * share) for car in cars]
    slots = plan_slots(
        now, until, headroom_w, forecast, current_household_w, solar_seen_w
    )
    fallback = not forecast.prices and not forecast.offpeak and not forecast.co2
    if fallback:
        cars = [replace(car, departure=_fallback_end(car, now)) for car in cars]
        # Later is cheaper: the charge ends as close to the departure as it can.
        slots = [replace(slot, price=until - slot.start) for slot in slots]
    # Starts are weighed in the plan for a few cars (START_MAX_CARS), not on slots
    # priced by lateness (the fallback); a larger site's tails are finished by a
    # rule instead. As late as it can be is the fallback's point.
    starts = not fallback and len(cars) <= START_MAX_CARS
    plan = _planned(cars, slots, now, objective, share, starts=starts)
    if not fallback and not starts:
        plan = _finished(plan, cars, slots, objective, share)
    return replace(
        plan,
        cars={
            car.id: replace(plan.cars[car.id], probe=_probes(car, plan, slots))
            for car in cars
        },
    )


def _probes(car: PlanCar, plan: Plan, slots: Sequence[PlanSlot]) -> bool:
    """Whether a car not yet seen is offered its box's power now to show what it
    takes: not where, from its plan's first block on, even one phase at 16 A
    (PlanCar.unseen_w) would have it ready in UNSEEN_SLACK of the room the slots
    leave it (their headroom and forecast surplus), short of its taper."""
    start = plan.cars[car.id].planned_start
    tapers = car.soc is not None and car.capacity_wh > 0
    if car.unseen_w is None or start is None:
        return True
    if tapers and (car.soc or 0.0) + car.need_wh / car.capacity_wh > TAPER_SOC:
        return True
    room_wh = sum(
        min(car.unseen_w, slot.headroom_w + slot.solar_w)
        * max(min(slot.end, car.departure) - max(slot.start, start), 0.0)
        / 3600
        for slot in slots
    )
    return car.need_wh > room_wh * UNSEEN_SLACK


def _finished(
    plan: Plan,
    cars: Sequence[PlanCar],
    slots: Sequence[PlanSlot],
    objective: Objective,
    share: float,
) -> Plan:
    """The plan, or where it pays (_finishing_pays) the plan with the cars that
    have little left (_finishing) done within FINISH_S."""
    now = plan.made_at
    finishing = {
        car.id
        for car in cars
        if _finishing(car, now, slots) and not _done_soon(plan.cars[car.id], now)
    }
    if not finishing:
        return plan
    finished = _planned(
        [
            replace(car, departure=now + FINISH_S) if car.id in finishing else car
            for car in cars
        ],
        slots,
        now,
        objective,
        share,
        starts=False,
    )
    tails = [car for car in cars if car.id in finishing]
    return (
        finished if _finishing_pays(plan, finished, tails, slots, objective) else plan
    )


def _finishing(car: PlanCar, now: float, slots: Sequence[PlanSlot]) -> bool:
    """Whether a charging car (on its plan, or showing what it takes) has so
    little left that it finishes in one go, if that pays: no more than it takes
    within FINISH_S at its taper's power once that is in. Not where surplus is
    forecast before its departure: the cautious forecast undervalues waiting for
    the sun."""
    power_w = car.max_w
    if car.soc is not None and car.capacity_wh > 0:
        power_w *= taper_share(car.soc + car.need_wh / car.capacity_wh)
    return (
        car.charging
        and 0 < car.need_wh <= min(FINISH_WH, power_w * FINISH_S / 3600)
        and car.departure > now + FINISH_S
        and not any(s.solar_w > 0 and s.start < car.departure for s in slots)
    )


def _done_soon(car_plan: CarPlan, now: float) -> bool:
    """Whether the plan already has the car charge from now to its end without a
    stop (a plan to finish sooner cannot do better)."""
    blocks = car_plan.schedule
    return (
        bool(blocks)
        and blocks[0].start <= now
        and all(a.end == b.start for a, b in itertools.pairwise(blocks))
    )


def _finishing_pays(
    plan: Plan,
    finished: Plan,
    finishing: Sequence[PlanCar],
    slots: Sequence[PlanSlot],
    objective: Objective,
) -> bool:
    """Whether the plan with the finishing cars done within FINISH_S leaves no car
    less than the plan does, for at most FINISH_PREMIUM more on their kWh (at the
    mean cost per kWh of the slots until the last of them leaves, by the slots'
    hours)."""
    if any(
        finished.cars[cid].reachable_wh < car_plan.reachable_wh - 1.0
        for cid, car_plan in plan.cars.items()
    ):
        return False
    leaves = max(car.departure for car in finishing)
    seconds = [
        max(min(slot.end, leaves) - max(slot.start, plan.made_at), 0.0)
        for slot in slots
    ]
    costs = slot_costs(slots, objective)
    mean_cost = sum(abs(c) * t for c, t in zip(costs, seconds, strict=True)) / max(
        sum(seconds), 1.0
    )
    tail_kwh = sum(car.need_wh for car in finishing) / 1000
    extra = finished.grid_cost - plan.grid_cost
    return extra <= FINISH_PREMIUM * tail_kwh * mean_cost + 1e-9


def _planned(
    cars: Sequence[PlanCar],
    slots: Sequence[PlanSlot],
    now: float,
    objective: Objective,
    share: float,
    *,
    starts: bool,
) -> Plan:
    """The plan of `cars` over `slots`, in the two passes whole amps need; with
    `starts` counted (make_plan)."""
    plan = make_plan(cars, slots, now, objective, starts=starts)
    # Whole amps: the live cap may leave each car charging up to an amp under its
    # share (a sixth of its 6 A minimum), so a slot planned to its last watt ends
    # short. Planned again with that kept free in each slot, for the cars the
    # first plan charges in it.
    min_w = {car.id: car.min_w for car in cars}
    kept = [
        replace(
            slot,
            headroom_w=max(
                slot.headroom_w
                - sum(
                    min_w[cid] / MIN_CHARGE_CURRENT
                    for cid, car_plan in plan.cars.items()
                    if car_plan.power_at((slot.start + slot.end) / 2) > 0
                ),
                0.0,
            ),
        )
        for slot in slots
    ]
    final = make_plan(cars, kept, now, objective, starts=starts)
    full = _full_slots(final, kept, share)
    return replace(final, power_share=share, full_slots=full)


def _full_slots(
    plan: Plan, slots: Sequence[PlanSlot], share: float
) -> tuple[tuple[float, float, float], ...]:
    """The slots where the plan, run at face value (its power / `share`), would
    take more than the slot allows (less the room kept for whole amps), with the
    share that makes it fit: there the live cap would cut whichever planned car
    comes last in its rotation, and that car ends short; run at that share, each
    planned car gets at least its plan."""
    full: list[tuple[float, float, float]] = []
    for slot in slots:
        middle = (max(slot.start, plan.made_at) + slot.end) / 2
        planned_w = sum(car.power_at(middle) for car in plan.cars.values())
        limit_w = slot.headroom_w + slot.solar_w
        if planned_w > limit_w * share and limit_w > 0:
            full.append((slot.start, slot.end, min(planned_w / limit_w, 1.0)))
    return tuple(full)
