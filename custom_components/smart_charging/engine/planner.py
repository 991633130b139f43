"""The `smart` planner: every smart car of a site planned together (SPEC §4).

A linear program over the coming slots, solved exactly (HiGHS). Each car must take
its need before its departure, within its own power and, together with the others,
within each slot's headroom (the site's limits minus the forecast household) plus
the cautious forecast solar surplus. A car whose state of charge is known follows
its battery's taper near full (taper_share). Ready on time comes first (premium cars
before standard ones when not all fit), then the forecast surplus, then the cheapest
(or cleanest) slots. The live cap of each control step still rules: the plan only says
how much each car may take in each slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import math

import highspy
import numpy as np

# A kWh not delivered by departure costs this many times the dearest slot: ready on
# time outranks price; a premium car's kWh twice that, so premium cars come first.
UNMET_WEIGHT = 1000.0
# Forecast surplus is free; the cheapest grid slot still costs this share of the
# price spread (at least MIN_GRID_COST), so surplus comes first.
GRID_COST_FLOOR = 0.01
MIN_GRID_COST = 1e-3
# Among slots of equal cost the earlier one is taken, by this share of the floor per
# slot: a car ahead of its plan is safer than one behind it.
EARLY_WEIGHT = 1e-3
MIN_BLOCK_W = 10.0  # planned power under this is rounding noise
# Adjacent blocks this close in power are at the same power but for the solver's
# noise (its tolerance, 1e-7 kWh, is under 0.04 W even over a slot of 10 s).
JOIN_W = 0.05
# Minimums are planned exactly (a mixed-integer program) for a home's few cars,
# where a car's minimum is a large share of the site and of the surplus, in at
# most this many branch-and-bound nodes, to within this relative gap.
MINIMUMS_MAX_CARS = 3
MIP_MAX_NODES = 500
MIP_GAP = 1e-7
# There, each start of a car (a block after a pause, or from now if it is not
# charging) costs as much as this many kWh at the dearest slot: a plan splits a
# car's charge over apart slots only where that saves more than a start is worth
# (each start and stop wears the box's contactor and the car's patience).
START_KWH = 0.5
# Starts are counted (plan_site) for up to this many cars: the program's time grows
# fast with them (96 quarter hours: 0.1 s for one car, 0.3 s for two, 1.7 s for
# three, against 0.16 s without).
START_MAX_CARS = 2
# HiGHS may end its search on a semi-continuous column a hair off zero, between
# nothing and the minimum, and report a solve error: solved again to this tolerance.
MIP_RETRY_TOLERANCE = 1e-9
FEASIBLE = 2  # HiGHS's primal_solution_status of a feasible solution
GRID_EPSILON_KWH = 1e-6  # a slot's grid energy under this is rounding noise
MIN_HOURS = 10 / 3600  # a car leaving within 10 s of a slot's start skips it
# A battery's taper, a generic assumption (most cars charge so): full power up to
# TAPER_SOC, then falling linearly with the state of charge on the line through 0
# at TAPER_END (a fifth of full power at 100 %). Linear, so the program stays exact.
TAPER_SOC = 0.8
TAPER_END = 1.05


def taper_share(soc: float) -> float:
    """The share of its full power a battery takes at `soc` (0..1)."""
    return min(max((TAPER_END - soc) / (TAPER_END - TAPER_SOC), 0.0), 1.0)


class Objective(StrEnum):
    """What the plan minimises once every car is ready."""

    COST = "cost"
    CO2 = "co2"


@dataclass(frozen=True, slots=True)
class PlanCar:
    """One smart car: what it needs, by when, and what it can take (W)."""

    id: str
    need_wh: float
    departure: float  # epoch seconds
    min_w: float
    max_w: float
    premium: bool = False
    # The battery, when its state of charge is known: its power then follows the
    # taper (taper_share of max_w) as it fills. None = full power to the end.
    soc: float | None = None  # 0..1, now
    capacity_wh: float = 0.0
    charging: bool = False  # its box holds a charging current now
    # W if it draws on one phase at 16 A at most, while what it takes has not
    # been seen (engine.smart.PROBE_S); None once it has.
    unseen_w: float | None = None


@dataclass(frozen=True, slots=True)
class PlanSlot:
    """One slot of the horizon, as forecast."""

    start: float
    end: float
    headroom_w: float  # what the chargers may draw from the grid
    solar_w: float = 0.0  # cautious forecast surplus the chargers may use on top
    price: float | None = None  # per kWh; None = not known
    co2: float | None = None  # g/kWh; None = not known


@dataclass(frozen=True, slots=True)
class Block:
    """A car charges at `power_w` from `start` to `end` (epoch seconds)."""

    start: float
    end: float
    power_w: float
    # The slot takes power from the grid; otherwise the plan counts only on the
    # forecast surplus, and the car follows the live surplus instead of its plan.
    from_grid: bool = True


@dataclass(frozen=True, slots=True)
class CarPlan:
    """One car's part of the plan."""

    schedule: tuple[Block, ...]
    needed_wh: float
    reachable_wh: float
    # Offered its box's power at plug-in until its draw shows what it takes
    # (engine.smart.smart_power): not where it is ready on time even on one phase
    # (engine.smart.UNSEEN_SLACK).
    probe: bool = True

    @property
    def reachable(self) -> bool:
        return self.reachable_wh >= self.needed_wh - 1.0

    @property
    def planned_start(self) -> float | None:
        return self.schedule[0].start if self.schedule else None

    def power_at(self, when: float) -> float:
        """The planned power at `when` (0 outside every block)."""
        block = self.block_at(when)
        return 0.0 if block is None else block.power_w

    def block_at(self, when: float) -> Block | None:
        for block in self.schedule:
            if block.start <= when < block.end:
                return block
        return None


