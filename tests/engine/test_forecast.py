"""The forecast readers: each integration's layout, as recorded in
tests/fixtures/forecasts, read into points; bad input gives a problem, never an
exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import itertools
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smart_charging.engine.forecast import (
    Forecast,
    HouseholdProfile,
    Point,
    SolarForecast,
    merge,
    read_co2,
    read_nordpool_action,
    read_prices,
    read_solar,
    read_tibber_action,
    value_at,
)

CET = timezone(timedelta(hours=1))
FIXTURES = Path(__file__).parent.parent / "fixtures" / "forecasts"
# 2026-03-06 00:00 in Central Europe (+01:00), when the fixtures' days start.
MIDNIGHT = datetime.fromisoformat("2026-03-06T00:00:00+01:00").timestamp()
QUARTER, HALF_HOUR, HOUR = 900.0, 1800.0, 3600.0


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def lengths(points: tuple[Point, ...]) -> set[float]:
    return {point.end - point.start for point in points}


def assert_well_formed(points: tuple[Point, ...]) -> None:
    """Sorted, without overlaps, every point a real span."""
    for point in points:
        assert point.end > point.start
        assert math.isfinite(point.value)
    for before, after in itertools.pairwise(points):
        assert before.end <= after.start


# Prices in attributes


def test_nordpool_hacs_15_minute_slots_today_and_tomorrow() -> None:
    attributes = load("nordpool_hacs.json")
    forecast = read_prices(attributes)
    assert forecast.problem is None
    assert len(forecast.points) == 192
    assert lengths(forecast.points) == {QUARTER}
    assert forecast.points[0].start == MIDNIGHT
    assert forecast.points[-1].end == MIDNIGHT + 2 * 86400
    assert [p.value for p in forecast.points[:96]] == attributes["today"]
    assert_well_formed(forecast.points)


def test_nordpool_hacs_ignores_tomorrow_until_it_is_valid() -> None:
    attributes = load("nordpool_hacs.json") | {"tomorrow_valid": False}
    forecast = read_prices(attributes)
    assert len(forecast.points) == 96
    assert forecast.points[-1].end == MIDNIGHT + 86400


def test_nordpool_hacs_datetimes_read_as_their_iso_text() -> None:
    """In HA the items hold datetime objects; the fixture holds their ISO text."""
    attributes = load("nordpool_hacs.json")
    as_objects = attributes | {
        key: [
            item
            | {
                "start": datetime.fromisoformat(item["start"]),
                "end": datetime.fromisoformat(item["end"]),
            }
            for item in attributes[key]
        ]
        for key in ("raw_today", "raw_tomorrow")
    }
    assert read_prices(as_objects) == read_prices(attributes)


def test_nordpool_hacs_missing_price_leaves_a_hole() -> None:
    """Nord Pool writes None for a price it could not get: that slot is unknown,
    not the previous slot's price."""
    attributes = load("nordpool_hacs.json")
    attributes["raw_today"][4]["value"] = None
    forecast = read_prices(attributes)
    assert forecast.problem == "1 of 192 items unreadable"
    assert value_at(forecast.points, MIDNIGHT + 4 * QUARTER + 1) is None
    assert value_at(forecast.points, MIDNIGHT + 3 * QUARTER + 1) is not None


def test_entsoe_hourly_with_duplicates_merged() -> None:
    attributes = load("entsoe.json")
    forecast = read_prices(attributes)
    assert forecast.problem is None
    assert len(forecast.points) == 48  # `prices` repeats today and tomorrow
    assert lengths(forecast.points) == {HOUR}
    assert forecast.points[0] == Point(MIDNIGHT, MIDNIGHT + HOUR, 0.124)
    assert_well_formed(forecast.points)


def test_energidataservice_hourly_today_only() -> None:
    forecast = read_prices(load("energidataservice.json"))
    assert forecast.problem is None
    assert len(forecast.points) == 24
    assert lengths(forecast.points) == {HOUR}  # the last one as long as the others
    assert forecast.points[18].value == 3.066


def test_generic_layout() -> None:
    forecast = read_prices(load("generic.json"))
    assert forecast.problem is None
    assert len(forecast.points) == 48
    assert lengths(forecast.points) == {HOUR}
    assert forecast.points[-1].end == MIDNIGHT + 2 * 86400


def test_one_item_lasts_an_hour() -> None:
    forecast = read_prices(
        {"prices_today": [{"time": "2026-03-06T10:00Z", "price": 1}]}
    )
    assert forecast.points == (Point(1772791200.0, 1772791200.0 + HOUR, 1.0),)


