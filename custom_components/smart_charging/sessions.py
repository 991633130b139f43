"""Charging sessions: what one session from plug-in to unplug delivered, cost,
emitted and took from the sun.

Pure accounting, no Home Assistant: the metering of each charger adds every
interval's energy to the session in progress, priced at the price sensor's state
and weighed at the carbon sensor's state at that time; an unplug closes it into a
frozen Session. Publishing (the event, the statistics) is in session_publish.py.

Solar share: in each interval the site's surplus (solar minus the household and the
chargers left alone, as the control step saw it) is shared between the chargers in
proportion to what they drew; each charger's solar energy is its energy in that
interval times min(1, surplus / everything the chargers drew). The share is the
session's solar energy over its energy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
from typing import Any

from .engine.readings import parse_number

HOUR_S = 3600
# Denominators of a price or carbon unit, as multiples of a kWh.
PER_ENERGY = {"wh": 0.001, "kwh": 1.0, "mwh": 1000.0}


@dataclass(frozen=True, slots=True)
class Tariff:
    """The price and the carbon intensity now; None where absent or unusable."""

    price: float | None = None  # per kWh, in `currency`
    currency: str | None = None
    co2_g_per_kwh: float | None = None


def _number(state: str | None) -> float | None:
    return None if state is None else parse_number(state)


def _per_kwh(unit: str) -> tuple[str, float] | None:
    """The numerator of "X/kWh" and the factor to per kWh; None for another
    denominator."""
    numerator, _, denominator = unit.partition("/")
    if not denominator:
        return unit.strip(), 1.0  # no denominator: taken as per kWh
    energy = PER_ENERGY.get(denominator.strip().casefold())
    return None if energy is None else (numerator.strip(), 1 / energy)


def read_price(state: str | None, unit: str | None) -> tuple[float | None, str | None]:
    """A price sensor's state as a price per kWh and its currency: "EUR/kWh" gives
    EUR, "EUR/MWh" is divided by 1000, a bare "EUR" is taken as per kWh."""
    value = _number(state)
    if value is None:
        return None, None
    if not unit:
        return value, None
    per_kwh = _per_kwh(unit)
    if per_kwh is None:
        return None, None
    currency, factor = per_kwh
    return value * factor, currency or None


def read_co2(state: str | None, unit: str | None) -> float | None:
    """A carbon intensity sensor's state in g/kWh (gCO2eq/kWh and the like; kg and
    per MWh converted); None when unusable or negative."""
    value = _number(state)
    if value is None or value < 0:
        return None
    per_kwh = _per_kwh(unit or "")
    if per_kwh is None:
        return None
    mass, factor = per_kwh
    if mass.casefold().startswith("kg"):
        factor *= 1000
    elif mass.casefold().startswith("t"):
        factor *= 1_000_000
    return value * factor


def solar_kwh(
    energy_kwh: Mapping[str, float], surplus_w: float, hours: float
) -> dict[str, float]:
    """The part of each charger's energy the surplus covered (see the module)."""
    total = sum(energy_kwh.values())
    if total <= 0 or surplus_w <= 0 or hours <= 0:
        return {}
    covered = min(1.0, surplus_w * hours / 1000 / total)
    return {cid: kwh * covered for cid, kwh in energy_kwh.items()}


def iso(timestamp: float | None) -> str | None:
    """A timestamp as ISO 8601 in UTC."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def _amount(value: Any) -> float | None:
    """A finite number from restored data."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


# One hour of a session: energy, cost (None = not known) and solar energy.
type HourTotals = tuple[float, float | None, float]


@dataclass(frozen=True, slots=True)
class Session:
    """A session that ended."""

    start: float  # timestamps
    end: float
    energy_kwh: float
    cost: float | None
    currency: str | None
    co2_kg: float | None
    solar_kwh: float | None  # None: the site has no solar sensor
    # Hour start (timestamp) -> energy, cost, solar energy: for the statistics.
    hours: tuple[tuple[int, HourTotals], ...] = ()

    @property
    def solar_share(self) -> float | None:
        """The part of the energy the surplus covered, in %."""
        if self.solar_kwh is None or self.energy_kwh <= 0:
            return None
        return round(min(self.solar_kwh / self.energy_kwh, 1.0) * 100, 1)

    def attributes(self) -> dict[str, Any]:
        """What the last_session sensor and the event show."""
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "energy_kwh": round(self.energy_kwh, 3),
            "cost": None if self.cost is None else round(self.cost, 4),
            "currency": self.currency,
            "co2_kg": None if self.co2_kg is None else round(self.co2_kg, 3),
            "solar_energy_kwh": None
            if self.solar_kwh is None
            else round(self.solar_kwh, 3),
            "solar_share": self.solar_share,
        }

    def as_dict(self) -> dict[str, Any]:
        """As stored across restarts (without the hours: imported already)."""
        return self.attributes()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session | None:
        """A stored session; None when it does not make sense."""
        start, end = _timestamp(data.get("start")), _timestamp(data.get("end"))
        energy = _amount(data.get("energy_kwh"))
        if start is None or end is None or energy is None or energy < 0:
            return None
        currency = data.get("currency")
        co2 = _amount(data.get("co2_kg"))
        solar = _amount(data.get("solar_energy_kwh"))
        return cls(
            start=start,
            end=end,
            energy_kwh=energy,
            cost=_amount(data.get("cost")),
            currency=currency if isinstance(currency, str) else None,
            co2_kg=co2 if co2 is not None and co2 >= 0 else None,
            solar_kwh=solar if solar is not None and solar >= 0 else None,
        )