@dataclass(frozen=True, slots=True)
class Plan:
    """Every smart car's schedule, as planned at `made_at`."""

    made_at: float
    cars: Mapping[str, CarPlan]
    # The share of each car's power the plan counted on (engine.smart.plan_site).
    power_share: float = 1.0
    # Full slots where the plan, run at face value, would take more than the slot
    # allows: (start, end, the share it is run at there instead).
    full_slots: tuple[tuple[float, float, float], ...] = ()
    # What its grid energy costs, in the objective's units (slot_costs).
    grid_cost: float = 0.0

    def share_at(self, when: float) -> float:
        """What a planned power is divided by to run it at `when`."""
        for start, end, share in self.full_slots:
            if start <= when < end:
                return share
        return self.power_share


def make_plan(
    cars: Sequence[PlanCar],
    slots: Sequence[PlanSlot],
    now: float,
    objective: Objective = Objective.COST,
    *,
    minimums: bool | None = None,
    starts: bool = True,
) -> Plan:
    """Plan every car over `slots` (sorted by start, the first covering `now`).

    Variables, all in kWh: each car's energy in each slot before its departure
    (within its maximum power), each slot's grid energy (within its headroom; what
    the cars take beyond the slot's surplus comes from it) and each car's shortfall.
    Minimised: the shortfall (weighted far above any price), then the grid energy at
    the slot's cost, then lateness among equal costs.

    With `minimums` (by default up to three cars, whose minimums are a large share
    of the site), a car takes in a slot nothing or at least its minimum throughout
    (a mixed-integer program: a plan following 2 kW of surplus with a 4 kW minimum
    could not be carried out), and with `starts` each start costs START_KWH at the
    dearest slot. On large sites the plain program is used."""
    costs = slot_costs(slots, objective)
    if minimums is None:
        minimums = len(cars) <= MINIMUMS_MAX_CARS
    lp = _Program(slots, now, minimums)
    # Prices may be negative: the shortfall outweighs the dearest in magnitude.
    top = max((abs(cost) for cost in costs), default=1.0) or 1.0
    # Cars leaving sooner get the earlier of equally priced slots, plan after plan:
    # else a full site's cars would swap slots (each swap a stop and a start).
    by_departure = sorted(cars, key=lambda c: (c.departure, c.id), reverse=True)
    urgency = {car.id: 1.0 + rank for rank, car in enumerate(by_departure)}
    for car in cars:
        weight = UNMET_WEIGHT * top * (2.0 if car.premium else 1.0)
        lp.add_car(car, weight, urgency[car.id], START_KWH * top if starts else 0.0)
    grid_columns = [
        lp.add_slot_limit(index, slot, costs[index]) for index, slot in enumerate(slots)
    ]
    energy = lp.solve()
    plans: dict[str, CarPlan] = {}
    for car, columns, least in zip(cars, lp.car_columns, lp.least_w, strict=True):
        blocks: list[Block] = []
        delivered = 0.0
        for index, column, hours in columns:
            kwh = float(energy[column])
            delivered += kwh
            power_w = kwh * 1000.0 / hours if hours > 0 else 0.0
            # With minimums, less than the minimum is the solver's tolerance.
            floor_w = min(least, car.max_w) * 0.99 if minimums else MIN_BLOCK_W
            if power_w >= max(floor_w, MIN_BLOCK_W):
                start = max(slots[index].start, now)
                end = min(slots[index].end, car.departure)
                from_grid = bool(energy[grid_columns[index]] > GRID_EPSILON_KWH)
                blocks.append(Block(start, end, power_w, from_grid))
        plans[car.id] = CarPlan(
            schedule=_joined(blocks),
            needed_wh=max(car.need_wh, 0.0),
            reachable_wh=min(delivered * 1000.0, max(car.need_wh, 0.0)),
        )
    return Plan(made_at=now, cars=plans, grid_cost=lp.grid_cost(energy))