def test_mixed_15_and_60_minute_slots() -> None:
    items = [
        {"time": "2026-03-06T10:00:00+00:00", "price": 1},
        {"time": "2026-03-06T11:00:00+00:00", "price": 2},
        {"time": "2026-03-06T11:15:00+00:00", "price": 3},
    ]
    forecast = read_prices({"prices_today": items})
    assert [p.end - p.start for p in forecast.points] == [HOUR, QUARTER, QUARTER]


def test_a_hole_of_hours_is_not_bridged() -> None:
    items = [
        {"time": "2026-03-06T10:00:00+00:00", "price": 1},
        {"time": "2026-03-06T10:15:00+00:00", "price": 2},
        {"time": "2026-03-07T10:00:00+00:00", "price": 3},
    ]
    points = read_prices({"prices_today": items}).points
    assert [p.end - p.start for p in points] == [QUARTER, QUARTER, QUARTER]


# Prices from actions


def test_nordpool_action_per_mwh_to_per_kwh() -> None:
    response = load("nordpool_action.json")
    forecast = read_nordpool_action(response)
    assert forecast.problem is None
    assert len(forecast.points) == 96
    assert lengths(forecast.points) == {QUARTER}
    assert forecast.points[0] == Point(MIDNIGHT, MIDNIGHT + QUARTER, 0.62)
    assert read_nordpool_action(response, "SE4") == forecast  # absent: the first


def test_nordpool_action_picks_the_area() -> None:
    response = load("nordpool_action.json")
    response = {"SE4": [], **response}
    assert read_nordpool_action(response, "SE3").points[0].value == 0.62
    assert read_nordpool_action(response).problem == "no prices in the response"


def test_tibber_action_first_home() -> None:
    forecast = read_tibber_action(load("tibber_action.json"))
    assert forecast.problem is None
    assert len(forecast.points) == 48
    assert lengths(forecast.points) == {HOUR}
    assert forecast.points[0] == Point(MIDNIGHT, MIDNIGHT + HOUR, 0.248)


@pytest.mark.parametrize(
    "response", [{}, {"prices": {}}, {"prices": []}, {"prices": {"Home": "x"}}, []]
)
def test_tibber_action_malformed(response: Any) -> None:
    forecast = read_tibber_action(response)
    assert forecast.points == ()
    assert forecast.problem


# Carbon


def test_co2_forecast() -> None:
    forecast = read_co2(load("co2.json"))
    assert forecast.problem is None
    assert len(forecast.points) == 24
    assert forecast.points[0] == Point(MIDNIGHT, MIDNIGHT + HOUR, 213.0)


def test_co2_time_and_co2_keys() -> None:
    items = [{"time": "2026-03-06T00:00:00+01:00", "co2": 300}]
    assert read_co2({"forecast": items}).points == (
        Point(MIDNIGHT, MIDNIGHT + HOUR, 300.0),
    )


def test_co2_without_forecast_is_no_problem() -> None:
    assert read_co2({"unit_of_measurement": "gCO2eq/kWh"}) == Forecast(())


def test_co2_negative_is_unreadable() -> None:
    items = [
        {"start": "2026-03-06T00:00:00+01:00", "value": -5},
        {"start": "2026-03-06T01:00:00+01:00", "value": 100},
    ]
    forecast = read_co2({"forecast": items})
    assert forecast.problem == "1 of 2 items unreadable"
    assert forecast.points == (Point(MIDNIGHT + HOUR, MIDNIGHT + 2 * HOUR, 100.0),)


# Solar


def test_solcast_half_hours_in_watts() -> None:
    attributes = load("solcast_today.json")
    solar = read_solar(attributes)
    assert solar.problem is None
    assert len(solar.p50) == len(solar.p10) == 48
    assert lengths(solar.p50) == {HALF_HOUR}
    noon = attributes["detailedForecast"][24]
    assert solar.p50[24] == Point(MIDNIGHT + 12 * HOUR, MIDNIGHT + 12.5 * HOUR, 3500.0)
    assert solar.p10[24].value == pytest.approx(noon["pv_estimate10"] * 1000)
    assert_well_formed(solar.p50)


def test_solcast_hourly() -> None:
    attributes = load("solcast_today.json")
    del attributes["detailedForecast"]
    solar = read_solar(attributes)
    assert len(solar.p50) == 24
    assert lengths(solar.p50) == {HOUR}
    assert solar.p50[12].value == pytest.approx(3480.0)


