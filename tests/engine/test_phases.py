"""The main fuse per phase (SPEC §5 rule 1): engine/phases.py and the control step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.smart_charging.engine import (
    ChargerState,
    EngineState,
    Mode,
    Profile,
    Status,
)
from custom_components.smart_charging.engine.control import (
    ChargerView,
    ControlState,
    Holding,
    PhaseCount,
    SiteReadings,
    SiteSettings,
    StepResult,
    control_step,
)
from custom_components.smart_charging.engine.phases import (
    ROTATIONS,
    Draw,
    PhaseCharger,
    fit_fuse,
    household_currents,
    keep_shown,
    phase_loads,
    site_phases,
)

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
HOUSE = SiteSettings(grid_limit_w=100_000.0, main_fuse_a=25.0)


def test_rotations_map_the_chargers_phases_onto_the_sites() -> None:
    assert site_phases("L1L2L3", 3) == (0, 1, 2)
    assert site_phases("L2L3L1", 3) == (1, 2, 0)
    assert site_phases("L3L1L2", 3) == (2, 0, 1)
    assert site_phases("L2L3L1", 1) == (1,)  # a one-phase charger: the first
    assert site_phases("L3L1L2", 2) == (2, 0)
    assert site_phases("bogus", 1) == (0,)


def test_household_per_phase_is_measured_less_the_chargers() -> None:
    measured = (30.0, 20.0, 10.0)
    draws = [Draw((0,), 16.0), Draw((1, 2, 0), 6.0)]
    assert household_currents(measured, draws) == (8.0, 14.0, 4.0)


def test_the_lowest_priority_on_the_over_phase_goes_first() -> None:
    chargers = [
        PhaseCharger("premium", (0,), 16, 6, premium=True),
        PhaseCharger("small", (0,), 10, 6),
        PhaseCharger("big", (0, 1, 2), 16, 6),
        PhaseCharger("elsewhere", (1,), 16, 6),
    ]
    # L1: 5 + 16 + 10 + 16 = 47, 22 A over: the standard ones share the 4 A the
    # premium one leaves, under their minimum: "big" (ranks tied, the most
    # current) pauses; then "small" alone would have 4 A, so 0 too. The premium
    # one and the one on L2 keep theirs.
    lowered = fit_fuse(25.0, (5.0, 0.0, 0.0), chargers)
    assert lowered == {"big": 0, "small": 0}
    loads = phase_loads(
        (5.0, 0.0, 0.0), chargers, {c.id: c.current for c in chargers} | lowered
    )
    assert max(loads) <= 25.0


def test_a_charger_is_lowered_only_as_far_as_needed() -> None:
    chargers = [PhaseCharger("a", (1,), 16, 6), PhaseCharger("b", (0,), 16, 6)]
    assert fit_fuse(25.0, (0.0, 12.5, 0.0), chargers) == {"a": 12}


def test_a_failing_box_holds_its_current_so_the_others_go_down() -> None:
    chargers = [
        PhaseCharger("failing", (0,), 6, 6, held=16),
        PhaseCharger("ok", (0,), 16, 6),
    ]
    assert fit_fuse(25.0, (5.0, 0.0, 0.0), chargers) == {"ok": 0}


def one_phase(cid: str, rotation: str, **changes: object) -> ChargerView:
    return ChargerView(
        id=cid,
        phases=1,
        connected=True,
        phase_rotation=rotation,
        **changes,  # type: ignore[arg-type]
    )


def step(
    views: Sequence[ChargerView],
    currents: tuple[float, float, float] | None,
    state: ControlState | None = None,
    *,
    unusable: tuple[str, ...] = (),
    allow_increase: bool = True,
) -> StepResult:
    return control_step(
        HOUSE,
        SiteReadings(
            household_w=3000.0,
            phase_currents_a=currents,
            unusable=unusable,
            phases_reported_at=(1000.0, 1000.0, 1000.0),
        ),
        views,
        state or ControlState(),
        1000.0,
        allow_increase=allow_increase,
    )


def currents_of(result: StepResult) -> dict[str, int | None]:
    return {cid: d.current for cid, d in result.decision.chargers.items()}


def test_a_load_on_l1_lowers_the_charger_on_l1_at_once_not_the_one_on_l2() -> None:
    views = [
        one_phase("on_l1", "L1L2L3", holding=Holding(16)),
        one_phase("on_l2", "L2L3L1", holding=Holding(16)),
        ChargerView(id="three", connected=True, holding=Holding(6)),
    ]
    # The household draws 12 A on L1: 12 + 16 + 6 = 34 A measured there.
    result = step(views, (34.0, 22.0, 6.0), allow_increase=False)
    currents = currents_of(result)
    assert currents["on_l2"] == 16
    assert 12 + (currents["on_l1"] or 0) + (currents["three"] or 0) <= 25
    assert "on_l1" in result.decreases
    # The one on L1 (the most current) is lowered; the three-phase one keeps 6 A.
    assert currents == {"on_l1": 7, "on_l2": 16, "three": 6}


def test_a_charger_paused_by_the_fuse_is_paused_by_cap_and_others_get_its_share() -> (
    None
):
    views = [
        one_phase("on_l1", "L1L2L3", holding=Holding(16), max_current=32),
        one_phase("on_l2", "L2L3L1", holding=Holding(16), max_current=32),
    ]
    result = step(views, (38.0, 16.0, 0.0))  # 22 A household on L1
    decided = result.decision.chargers
    assert decided["on_l1"].current == 0
    assert decided["on_l1"].status is Status.PAUSED_BY_CAP
    assert decided["on_l1"].power_w == 0.0
    assert decided["on_l2"].current == 25  # L2 is free up to the fuse
    assert result.decreases == ("on_l1",)
    assert result.increases == ("on_l2",)
    assert result.state.phase_household_a == (22.0, 0.0, 0.0)


def test_a_car_seen_on_one_phase_counts_on_the_first_only() -> None:
    state = ControlState(engine=EngineState(chargers={"a": ChargerState(car_phases=1)}))
    views = [
        ChargerView(
            id="a", connected=True, phase_rotation="L3L1L2", holding=Holding(16)
        )
    ]
    # 16 A on L3 (the car) and 20 A of household on L1 and L2 each.
    result = step(views, (20.0, 20.0, 16.0), state)
    assert currents_of(result)["a"] == 16  # L3 is free: only 16 A there


def test_unusable_phase_sensors_keep_the_last_household_and_failsafe() -> None:
    views = [one_phase("a", "L1L2L3", holding=Holding(16))]
    seen = ControlState(
        EngineState(last_household_w=3000.0), phase_household_a=(22.0, 0.0, 0.0)
    )
    result = step(views, None, seen, unusable=("sensor.l1 (unavailable)",))
    assert result.decision.failsafe
    assert currents_of(result)["a"] == 0  # 22 A + 6 A is over the fuse
    assert result.decision.chargers["a"].status is Status.FAILSAFE
    assert result.state.phase_household_a == (22.0, 0.0, 0.0)
    never = step(views, None, unusable=("sensor.l1 (unavailable)",))
    assert currents_of(never)["a"] == 0  # never seen: nothing is known to fit
    quiet = step(
        views,
        None,
        ControlState(
            EngineState(last_household_w=3000.0), phase_household_a=(2.0, 0.0, 0.0)
        ),
        unusable=("sensor.l1 (unavailable)",),
    )
    assert currents_of(quiet)["a"] == 6  # the failsafe current fits


def test_without_a_fuse_the_phase_currents_change_nothing() -> None:
    views = [one_phase("a", "L1L2L3", holding=Holding(16))]
    result = control_step(
        SiteSettings(grid_limit_w=100_000.0),
        SiteReadings(household_w=3000.0, phase_currents_a=(80.0, 0.0, 0.0)),
        views,
        ControlState(),
        1000.0,
        allow_increase=True,
    )
    assert currents_of(result)["a"] == 16


# The property -------------------------------------------------------------------


@st.composite
def sites_st(
    draw: st.DrawFn,
) -> tuple[float, tuple[float, float, float], list[ChargerView], ControlState]:
    fuse = float(draw(st.integers(16, 63)))
    household = tuple(
        draw(st.floats(-5.0, fuse + 10.0, allow_nan=False)) for _ in range(3)
    )
    views: list[ChargerView] = []
    kept: dict[str, ChargerState] = {}
    for i in range(draw(st.integers(1, 5))):
        phases = draw(st.sampled_from((1, 3)))
        min_current = draw(st.integers(6, 10))
        max_current = draw(st.integers(min_current, 32))
        held = draw(st.sampled_from((0, min_current, max_current)))
        cid = f"c{i}"
        views.append(
            ChargerView(
                id=cid,
                phases=phases,
                min_current=min_current,
                max_current=max_current,
                profile=draw(st.sampled_from(tuple(Profile))),
                mode=draw(st.sampled_from((Mode.FAST, Mode.FAST, Mode.SOLAR_MIN))),
                enabled=draw(st.sampled_from((True, True, True, False))),
                connected=draw(st.sampled_from((True, True, False))),
                holding=Holding(held),
                phase_rotation=draw(st.sampled_from(ROTATIONS)),
            )
        )
        if phases == 3 and draw(st.booleans()):
            kept[cid] = ChargerState(car_phases=draw(st.sampled_from((1, 2))))
    state = ControlState(engine=EngineState(chargers=kept))
    return fuse, household, views, state  # type: ignore[return-value]


def drawing(
    views: Sequence[ChargerView], state: ControlState
) -> dict[str, tuple[int, ...]]:
    phases = {}
    for view in views:
        car = state.engine.chargers.get(view.id)
        count = (
            view.phases
            if car is None or car.car_phases is None
            else min(view.phases, car.car_phases)
        )
        phases[view.id] = site_phases(view.phase_rotation, count)
    return phases


def loads(
    household: Sequence[float],
    phases: Mapping[str, tuple[int, ...]],
    currents: Mapping[str, int],
) -> list[float]:
    total = list(household)
    for cid, amps in currents.items():
        for phase in phases[cid]:
            total[phase] += amps
    return total


@SETTINGS
@given(site=sites_st(), allow_increase=st.booleans())
def test_no_phase_exceeds_the_fuse_after_a_step(
    site: tuple[float, tuple[float, float, float], list[ChargerView], ControlState],
    allow_increase: bool,
) -> None:
    fuse, own, views, state = site
    phases = drawing(views, state)
    # What the boxes the integration leaves alone draw counts with the household.
    alone = {v.id: v.holding.current or 0 for v in views if not v.enabled and v.plugged}
    household = loads(own, phases, alone)
    drawn = {v.id: v.holding.current or 0 for v in views if v.enabled and v.plugged}
    measured = loads(household, phases, drawn)
    result = control_step(
        SiteSettings(grid_limit_w=200_000.0, main_fuse_a=fuse),
        SiteReadings(
            household_w=0.0,
            phase_currents_a=(measured[0], measured[1], measured[2]),
            phases_reported_at=(1000.0, 1000.0, 1000.0),
        ),
        views,
        state,
        1000.0,
        allow_increase=allow_increase,
    )
    decided = {
        cid: d.current
        for cid, d in result.decision.chargers.items()
        if d.current is not None
    }
    assert all(amps == 0 or amps >= 6 for amps in decided.values())
    after = loads(household, phases, decided)
    for phase in range(3):
        if household[phase] <= fuse + 1e-9:
            assert after[phase] <= fuse + 1e-6
        else:
            on_it = [cid for cid in decided if phase in phases[cid]]
            assert all(decided[cid] == 0 for cid in on_it)
    # Decreases first, each a write.
    for cid in (*result.decreases, *result.increases):
        assert result.decision.chargers[cid].write


def unknown_phases_car(reported_at: float, l1_a: float) -> int | None:
    """A one-phase car on a three-phase box, its phases not learned yet, held at
    15 A since t = 900: the phase sensors show its 15 A on L1 (over 8.4 A of
    household); its power (3450 W) counts as 5 A on each phase."""
    view = ChargerView(
        id="a",
        connected=True,
        max_current=16,
        power_w=3450.0,
        measures_power=True,
        holding=Holding(15, changed_at=900.0),
    )
    result = control_step(
        HOUSE,
        SiteReadings(
            household_w=3000.0,
            phase_currents_a=(l1_a, 9.1, 1.7),
            phases_reported_at=(reported_at, reported_at, reported_at),
        ),
        [view],
        ControlState(),
        1000.0,
        allow_increase=True,
    )
    return currents_of(result)["a"]


def test_what_the_sensors_showed_within_the_fuse_is_kept() -> None:
    # Counted 5 A a phase, the household on L1 looks like 18.4 A and the car
    # would be lowered to 6 A; the sensors, settled since its last change, show
    # L1 at 23.4 A with it: it keeps its 15 A.
    assert unknown_phases_car(reported_at=1000.0, l1_a=23.4) == 15
    # Not settled (5 s after the change: the car may still be ramping up), or a
    # phase over the fuse: the estimate rules.
    assert unknown_phases_car(reported_at=905.0, l1_a=23.4) == 6
    assert unknown_phases_car(reported_at=1000.0, l1_a=25.5) == 0


def test_the_fuse_lowers_others_before_a_charger_it_keeps() -> None:
    chargers = [
        PhaseCharger("kept", (0, 1, 2), 15, 6, keep=15),
        PhaseCharger("other", (0,), 16, 6),
    ]
    # 30 A over L1's fuse by the estimate: the kept one stays, the other pauses.
    assert fit_fuse(25.0, (24.0, 0.0, 0.0), chargers) == {"other": 0}
    # Lowering it frees something only down to what it keeps.
    kept = [PhaseCharger("kept", (0,), 16, 6, keep=12)]
    assert fit_fuse(25.0, (15.0, 0.0, 0.0), kept) == {"kept": 12}


def test_an_over_phase_is_shared_at_one_current() -> None:
    # L1 has 22 A for both: 11 A each, not the one-phase car cut to its
    # minimum while the three-phase one keeps 16 A (nor the other way round).
    chargers = [
        PhaseCharger("one", (0,), 20, 6),
        PhaseCharger("three", (0, 1, 2), 16, 6),
    ]
    assert fit_fuse(25.0, (3.0, 0.0, 0.0), chargers) == {"one": 11, "three": 11}
    # What rounding down leaves goes to the best ranked: 21 A are 10 and 11.
    ranked = [
        PhaseCharger("first", (0,), 20, 6, rank=-900.0),
        PhaseCharger("second", (0,), 20, 6, rank=300.0),
    ]
    assert fit_fuse(25.0, (4.0, 0.0, 0.0), ranked) == {"first": 11, "second": 10}


def test_where_a_phase_cannot_give_every_minimum_the_most_served_pauses() -> None:
    chargers = [
        PhaseCharger("waited", (0,), 16, 6, rank=100.0),
        PhaseCharger("served", (0,), 10, 6, rank=500.0),
    ]
    # 8 A for both: under their minimum; the most served pauses, the other
    # takes the 8 A.
    assert fit_fuse(25.0, (17.0, 0.0, 0.0), chargers) == {"served": 0, "waited": 8}


def test_what_the_sensors_showed_is_kept_only_where_the_count_says_otherwise() -> None:
    chargers = [
        PhaseCharger("a", (0,), 20, 6),
        PhaseCharger("b", (1,), 20, 6),
    ]
    # With what they hold (10 A each) L1 looks over by the count, L2 does not.
    kept = keep_shown(25.0, (16.0, 5.0, 0.0), chargers, {"a": 10, "b": 10})
    assert [c.keep for c in kept] == [10, 0]


def test_a_full_phase_is_shared_again_once_the_sensors_showed_it_fits() -> None:
    # The one-phase car on L2 holds 13 A, the three-phase one 9 A: L2 is at
    # 24.8 A, as counted and as shown. Each asks for more; the phase's 22.2 A
    # are shared at 11 A each, not frozen at what they hold.
    views = [
        one_phase("one", "L2L3L1", holding=Holding(13), max_current=32),
        ChargerView(id="three", connected=True, holding=Holding(9)),
    ]
    result = step(views, (12.9, 24.8, 10.4))
    assert currents_of(result) == {"one": 11, "three": 11}


def test_a_decrease_step_lowers_nobody_for_a_share_the_fuse_keeps_from_another() -> (
    None
):
    # 17.25 kW, 2.24 kW of household: an equal share of power would give the
    # three-phase car 7 A and the one-phase cars 21 A, which the fuse keeps
    # at 9 and 10 A (L1 and L2 are nearly full). A decrease step raises no
    # one, so the three-phase car keeps its 10 A.
    views = [
        one_phase("on_l1", "L1L2L3", holding=Holding(9), max_current=32),
        one_phase("on_l2", "L2L3L1", holding=Holding(10), max_current=32),
        ChargerView(id="three", connected=True, holding=Holding(10)),
    ]
    result = control_step(
        SiteSettings(grid_limit_w=17_250.0, main_fuse_a=25.0),
        SiteReadings(
            household_w=2240.0,
            phase_currents_a=(22.4, 22.5, 13.8),
            phases_reported_at=(1000.0, 1000.0, 1000.0),
        ),
        views,
        ControlState(),
        1000.0,
        allow_increase=False,
    )
    assert currents_of(result) == {"on_l1": 9, "on_l2": 10, "three": 10}
    assert result.decreases == ()


def test_a_decrease_is_not_counted_as_household_load_before_the_next_report() -> None:
    # 4 A of household on L1 and two one-phase cars there at 16 and 10 A: the
    # sensor, reported at t = 1000, shows 30 A. The step lowers them to share
    # the 21 A left.
    views = [
        one_phase("a", "L1L2L3", holding=Holding(16)),
        one_phase("b", "L1L2L3", holding=Holding(10)),
    ]
    first = step(views, (30.0, 0.0, 0.0))
    lowered = currents_of(first)
    assert sum(a or 0 for a in lowered.values()) == 21
    # 5 s later the sensor has not reported again: it still shows the 30 A of
    # before the decrease, which is no new household load.
    moved = [
        replace(
            v,
            holding=v.holding.moved_to(lowered[v.id] or 0, 1000.0, 230.0),
        )
        for v in views
    ]
    second = control_step(
        HOUSE,
        SiteReadings(
            household_w=3000.0,
            phase_currents_a=(30.0, 0.0, 0.0),
            phases_reported_at=(1000.0, 1000.0, 1000.0),
        ),
        moved,
        first.state,
        1005.0,
        allow_increase=False,
    )
    assert currents_of(second) == lowered
    assert second.decreases == ()
    assert second.state.phase_household_a == (4.0, 0.0, 0.0)


def test_a_count_is_made_afresh_when_a_cars_phases_change() -> None:
    # Counted on L1 alone, the car now draws 6 A on all three phases (4140 W):
    # the count of the same report, which took its 6 A off L1 only, goes.
    state = ControlState(
        engine=EngineState(chargers={"a": ChargerState(car_phases=1)}),
        phase_household_a=(2.0, 16.0, 16.0),
        phase_count=PhaseCount((1000.0, 1000.0, 1000.0), (("a", (0,)),)),
    )
    view = ChargerView(
        id="a",
        connected=True,
        power_w=4140.0,
        measures_power=True,
        holding=Holding(6),
    )
    result = step([view], (8.0, 16.0, 16.0), state)
    assert result.state.phase_household_a == (2.0, 10.0, 10.0)


def test_a_charger_no_longer_driven_ends_the_count_of_its_report() -> None:
    # Counted with "a" taken off L1; now disabled, it is left alone and its
    # 10 A, still in the same report, count with the household again.
    state = ControlState(
        phase_household_a=(5.0, 0.0, 0.0),
        phase_count=PhaseCount((1000.0, 1000.0, 1000.0), (("a", (0,)), ("b", (0,)))),
    )
    views = [
        one_phase("a", "L1L2L3", holding=Holding(10), enabled=False),
        one_phase("b", "L1L2L3", holding=Holding(10)),
    ]
    result = step(views, (25.0, 0.0, 0.0), state)
    assert result.state.phase_household_a == (15.0, 0.0, 0.0)