def least_w(car: PlanCar, upper_wh: float) -> float:
    """The least the car takes while charging: its minimum, or its taper's power
    once it holds `upper_wh` more where that is lower (offered its minimum, a car
    near full takes less)."""
    least = car.min_w
    if car.soc is not None and car.capacity_wh > 0:
        least = min(
            least, car.max_w * taper_share(car.soc + upper_wh / car.capacity_wh)
        )
    return least


def slot_costs(slots: Sequence[PlanSlot], objective: Objective) -> list[float]:
    """What a grid kWh costs in each slot, in the objective's units, a little more
    than its price (or carbon), so that free surplus comes first. Not shifted: a
    plan weighs a little grid with the surplus against more grid elsewhere.

    Unknown slots (beyond the forecast) cost as much as the dearest known one: the
    plan must not assume them cheap. Without any known value every slot costs the
    same, and the earliness tie-break decides."""
    order = ("price", "co2") if objective is Objective.COST else ("co2", "price")
    for field_name in order:
        values: list[float | None] = [getattr(slot, field_name) for slot in slots]
        known = [v for v in values if v is not None and math.isfinite(v)]
        if known:
            break
    else:
        return [1.0] * len(slots)
    low, high = min(known), max(known)
    floor = max((high - low) * GRID_COST_FLOOR, MIN_GRID_COST)
    costs: list[float] = []
    for value in values:
        known_value = high if value is None or not math.isfinite(value) else value
        costs.append(known_value + floor)
    return costs


