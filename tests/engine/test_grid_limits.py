"""The grid's own limits in the live cap: §14a dimming and the capacity tariff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.smart_charging.engine import ChargerDecision, Mode
from custom_components.smart_charging.engine.control import (
    ChargerView,
    ControlState,
    Holding,
    SiteReadings,
    SiteSettings,
    control_step,
    held_above,
)
from custom_components.smart_charging.engine.grid_limits import (
    CATCH_UP_S,
    QUARTER_S,
    SENSOR_LAG_S,
    CapacityTariff,
    Dimming,
    QuarterPeak,
    chargers_cap_w,
    month_of,
)

from .test_control import views_st

PER_AMP = 690.0  # 230 V x 3 phases
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# 2026-03-02 00:00 UTC: a quarter's start.
T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()


def car(cid: str = "a", **changes: object) -> ChargerView:
    return ChargerView(id=cid, max_current=32, connected=True, **changes)  # type: ignore[arg-type]


def decided_w(
    chargers: Mapping[str, ChargerDecision], views: list[ChargerView]
) -> float:
    return sum((chargers[v.id].current or 0) * 230.0 * v.phases for v in views)


# §14a dimming -------------------------------------------------------------------


def test_dimming_caps_the_chargers_grid_import_and_leaves_the_surplus() -> None:
    assert Dimming(4200.0).chargers_cap_w(1000.0) == 4200.0  # household over solar
    assert Dimming(4200.0).chargers_cap_w(-3000.0) == 7200.0  # 3 kW surplus on top
    assert chargers_cap_w(1000.0, None, None) is None
    assert chargers_cap_w(1000.0, Dimming(4200.0), 3000.0) == 2000.0


def test_while_dimmed_two_cars_share_4_2_kw_of_grid_import() -> None:
    settings_ = SiteSettings(grid_limit_w=36000.0)
    views = [car("a", holding=Holding(32)), car("b", holding=Holding(32))]
    result = control_step(
        settings_,
        SiteReadings(household_w=2000.0, dimmed=True),
        views,
        ControlState(),
        T0,
        allow_increase=False,
    )
    assert decided_w(result.decision.chargers, views) <= 4200.0
    assert result.decreases  # lowered at once, in a decrease-only step
    assert result.grid.dimmed
    assert result.grid.chargers_cap_w == 4200.0
    assert result.decision.budget_w == 4200.0


def test_while_dimmed_the_solar_surplus_still_charges_on_top() -> None:
    views = [car("a", holding=Holding(0))]
    result = control_step(
        SiteSettings(grid_limit_w=36000.0),
        SiteReadings(household_w=1000.0, solar_w=6000.0, dimmed=True),
        views,
        ControlState(),
        T0,
        allow_increase=True,
    )
    # 5 kW of surplus and 4.2 kW from the grid: 13 A on three phases.
    assert result.decision.chargers["a"].current == 13
    undimmed = control_step(
        SiteSettings(grid_limit_w=36000.0),
        SiteReadings(household_w=1000.0, solar_w=6000.0),
        views,
        ControlState(),
        T0,
        allow_increase=True,
    )
    assert undimmed.decision.chargers["a"].current == 32
    assert undimmed.grid.chargers_cap_w is None


def test_a_zero_dimming_limit_leaves_the_surplus_only() -> None:
    result = control_step(
        SiteSettings(grid_limit_w=36000.0, dimming_limit_w=0.0),
        SiteReadings(household_w=3000.0, solar_w=2000.0, dimmed=True),
        [car(holding=Holding(16))],
        ControlState(),
        T0,
        allow_increase=False,
    )
    assert result.decision.chargers["a"].current == 0


@SETTINGS
@given(
    views=views_st,
    household=st.floats(0, 30000),
    solar=st.floats(0, 15000),
    limit=st.sampled_from((0.0, 4200.0, 6000.0, 11000.0)),
)
def test_dimmed_chargers_stay_under_the_limit_plus_the_surplus(
    views: list[ChargerView], household: float, solar: float, limit: float
) -> None:
    """After the step, what the boxes may draw (their decided current and what
    they may hold beyond it) is at most the dimming limit plus the surplus,
    whenever the boxes that cannot be lowered fit on their own."""
    cap_w = limit + max(solar - household, 0.0)
    stuck_w = sum(held_above(view, 0) * 230.0 * view.phases for view in views)
    if stuck_w > cap_w or household - solar + stuck_w > 36000.0:
        return  # nothing a controller writes can help
    result = control_step(
        SiteSettings(grid_limit_w=36000.0, dimming_limit_w=limit),
        SiteReadings(household_w=household, solar_w=solar, dimmed=True),
        views,
        ControlState(),
        T0,
        allow_increase=True,
    )
    drawn_w = 0.0
    for view in views:
        decided = result.decision.chargers[view.id]
        if decided.current is None or not view.plugged:
            continue
        amps = decided.current + held_above(view, decided.current)
        drawn_w += amps * 230.0 * view.phases
    assert drawn_w <= cap_w + 1e-6


# Capacity tariff ------------------------------------------------------------------


def test_the_quarter_follows_the_clock_and_closes_into_the_months_peak() -> None:
    peak = QuarterPeak().advance(None, T0 + 100.0, 5000.0, 0.0)
    assert (peak.start, peak.counted_from, peak.energy_ws) == (T0, T0 + 100.0, 0.0)
    peak = peak.advance(T0 + 100.0, T0 + 400.0, 6000.0, 0.0)
    assert peak.energy_ws == 300.0 * 6000.0
    assert peak.average_w(T0 + 400.0, 0.0) == 6000.0
    # Over the quarter's end: the part up to it closes the quarter.
    peak = peak.advance(T0 + 400.0, T0 + 910.0, 2000.0, 0.0)
    assert peak.start == T0 + QUARTER_S
    assert peak.energy_ws == 10.0 * 2000.0
    # Counted from 100 s in: the first 100 s count as no import.
    assert peak.month_peak_w == pytest.approx((300 * 6000 + 500 * 2000) / 900)


def test_a_new_month_starts_without_a_peak() -> None:
    end_of_february = T0 - 24 * 3600 - 10.0  # 2026-02-28 23:59:50 UTC
    peak = QuarterPeak(month=month_of(end_of_february, 0.0), month_peak_w=9000.0)
    peak = peak.advance(None, end_of_february, 0.0, 0.0)
    assert peak.month_peak_w == 9000.0  # restored, same month
    peak = peak.advance(end_of_february, end_of_february + 20.0, 0.0, 0.0)
    assert peak.month_peak_w == 0.0
    # Local time decides: at UTC+1 the same moment is already March.
    assert month_of(end_of_february, 3600.0) == month_of(T0, 0.0)


def test_the_target_follows_the_months_peak_only_when_asked() -> None:
    peak = QuarterPeak(month_peak_w=7000.0)
    assert CapacityTariff(0.0, follow_monthly_peak=True).target_w(peak) == 0.0
    assert CapacityTariff(2500.0).target_w(peak) == 2500.0
    assert CapacityTariff(2500.0, follow_monthly_peak=True).target_w(peak) == 7000.0
    assert CapacityTariff(9000.0, follow_monthly_peak=True).target_w(peak) == 9000.0


def test_the_rest_of_the_quarter_is_budgeted() -> None:
    """The quarter keeps a pace under the target by the reserve for the sensors'
    lag; what it is behind or ahead of that pace is spread over the rest of it."""
    tariff = CapacityTariff(4000.0)
    pace = 4000.0 * (1.0 - SENSOR_LAG_S / QUARTER_S)
    assert pace == pytest.approx(3911.1, abs=0.1)
    assert tariff.pace_w(QuarterPeak()) == pytest.approx(pace)
    # 300 s at 10 kW: behind the pace by 3 MWs - 300 s at the pace, over 600 s.
    peak = QuarterPeak(start=T0, counted_from=T0, energy_ws=300.0 * 10000.0)
    behind = 300.0 * 10000.0 - 300.0 * pace
    assert tariff.import_cap_w(peak, T0 + 300.0) == pytest.approx(pace - behind / 600)
    # Counted only from 300 s in (a restart): the part before counts as at the pace.
    late = QuarterPeak(start=T0, counted_from=T0 + 300.0, energy_ws=0.0)
    assert tariff.import_cap_w(late, T0 + 300.0) == pytest.approx(pace)
    # Behind in the last seconds: made up in them, all of it.
    over = QuarterPeak(start=T0, counted_from=T0, energy_ws=pace * 895.0 + 5000.0)
    assert tariff.import_cap_w(over, T0 + 895.0) == pytest.approx(pace - 5000.0 / 5)
    # Ahead (nothing imported yet) 60 s before the end: what is left beyond the
    # pace is spread over CATCH_UP_S, not spent in a burst over the last minute.
    idle = QuarterPeak(start=T0, counted_from=T0, energy_ws=0.0)
    assert CATCH_UP_S == 300.0
    assert tariff.import_cap_w(idle, T0 + 840.0) == pytest.approx(
        pace + pace * 840.0 / 300.0
    )
    # The whole target used up before the end: nothing for the rest of it.
    spent = QuarterPeak(start=T0, counted_from=T0, energy_ws=4000.0 * QUARTER_S)
    assert tariff.import_cap_w(spent, T0 + 850.0) == 0.0
    assert CapacityTariff(0.0).import_cap_w(peak, T0) is None


def test_a_household_alone_over_the_target_leaves_the_chargers_no_grid_power() -> None:
    assert chargers_cap_w(6000.0, None, 4000.0) == 0.0
    state, held = ControlState(), 16
    for k in range(3):
        result = control_step(
            SiteSettings(grid_limit_w=36000.0, peak_limit_w=4000.0),
            SiteReadings(household_w=6000.0),
            [car(holding=Holding(held))],
            state,
            T0 + 10.0 * k,
            allow_increase=True,
        )
        state, held = result.state, result.decision.chargers["a"].current or 0
        assert held == 0
    assert result.grid.peak_target_w == 4000.0
    assert result.grid.import_w == 6000.0
    assert result.grid.quarter_average_w == pytest.approx(6000.0)


def simulate(
    settings_: SiteSettings,
    views: list[ChargerView],
    household: float,
    start: float,
    steps: list[float],
) -> dict[float, float]:
    """Run the control step at these intervals with boxes that follow every write
    at once; the import energy (W s) of each clock quarter, as a meter sees it."""
    state, now = ControlState(), start
    held = {view.id: 0 for view in views}
    energy: dict[float, float] = {}
    for dt in steps:
        current = [
            ChargerView(**{**_fields(v), "holding": Holding(held[v.id])})  # type: ignore[arg-type]
            for v in views
        ]
        result = control_step(
            settings_,
            SiteReadings(household_w=household),
            current,
            state,
            now,
            allow_increase=True,
        )
        state = result.state
        for cid in (*result.decreases, *result.increases):
            held[cid] = result.decision.chargers[cid].current or 0
        import_w = household + sum(held[v.id] * 230.0 * v.phases for v in views)
        t, end = now, now + dt
        while t < end:
            q = t - t % QUARTER_S
            part = min(end, q + QUARTER_S) - t
            energy[q] = energy.get(q, 0.0) + import_w * part
            t += part
        now = end
    return energy


def _fields(view: ChargerView) -> dict[str, object]:
    return {name: getattr(view, name) for name in ChargerView.__slots__}


cars_st = st.lists(
    st.builds(
        ChargerView,
        id=st.sampled_from("abcdef"),
        phases=st.sampled_from((1, 3)),
        max_current=st.integers(6, 32),
        mode=st.sampled_from((Mode.FAST, Mode.SOLAR_MIN)),
        connected=st.just(True),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda view: view.id,
)


@settings(SETTINGS, max_examples=60)
@given(
    views=cars_st,
    target=st.floats(2500.0, 20000.0),
    share=st.floats(0.0, 1.0),
    offset=st.floats(0.0, QUARTER_S),
    steps=st.lists(st.floats(2.0, 12.0), min_size=5, max_size=40),
)
def test_quarters_end_at_or_under_the_target(
    views: list[ChargerView],
    target: float,
    share: float,
    offset: float,
    steps: list[float],
) -> None:
    """With a constant household under the target, every quarter's average import
    ends at or under it (the first one over the part counted)."""
    household = share * target
    # The steps repeat over three quarters and more.
    intervals = steps * (int(3 * QUARTER_S / sum(steps)) + 2)
    start = T0 + offset
    energy = simulate(
        SiteSettings(grid_limit_w=36000.0, peak_limit_w=target),
        views,
        household,
        start,
        intervals,
    )
    end = start + sum(intervals)
    ended = [q for q in energy if q + QUARTER_S <= end]
    assert len(ended) >= 2
    for q in ended:
        counted = q + QUARTER_S - max(q, start)
        assert energy[q] <= target * counted + 1e-6 * target * QUARTER_S


def quarter_with_a_late_reading(
    target: float,
    views: list[ChargerView],
    household: tuple[float, float],
    rise_at: float,
    lag_s: float,
) -> float:
    """One clock quarter from its start, the household stepping from
    household[0] to household[1] at `rise_at` seconds in and read `lag_s` late.
    Steps as the coordinator runs them: a regular one every 10 s and a
    decrease-only one when the reading changes; the boxes follow every write at
    once. The quarter's true average import."""
    before_w, after_w = household
    seen_at = rise_at + lag_s
    regular = (10.0 * k for k in range(int(QUARTER_S / 10) + 1))
    times = sorted({*regular, *([seen_at] if seen_at < QUARTER_S else [])})
    settings_ = SiteSettings(grid_limit_w=36000.0, peak_limit_w=target)
    state, held, energy = ControlState(), {view.id: 0 for view in views}, 0.0
    for now, following in pairwise(times):
        result = control_step(
            settings_,
            SiteReadings(household_w=after_w if now >= seen_at else before_w),
            [replace(view, holding=Holding(held[view.id])) for view in views],
            state,
            T0 + now,
            allow_increase=now % 10.0 == 0.0,
        )
        state = result.state
        for cid in (*result.decreases, *result.increases):
            held[cid] = result.decision.chargers[cid].current or 0
        chargers = sum(held[view.id] * 230.0 * view.phases for view in views)
        before_s = min(max(rise_at - now, 0.0), following - now)
        energy += before_w * before_s + after_w * (following - now - before_s)
        energy += chargers * (following - now)
    return energy / QUARTER_S


