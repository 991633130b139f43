"""The site's forecasts as Home Assistant holds them, for `smart`: read from the
configured entities' attributes (engine/forecast.py knows each layout), else from
the HA core Nord Pool and Tibber actions or an energy platform's solar forecast;
and the household's usual load from the recorder's statistics.

Nothing here raises: a forecast that cannot be had is a problem for a log line,
and the planner does without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.loader import async_get_integration
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import PowerConverter

from .const import DOMAIN, LOGGER
from .engine.forecast import (
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
)

RECORDER = "recorder"
PROFILE_DAYS = 28
NO_ENTITY = "no such entity"
# Solcast keeps tomorrow in a sensor of its own (unique ids of ha-solcast-solar).
SOLCAST = "solcast_solar"
SOLCAST_TODAY = "total_kwh_forecast_today"
SOLCAST_TOMORROW = "total_kwh_forecast_tomorrow"
# Nord Pool's prices by (config entry, ISO date), once complete.
NORDPOOL_DAYS: HassKey[dict[tuple[str, str], Forecast]] = HassKey(
    f"{DOMAIN}_nordpool_days"
)


@dataclass(frozen=True, slots=True)
class SiteForecasts:
    """What the site's forecast entities tell of the coming hours."""

    prices: tuple[Point, ...] = ()
    co2: tuple[Point, ...] = ()
    solar_p50: tuple[Point, ...] = ()  # W
    solar_p10: tuple[Point, ...] = ()  # W, cautious
    problems: tuple[str, ...] = ()  # "sensor.x: reason", one per input that had one


async def async_read_forecasts(
    hass: HomeAssistant,
    *,
    price_entity: str | None,
    co2_entity: str | None,
    solar_forecast_entity: str | None,
) -> SiteForecasts:
    """Every configured forecast, read now."""
    problems: list[str] = []
    prices = co2 = Forecast(())
    solar = SolarForecast((), ())
    if price_entity:
        prices = await _async_prices(hass, price_entity)
        _note(problems, price_entity, prices.problem)
    if co2_entity:
        attributes = _attributes(hass, co2_entity)
        co2 = Forecast((), NO_ENTITY) if attributes is None else read_co2(attributes)
        _note(problems, co2_entity, co2.problem)
    if solar_forecast_entity:
        solar = await _async_solar(hass, solar_forecast_entity)
        _note(problems, solar_forecast_entity, solar.problem)
    return SiteForecasts(
        prices.points, co2.points, solar.p50, solar.p10, tuple(problems)
    )


def _note(problems: list[str], entity_id: str, problem: str | None) -> None:
    if problem:
        problems.append(f"{entity_id}: {problem}")


def _attributes(hass: HomeAssistant, entity_id: str) -> Mapping[str, Any] | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.attributes


async def _async_prices(hass: HomeAssistant, entity_id: str) -> Forecast:
    """The entity's own forecast; for the HA core Nord Pool and Tibber, which keep
    none in their attributes, their action's."""
    attributes = _attributes(hass, entity_id)
    forecast = read_prices(attributes or {})
    if forecast.points:
        return forecast
    entry = er.async_get(hass).async_get(entity_id)
    if entry is not None and entry.platform == "nordpool" and entry.config_entry_id:
        return await _async_nordpool(hass, entry.config_entry_id, entry.unique_id)
    if entry is not None and entry.platform == "tibber":
        return await _async_tibber(hass)
    return forecast if attributes is not None else Forecast((), NO_ENTITY)


async def _async_action(
    hass: HomeAssistant, domain: str, service: str, data: dict[str, Any]
) -> tuple[Mapping[str, Any] | None, str | None]:
    """An action's response, or why there is none."""
    try:
        response = await hass.services.async_call(
            domain, service, data, blocking=True, return_response=True
        )
    except Exception as err:  # another integration's failure: a problem, not ours
        return None, f"{domain}.{service} failed: {str(err) or type(err).__name__}"
    return response, None


async def _async_nordpool(
    hass: HomeAssistant, config_entry_id: str, unique_id: str
) -> Forecast:
    """Today's and tomorrow's prices from `nordpool.get_prices_for_date`."""
    today = dt_util.now().date()
    # The action asks Nord Pool each time; a day's prices, once had, stand.
    known = hass.data.setdefault(NORDPOOL_DAYS, {})
    for key in [key for key in known if key[1] < today.isoformat()]:
        del known[key]
    days: list[Forecast] = []
    for day in (today.isoformat(), (today + timedelta(days=1)).isoformat()):
        forecast = known.get((config_entry_id, day))
        if forecast is None:
            forecast = await _async_nordpool_day(hass, config_entry_id, unique_id, day)
            if forecast.points and forecast.problem is None:
                known[config_entry_id, day] = forecast
        days.append(forecast)
    first, second = days
    # Tomorrow's prices come out in the afternoon: until then, no answer for
    # tomorrow is no problem.
    problem = first.problem or (second.problem if second.points else None)
    return Forecast(merge(first.points, second.points), problem)


