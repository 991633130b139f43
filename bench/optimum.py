"""The perfect-foresight optimum: a linear program over the whole day (scipy HiGHS).

It knows the true household, solar and every vehicle in advance and, on a grid of
`Scenario.lp_step_s` steps:
- keeps the vehicles' total power at or under the limit's headroom at every tick of each
  step (the step's minimum), so it is never over the limit;
- gives each vehicle at most its power ceiling (the box's, the standard profile's and
  the car's on-board limit), follows the car's taper (linear in the state
  of charge) and stops at its request;
- respects the modes: a `solar` car only takes surplus, `solar_min` adds at most its
  minimum from the grid, `off_peak` takes the grid only in off-peak hours;
- maximises the energy delivered first and, second, minimises the cost of the grid
  energy the vehicles take (which also maximises their use of the solar surplus, since
  surplus is free); the cost at the scenario's price, or its CO2 where the scenario's
  `plan_objective` is `co2`;
- for a `smart` car, counts energy only up to its need and only until its declared
  departure: it meets every need by its departure where the limits allow (the most
  need-energy in all where not), at the least cost; a car may still take free
  surplus beyond its need, never grid energy.
With `Scenario.lp_min_current` each vehicle's power is semi-continuous (0 or at least
the box's minimum current, or the car's tapered draw at its target if lower), which
makes it a MILP (HiGHS branch and bound): a box cannot offer 1-5 A, so an optimum that
charged a solar car on 2 kW of surplus would be out of anyone's reach. Without it (the
parking lots, where the budget dwarfs the minimums) it is the plain LP relaxation.
Either way there are no whole amps and no sensor lag, so it bounds what a controller
can deliver. Per-step surplus is the step's mean (slightly optimistic at coarse steps);
the plan is replayed on the simulator's tick grid for the metrics.

`equal_share` shares the relaxation's power equally tick by tick without foresight, a
reference for what knowing the day ahead (above all the departure times) is worth.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from bench.grid_metrics import quarter_averages, quarter_index, quarter_targets
from bench.scenario import FloatArray, Scenario, Session
from bench.sim import Trace, World, box_ceiling_a, make_world, solar_sessions
from custom_components.smart_charging.engine.phases import site_phases
from custom_components.smart_charging.engine.planner import (
    TAPER_END,
    TAPER_SOC,
    taper_share,
)

OPTIMUM = "optimum (LP)"
ENERGY_WEIGHT = 10.0  # per kWh: far above any price, so energy comes first


@dataclass(frozen=True, slots=True)
class Plan:
    """The LP's answer: each session's power (kW) on its steps."""

    steps: list[tuple[int, int]]  # per session: first step, number of steps
    power_kw: list[FloatArray]  # per session
    delivered_kwh: tuple[float, ...]
    objective: float
    solve_s: float


def ceiling_kw(scenario: Scenario, session: Session) -> float:
    """The most a session can take: box ceiling, standard profile ceiling, car."""
    spec = next(c for c in scenario.chargers if c.id == session.charger)
    amps = box_ceiling_a(scenario, spec)
    phases = min(spec.phases, session.car_phases)
    car_amps = session.car_kw * 1000.0 / (scenario.voltage * session.car_phases)
    return min(amps, car_amps) * scenario.voltage * phases / 1000.0


def grid_cap_kw(
    scenario: Scenario, session: Session, offpeak: bool, top: float
) -> float:
    """How much of a session's power may come from the grid in its mode."""
    mode = session.mode
    if mode in ("fast", "smart") or (mode == "off_peak" and offpeak):
        return top
    if mode == "solar_min":
        spec = next(c for c in scenario.chargers if c.id == session.charger)
        phases = min(spec.phases, session.car_phases)
        return min(top, spec.min_current * scenario.voltage * phases / 1000.0)
    return 0.0


def window_end(session: Session) -> int:
    """Where a session's window ends for the optimum: when the car leaves, and for a
    `smart` car its declared departure if that comes first (what it takes after
    does not count towards its need)."""
    if session.smart:
        return min(session.depart_s, session.departure)
    return session.depart_s


