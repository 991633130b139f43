"""Sessions as Home Assistant sees them: each step's energy counted into the
sessions at the price and carbon of the time, and each ended session announced
(event smart_charging_session_ended) and added to the long-term statistics.

The statistics are external statistics, hourly sums of each charger's energy,
cost and solar energy: `smart_charging:<site>_<charger>_energy`, `_cost` and
`_solar_energy`. The recorder is optional: without it nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import HomeAssistant, State
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .const import (
    CONF_CO2_ENTITY,
    CONF_PRICE_ENTITY,
    CONF_SOLAR_POWER_ENTITY,
    DOMAIN,
    EVENT_SESSION_ENDED,
    LOGGER,
)
from .engine.control import StepResult
from .events import fire_charger_event
from .runtime import ChargerRuntime
from .sessions import Session, Tariff, read_co2, read_price, solar_kwh

if TYPE_CHECKING:
    from homeassistant.components.recorder.models import (
        StatisticData,
        StatisticMetaData,
    )

RECORDER = "recorder"


@dataclass
class StatisticSums:
    """Each statistic's last hour and sum, once read from the recorder, kept across
    reloads: a session imported just before a reload may not be in the database
    yet when the next one asks for the last sum."""

    sums: dict[str, tuple[float, float]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


STATISTIC_SUMS: HassKey[StatisticSums] = HassKey(f"{DOMAIN}_statistic_sums")


def read_tariff(hass: HomeAssistant, data: Mapping[str, Any]) -> Tariff:
    """The price and the carbon intensity now, from the site's sensors."""
    price = currency = co2 = None
    if (entity := data.get(CONF_PRICE_ENTITY)) and (state := hass.states.get(entity)):
        price, currency = read_price(state.state, _unit(state))
    if (entity := data.get(CONF_CO2_ENTITY)) and (state := hass.states.get(entity)):
        co2 = read_co2(state.state, _unit(state))
    return Tariff(price=price, currency=currency, co2_g_per_kwh=co2)


def _unit(state: State) -> str | None:
    """The unit attribute, if it is text at all."""
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    return unit if isinstance(unit, str) else None


def statistic_base(site: str, charger: str) -> str:
    """The statistic id of a charger, without its kind: smart_charging:home_garage."""
    return f"{DOMAIN}:{slugify(f'{site} {charger}')}"


class SessionPublisher:
    """Counts the energy into the sessions and publishes those that ended."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self.solar = bool(entry.data.get(CONF_SOLAR_POWER_ENTITY))
        self._statistics = hass.data.setdefault(STATISTIC_SUMS, StatisticSums())

    def count(
        self,
        result: StepResult,
        chargers: Mapping[str, ChargerRuntime],
        since: float | None,
        now: float,
    ) -> None:
        """Add the step's energy to each charger's session; publish those ended."""
        tariff = read_tariff(self._hass, self._entry.data)
        hours = 0.0 if since is None else (now - since) / 3600
        sun = solar_kwh(result.energy_kwh, result.decision.surplus_w, hours)
        for cid, charger in chargers.items():
            charger.metering.solar = self.solar
            charger.metering.add(
                result.energy_kwh.get(cid, 0.0), now, sun.get(cid, 0.0), tariff
            )
        self.publish_ended(chargers)

    def publish_ended(self, chargers: Mapping[str, ChargerRuntime]) -> None:
        """Announce the sessions ended since last asked and add their statistics."""
        for cid, charger in chargers.items():
            for session in charger.metering.take_ended():
                LOGGER.debug("%s: session ended: %s", charger.name, session)
                fire_charger_event(
                    self._hass,
                    EVENT_SESSION_ENDED,
                    self._entry.entry_id,
                    cid,
                    charger.name,
                    session.attributes(),
                )
                if RECORDER in self._hass.config.components:
                    self._entry.async_create_background_task(
                        self._hass,
                        self._async_add_statistics(charger.name, session),
                        "smart_charging session statistics",
                    )

    async def _async_add_statistics(self, charger: str, session: Session) -> None:
        """Add the session's hours to the charger's hourly sums."""
        from homeassistant.components.recorder.models import (  # noqa: PLC0415
            StatisticMeanType,
        )
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            async_add_external_statistics,
        )

        base = statistic_base(self._entry.title, charger)
        kinds: list[tuple[str, str | None, str | None, int]] = [
            ("energy", UnitOfEnergy.KILO_WATT_HOUR, "energy", 0)
        ]
        if session.cost is not None:
            kinds.append(("cost", session.currency, None, 1))
        if session.solar_kwh is not None:
            kinds.append(("solar_energy", UnitOfEnergy.KILO_WATT_HOUR, "energy", 2))
        # The sums follow one another, session after session.
        async with self._statistics.lock:
            for kind, unit, unit_class, index in kinds:
                statistic_id = f"{base}_{kind}"
                metadata: StatisticMetaData = {
                    "mean_type": StatisticMeanType.NONE,
                    "has_sum": True,
                    "name": f"{charger} {kind.replace('_', ' ')}",
                    "source": DOMAIN,
                    "statistic_id": statistic_id,
                    "unit_class": unit_class,
                    "unit_of_measurement": unit,
                }
                amounts = [
                    (hour, totals[index] or 0.0) for hour, totals in session.hours
                ]
                rows = await self._async_rows(statistic_id, amounts)
                if rows:
                    async_add_external_statistics(self._hass, metadata, rows)

    async def _async_rows(
        self, statistic_id: str, amounts: list[tuple[int, float]]
    ) -> list[StatisticData]:
        """Rows of hourly sums that continue the statistic's last sum. An hour
        before its last row (a clock set back) is added to that row."""
        sums = self._statistics.sums
        if statistic_id not in sums:
            sums[statistic_id] = await self._async_last_sum(statistic_id)
        last_start, total = sums[statistic_id]
        rows: dict[float, float] = {}
        for hour, amount in amounts:
            start = max(float(hour), last_start)
            total += amount
            rows[start] = total
            last_start = start
        if rows:
            sums[statistic_id] = (last_start, total)
        return [
            {"start": datetime.fromtimestamp(start, UTC), "sum": value, "state": value}
            for start, value in rows.items()
        ]

    async def _async_last_sum(self, statistic_id: str) -> tuple[float, float]:
        """The statistic's last hour and sum in the recorder; (0, 0) when new."""
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            get_last_statistics,
        )
        from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

        last = await get_instance(self._hass).async_add_executor_job(
            get_last_statistics, self._hass, 1, statistic_id, False, {"sum"}
        )
        if not (rows := last.get(statistic_id)):
            return 0.0, 0.0
        return float(rows[0]["start"]), float(rows[0].get("sum") or 0.0)