def test_solcast_without_low_estimate_is_cautious_at_p50() -> None:
    items = [{"period_start": "2026-03-06T12:00:00+01:00", "pv_estimate": 2.5}]
    solar = read_solar({"detailedForecast": items})
    noon = MIDNIGHT + 12 * HOUR
    assert solar.p10 == solar.p50 == (Point(noon, noon + HOUR, 2500.0),)


def test_forecast_solar_energy_of_each_period_ending_at_its_time() -> None:
    attributes = load("forecast_solar.json")
    solar = read_solar(attributes)
    assert solar.problem is None
    assert len(solar.p50) == 12
    seven = datetime.fromisoformat("2026-03-06T07:00:00+00:00").timestamp()
    # 925 Wh from 07:00 to 08:00 are 925 W on average.
    assert value_at(solar.p50, seven + 1) == pytest.approx(925.0)
    assert solar.p10 == solar.p50
    assert_well_formed(solar.p50)


def test_forecast_solar_watts_average_both_ends() -> None:
    attributes = load("forecast_solar.json")
    del attributes["wh_period"]
    solar = read_solar(attributes)
    seven = datetime.fromisoformat("2026-03-06T07:00:00+00:00").timestamp()
    assert value_at(solar.p50, seven + 1) == pytest.approx((610 + 1240) / 2)
    assert (
        solar.p50[0].start == datetime.fromisoformat("2026-03-06T05:48:31Z").timestamp()
    )
    assert (
        solar.p50[-1].end == datetime.fromisoformat("2026-03-06T16:47:05Z").timestamp()
    )


def test_energy_platform_wh_hours() -> None:
    """Wh from each time to the next, at most an hour: hourly Wh are W. (Forecast
    Solar's answer, keyed by each period's end, is read as `wh_period` instead.)"""
    hours = load("energy_wh_hours.json")
    solar = read_solar(hours)
    eight = datetime.fromisoformat("2026-03-06T08:00:00+00:00").timestamp()
    assert value_at(solar.p50, eight + 1) == pytest.approx(925.0)
    as_periods = read_solar({"wh_period": hours["wh_hours"]})
    assert value_at(as_periods.p50, eight + 1) == pytest.approx(1535.0)
    assert solar.problem is None


def test_energy_platform_half_hours() -> None:
    """Solcast's energy platform gives Wh per half hour."""
    wh = {"2026-03-06T10:00:00+01:00": 500, "2026-03-06T10:30:00+01:00": 750}
    solar = read_solar({"wh_hours": wh})
    assert [(p.end - p.start, p.value) for p in solar.p50] == [
        (HALF_HOUR, 1000.0),
        (HALF_HOUR, 1500.0),
    ]


def test_no_solar_forecast() -> None:
    assert read_solar({"unit_of_measurement": "kWh"}) == SolarForecast(
        (), (), "no solar forecast in its attributes"
    )


# Joining


def test_merge_later_series_wins() -> None:
    today = (Point(0, 10, 1.0), Point(10, 20, 2.0))
    tomorrow = (Point(15, 25, 3.0), Point(25, 30, 4.0))
    assert merge(today, tomorrow) == (
        Point(0, 10, 1.0),
        Point(10, 15, 2.0),
        Point(15, 25, 3.0),
        Point(25, 30, 4.0),
    )
    assert merge() == ()
    assert merge((), today) == today


def test_merge_inside_an_older_point() -> None:
    assert merge((Point(0, 30, 1.0),), (Point(10, 20, 2.0),)) == (
        Point(0, 10, 1.0),
        Point(10, 20, 2.0),
        Point(20, 30, 1.0),
    )


# Household


def test_household_profile_falls_back() -> None:
    rows = [(0, 8, 1000.0), (0, 8, 2000.0), (2, 8, 600.0), (3, 20, 900.0)]
    profile = HouseholdProfile.from_rows(rows)
    assert profile.at(0, 8) == 1500.0  # that weekday and hour
    assert profile.at(5, 8) == pytest.approx(3600.0 / 3)  # that hour, any day
    assert profile.at(5, 3) == pytest.approx(4500.0 / 4)  # everything
    assert HouseholdProfile.from_rows([]).at(0, 0) is None


