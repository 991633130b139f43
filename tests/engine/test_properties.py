"""Property tests: SPEC §5 invariants on every step of random multi-step runs."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.smart_charging.engine import (
    ChargerInput,
    ChargerState,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    decide,
)

from .helpers import Sim, check_invariants, effective_min, kw

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,  # the same examples on every machine and run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

often = st.sampled_from((True, True, True, False))
watts_st = st.floats(min_value=0, max_value=kw(60), allow_nan=False)


@st.composite
def chargers_st(draw: st.DrawFn, max_n: int = 50) -> list[ChargerInput]:
    n = draw(st.integers(1, max_n))
    return [
        ChargerInput(
            id=f"c{i:02d}",
            phases=draw(st.sampled_from((1, 3))),
            min_current=draw(st.integers(0, 16)),
            max_current=draw(st.integers(0, 40)),
            ceiling=draw(st.none() | st.integers(0, 40)),
            profile=draw(st.sampled_from(Profile)),
            mode=draw(st.sampled_from(Mode)),
            connected=draw(often),
            enabled=draw(often),
            measured_power_w=draw(st.none() | st.floats(0, kw(22))),
            last_command=draw(st.none() | st.integers(0, 40)),
            error=draw(st.booleans()),
            plan_w=draw(st.none() | st.floats(0, kw(30))),
            switchable=draw(st.booleans()),
        )
        for i in range(n)
    ]


@st.composite
def site_st(draw: st.DrawFn, voltage: float) -> SiteInput:
    household = draw(st.floats(-kw(3), kw(120)))
    solar = draw(st.one_of(st.just(0.0), watts_st))
    margin = draw(st.one_of(st.just(0.0), st.floats(0, kw(10))))
    # Mostly a contested budget (a few kW to a few tens of kW for the cars), where
    # priority, rotation and rounding matter; sometimes any limit at all.
    headroom = draw(st.floats(-kw(2), kw(40)))
    limit = draw(
        st.one_of(
            st.just(max(household - solar + margin + headroom, 0.0)),
            st.floats(0, kw(400)),
        )
    )
    return SiteInput(
        grid_limit_w=limit,
        household_w=household,
        solar_w=solar,
        safety_margin_w=margin,
        standard_max_w=draw(st.one_of(st.just(0.0), st.floats(0, kw(25)))),
        voltage=voltage,
        offpeak=draw(st.booleans()),
        inputs_usable=draw(often),
        failsafe_current=draw(st.integers(0, 16)),
    )


# One change to one charger between steps: plug, unplug, user settings, a box that
# reports another setpoint than it was told (failed write, restart).
change_st = st.tuples(
    st.integers(0, 49),
    st.sampled_from(
        ("connected", "enabled", "mode", "profile", "ceiling", "last", "error")
    ),
    st.integers(0, 40),
)


Change = tuple[int, str, int]
Step = tuple[SiteInput, float, bool, list[Change]]


@st.composite
def run_st(draw: st.DrawFn) -> tuple[list[ChargerInput], list[Step]]:
    voltage = draw(st.sampled_from((220.0, 230.0, 240.0)))
    chargers = draw(chargers_st())
    steps = draw(
        st.lists(
            st.tuples(
                site_st(voltage),
                st.sampled_from((0.0, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 1e3)),
                st.booleans(),
                st.lists(change_st, max_size=4),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return chargers, steps


def apply_change(sim: Sim, change: Change) -> None:
    index, what, value = change
    ids = list(sim.chargers)
    cid = ids[index % len(ids)]
    c = sim.chargers[cid]
    match what:
        case "connected":
            sim.set(cid, connected=not c.connected)
        case "enabled":
            sim.set(cid, enabled=not c.enabled)
        case "mode":
            sim.set(cid, mode=list(Mode)[value % len(Mode)])
        case "profile":
            sim.set(cid, profile=list(Profile)[value % 2])
        case "ceiling":
            sim.set(cid, ceiling=value)
        case "last":
            sim.set(cid, last_command=value)
        case _:
            sim.set(cid, error=not c.error)


@SETTINGS
@given(run_st())
def test_invariants_hold_on_every_step_of_random_runs(
    run: tuple[list[ChargerInput], list[Step]],
) -> None:
    chargers, steps = run
    sim = Sim.of(*chargers, now=1000.0)
    for site, dt, allow_increase, changes in steps:
        for change in changes:
            apply_change(sim, change)
        # Sim.step checks every invariant of this step.
        sim.step(site, dt=dt, allow_increase=allow_increase)


@SETTINGS
@given(
    chargers_st(),
    site_st(230.0),
    st.booleans(),
    st.none() | st.floats(-kw(3), kw(120)),
)
def test_invariants_hold_for_any_single_step(
    chargers: list[ChargerInput],
    site: SiteInput,
    allow_increase: bool,
    last_household: float | None,
) -> None:
    state = EngineState(last_household_w=last_household, last_time=0.0)
    d = decide(site, chargers, state, 10.0, allow_increase=allow_increase)
    check_invariants(
        site,
        chargers,
        d,
        last_usable_household=last_household,
        allow_increase=allow_increase,
    )


@SETTINGS
@given(
    chargers_st(max_n=20),
    st.floats(0, kw(100)),
    st.floats(0, kw(60)),
    st.lists(st.booleans(), min_size=2, max_size=20),
)
def test_failsafe_never_increases_and_stays_under_the_last_known_load(
    chargers: list[ChargerInput],
    limit: float,
    household: float,
    usable_steps: list[bool],
) -> None:
    # Meter drops in and out; whenever it is out, nothing goes up.
    sim = Sim.of(*chargers)
    for usable in usable_steps:
        site = SiteInput(
            grid_limit_w=limit,
            household_w=household,
            inputs_usable=usable,
            failsafe_current=10,
        )
        before = dict(sim.amps())
        d = sim.step(site)
        if not usable:
            for cid, decision in d.chargers.items():
                previous = before[cid]
                if decision.current is not None and previous is not None:
                    assert decision.current <= previous


@SETTINGS
@given(
    st.integers(2, 4),
    st.lists(
        st.tuples(st.floats(0, kw(12)), st.sampled_from((5.0, 10.0, 30.0, 60.0))),
        min_size=1,
        max_size=60,
    ),
)
def test_solar_starters_never_share_one_minimum(
    n: int, surplus_steps: list[tuple[float, float]]
) -> None:
    # Whenever a solar charger starts, the surplus covers the minimums of every solar
    # charger then running: two cars never start on one car's surplus.
    sim = Sim.of(*(ChargerInput(id=f"s{i}", mode=Mode.SOLAR) for i in range(n)))
    for surplus, dt in surplus_steps:
        before = dict(sim.amps())
        d = sim.step(SiteInput(kw(100), 0.0, solar_w=surplus), dt=dt)
        running = [cid for cid, c in d.chargers.items() if c.current]
        started = [cid for cid in running if not before[cid]]
        if started:
            need = sum(effective_min(sim.chargers[cid]) * 230.0 * 3 for cid in running)
            assert surplus >= need


@SETTINGS
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from((1.0, 10.0, 30.0, 45.0, 90.0, 200.0))),
        min_size=1,
        max_size=120,
    )
)
def test_solar_hysteresis_bounds_start_stop_cycles(
    pattern: list[tuple[bool, float]],
) -> None:
    # Whatever the clouds do, a start needs 60 s of surplus and a stop 180 s without:
    # each run lasts >= 180 s and two starts are >= 240 s apart.
    car = ChargerInput(id="car", mode=Mode.SOLAR)
    sim = Sim.of(car)
    starts: list[float] = []
    stops: list[float] = []
    running = False
    for covered, dt in pattern:
        solar = kw(6) if covered else kw(1)
        now = sim.now
        on = bool(
            sim.step(SiteInput(kw(30), 0.0, solar), dt=dt).chargers["car"].current
        )
        if on and not running:
            starts.append(now)
        elif running and not on:
            stops.append(now)
        running = on
    for first, second in itertools.pairwise(starts):
        assert second - first >= 240.0
    for start, stop in zip(starts, stops, strict=False):
        assert stop - start >= 180.0


def test_decide_leaves_its_inputs_alone() -> None:
    # Callers keep the old state (e.g. to retry a step): decide() must not change it.
    kept = {"a": ChargerState(served_s=5.0)}
    state = EngineState(chargers=dict(kept), last_time=0.0)
    c = ChargerInput(id="a", last_command=6, mode=Mode.SOLAR)
    d = decide(SiteInput(kw(10), 0.0, solar_w=kw(8)), [c], state, 100.0)
    assert d.state.chargers["a"] != kept["a"]
    assert state.chargers == kept
    assert state.last_time == 0.0
