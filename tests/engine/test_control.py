"""The control step the integration and the benchmark share: inputs checked, the
household derived, power set aside for boxes that may draw more, writes planned,
energy counted."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.smart_charging.engine import Mode, Status
from custom_components.smart_charging.engine.control import (
    ChargerView,
    ControlState,
    Holding,
    SiteReadings,
    SiteSettings,
    StepResult,
    control_step,
    held_above,
)

SITE = SiteSettings(grid_limit_w=36000.0)
PER_AMP = 690.0  # 230 V x 3 phases


def step(
    readings: SiteReadings,
    chargers: list[ChargerView],
    state: ControlState | None = None,
    now: float = 100.0,
    *,
    allow_increase: bool = True,
) -> StepResult:
    return control_step(
        SITE,
        readings,
        chargers,
        state or ControlState(),
        now,
        allow_increase=allow_increase,
    )


def car(cid: str = "a", **changes: object) -> ChargerView:
    view = ChargerView(id=cid, max_current=32, connected=True)
    return ChargerView(**{**view_fields(view), **changes})  # type: ignore[arg-type]


def view_fields(view: ChargerView) -> dict[str, object]:
    return {name: getattr(view, name) for name in ChargerView.__slots__}


def test_a_grid_meter_site_derives_the_household() -> None:
    # 20 kW from the grid, of which the car draws 11 kW: 9 kW of household.
    result = step(
        SiteReadings(household_w=None, grid_w=20000.0),
        [car(power_w=11000.0, measures_power=True, holding=Holding(16))],
    )
    assert result.decision.household_w == 9000.0
    assert result.unusable == ()


def test_a_glitching_charger_sensor_on_a_grid_meter_site_means_failsafe() -> None:
    result = step(
        SiteReadings(household_w=None, grid_w=20000.0),
        [car(power_problem="1000000 W is not plausible", measures_power=True)],
    )
    assert result.decision.failsafe
    assert result.unusable == ("a power (1000000 W is not plausible)",)


def test_an_implausible_derived_household_means_failsafe() -> None:
    # The meter shows less than the car alone draws.
    result = step(
        SiteReadings(household_w=None, grid_w=1000.0),
        [car(power_w=11000.0, measures_power=True, holding=Holding(16))],
    )
    assert result.decision.failsafe
    assert "household derived from the grid" in result.unusable[0]


def test_a_failing_box_keeps_what_it_holds_out_of_the_others_budget() -> None:
    # A holds 22 A and does not take writes; B gets only what is left beside it.
    result = step(
        SiteReadings(household_w=14000.0),
        [car("a", holding=Holding(22), failing=True), car("b", holding=Holding(0))],
    )
    b = result.decision.chargers["b"].current or 0
    assert 14000 + (22 + b) * PER_AMP <= 36000
    assert b > 0


def test_held_above() -> None:
    assert held_above(car(holding=Holding(22), failing=True), 10) == 12
    assert held_above(car(holding=Holding(None), failing=True), 10) == 22
    assert held_above(car(holding=Holding(6, floor=6)), 0) == 6
    assert held_above(car(holding=Holding(22), failing=True, connected=False), 0) == 0


def test_decreases_are_planned_before_increases_and_back_off_holds_increases() -> None:
    result = step(
        SiteReadings(household_w=14000.0),
        [
            car("a", holding=Holding(32)),
            car("b", holding=Holding(0), retry_at=200.0, attempted=16),
        ],
    )
    assert result.decreases == ("a",)
    assert result.increases == ()  # b's write failed; it waits for the back-off


def test_a_write_not_shown_is_retried_after_the_back_off() -> None:
    b = car("b", max_current=15, holding=Holding(15), attempted=15, failing=True)
    held_back = step(SiteReadings(household_w=20000.0), [b])
    assert held_back.decision.chargers["b"].current == 15
    assert held_back.increases == ("b",)  # back-off over (retry_at 0): tried again
    waiting = step(
        SiteReadings(household_w=26000.0),
        [car(**{**view_fields(b), "retry_at": 500.0})],
    )  # type: ignore[arg-type]
    assert waiting.increases == ()


def test_energy_counts_measured_power_only_while_usable() -> None:
    state = step(SiteReadings(household_w=0.0), [car()], now=0.0).state
    measured = car(measures_power=True, power_w=7200.0, holding=Holding(16))
    assert step(
        SiteReadings(household_w=0.0), [measured], state, 3600.0
    ).energy_kwh == {"a": 7.2}
    blind = car(measures_power=True, power_w=None, holding=Holding(16))
    assert step(SiteReadings(household_w=0.0), [blind], state, 3600.0).energy_kwh == {}


def test_energy_without_a_meter_counts_what_the_box_was_told() -> None:
    state = step(SiteReadings(household_w=0.0), [car()], now=0.0).state
    told = car(holding=Holding(10))
    assert step(SiteReadings(household_w=0.0), [told], state, 1800.0).energy_kwh == {
        "a": 3.45
    }
    for unknown in (
        car(holding=Holding(10), failing=True),
        car(holding=Holding(10), connected=None),
    ):
        assert (
            step(SiteReadings(household_w=0.0), [unknown], state, 1800.0).energy_kwh
            == {}
        )


def test_a_household_that_follows_the_chargers_is_told() -> None:
    state = ControlState()
    household, held = 5000.0, 0
    for i in range(12):
        result = step(
            SiteReadings(household_w=household + held * PER_AMP),
            [car(holding=Holding(held))],
            state,
            now=i * 10.0,
        )
        state = result.state
        held = result.decision.chargers["a"].current or 0
    assert result.household_includes_chargers


views_st = st.lists(
    st.builds(
        ChargerView,
        id=st.sampled_from("abcdefgh"),
        phases=st.sampled_from((1, 3)),
        min_current=st.just(6),
        max_current=st.integers(6, 32),
        mode=st.sampled_from((Mode.FAST, Mode.SOLAR_MIN, Mode.OFF)),
        connected=st.sampled_from((True, True, None, False)),
        holding=st.builds(
            Holding,
            current=st.none() | st.integers(0, 32),
            floor=st.sampled_from((0, 0, 0, 6)),
        ),
        failing=st.booleans(),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda view: view.id,
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(views=views_st, household=st.floats(0, 30000), solar=st.floats(0, 10000))
def test_what_the_boxes_may_draw_stays_within_the_limit(
    views: list[ChargerView], household: float, solar: float
) -> None:
    """SPEC §5 rule 1 with rule 9: after the planned writes, every box at its
    decided current plus what it may hold beyond it fits under the limit, whenever
    the boxes that cannot be lowered fit on their own."""
    result = step(SiteReadings(household_w=household, solar_w=solar), views)
    net = household - solar
    stuck_w = sum(
        held_above(view, 0) * 230.0 * view.phases for view in views if view.enabled
    )
    if net + stuck_w > SITE.grid_limit_w:
        return  # nothing a controller writes can help
    drawn_w = 0.0
    for view in views:
        decided = result.decision.chargers[view.id]
        if decided.current is None or not view.plugged:
            continue
        amps = decided.current + held_above(view, decided.current)
        drawn_w += amps * 230.0 * view.phases
    assert net + drawn_w <= SITE.grid_limit_w + 1e-6
    for view in views:
        decided = result.decision.chargers[view.id]
        assert decided.current in (None, 0) or decided.current >= 6
        if decided.status is Status.CHARGING:
            assert (decided.current or 0) > 0


def test_a_charger_whose_own_reading_is_unusable_is_in_failsafe() -> None:
    readings = SiteReadings(household_w=5000.0)
    blind = car(measures_power=True, power_problem="not a number ('abc')")
    for held, expected in ((0, 0), (4, 0), (10, 6), (32, 6)):
        result = step(
            readings, [car(**{**view_fields(blind), "holding": Holding(held)})]
        )  # type: ignore[arg-type]
        decided = result.decision.chargers["a"]
        assert (decided.current, decided.status) == (expected, Status.FAILSAFE)
    # The others are served as usual.
    other = step(readings, [blind, car("b")]).decision.chargers["b"]
    assert other.status is Status.CHARGING


def test_a_disabled_box_of_unknown_holding_keeps_its_maximum_aside() -> None:
    # Left alone after a restart, a box that reports nothing may draw its maximum.
    alone = car("a", enabled=False, holding=Holding(None))
    result = step(SiteReadings(household_w=10000.0), [alone, car("b")])
    b = result.decision.chargers["b"].current or 0
    assert 10000 + (32 + b) * PER_AMP <= 36000