@dataclass(slots=True)
class SessionProgress:
    """The session in progress, counted interval by interval."""

    start: float | None = None  # None: no session
    last: float | None = None  # when energy was last counted
    energy_kwh: float = 0.0
    cost: float = 0.0
    # None: no price seen yet; False: some energy had no usable price.
    cost_known: bool | None = None
    currency: str | None = None
    co2_g: float = 0.0
    co2_known: bool | None = None
    solar_kwh: float = 0.0
    hours: dict[int, list[float]] = field(default_factory=dict)

    def add(self, kwh: float, solar: float, tariff: Tariff, now: float) -> None:
        """One interval ending now: its energy, solar part, price and carbon."""
        if self.start is None:
            self.start = now
        self.last = now
        self.energy_kwh += kwh
        self.solar_kwh += solar
        cost = 0.0
        if tariff.price is None:
            if kwh > 0:
                self.cost_known = False
        else:
            if self.cost_known is None:
                self.cost_known = True
            self.currency = tariff.currency
            cost = kwh * tariff.price
            self.cost += cost
        if tariff.co2_g_per_kwh is None:
            if kwh > 0:
                self.co2_known = False
        else:
            if self.co2_known is None:
                self.co2_known = True
            self.co2_g += kwh * tariff.co2_g_per_kwh
        if kwh > 0:
            # The interval ends now: it belongs to the hour it ends in.
            hour = int((now - 0.001) // HOUR_S * HOUR_S)
            totals = self.hours.setdefault(hour, [0.0, 0.0, 0.0])
            totals[0] += kwh
            totals[1] += cost
            totals[2] += solar

    def finish(self, end: float, *, solar: bool) -> Session:
        """The session closed at `end`; `solar`: the site has a solar sensor."""
        priced = self.cost_known is True
        return Session(
            start=self.start if self.start is not None else end,
            end=end,
            energy_kwh=self.energy_kwh,
            cost=self.cost if priced else None,
            currency=self.currency if priced else None,
            co2_kg=self.co2_g / 1000 if self.co2_known else None,
            solar_kwh=self.solar_kwh if solar else None,
            hours=tuple(
                (hour, (kwh, cost if priced else None, sun))
                for hour, (kwh, cost, sun) in sorted(self.hours.items())
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """As stored across restarts."""
        return {
            "start": iso(self.start),
            "last": iso(self.last),
            "energy_kwh": self.energy_kwh,
            "cost": self.cost,
            "cost_known": self.cost_known,
            "currency": self.currency,
            "co2_g": self.co2_g,
            "co2_known": self.co2_known,
            "solar_kwh": self.solar_kwh,
            "hours": {str(hour): totals for hour, totals in self.hours.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionProgress:
        """A stored session in progress; what does not make sense is dropped."""
        progress = cls(start=_timestamp(data.get("start")))
        if progress.start is None:
            return progress
        progress.last = _timestamp(data.get("last"))
        for name in ("energy_kwh", "co2_g", "solar_kwh"):
            value = _amount(data.get(name))
            setattr(progress, name, value if value is not None and value >= 0 else 0.0)
        progress.cost = _amount(data.get("cost")) or 0.0
        for name in ("cost_known", "co2_known"):
            value = data.get(name)
            setattr(progress, name, value if isinstance(value, bool) else None)
        currency = data.get("currency")
        progress.currency = currency if isinstance(currency, str) else None
        progress.hours = _hours(data.get("hours"))
        return progress


def _hours(data: Any) -> dict[int, list[float]]:
    """Stored hour totals."""
    hours: dict[int, list[float]] = {}
    if not isinstance(data, Mapping):
        return hours
    for key, totals in data.items():
        try:
            hour = int(key)
        except ValueError:
            continue
        if not isinstance(totals, list) or len(totals) != 3:
            continue
        values = [_amount(value) for value in totals]
        if hour % HOUR_S == 0 and all(value is not None for value in values):
            hours[hour] = [float(value or 0.0) for value in values]
    return hours