def test_household_profile_skips_bad_rows() -> None:
    rows = [
        (0, 8, -5.0),
        (0, 8, math.nan),
        (0, 8, math.inf),
        (9, 8, 100.0),
        (0, 8, 700.0),
    ]
    profile = HouseholdProfile.from_rows(rows)
    assert profile.at(0, 8) == 700.0
    assert profile.overall == 700.0


# Missing, partial and malformed


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({}, "no price forecast in its attributes"),
        (
            {"raw_today": [], "raw_tomorrow": None},
            "no price forecast in its attributes",
        ),
        ({"raw_today": "nope"}, "raw_today is not a list"),
        (
            {"prices_today": [{"time": "2026-03-06T00:00:00", "price": 1}]},
            "1 of 1 items unreadable",
        ),
        (
            {"prices_today": [{"time": "yesterday", "price": 1}]},
            "1 of 1 items unreadable",
        ),
        (
            {"prices_today": [{"time": "2026-03-06T00:00Z", "price": "n/a"}]},
            "1 of 1 items unreadable",
        ),
        (
            {"prices_today": [{"time": "2026-03-06T00:00Z", "price": True}]},
            "1 of 1 items unreadable",
        ),
        (
            {"prices_today": [{"time": "2026-03-06T00:00Z", "price": math.nan}]},
            "1 of 1 items unreadable",
        ),
        ({"prices_today": [[1, 2]]}, "1 of 1 items unreadable"),
        (
            {"prices_today": [{"time": "2026-03-06T00:00Z", "price": 10**400}]},
            "1 of 1 items unreadable",
        ),
        (
            {
                "raw_today": [
                    {
                        "start": "2026-03-06T01:00Z",
                        "end": "2026-03-06T00:00Z",
                        "value": 1,
                    }
                ]
            },
            "1 of 1 items unreadable",
        ),
    ],
)
def test_bad_price_attributes_give_a_problem(
    attributes: dict[str, Any], problem: str
) -> None:
    forecast = read_prices(attributes)
    assert forecast.points == ()
    assert forecast.problem == problem


def test_partly_unreadable_prices_keep_the_rest() -> None:
    attributes = load("entsoe.json")
    for index in (3, 10, 20):
        attributes["prices_tomorrow"][index]["price"] = "unavailable"
    del attributes["prices"]
    forecast = read_prices(attributes)
    assert forecast.problem == "3 of 48 items unreadable"
    assert len(forecast.points) == 45


def test_not_a_mapping_at_all() -> None:
    bad: Any = ["raw_today"]
    assert read_prices(bad).problem == "attributes are not a mapping"
    assert read_co2(bad).problem == "attributes are not a mapping"
    assert read_solar(bad).problem == "attributes are not a mapping"
    assert read_nordpool_action(bad).problem == "no prices in the response"


def test_naive_numeric_text_and_odd_solar_layouts() -> None:
    assert (
        read_prices({"prices_today": [{"time": "2026-03-06T00:00Z", "price": "0.25"}]})
        .points[0]
        .value
        == 0.25
    )
    assert read_solar({"watts": [1, 2]}).problem == "watts is not a mapping"
    assert (
        read_solar({"detailedForecast": "x"}).problem
        == "the Solcast forecast is not a list"
    )
    naive = read_solar({"wh_hours": {"2026-03-06T10:00:00": 5}})
    assert naive.p50 == ()
    assert naive.problem == "1 of 1 items unreadable"


# Never raises

ISO = st.datetimes(timezones=st.none() | st.just(UTC) | st.just(CET)).map(
    datetime.isoformat
)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | ISO
)
KEYS = st.sampled_from(
    [
        "start",
        "end",
        "time",
        "hour",
        "start_time",
        "period_start",
        "value",
        "price",
        "co2",
        "pv_estimate",
        "pv_estimate10",
        "raw_today",
        "raw_tomorrow",
        "prices_today",
        "prices_tomorrow",
        "prices",
        "tomorrow_valid",
        "forecast",
        "detailedForecast",
        "detailedHourly",
        "watts",
        "wh_period",
        "wh_hours",
    ]
) | st.text(max_size=6)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(KEYS | ISO, inner, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=6))
def test_readers_never_raise(attributes: dict[str, Any]) -> None:
    for forecast in (
        read_prices(attributes),
        read_co2(attributes),
        read_nordpool_action(attributes),
        read_tibber_action(attributes),
    ):
        assert_well_formed(forecast.points)
    solar = read_solar(attributes)
    assert_well_formed(solar.p50)
    assert len(solar.p10) == len(solar.p50)
