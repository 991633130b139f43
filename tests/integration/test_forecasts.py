"""The site's forecasts read in Home Assistant: from the entities' attributes,
from the HA core Nord Pool and Tibber actions, from an energy platform, and the
household's profile from the recorder's statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.smart_charging.forecasts import (
    SiteForecasts,
    async_household_profile,
    async_read_forecasts,
)
from tests.conftest import HOUSEHOLD

FIXTURES = Path(__file__).parent.parent / "fixtures" / "forecasts"
PRICE = "sensor.electricity_price"
CO2 = "sensor.grid_carbon_intensity"
SOLAR = "sensor.solar_forecast"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """A test that asks for the recorder gets it before Home Assistant starts."""
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


async def read(
    hass: HomeAssistant,
    price: str | None = PRICE,
    co2: str | None = None,
    solar: str | None = None,
) -> SiteForecasts:
    return await async_read_forecasts(
        hass, price_entity=price, co2_entity=co2, solar_forecast_entity=solar
    )


def registered(
    hass: HomeAssistant, platform: str, unique_id: str, domain: str | None = None
) -> str:
    """An entity of another integration's config entry; its entity id."""
    entry = MockConfigEntry(domain=domain or platform)
    entry.add_to_hass(hass)
    return (
        er.async_get(hass)
        .async_get_or_create("sensor", platform, unique_id, config_entry=entry)
        .entity_id
    )


async def test_every_forecast_from_attributes(hass: HomeAssistant) -> None:
    hass.states.async_set(PRICE, "0.9", load("nordpool_hacs.json"))
    hass.states.async_set(CO2, "210", load("co2.json"))
    hass.states.async_set(SOLAR, "21.3", load("solcast_today.json"))
    forecasts = await read(hass, PRICE, CO2, SOLAR)
    assert forecasts.problems == ()
    assert len(forecasts.prices) == 192
    assert len(forecasts.co2) == 24
    assert len(forecasts.solar_p50) == len(forecasts.solar_p10) == 48
    assert forecasts.solar_p50[24].value == 3500.0
    assert forecasts.solar_p10[24].value == pytest.approx(2100.0)


@pytest.mark.parametrize(
    "fixture", ["entsoe.json", "energidataservice.json", "generic.json"]
)
async def test_other_price_layouts(hass: HomeAssistant, fixture: str) -> None:
    hass.states.async_set(PRICE, "0.9", load(fixture))
    forecasts = await read(hass)
    assert forecasts.problems == ()
    assert {p.end - p.start for p in forecasts.prices} == {3600.0}


async def test_missing_and_bare_entities_are_problems(hass: HomeAssistant) -> None:
    hass.states.async_set(CO2, "210", {"unit_of_measurement": "gCO2eq/kWh"})
    hass.states.async_set(SOLAR, "21.3", {"unit_of_measurement": "kWh"})
    forecasts = await read(hass, PRICE, CO2, SOLAR)
    assert forecasts == SiteForecasts(
        problems=(
            f"{PRICE}: no such entity",
            f"{SOLAR}: no solar forecast in its attributes",
        )
    )
    assert await read(hass, None) == SiteForecasts()


async def test_partial_prices_are_a_problem_and_kept(hass: HomeAssistant) -> None:
    attributes = load("generic.json")
    attributes["prices_tomorrow"][5]["price"] = "unknown"
    hass.states.async_set(PRICE, "0.9", attributes)
    forecasts = await read(hass)
    assert forecasts.problems == (f"{PRICE}: 1 of 48 items unreadable",)
    assert len(forecasts.prices) == 47


def nordpool_service(
    hass: HomeAssistant, calls: list[dict[str, Any]], error: Exception | None = None
) -> None:
    """HA core's nordpool.get_prices_for_date: today's prices, none yet for
    tomorrow (or an error)."""

    async def get_prices(call: ServiceCall) -> ServiceResponse:
        calls.append(dict(call.data))
        if error is not None:
            raise error
        if call.data["date"] == dt_util.now().date().isoformat():
            return load("nordpool_action.json")
        return {"SE3": []}

    hass.services.async_register(
        "nordpool",
        "get_prices_for_date",
        get_prices,
        supports_response=SupportsResponse.ONLY,
    )