def min_draw_kw(scenario: Scenario, session: Session) -> float:
    """The least a charging car draws: the box's minimum current, or less where the
    taper at its target leaves it under that."""
    spec = next(c for c in scenario.chargers if c.id == session.charger)
    phases = min(spec.phases, session.car_phases)
    minimum = spec.min_current * scenario.voltage * phases / 1000.0
    soc = session.soc0 + session.energy_kwh / session.capacity_kwh
    tapered = session.car_kw * taper_share(soc)
    return min(minimum, tapered)


def solve(scenario: Scenario, world: World | None = None) -> Plan:
    world = world or make_world(scenario)
    step = scenario.lp_step_s
    tick = scenario.tick_s
    if step % tick:
        raise ValueError("the LP step must be a multiple of the tick")
    per = step // tick
    n_steps = math.ceil(scenario.duration_s / step)
    headroom = (
        scenario.limit_w
        - scenario.safety_margin_kw * 1000.0
        - world.household
        + world.solar
    ) / 1000.0
    surplus = np.maximum(world.solar - world.household, 0.0) / 1000.0
    price = scenario.price_at(world.times)
    if scenario.plan_objective == "co2":
        co2 = scenario.co2_at(world.times)
        if co2 is None:
            raise ValueError(f"{scenario.name}: objective co2 without a CO2 series")
        price = co2 / 1000.0  # kg per kWh: far under the energy weight too
    budget = np.empty(n_steps)
    solar = np.empty(n_steps)
    step_price = np.empty(n_steps)
    offpeak = np.empty(n_steps, dtype=bool)
    for k in range(n_steps):
        sl = slice(k * per, (k + 1) * per)
        budget[k] = max(float(headroom[sl].min()), 0.0)
        if world.dimmed[sl].any():  # §14a: the limit on top of the surplus
            dim_w = scenario.dimming_limit_kw * 1000.0 + surplus[sl].min() * 1000.0
            budget[k] = min(budget[k], dim_w / 1000.0)
        solar[k] = float(surplus[sl].mean())
        step_price[k] = float(price[sl].mean())
        offpeak[k] = bool(world.offpeak[sl].all())
    hours = step / 3600.0

    sessions = scenario.sessions
    layout: list[tuple[int, int]] = []
    fracs: list[FloatArray] = []
    offset = 0
    for s in sessions:
        end = window_end(s)
        first = s.arrive_s // step
        last = max(math.ceil(end / step), first)
        idx = np.arange(first, last)
        lo = np.maximum(idx * step, s.arrive_s)
        hi = np.minimum((idx + 1) * step, end)
        layout.append((first, last - first))
        fracs.append((hi - lo) / step)
        offset += last - first
    n = offset
    # Variables: q (kW while plugged), g (its grid part), e (kWh before the step),
    # and per `smart` session its need met (kWh, at most its need, at most what it
    # has at the end of its window): energy counts up to the need, no more.
    q0, g0, e0, n0 = 0, n, 2 * n, 3 * n
    needs = [
        i
        for i, ((_, c), s) in enumerate(zip(layout, sessions, strict=True))
        if c and s.smart
    ]
    n_vars = 3 * n + len(needs)
    need_var = {i: n0 + j for j, i in enumerate(needs)}
    cost = np.zeros(n_vars)
    upper = np.zeros(n_vars)
    lower = np.zeros(n_vars)
    integrality = np.zeros(n_vars, dtype=np.int64)
    ub_rows: list[int] = []
    ub_cols: list[int] = []
    ub_vals: list[float] = []
    ub_rhs: list[float] = []
    eq_rows: list[int] = []
    eq_cols: list[int] = []
    eq_vals: list[float] = []
    row = 0
    eq_row = 0

    def ub(cols: list[int], vals: list[float], rhs: float) -> None:
        nonlocal row
        ub_rows.extend([row] * len(cols))
        ub_cols.extend(cols)
        ub_vals.extend(vals)
        ub_rhs.append(rhs)
        row += 1

    by_step: list[list[int]] = [[] for _ in range(n_steps)]
    base = 0
    for i, (s, (first, count), frac) in enumerate(
        zip(sessions, layout, fracs, strict=True)
    ):
        top = ceiling_kw(scenario, s)
        slope = top / (s.capacity_kwh * (TAPER_END - TAPER_SOC))
        taper_rhs = top * (TAPER_END - s.soc0) / (TAPER_END - TAPER_SOC)
        tapers = s.soc0 + s.energy_kwh / s.capacity_kwh > TAPER_SOC
        for j in range(count):
            v = base + j
            k = first + j
            by_step[k].append(v)
            upper[q0 + v] = top
            if scenario.lp_min_current:
                lower[q0 + v] = min_draw_kw(scenario, s)
                integrality[q0 + v] = 2  # semi-continuous: 0 or [lower, upper]
            upper[g0 + v] = grid_cap_kw(scenario, s, bool(offpeak[k]), top)
            upper[e0 + v] = s.energy_kwh
            if not s.smart:
                cost[q0 + v] = -ENERGY_WEIGHT * frac[j] * hours
            cost[g0 + v] = step_price[k] * frac[j] * hours
            ub([g0 + v, q0 + v], [1.0, -1.0], 0.0)
            if tapers:
                ub([q0 + v, e0 + v], [1.0, slope], taper_rhs)
            if j + 1 < count:
                eq_rows.extend([eq_row] * 3)
                eq_cols.extend([e0 + v + 1, e0 + v, q0 + v])
                eq_vals.extend([1.0, -1.0, -frac[j] * hours])
                eq_row += 1
            else:
                ub([e0 + v, q0 + v], [1.0, frac[j] * hours], s.energy_kwh)
                if i in need_var:
                    met = need_var[i]
                    upper[met] = s.need
                    cost[met] = -ENERGY_WEIGHT
                    ub([met, e0 + v, q0 + v], [1.0, -1.0, -frac[j] * hours], 0.0)
        upper[e0 + base] = 0.0  # nothing delivered before arrival
        base += count
    # The main fuse: per step and site phase, the household's highest current on
    # it plus each car's current there (power / (voltage x its phases)).
    fuse_room = fuse_room_a(scenario, world, n_steps, per)
    session_of = np.repeat(np.arange(len(sessions)), [c for _, c in layout])
    drawn = [session_phases(scenario, world, s) for s in sessions]
    if fuse_room is not None:
        for k, members in enumerate(by_step):
            for p in range(3):
                on = [v for v in members if p in drawn[session_of[v]]]
                if on:
                    amps_per_kw = [
                        1000.0 / (scenario.voltage * len(drawn[session_of[v]]))
                        for v in on
                    ]
                    ub([q0 + v for v in on], amps_per_kw, float(fuse_room[k, p]))
    # The capacity tariff: each clock quarter's vehicle energy within what its
    # target leaves the household (no PV: import = household + vehicles).
    for members, room_kwh in quarter_rooms(scenario, world, by_step, step):
        cols = [q0 + v for v in members]
        vals = [frac_of(layout, fracs, v) * hours for v in members]
        ub(cols, vals, room_kwh)
    for k, members in enumerate(by_step):
        if not members:
            continue
        ub([q0 + v for v in members], [1.0] * len(members), float(budget[k]))
        ub(
            [q0 + v for v in members] + [g0 + v for v in members],
            [1.0] * len(members) + [-1.0] * len(members),
            float(solar[k]),
        )

    started = time.perf_counter()
    a_ub = coo_matrix((ub_vals, (ub_rows, ub_cols)), shape=(row, n_vars)).tocsr()
    a_eq = (
        coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(eq_row, n_vars)).tocsr()
        if eq_row
        else None
    )
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.asarray(ub_rhs),
        A_eq=a_eq,
        b_eq=np.zeros(eq_row) if eq_row else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
        integrality=integrality if scenario.lp_min_current else None,
        options={"time_limit": 120.0, "mip_rel_gap": 1e-4},
    )
    solve_s = time.perf_counter() - started
    if result.x is None or result.status not in (0, 1):
        raise RuntimeError(f"optimum of {scenario.name}: {result.message}")
    x = np.asarray(result.x, dtype=np.float64)
    powers: list[FloatArray] = []
    delivered: list[float] = []
    base = 0
    for (_, count), frac in zip(layout, fracs, strict=True):
        q = np.maximum(x[q0 + base : q0 + base + count], 0.0)
        powers.append(q)
        delivered.append(float((q * frac).sum() * hours))
        base += count
    return Plan(layout, powers, tuple(delivered), float(result.fun), solve_s)


