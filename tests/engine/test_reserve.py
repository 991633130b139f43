"""The adaptive reserve: a margin learned from the household's load steps."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.smart_charging.engine.control import (
    ChargerView,
    ControlState,
    Holding,
    SiteReadings,
    SiteSettings,
    control_step,
    reserve_w,
)
from custom_components.smart_charging.engine.reserve import (
    BUCKET_S,
    HEADROOM,
    StepReserve,
)

HOUR = 3600.0
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def fed(
    readings: list[tuple[float, float]], start: StepReserve | None = None
) -> StepReserve:
    reserve = start or StepReserve()
    for now, household_w in readings:
        reserve = reserve.update(now, household_w)
    return reserve


def steps(
    start: float, end: float, every: float, watts: float
) -> list[tuple[float, float]]:
    """The same reading every `every` seconds from `start` to before `end`."""
    count = int((end - start) / every)
    return [(start + i * every, watts) for i in range(count)]


def test_nothing_learned_keeps_no_reserve() -> None:
    assert StepReserve().margin_w == 0.0
    # A steady or falling household is no step.
    assert fed([(0.0, 3000.0), (5.0, 3000.0), (10.0, 1000.0)]).margin_w == 0.0


def test_a_step_is_its_rise_above_the_window_low() -> None:
    # 1 kW, then 4 kW five seconds later: a 3 kW step, kept with 2 % on top.
    reserve = fed([(0.0, 1000.0), (5.0, 4000.0)])
    assert reserve.margin_w == pytest.approx(3000.0 * HEADROOM)


def test_a_slow_ramp_is_no_step() -> None:
    # 1 kW more every 20 s: a rise counts only from the readings of the last 10 s.
    assert fed([(i * 20.0, 1000.0 * i) for i in range(10)]).margin_w == 0.0


def test_the_last_hours_step_goes_after_an_hour() -> None:
    """One step is kept for an hour; a single hour's steps are not kept longer."""
    reserve = fed([(0.0, 1000.0), (5.0, 4000.0)])
    reserve = fed(steps(10.0, HOUR, 10.0, 4000.0), reserve)
    assert reserve.margin_w == pytest.approx(3000.0 * HEADROOM)
    reserve = fed(steps(HOUR, HOUR + 3 * BUCKET_S, 10.0, 4000.0), reserve)
    assert reserve.margin_w == 0.0


def test_steps_in_two_hours_are_kept_for_a_day() -> None:
    """The second biggest hourly step of the day holds the reserve."""
    day = [(0.0, 1000.0), (5.0, 4000.0), (HOUR, 1000.0), (HOUR + 5, 3000.0)]
    reserve = fed(day)
    later = fed([(10 * HOUR, 500.0)], reserve)
    assert later.margin_w == pytest.approx(2000.0 * HEADROOM)
    # A day on, they are forgotten.
    assert fed([(26 * HOUR, 500.0)], reserve).margin_w == 0.0


def test_a_clock_set_back_forgets_the_future() -> None:
    reserve = fed([(HOUR, 1000.0), (HOUR + 5, 4000.0)])
    back = reserve.update(0.0, 1000.0)
    assert back.margin_w == 0.0
    assert back.rises == ()
    assert back.hourly == ()


readings_st = st.lists(
    st.tuples(st.floats(0.0, 60.0), st.floats(-500.0, 50000.0)),
    min_size=1,
    max_size=120,
)


@SETTINGS
@given(readings=readings_st)
def test_reserve_properties(readings: list[tuple[float, float]]) -> None:
    """Never below 0 nor below the biggest 10-s rise of the last hour; the same
    readings give the same reserve; the state stays bounded."""
    now = 0.0
    seen: list[tuple[float, float]] = []
    reserve = StepReserve()
    for gap, household_w in readings:
        now += gap
        seen.append((now, household_w))
        reserve = reserve.update(now, household_w)
        biggest = max(
            watts - min(w for t, w in seen[: i + 1] if t >= when - 10.0)
            for i, (when, watts) in enumerate(seen)
            if when >= now - HOUR
        )
        assert reserve.margin_w >= 0.0
        assert reserve.margin_w >= biggest * HEADROOM - 1e-6
        assert len(reserve.lows) <= 12
        assert len(reserve.rises) <= HOUR / BUCKET_S + 1
        assert len(reserve.hourly) <= 24
    assert fed(seen) == reserve


# The control step ------------------------------------------------------------

SITE = SiteSettings(grid_limit_w=36000.0, adaptive_reserve=True)
CAR = ChargerView(id="a", max_current=32, connected=True, holding=Holding(16))


def run(
    settings: SiteSettings, household: list[float | None]
) -> tuple[list[float], ControlState]:
    """The budget of each step, one every 5 s (None: the household unusable)."""
    state = ControlState()
    budgets = []
    for i, watts in enumerate(household):
        readings = SiteReadings(
            household_w=watts, unusable=() if watts is not None else ("house (stale)",)
        )
        result = control_step(
            settings, readings, [CAR], state, i * 5.0, allow_increase=True
        )
        state = result.state
        budgets.append(result.decision.budget_w)
    return budgets, state


def test_the_control_step_keeps_the_reserve_free() -> None:
    budgets, state = run(SITE, [1000.0, 4000.0, 4000.0])
    margin = 3000.0 * HEADROOM
    assert reserve_w(SITE, state.reserve) == pytest.approx(margin)
    # The budget drops by the step and, at once, by the reserve.
    assert budgets[0] == pytest.approx(35000.0)
    assert budgets[1] == pytest.approx(32000.0 - margin)
    plain = SiteSettings(grid_limit_w=36000.0)
    plain_budgets, plain_state = run(plain, [1000.0, 4000.0, 4000.0])
    assert plain_budgets[1] == pytest.approx(32000.0)
    assert reserve_w(plain, plain_state.reserve) == 0.0
    assert plain_state.reserve == StepReserve()


def test_failsafe_keeps_the_configured_margin() -> None:
    """Unusable inputs teach nothing, and the failsafe budget is the one without
    the reserve."""
    household: list[float | None] = [1000.0, 4000.0, None]
    budgets, with_reserve = run(SITE, household)
    plain, _ = run(SiteSettings(grid_limit_w=36000.0), household)
    assert budgets[1] < plain[1]
    assert budgets[2] == plain[2] == pytest.approx(32000.0)
    assert with_reserve.reserve == fed([(0.0, 1000.0), (5.0, 4000.0)])


def test_with_the_reserve_rises_are_not_held_through_the_jitter_too() -> None:
    # The learned reserve keeps room for the household's rises, jitter included;
    # holding rises through the jitter as well would pay for it twice.
    assert SITE.rules.jitter_window_s == 0.0
    assert SITE.rules.steady_window_s == SITE.engine.steady_window_s
    plain = SiteSettings(grid_limit_w=36000.0)
    assert plain.rules == plain.engine
    assert plain.rules.jitter_window_s > 0.0