async def test_nordpool_core_through_its_action(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "nordpool", "SE3-current_price")
    hass.states.async_set(entity_id, "0.62", {"unit_of_measurement": "SEK/kWh"})
    calls: list[dict[str, Any]] = []
    nordpool_service(hass, calls)
    forecasts = await read(hass, entity_id)
    assert forecasts.problems == ()  # tomorrow not out yet is no problem
    assert len(forecasts.prices) == 96
    assert forecasts.prices[0].value == pytest.approx(0.62)  # per MWh / 1000
    entry_id = er.async_get(hass).async_get(entity_id).config_entry_id  # type: ignore[union-attr]
    today = dt_util.now().date()
    tomorrow = {
        "config_entry": entry_id,
        "date": (today + timedelta(days=1)).isoformat(),
    }
    assert calls == [{"config_entry": entry_id, "date": today.isoformat()}, tomorrow]
    # Today's prices, once had, are not asked again; tomorrow's until they come.
    assert await read(hass, entity_id) == forecasts
    assert calls[2:] == [tomorrow]


async def test_a_failing_action_is_a_problem(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "nordpool", "SE3-current_price")
    hass.states.async_set(entity_id, "0.62")
    nordpool_service(hass, [], HomeAssistantError("Nord Pool unreachable"))
    forecasts = await read(hass, entity_id)
    assert forecasts.prices == ()
    assert forecasts.problems == (
        f"{entity_id}: nordpool.get_prices_for_date failed: Nord Pool unreachable",
    )


async def test_nordpool_core_without_its_action(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "nordpool", "SE3-current_price")
    hass.states.async_set(entity_id, "0.62")
    forecasts = await read(hass, entity_id)
    assert forecasts.prices == ()
    assert len(forecasts.problems) == 1
    assert "nordpool.get_prices_for_date failed" in forecasts.problems[0]


async def test_tibber_through_its_action(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "tibber", "home-id")
    hass.states.async_set(entity_id, "0.25")
    calls: list[dict[str, Any]] = []

    async def get_prices(call: ServiceCall) -> ServiceResponse:
        calls.append(dict(call.data))
        return load("tibber_action.json")

    hass.services.async_register(
        "tibber", "get_prices", get_prices, supports_response=SupportsResponse.ONLY
    )
    forecasts = await read(hass, entity_id)
    assert forecasts.problems == ()
    assert len(forecasts.prices) == 48
    start = datetime.fromisoformat(calls[0]["start"])
    assert start == dt_util.start_of_local_day()
    assert datetime.fromisoformat(calls[0]["end"]) - start == timedelta(days=2)


async def test_solcast_today_and_tomorrow(hass: HomeAssistant) -> None:
    today_id = registered(hass, "solcast_solar", "total_kwh_forecast_today")
    tomorrow_id = registered(hass, "solcast_solar", "total_kwh_forecast_tomorrow")
    today = load("solcast_today.json")
    tomorrow = load("solcast_today.json")
    for item in tomorrow["detailedForecast"]:
        start = datetime.fromisoformat(item["period_start"]) + timedelta(days=1)
        item["period_start"] = start.isoformat()
    hass.states.async_set(today_id, "21.3", today)
    hass.states.async_set(tomorrow_id, "21.3", tomorrow)
    forecasts = await read(hass, None, solar=today_id)
    assert forecasts.problems == ()
    assert len(forecasts.solar_p50) == 96
    assert forecasts.solar_p50[-1].end - forecasts.solar_p50[0].start == 2 * 86400


async def test_solcast_today_alone(hass: HomeAssistant) -> None:
    today_id = registered(hass, "solcast_solar", "total_kwh_forecast_today")
    hass.states.async_set(today_id, "21.3", load("solcast_today.json"))
    forecasts = await read(hass, None, solar=today_id)
    assert forecasts.problems == ()
    assert len(forecasts.solar_p50) == 48


def energy_platform(response: Any) -> MagicMock:
    """An integration whose energy platform answers this."""
    integration = MagicMock()
    integration.platforms_exists.return_value = ["energy"]
    platform = SimpleNamespace(
        async_get_solar_forecast=AsyncMock(return_value=response)
    )
    integration.async_get_platform = AsyncMock(return_value=platform)
    return integration


async def test_solar_from_the_energy_platform(hass: HomeAssistant) -> None:
    """Forecast.Solar without attributes: its energy platform's wh_hours, each
    the energy of the period ending at its time."""
    entity_id = registered(hass, "forecast_solar", "entry_energy_production_today")
    hass.states.async_set(entity_id, "14.2", {"unit_of_measurement": "kWh"})
    integration = energy_platform(load("energy_wh_hours.json"))
    with patch(
        "custom_components.smart_charging.forecasts.async_get_integration",
        AsyncMock(return_value=integration),
    ):
        forecasts = await read(hass, None, solar=entity_id)
    assert forecasts.problems == ()
    eight = datetime.fromisoformat("2026-03-06T08:00:00+00:00").timestamp()
    point = next(p for p in forecasts.solar_p50 if p.start == eight)
    assert point.value == pytest.approx(1535.0)
    entry_id = er.async_get(hass).async_get(entity_id).config_entry_id  # type: ignore[union-attr]
    platform = await integration.async_get_platform("energy")
    platform.async_get_solar_forecast.assert_awaited_once_with(hass, entry_id)