def replay_phases(scenario: Scenario, plan: Plan, world: World) -> FloatArray:
    """The plan's car currents per site phase on the tick grid (shape (n, 3)), by
    the wiring in `world`."""
    ev = np.zeros((len(world.times), 3))
    step = scenario.lp_step_s
    for s, (first, _), power in zip(
        scenario.sessions, plan.steps, plan.power_kw, strict=True
    ):
        present = (world.times >= s.arrive_s) & (world.times < window_end(s))
        idx = (world.times[present] // step).astype(int) - first
        drawn = session_phases(scenario, world, s)
        amps = power[idx] * 1000.0 / (scenario.voltage * len(drawn))
        for p in drawn:
            ev[present, p] += amps
    return ev


def session_phases(scenario: Scenario, world: World, s: Session) -> tuple[int, ...]:
    """The site phases a session's car draws on, by its box's wiring in `world`."""
    spec = world.specs[s.charger]
    phases = min(spec.phases, s.car_phases)
    return site_phases(world.rotation.get(s.charger, "L1L2L3"), phases)


def fuse_room_a(
    scenario: Scenario, world: World, n_steps: int, per: int
) -> FloatArray | None:
    """Per LP step and site phase, the fuse less the household's highest current
    over the step; None without a fuse."""
    if scenario.main_fuse_a <= 0 or world.household_phase_a is None:
        return None
    room = np.empty((n_steps, 3))
    for k in range(n_steps):
        sl = world.household_phase_a[k * per : (k + 1) * per]
        room[k] = np.maximum(scenario.main_fuse_a - sl.max(axis=0), 0.0)
    return room


def quarter_rooms(
    scenario: Scenario, world: World, by_step: list[list[int]], step: int
) -> list[tuple[list[int], float]]:
    """Per clock quarter with vehicles: the LP variables in it and the energy (kWh)
    its target (grid_metrics.quarter_targets) leaves them above the household."""
    if scenario.peak_limit_kw <= 0:
        return []
    if scenario.has_pv:
        raise ValueError("the capacity tariff's LP assumes no PV")
    if 900 % step or (scenario.epoch0 % 900) % step:
        raise ValueError("the LP step must divide the clock quarters")
    alone, _ = quarter_averages(scenario, world.times, world.household)
    targets = quarter_targets(scenario, alone)
    first = int(quarter_index(scenario, world.times[:1])[0])
    members: dict[int, list[int]] = {}
    for k, vs in enumerate(by_step):
        q = int((scenario.epoch0 + k * step) // 900) - first
        members.setdefault(q, []).extend(vs)
    return [
        (vs, max(float(targets[q] - alone[q]), 0.0) * 0.25 / 1000.0)
        for q, vs in members.items()
        if vs
    ]


def frac_of(layout: list[tuple[int, int]], fracs: list[FloatArray], v: int) -> float:
    """The share of its step LP variable `v` is plugged."""
    for (_, count), frac in zip(layout, fracs, strict=True):
        if v < count:
            return float(frac[v])
        v -= count
    raise IndexError(v)


def replay(scenario: Scenario, plan: Plan, world: World | None = None) -> Trace:
    """The plan on the simulator's tick grid."""
    world = world or make_world(scenario)
    ev = np.zeros(len(world.times))
    delivered = []
    by_departure = []
    step = scenario.lp_step_s
    solar_w = {i: np.zeros(len(world.times)) for i in solar_sessions(scenario)}
    for i, (s, (first, _), power) in enumerate(
        zip(scenario.sessions, plan.steps, plan.power_kw, strict=True)
    ):
        present = (world.times >= s.arrive_s) & (world.times < window_end(s))
        idx = (world.times[present] // step).astype(int) - first
        watts = power[idx] * 1000.0
        ev[present] += watts
        if i in solar_w:
            solar_w[i][present] = watts
        delivered.append(float(watts.sum() * scenario.tick_s / 3.6e6))
        due = world.times[present] < s.departure
        by_departure.append(float(watts[due].sum() * scenario.tick_s / 3.6e6))
    return Trace(
        strategy=OPTIMUM,
        ev_w=ev,
        delivered_kwh=tuple(delivered),
        starts=None,
        writes=None,
        run_s=plan.solve_s,
        solar_session_w=solar_w,
        by_departure_kwh=tuple(by_departure),
    )


EQUAL_SHARE = "equal share, no foresight"


def _water_fill(caps: FloatArray, pool: float) -> FloatArray:
    """Equal shares of the pool, none above its cap; what a capped one leaves goes on
    to the others."""
    out = np.zeros(len(caps))
    for n, i in enumerate(np.argsort(caps)):
        out[i] = min(caps[i], pool / (len(caps) - n))
        pool -= out[i]
    return out


def equal_share_applies(scenario: Scenario) -> bool:
    """Fast sessions only, where the optimum is the LP relaxation (the lots)."""
    return not scenario.lp_min_current and all(
        s.mode == "fast" for s in scenario.sessions
    )


def equal_share(scenario: Scenario, world: World | None = None) -> Trace:
    """The LP relaxation's rules without knowing departures, a reference like the
    optimum: each tick the true headroom (no sensor lag) is shared by equal
    water-filling in continuous power, premium chargers first, then standard, each car
    up to what it takes now (`ceiling_kw`, its taper as in the simulator, what is left
    of its request). Unlike the LP it has every tick's headroom, not the step's
    minimum. Only for `fast` sessions where the optimum is the relaxation."""
    if not equal_share_applies(scenario):
        raise ValueError(f"{EQUAL_SHARE}: only fast sessions under the LP relaxation")
    world = world or make_world(scenario)
    started = time.perf_counter()
    sessions = scenario.sessions
    dt = float(scenario.tick_s)
    specs = {c.id: c for c in scenario.chargers}
    top = [ceiling_kw(scenario, s) * 1000.0 for s in sessions]
    premium = np.array([specs[s.charger].profile == "premium" for s in sessions])
    arrive = np.array([s.arrive_s for s in sessions])
    depart = np.array([s.depart_s for s in sessions])
    headroom = np.maximum(
        scenario.limit_w
        - scenario.safety_margin_kw * 1000.0
        - world.household
        + world.solar,
        0.0,
    )
    delivered = [0.0] * len(sessions)
    ev = np.zeros(len(world.times))

    def left_w(i: int) -> float:
        return (sessions[i].energy_kwh - delivered[i]) * 3.6e6 / dt

    for k, t in enumerate(world.times):
        present = (arrive <= t) & (t < depart)
        pool = float(headroom[k])
        for tier in (present & premium, present & ~premium):
            idx = np.flatnonzero(tier).tolist()
            caps = [
                min(top[i], sessions[i].taper_w(delivered[i]), left_w(i)) for i in idx
            ]
            power = _water_fill(np.maximum(caps, 0.0), pool)
            for i, p in zip(idx, power, strict=True):
                delivered[i] += float(p) * dt / 3.6e6
            pool -= float(power.sum())
            ev[k] += float(power.sum())
    return Trace(
        strategy=EQUAL_SHARE,
        ev_w=ev,
        delivered_kwh=tuple(delivered),
        starts=None,
        writes=None,
        run_s=time.perf_counter() - started,
        solar_session_w={},  # fast sessions only
    )
