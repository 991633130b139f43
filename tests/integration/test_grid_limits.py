"""The grid's own limits, end to end through Home Assistant: §14a dimming and the
capacity tariff's quarter-hour peak."""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smart_charging.engine.grid_limits import (
    GridStatus,
    QuarterPeak,
    month_of,
)
from custom_components.smart_charging.grid_log import DimmingLog
from custom_components.smart_charging.sensor import restored_quarter
from tests.conftest import (
    HOUSEHOLD,
    SOLAR,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    settle,
    setup_wallboxes,
    state_of,
    tick,
    wallbox_current,
)

VOLTS = 230 * 3
DIMMING = "binary_sensor.grid_dimming"
# A quarter-hour's start (a Monday morning, UTC).
QUARTER = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def chargers_w(hass: HomeAssistant, *boxes: str) -> float:
    return sum(wallbox_current(hass, box) for box in boxes) * VOLTS


async def two_car_site(hass: HomeAssistant, factory: EntryFactory) -> MockConfigEntry:
    await setup_wallboxes(hass, "wb1", "wb2")
    power_state(hass, HOUSEHOLD, 1000)
    power_state(hass, SOLAR, 0)
    hass.states.async_set(DIMMING, "off")
    return await factory(
        [charger_data("A", "input_number.wb1"), charger_data("B", "input_number.wb2")],
        solar_power_entity=SOLAR,
        dimming_entity=DIMMING,
    )


async def test_dimming_applies_at_once_and_lifts_at_the_next_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    entry = await two_car_site(hass, site_entry_factory)
    dimmed = find_entity(hass, "binary_sensor", f"{entry.entry_id}_dimmed")
    await tick(hass, freezer)
    assert chargers_w(hass, "wb1", "wb2") > 30000
    assert state_of(hass, dimmed).state == "off"

    # The operator dims: the chargers come down at once, without waiting for a
    # regular cycle, to 4.2 kW from the grid (one car at 6 A).
    hass.states.async_set(DIMMING, "on")
    await settle(hass)
    assert chargers_w(hass, "wb1", "wb2") <= 4200
    assert state_of(hass, dimmed).state == "on"
    await tick(hass, freezer)
    assert 0 < chargers_w(hass, "wb1", "wb2") <= 4200

    # 5 kW of solar surplus charges on top of the 4.2 kW.
    power_state(hass, SOLAR, 6000)
    await settle(hass)
    await tick(hass, freezer)
    assert 4200 < chargers_w(hass, "wb1", "wb2") <= 9200
    await tick(hass, freezer)

    # Dimming ends: the increase waits for the next regular cycle.
    hass.states.async_set(DIMMING, "off")
    await settle(hass)
    assert chargers_w(hass, "wb1", "wb2") <= 9200
    assert state_of(hass, dimmed).state == "off"
    await tick(hass, freezer)
    assert chargers_w(hass, "wb1", "wb2") > 30000

    # The period is on record, with what the chargers drew from the grid.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    (period,) = diagnostics["dimming_periods"]
    assert period["start"] < period["end"]
    assert 0 < period["chargers_grid_average_kw"] <= period["chargers_grid_max_kw"]
    assert period["chargers_grid_max_kw"] <= 4.2
    assert diagnostics["grid_limits"]["dimmed"] is False


async def test_an_unavailable_dimming_entity_counts_as_dimmed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await two_car_site(hass, site_entry_factory)
    await tick(hass, freezer)
    hass.states.async_set(DIMMING, "unavailable")
    await settle(hass)
    assert chargers_w(hass, "wb1", "wb2") <= 4200
    dimmed = find_entity(hass, "binary_sensor", f"{entry.entry_id}_dimmed")
    assert state_of(hass, dimmed).state == "on"


async def run_quarter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    household: list[float],
) -> float:
    """Tick through a quarter-hour, the household load changing every 10 s step as
    listed; the quarter's average import (W) as a meter sees it."""
    energy = 0.0
    for load in household:
        # Reported at every step, as a live meter does: one silent for five
        # minutes would be stale (failsafe).
        power_state(hass, HOUSEHOLD, load)
        await settle(hass)
        energy += (load + chargers_w(hass, "wb1")) * 10
        await tick(hass, freezer)
    return energy / 900


async def one_car_tariff_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    factory: EntryFactory,
    household: float,
    **site: object,
) -> MockConfigEntry:
    freezer.move_to(QUARTER)
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, household)
    return await factory([charger_data("Car", "input_number.wb1")], **site)


async def test_a_quarter_that_would_end_over_the_target_is_throttled_in_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """10 kW of household for five minutes, then 2 kW: the car is held back so
    the quarter ends at or under 8 kW, and still uses what is left of it."""
    entry = await one_car_tariff_site(
        hass, freezer, site_entry_factory, 10000, peak_limit_kw=8.0
    )
    peak = find_entity(hass, "sensor", f"{entry.entry_id}_quarter_peak")
    average = await run_quarter(hass, freezer, [10000] * 30 + [2000] * 60)
    assert 7000 < average <= 8000
    state = state_of(hass, peak)
    # The quarter closed at the last step: the month's peak is its average.
    assert state.attributes["month_peak_kw"] == pytest.approx(average / 1000, abs=0.01)
    assert state.attributes["peak_limit_kw"] == 8.0
    assert state.attributes["unit_of_measurement"] == "kW"
    # Uncontrolled, the car would have taken its 22 kW from the first minute on.
    assert wallbox_current(hass, "wb1") < 32