class _Program:
    """The linear program, built column by column (HiGHS column-wise)."""

    def __init__(self, slots: Sequence[PlanSlot], now: float, minimums: bool) -> None:
        self.slots = slots
        self.now = now
        self.minimums = minimums
        self.lower: list[float] = []  # > 0: the column is 0 or at least this
        self.binary: set[int] = set()  # columns that are 0 or 1
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = []
        self.rows: list[int] = []
        self.values: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        # Per car: (slot index, column, hours of the slot it may use).
        self.car_columns: list[list[tuple[int, int, float]]] = []
        self.least_w: list[float] = []  # per car: the least it takes charging (W)
        # Per slot: the row that sums what the cars take in it.
        self.slot_rows = [self._row(-math.inf, 0.0) for _ in slots]
        # Per slot: the cars' columns with their share of the slot's limit, and the
        # limit (kWh), to keep the solution within it exactly (solve).
        self.slot_takes: list[list[tuple[int, float]]] = [[] for _ in slots]
        self.slot_limits_kwh = [0.0 for _ in slots]
        # Per slot: its grid energy's column and what a kWh of it costs.
        self.grid_columns: list[tuple[int, float]] = []

    def _row(self, lower: float, upper: float) -> int:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_lower) - 1

    def _column(
        self,
        cost: float,
        upper: float,
        entries: dict[int, float],
        lower: float = 0.0,
    ) -> int:
        if lower > upper:  # a minimum above the maximum: it cannot charge at all
            lower = upper = 0.0
        self.lower.append(lower)
        self.starts.append(len(self.rows))
        for row, value in entries.items():
            self.rows.append(row)
            self.values.append(value)
        self.cost.append(cost)
        self.upper.append(upper)
        return len(self.cost) - 1

    def add_car(
        self, car: PlanCar, unmet_weight: float, urgency: float, start_cost: float
    ) -> None:
        need_kwh = max(car.need_wh, 0.0) / 1000.0
        # With minimums, at least the need: at its minimum for a whole slot a car
        # may have to take a little more than the last of its need.
        upper = need_kwh
        if self.minimums:  # at most one slot at the minimum beyond the need
            longest_h = max((s.end - s.start for s in self.slots), default=0.0) / 3600
            upper += car.min_w * longest_h / 1000.0
        row = self._row(need_kwh, upper)
        least = least_w(car, upper * 1000.0)
        self.least_w.append(least)
        # (slot index, hours the car may use of it, hours of the slot from now)
        usable: list[tuple[int, float, float]] = []
        if car.max_w > 0:
            for index, slot in enumerate(self.slots):
                end = min(slot.end, car.departure)
                hours = (end - max(slot.start, self.now)) / 3600
                if hours >= MIN_HOURS:
                    slot_hours = (slot.end - max(slot.start, self.now)) / 3600
                    usable.append((index, hours, slot_hours))
        taper = self._taper_entries(car, upper, [hours for _, hours, _ in usable])
        # With starts counted, per slot: energy - most x on <= 0 and energy - least
        # x on >= 0, for a binary `on` (_add_starts), in place of a semi-continuous
        # energy.
        counted = self.minimums and start_cost > 0
        on_rows = (
            [(self._row(-math.inf, 0.0), self._row(0.0, math.inf)) for _ in usable]
            if counted
            else []
        )
        columns: list[tuple[int, int, float]] = []
        for step, (index, hours, slot_hours) in enumerate(usable):
            # A car leaving within the slot counts at its power over the whole
            # slot: the slot's limit holds at every instant, not on average.
            entries = {row: 1.0, self.slot_rows[index]: slot_hours / hours}
            entries |= taper[step]
            if counted:
                entries |= dict.fromkeys(on_rows[step], 1.0)
            column = self._column(
                EARLY_WEIGHT * MIN_GRID_COST * index * urgency,
                car.max_w * hours / 1000.0,
                entries,
                least * hours / 1000.0 if self.minimums and not counted else 0.0,
            )
            self.slot_takes[index].append((column, slot_hours / hours))
            columns.append((index, column, hours))
        self.car_columns.append(columns)
        self._column(unmet_weight, math.inf, {row: 1.0})
        if counted:
            _add_starts(self, car, least, columns, on_rows, start_cost)

    def _taper_entries(
        self, car: PlanCar, upper_kwh: float, hours: list[float]
    ) -> list[dict[int, float]]:
        """The car's taper, if its state of charge is known and its need reaches
        into it: in each slot it may use (`hours` of each), its power at most the
        taper line at the state of charge the slot ends at (the lowest in it, so
        the car can always take what is planned), through a column of the energy
        it has taken by then. Returns per slot the entries of the car's column
        in those rows."""
        none: list[dict[int, float]] = [{} for _ in hours]
        if car.soc is None or car.capacity_wh <= 0 or not hours:
            return none
        # Until the slot where it could first pass TAPER_SOC at full power, the
        # line is above its power: rows from there on only (a smaller program).
        reach = car.soc + np.cumsum(hours) * car.max_w / car.capacity_wh
        full_soc = car.soc + upper_kwh * 1000.0 / car.capacity_wh
        if min(reach[-1], full_soc) <= TAPER_SOC:
            return none
        first = int(np.argmax(reach > TAPER_SOC))
        # kW <= top * (TAPER_END - soc - filled / capacity) / (TAPER_END - TAPER_SOC)
        top_kw = car.max_w / 1000.0
        slope = top_kw / (car.capacity_wh / 1000.0 * (TAPER_END - TAPER_SOC))
        line_kw = top_kw * max(TAPER_END - car.soc, 0.0) / (TAPER_END - TAPER_SOC)
        rows = [
            (self._row(0.0, 0.0), self._row(-math.inf, line_kw)) for _ in hours[first:]
        ]
        # filled[i] = filled[i - 1] + the car's energy in slot i (all before the
        # first row in the first)
        for n, (filled_row, taper_row) in enumerate(rows):
            entries = {filled_row: 1.0, taper_row: slope}
            if n + 1 < len(rows):
                entries[rows[n + 1][0]] = -1.0
            self._column(0.0, math.inf, entries)
        return [
            {rows[0][0]: -1.0}
            if step < first
            else {rows[step - first][0]: -1.0, rows[step - first][1]: 1.0 / h}
            for step, h in enumerate(hours)
        ]

    def add_slot_limit(self, index: int, slot: PlanSlot, cost: float) -> int:
        """What the cars take in the slot is the surplus they use plus the grid
        energy, each within its own bound (an equality: a negative price cannot
        make grid energy appear that no car takes). Returns the grid's column."""
        hours = max(slot.end - max(slot.start, self.now), 0.0) / 3600
        row = self.slot_rows[index]
        self.row_lower[row] = self.row_upper[row] = 0.0
        solar_kwh = max(slot.solar_w, 0.0) * hours / 1000.0
        grid_kwh = max(slot.headroom_w, 0.0) * hours / 1000.0
        self.slot_limits_kwh[index] = solar_kwh + grid_kwh
        self._column(0.0, solar_kwh, {row: -1.0})
        column = self._column(cost, grid_kwh, {row: -1.0})
        self.grid_columns.append((column, cost))
        return column

    def grid_cost(self, energy: np.ndarray) -> float:
        """What the solution's grid energy costs, in the objective's units."""
        return sum(float(energy[column]) * cost for column, cost in self.grid_columns)

    def solve(self) -> np.ndarray:
        if not self.cost:
            return np.zeros(0)
        mixed = any(self.lower) or bool(self.binary)
        solution = self._run(semi=True) if mixed else None
        if solution is None:
            # The plain program: always solved (every car has a shortfall column, so
            # it is feasible and bounded); planning nothing would leave the live cap
            # alone.
            solution = self._run(semi=False)
        if solution is None:
            return np.zeros(len(self.cost))
        return self._within_limits(solution)

    def _within_limits(self, solution: np.ndarray) -> np.ndarray:
        """The solution within every limit exactly: the solver keeps its bounds and
        rows only to within its tolerance (1e-7 kWh), a little over a slot's limit
        at times. Each column is clipped to its bounds, and the cars' energy in a
        slot over its limit is scaled down to it: conservative, never over."""
        energy = np.clip(solution, 0.0, np.array(self.upper))
        for takes, limit_kwh in zip(self.slot_takes, self.slot_limits_kwh, strict=True):
            taken = sum(float(energy[column]) * share for column, share in takes)
            if taken > limit_kwh:
                for column, _ in takes:
                    energy[column] *= limit_kwh / taken
        return energy

    def _run(self, *, semi: bool) -> np.ndarray | None:
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.cost)
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.array(self.cost)
        lp.col_lower_ = np.array(self.lower) if semi else np.zeros(len(self.cost))
        lp.col_upper_ = np.array(self.upper)
        lp.row_lower_ = np.array(self.row_lower)
        lp.row_upper_ = np.array(self.row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array([*self.starts, len(self.rows)], dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.rows, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.values)
        if semi:
            kinds = highspy.HighsVarType
            lp.integrality_ = [
                kinds.kInteger
                if index in self.binary
                else kinds.kSemiContinuous
                if low > 0
                else kinds.kContinuous
                for index, low in enumerate(self.lower)
            ]
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("threads", 1)
        if semi:
            # A node limit, not a time limit: the same inputs give the same plan.
            solver.setOptionValue("mip_max_nodes", MIP_MAX_NODES)
            solver.setOptionValue("mip_rel_gap", MIP_GAP)
        solver.passModel(lp)
        solver.run()
        if semi and solver.getModelStatus() == highspy.HighsModelStatus.kSolveError:
            solver.setOptionValue("mip_feasibility_tolerance", MIP_RETRY_TOLERANCE)
            solver.clearSolver()
            solver.run()
        optimal = solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
        feasible = solver.getInfo().primal_solution_status == FEASIBLE
        if optimal or (semi and feasible):
            return np.array(solver.getSolution().col_value)
        return None


def _add_starts(
    lp: _Program,
    car: PlanCar,
    least: float,
    columns: list[tuple[int, int, float]],
    on_rows: list[tuple[int, int]],
    start_cost: float,
) -> None:
    """Each start of the car costs `start_cost`: per slot a binary `on` (the
    car's energy there 0, or from its least to its most, in `on_rows`) and a
    start at least `on` less the slot before's (the first slot's: whether the
    car charges now, which goes on at no cost)."""
    start_rows = [
        lp._row(-1.0 if step == 0 and car.charging else 0.0, math.inf)
        for step in range(len(columns))
    ]
    for step, ((_, _, hours), (most_row, least_row)) in enumerate(
        zip(columns, on_rows, strict=True)
    ):
        entries = {
            most_row: -car.max_w * hours / 1000.0,
            least_row: -least * hours / 1000.0,  # above its most: never on
            start_rows[step]: -1.0,
        }
        if step + 1 < len(columns):
            entries[start_rows[step + 1]] = 1.0
        lp.binary.add(lp._column(0.0, 1.0, entries))
        lp._column(start_cost, 1.0, {start_rows[step]: 1.0})


def _joined(blocks: list[Block]) -> tuple[Block, ...]:
    """Adjacent blocks at the same power as one, at the lower of the two powers.

    Only powers equal but for the solver's noise (JOIN_W) are joined: two slots of
    nearly the same limit, each planned at its own, joined at the first one's power
    would take more than the second allows. The lower power never exceeds either."""
    joined: list[Block] = []
    for block in blocks:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.end == block.start
            and abs(last.power_w - block.power_w) <= JOIN_W
            and last.from_grid == block.from_grid
        ):
            power_w = min(last.power_w, block.power_w)
            joined[-1] = Block(last.start, block.end, power_w, last.from_grid)
        else:
            joined.append(block)
    return tuple(joined)
