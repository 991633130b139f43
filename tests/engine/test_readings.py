"""Readings are converted, then checked (SPEC §5 rule 8); a sensor that includes
the chargers is told by how it follows them."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.household_check import DoubleCountCheck
from custom_components.smart_charging.engine.readings import (
    charger_power_range,
    grid_power_range,
    parse_number,
    read_power,
    site_power_range,
)

SITE = site_power_range(36000)


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), ("-0.5", -0.5), ("+3.", 3.0), (".25", 0.25), ("1e3", 1000.0)],
)
def test_plain_numbers_parse(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text", ["1_000", "inf", "nan", "-inf", " 12", "12 ", "", "abc", "1e999", "0x10"]
)
def test_anything_else_is_not_a_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("state", "unit", "watts"),
    [("1500", "W", 1500.0), ("1.5", "kW", 1500.0), ("0.0015", "MW", 1500.0)],
)
def test_units_convert(state: str, unit: str, watts: float) -> None:
    assert read_power(state, unit, *SITE).watts == pytest.approx(watts)


@pytest.mark.parametrize(
    ("state", "unit", "problem"),
    [
        ("30", None, "no unit"),
        ("30", "%", "unit '%' is not a power unit"),
        ("1e308", "MW", "not finite"),
        ("-50", "kW", "-50000 W is not plausible"),
        ("-0.6", "kW", "-600 W is not plausible"),
        ("361", "kW", "361000 W is not plausible"),
        ("1_000", "W", "not a number ('1_000')"),
    ],
)
def test_unusable_readings_say_why(state: str, unit: str | None, problem: str) -> None:
    reading = read_power(state, unit, *SITE)
    assert reading.watts is None
    assert reading.problem == problem


def test_the_plausible_ranges() -> None:
    assert read_power("-0.5", "kW", *SITE).watts == -500.0
    assert read_power("360", "kW", *SITE).watts == 360000.0
    assert read_power("-300", "kW", *grid_power_range(36000)).watts == -300000.0
    assert read_power("27.6", "kW", *charger_power_range(22080)).watts == 27600.0
    assert read_power("27.7", "kW", *charger_power_range(22080)).watts is None


def feed(
    check: DoubleCountCheck, steps: list[tuple[float, float]], start: float = 0.0
) -> DoubleCountCheck:
    """(household, chargers) every 10 s."""
    for i, (household, chargers) in enumerate(steps):
        check = check.update(start + i * 10.0, household, chargers)
    return check


def test_a_household_that_follows_the_chargers_is_suspected() -> None:
    # The car starts (+11 kW); the next reading shows it; the car stops; and so on.
    steps = [(5000.0, 0.0), (5000.0, 11000.0), (16000.0, 0.0), (5000.0, 11000.0)]
    steps += [(16000.0, 0.0), (5000.0, 0.0)]
    assert feed(DoubleCountCheck(), steps).suspected


def test_a_household_that_ignores_the_chargers_is_not() -> None:
    steps = [(5000.0, 0.0), (5000.0, 11000.0), (5100.0, 0.0), (5000.0, 11000.0)]
    steps += [(4900.0, 0.0), (5000.0, 0.0)] * 5
    check = feed(DoubleCountCheck(), steps)
    assert not check.suspected
    assert check.hits == 0


def test_coincidences_are_outweighed_by_misses() -> None:
    # Three chance matches, then many changes the household does not follow.
    steps = [(5000.0, 0.0), (5000.0, 4000.0), (9000.0, 0.0), (5000.0, 4000.0)]
    steps += [(9000.0, 4000.0)]
    check = feed(DoubleCountCheck(), steps)
    assert check.suspected
    later = [(9000.0, 0.0), (9000.0, 4000.0), (9000.0, 4000.0), (9000.0, 4000.0)] * 4
    assert not feed(check, later, start=1000.0).suspected