async def test_follow_monthly_peak_raises_the_target(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """A quarter of 9 kW of household alone sets the month's peak; the next
    quarter may use up to it, above the 3 kW limit."""
    entry = await one_car_tariff_site(
        hass,
        freezer,
        site_entry_factory,
        9000,
        peak_limit_kw=3.0,
        follow_monthly_peak=True,
    )
    assert await run_quarter(hass, freezer, [9000] * 90) == 9000
    power_state(hass, HOUSEHOLD, 1500)
    await settle(hass)
    await tick(hass, freezer)
    peak = state_of(hass, find_entity(hass, "sensor", f"{entry.entry_id}_quarter_peak"))
    assert peak.attributes["peak_limit_kw"] == 9.0
    assert peak.attributes["month_peak_kw"] == 9.0
    # 9 kW less the reserve for the sensors' lag (0.2 kW) leave 7.3 kW above the
    # household: 10 A on three phases.
    assert wallbox_current(hass, "wb1") == 10


async def test_without_following_the_target_stays(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await one_car_tariff_site(hass, freezer, site_entry_factory, 2000, peak_limit_kw=3)
    await tick(hass, freezer)
    # 1 kW above the household: less than a car's minimum.
    assert wallbox_current(hass, "wb1") == 0


async def test_the_months_peak_survives_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await one_car_tariff_site(
        hass,
        freezer,
        site_entry_factory,
        9000,
        peak_limit_kw=3.0,
        follow_monthly_peak=True,
    )
    await run_quarter(hass, freezer, [9000] * 90)
    assert entry.runtime_data.state.quarter.month_peak_w == 9000
    assert await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass)
    assert entry.runtime_data.state.quarter.month_peak_w == 9000
    peak = state_of(hass, find_entity(hass, "sensor", f"{entry.entry_id}_quarter_peak"))
    assert peak.attributes["peak_limit_kw"] == 9.0


@pytest.mark.parametrize(
    ("month_delta", "expected_w"),
    [(0, 9000.0), (-1, 0.0)],
    ids=["this month", "last month"],
)
async def test_the_months_peak_is_restored_after_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    month_delta: int,
    expected_w: float,
) -> None:
    """The month's peak comes back from the quarter_peak sensor's stored data;
    one of an earlier month is dropped."""
    entry = await one_car_tariff_site(
        hass,
        freezer,
        site_entry_factory,
        2000,
        setup=False,
        peak_limit_kw=3.0,
        follow_monthly_peak=True,
    )
    month = month_of(QUARTER.timestamp(), 0.0) + month_delta
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.home_quarter_hour_average_import", "4.2"),
                {
                    "native_value": 4.2,
                    "native_unit_of_measurement": "kW",
                    "month": month,
                    "month_peak_w": 9000.0,
                },
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    assert find_entity(hass, "sensor", f"{entry.entry_id}_quarter_peak") == (
        "sensor.home_quarter_hour_average_import"
    )
    assert entry.runtime_data.state.quarter.month_peak_w == expected_w
    await tick(hass, freezer)
    assert (wallbox_current(hass, "wb1") > 0) is (expected_w > 0)


def test_the_dimming_log_keeps_the_last_fifty_periods() -> None:
    log = DimmingLog()
    for k in range(60):
        start = 1000.0 * k
        log.record(GridStatus(dimmed=True, chargers_grid_w=9000.0), start)
        log.record(GridStatus(dimmed=True, chargers_grid_w=4000.0), start + 10)
        log.record(GridStatus(dimmed=True, chargers_grid_w=2000.0), start + 40)
        log.record(GridStatus(dimmed=False, chargers_grid_w=2000.0), start + 50)
    periods = log.as_list()
    assert len(periods) == 50
    # The step that starts a period shows what was drawn before it: not counted.
    assert periods[-1] == {
        "start": "1970-01-01T16:23:20+00:00",
        "end": "1970-01-01T16:24:10+00:00",
        "chargers_grid_max_kw": 4.0,
        "chargers_grid_average_kw": 2.4,
    }


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        {"month": "2026-03", "month_peak_w": 9000.0},
        {"month": True, "month_peak_w": 9000.0},
        {"month": 24314, "month_peak_w": -1.0},
        {"month": 24314, "month_peak_w": float("inf")},
        {"month": 24314, "month_peak_w": "9000"},
    ],
)
def test_a_corrupt_stored_peak_is_ignored(stored: dict[str, object] | None) -> None:
    assert restored_quarter(stored) is None


def test_a_stored_peak_is_restored() -> None:
    quarter = restored_quarter({"month": 24314, "month_peak_w": 9000})
    assert quarter == QuarterPeak(month=24314, month_peak_w=9000.0)