async def _async_nordpool_day(
    hass: HomeAssistant, config_entry_id: str, unique_id: str, day: str
) -> Forecast:
    response, failure = await _async_action(
        hass,
        "nordpool",
        "get_prices_for_date",
        {"config_entry": config_entry_id, "date": day},
    )
    if failure is not None:
        return Forecast((), failure)
    # The sensor's unique id holds its area ("SE3-current_price").
    areas = response or {}
    area = next((part for part in unique_id.split("-") if part in areas), None)
    return read_nordpool_action(areas, area)


async def _async_tibber(hass: HomeAssistant) -> Forecast:
    """Today's and tomorrow's prices from `tibber.get_prices`."""
    start = dt_util.start_of_local_day()
    response, failure = await _async_action(
        hass,
        "tibber",
        "get_prices",
        {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()},
    )
    if failure is not None:
        return Forecast((), failure)
    return read_tibber_action(response or {})


async def _async_solar(hass: HomeAssistant, entity_id: str) -> SolarForecast:
    """The entity's solar forecast (with Solcast, tomorrow's sensor too); else its
    integration's energy platform's, as the Energy dashboard shows it."""
    attributes = _attributes(hass, entity_id)
    solar = read_solar(attributes or {})
    registry = er.async_get(hass)
    entry = registry.async_get(entity_id)
    if solar.p50 and entry is not None and entry.platform == SOLCAST:
        return _with_solcast_tomorrow(hass, registry, entry, solar)
    if solar.p50 or entry is None or entry.config_entry_id is None:
        return solar if attributes is not None else SolarForecast((), (), NO_ENTITY)
    from_platform = await _async_energy_platform(hass, entry.config_entry_id)
    return solar if from_platform is None else from_platform


def _with_solcast_tomorrow(
    hass: HomeAssistant,
    registry: er.EntityRegistry,
    entry: er.RegistryEntry,
    today: SolarForecast,
) -> SolarForecast:
    if entry.unique_id != SOLCAST_TODAY:
        return today
    tomorrow_id = registry.async_get_entity_id("sensor", SOLCAST, SOLCAST_TOMORROW)
    attributes = _attributes(hass, tomorrow_id) if tomorrow_id else None
    if attributes is None:
        return today
    tomorrow = read_solar(attributes)
    return SolarForecast(
        merge(today.p50, tomorrow.p50),
        merge(today.p10, tomorrow.p10),
        today.problem or tomorrow.problem,
    )


async def _async_energy_platform(
    hass: HomeAssistant, config_entry_id: str
) -> SolarForecast | None:
    """The energy platform's solar forecast of this config entry; None when its
    integration has none."""
    config_entry = hass.config_entries.async_get_entry(config_entry_id)
    if config_entry is None:
        return None
    domain = config_entry.domain
    try:
        integration = await async_get_integration(hass, domain)
        if not integration.platforms_exists(["energy"]):
            return None
        platform = await integration.async_get_platform("energy")
        get_forecast = getattr(platform, "async_get_solar_forecast", None)
        if get_forecast is None:
            return None
        response = await get_forecast(hass, config_entry_id)
    except Exception as err:  # another integration's failure: a problem, not ours
        return SolarForecast((), (), f"{domain} solar forecast failed: {err!r}")
    hours = response.get("wh_hours") if isinstance(response, Mapping) else None
    if not hours:  # e.g. its entry not loaded: the attributes' problem stands
        return None
    # Forecast.Solar keys each energy by the end of its period, as its own
    # `wh_period` attribute does (home-assistant-libs/forecast_solar#415); other
    # providers (Solcast) by the start.
    key = "wh_period" if domain == "forecast_solar" else "wh_hours"
    return read_solar({key: hours})


async def async_household_profile(
    hass: HomeAssistant, household_entity: str | None
) -> HouseholdProfile | None:
    """The household's usual load by weekday and hour, from the recorder's hourly
    means of the last weeks; None without the recorder or its statistics."""
    if not household_entity or RECORDER not in hass.config.components:
        return None
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    start = dt_util.utcnow() - timedelta(days=PROFILE_DAYS)
    try:
        rows = await get_instance(hass).async_add_executor_job(
            _hourly_means, hass, household_entity, start
        )
    except Exception:  # no profile is no reason to stop planning
        LOGGER.debug("No household profile from the recorder", exc_info=True)
        return None
    profile = HouseholdProfile.from_rows(rows)
    return None if profile.overall is None else profile


def _hourly_means(
    hass: HomeAssistant, statistic_id: str, start: datetime
) -> list[tuple[int, int, float]]:
    """`(local weekday, local hour, mean W)` of each recorded hour since `start`
    (in the recorder's executor: it reads the database)."""
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        get_metadata,
        statistics_during_period,
    )

    metadata = get_metadata(hass, statistic_ids={statistic_id}).get(statistic_id)
    if metadata is None:
        return []
    if metadata[1]["unit_of_measurement"] not in PowerConverter.VALID_UNITS:
        return []
    statistics = statistics_during_period(
        hass,
        start,
        None,
        {statistic_id},
        "hour",
        {"power": UnitOfPower.WATT},  # the recorder converts kW (or MW) to W
        {"mean"},
    )
    rows = []
    for row in statistics.get(statistic_id, []):
        mean = row.get("mean")
        if mean is not None:
            local = dt_util.as_local(dt_util.utc_from_timestamp(row["start"]))
            rows.append((local.weekday(), local.hour, mean))
    return rows