async def test_a_failing_energy_platform_is_a_problem(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "forecast_solar", "entry_energy_production_today")
    hass.states.async_set(entity_id, "14.2")
    integration = energy_platform(None)
    integration.async_get_platform.side_effect = ImportError("no forecast_solar")
    with patch(
        "custom_components.smart_charging.forecasts.async_get_integration",
        AsyncMock(return_value=integration),
    ):
        forecasts = await read(hass, None, solar=entity_id)
    assert forecasts.solar_p50 == ()
    assert forecasts.problems == (
        f"{entity_id}: forecast_solar solar forecast failed: "
        "ImportError('no forecast_solar')",
    )


@pytest.mark.parametrize("answer", [None, {"wh_hours": {}}, "no platform function"])
async def test_an_energy_platform_without_forecast(
    hass: HomeAssistant, answer: Any
) -> None:
    entity_id = registered(hass, "forecast_solar", "entry_energy_production_today")
    hass.states.async_set(entity_id, "14.2")
    integration = energy_platform(answer)
    if answer == "no platform function":
        integration.async_get_platform.return_value = SimpleNamespace()
    with patch(
        "custom_components.smart_charging.forecasts.async_get_integration",
        AsyncMock(return_value=integration),
    ):
        forecasts = await read(hass, None, solar=entity_id)
    assert forecasts.problems == (f"{entity_id}: no solar forecast in its attributes",)


async def test_an_integration_without_energy_platform(hass: HomeAssistant) -> None:
    entity_id = registered(hass, "sun", "sun-solar-elevation")
    hass.states.async_set(entity_id, "12")
    forecasts = await read(hass, None, solar=entity_id)
    assert forecasts.problems == (f"{entity_id}: no solar forecast in its attributes",)


# The household's profile


def import_hourly_means(
    hass: HomeAssistant, means: dict[datetime, float], unit: str = "kW"
) -> None:
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id=HOUSEHOLD,
        unit_class="power" if unit in ("W", "kW") else None,
        unit_of_measurement=unit,
    )
    rows = [
        StatisticData(start=start, mean=mean, min=mean, max=mean)
        for start, mean in means.items()
    ]
    async_import_statistics(hass, metadata, rows)


async def test_household_profile_from_statistics(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    # Local time nine hours from UTC, with no daylight saving to move an hour.
    await hass.config.async_set_time_zone("Asia/Tokyo")
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    week_ago = hour - timedelta(days=7)
    two_weeks_ago = hour - timedelta(days=14)
    too_old = hour - timedelta(days=35)
    import_hourly_means(
        hass,
        {
            week_ago: 1.2,
            two_weeks_ago: 1.8,
            week_ago + timedelta(hours=1): 0.4,
            too_old: 9,
        },
    )
    await async_wait_recording_done(hass)
    profile = await async_household_profile(hass, HOUSEHOLD)
    assert profile is not None
    local = dt_util.as_local(week_ago)
    later = dt_util.as_local(week_ago + timedelta(hours=1))
    assert profile.at(local.weekday(), local.hour) == pytest.approx(1500.0)  # kW -> W
    assert profile.at(later.weekday(), later.hour) == pytest.approx(400.0)
    assert profile.overall == pytest.approx(3400.0 / 3)  # 35 days ago is left out


async def test_no_profile_without_statistics_of_power(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    assert await async_household_profile(hass, HOUSEHOLD) is None
    assert await async_household_profile(hass, None) is None
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    import_hourly_means(hass, {hour - timedelta(days=1): 50.0}, unit="%")
    await async_wait_recording_done(hass)
    assert await async_household_profile(hass, HOUSEHOLD) is None


async def test_no_profile_without_the_recorder(hass: HomeAssistant) -> None:
    assert await async_household_profile(hass, HOUSEHOLD) is None


async def test_no_profile_when_the_recorder_fails(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    with patch(
        "custom_components.smart_charging.forecasts._hourly_means",
        side_effect=RuntimeError("database locked"),
    ):
        assert await async_household_profile(hass, HOUSEHOLD) is None