def test_a_rise_seen_after_the_quarter_still_ends_it_under_the_target() -> None:
    """1 kW of household and a car filling the quarter up to 8 kW; in its last
    20 s the household rises to the target, and the readings show it only after
    the quarter: the reserve kept for that ends it at or under 8 kW."""
    views = [car()]
    average = quarter_with_a_late_reading(
        8000.0, views, (1000.0, 8000.0), QUARTER_S - SENSOR_LAG_S, SENSOR_LAG_S
    )
    assert average <= 8000.0
    steady = quarter_with_a_late_reading(8000.0, views, (1000.0, 1000.0), 0.0, 0.0)
    assert steady > 7500.0  # the car still takes most of the quarter


@settings(SETTINGS, max_examples=80)
@given(
    views=cars_st,
    target=st.floats(2500.0, 20000.0),
    before=st.floats(0.0, 1.0),
    after=st.floats(0.0, 1.0 - SENSOR_LAG_S / QUARTER_S),
    rise_at=st.floats(0.0, QUARTER_S),
    lag_s=st.floats(0.0, SENSOR_LAG_S),
)
def test_a_household_step_read_late_leaves_the_quarter_under_the_target(
    views: list[ChargerView],
    target: float,
    before: float,
    after: float,
    rise_at: float,
    lag_s: float,
) -> None:
    """A household that stays under the quarter's pace (the target less the
    reserve kept for a reading SENSOR_LAG_S late), stepping anywhere in the
    quarter and read up to SENSOR_LAG_S late: the quarter ends at or under the
    target. (A household stepping to the target itself at the quarter's start
    leaves nothing for what a car draws before the step is seen.)"""
    household = (before * target, after * target)
    average = quarter_with_a_late_reading(target, views, household, rise_at, lag_s)
    assert average <= target * (1 + 1e-9)


def test_a_quarter_with_a_high_start_is_throttled_in_time() -> None:
    """10 kW of household for 5 minutes, then 2 kW: the car makes up the rest of
    an 8 kW quarter, and no more."""
    tariff = SiteSettings(grid_limit_w=36000.0, peak_limit_w=8000.0)
    state, held, energy = ControlState(), 0, 0.0
    for k in range(90):
        household = 10000.0 if k < 30 else 2000.0
        result = control_step(
            tariff,
            SiteReadings(household_w=household),
            [car(holding=Holding(held))],
            state,
            T0 + 10.0 * k,
            allow_increase=True,
        )
        state = result.state
        held = result.decision.chargers["a"].current or 0
        energy += (household + held * PER_AMP) * 10.0
        if k < 30:
            assert held == 0
    assert held > 0
    assert energy / QUARTER_S <= 8000.0
    assert energy / QUARTER_S > 7000.0  # the car used what was left
