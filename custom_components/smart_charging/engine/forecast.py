"""Forecasts as the planner takes them: a value over a span of time.

The readers turn each integration's own layout (reference/forecasts.md) into a
sorted tuple of points; the planner never sees a layout. They never raise: an
item they cannot read is skipped and counted in the forecast's `problem`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import itertools
import math
from typing import Any

from .readings import parse_number


@dataclass(frozen=True, slots=True)
class Point:
    """`value` holds from `start` to `end` (epoch seconds, UTC)."""

    start: float
    end: float
    value: float


Series = Sequence[Point]


def value_at(series: Series, when: float) -> float | None:
    """The value of the point covering `when`; None beyond what the series knows."""
    for point in series:
        if point.start <= when < point.end:
            return point.value
    return None


def mean_over(
    series: Series, start: float, end: float, *, gaps: float | None = None
) -> float | None:
    """The time-weighted mean of the points over [start, end): over the part the
    series covers, or with `gaps` over all of it, the rest counting as `gaps`;
    None where it covers none of it. A forecast finer than a plan's slot (solar
    in 15-minute or one-minute steps) counts whole, not by the one point at the
    slot's middle."""
    covered = total = 0.0
    for point in series:
        overlap = min(point.end, end) - max(point.start, start)
        if overlap > 0:
            covered += overlap
            total += point.value * overlap
    if covered <= 0:
        return None
    if gaps is not None:
        return (total + gaps * (end - start - covered)) / (end - start)
    return total / covered


@dataclass(frozen=True, slots=True)
class Forecast:
    """What a reader found: points sorted by start, without overlaps."""

    points: tuple[Point, ...]
    # A short English reason when the forecast is missing, partial or malformed,
    # for a log line.
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class SolarForecast:
    """Solar production in W: expected (p50) and cautious (p10)."""

    p50: tuple[Point, ...]
    p10: tuple[Point, ...]
    problem: str | None = None


HOUR_S = 3600.0
# No source publishes steps of more than a few hours: a longer step between two
# items is a hole in the data, which the earlier item must not be stretched over.
MAX_STEP_S = 6 * HOUR_S

# Where each layout keeps an item's start and its value (reference/forecasts.md).
_START_KEYS = ("start", "time", "hour", "start_time", "period_start")
_PRICE_KEYS = ("value", "price")
_CO2_KEYS = ("value", "co2")
# Nord Pool and Energi Data Service (raw_*), ENTSO-e and the generic layout
# (prices_*); ENTSO-e's `prices` repeats today's items, merged as duplicates.
_PRICE_LISTS = (
    "raw_today",
    "raw_tomorrow",
    "prices_today",
    "prices_tomorrow",
    "prices",
)
_SOLCAST_LISTS = ("detailedForecast", "detailedHourly")


@dataclass(frozen=True, slots=True)
class _Row:
    """One item read: `value` None = unreadable, but its start still ends the
    previous slot (a missing hour must not take the price of the one before)."""

    start: float
    end: float | None
    value: float | None
    low: float | None = None  # a solar item's low estimate


@dataclass(slots=True)
class _Found:
    """The rows of one reading, and what could not be read."""

    rows: list[_Row] = field(default_factory=list)
    items: int = 0
    unreadable: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, row: _Row | None) -> None:
        self.items += 1
        if row is None or row.value is None:
            self.unreadable += 1
        if row is not None:
            self.rows.append(row)


def _is_mapping(value: object) -> bool:
    """Whether a value typed a mapping is one: callers pass whatever HA holds."""
    return isinstance(value, Mapping)


def _epoch(value: object) -> float | None:
    """Epoch seconds of an aware datetime or ISO 8601 text, else None.

    Naive times are skipped (counted unreadable), not taken as UTC: every source
    publishes aware times, and guessing the zone of one would shift its slots by
    hours."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return None
    return value.timestamp()  # aware: never out of range


def _number(value: object, minimum: float = -math.inf) -> float | None:
    """A finite number at or above `minimum` (plain numeric text too), else None."""
    if isinstance(value, str):
        number = parse_number(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            return None
    else:
        return None
    if number is None or not math.isfinite(number) or number < minimum:
        return None
    return number


def _row(
    start: object, value: object, end: object = None, minimum: float = -math.inf
) -> _Row | None:
    """A row, or None when even its start is unreadable."""
    begin = _epoch(start)
    if begin is None:
        return None
    number = _number(value, minimum)
    if end is None:
        return _Row(begin, None, number)
    finish = _epoch(end)
    if finish is None or finish <= begin:
        return _Row(begin, None, None)
    return _Row(begin, finish, number)


def _first(item: Mapping[Any, Any], keys: Sequence[str]) -> object:
    """The value of the first of `keys` the item has."""
    return next((item[key] for key in keys if key in item), None)


def _item_row(
    item: object,
    value_keys: Sequence[str],
    scale: float = 1.0,
    minimum: float = -math.inf,
) -> _Row | None:
    """A row from a `{start-ish, value-ish[, end]}` item."""
    if not isinstance(item, Mapping):
        return None
    value = _first(item, value_keys)
    row = _row(_first(item, _START_KEYS), value, item.get("end"), minimum)
    if row is None or row.value is None:
        return row
    return _Row(row.start, row.end, row.value / scale)


def _lists(
    attributes: Mapping[str, Any],
    keys: Iterable[str],
    value_keys: Sequence[str],
    minimum: float = -math.inf,
) -> _Found:
    """The rows of the item lists under these keys (an absent or None list is
    simply not there)."""
    found = _Found()
    for key in keys:
        items = attributes.get(key)
        if items is None:
            continue
        if not isinstance(items, list | tuple):
            found.problems.append(f"{key} is not a list")
            continue
        for item in items:
            found.add(_item_row(item, value_keys, minimum=minimum))
    return found


def _spans(rows: Iterable[_Row]) -> list[tuple[_Row, float]]:
    """Each readable row with its end: up to the next start (or, for the last row
    and before a hole, for as long as the previous slot; an hour at first), and
    at most up to its own end. Duplicate starts are merged, the later readable
    one winning."""
    by_start: dict[float, _Row] = {}
    for row in rows:
        if row.value is not None or row.start not in by_start:
            by_start[row.start] = row
    ordered = sorted(by_start.values(), key=lambda row: row.start)
    spans: list[tuple[_Row, float]] = []
    length: float | None = None
    for row, following in itertools.zip_longest(ordered, ordered[1:]):
        if following is not None and following.start - row.start <= MAX_STEP_S:
            length = following.start - row.start
        if row.end is None:
            end = row.start + (HOUR_S if length is None else length)
        else:
            end = row.end if length is None else min(row.end, row.start + length)
        length = end - row.start
        if row.value is not None:
            spans.append((row, end))
    return spans


def _problem(found: _Found, missing: str) -> str | None:
    """The reading's problems, joined; `missing` when there was nothing at all."""
    problems = list(found.problems)
    if found.unreadable:
        problems.append(f"{found.unreadable} of {found.items} items unreadable")
    if not found.rows and not problems:
        problems.append(missing)
    return "; ".join(problems) or None


def _forecast(found: _Found, missing: str) -> Forecast:
    points = tuple(
        Point(row.start, end, row.value or 0.0) for row, end in _spans(found.rows)
    )
    return Forecast(points, _problem(found, missing))


def read_prices(attributes: Mapping[str, Any]) -> Forecast:
    """The price forecast in a price sensor's attributes: Nord Pool (HACS) and
    Energi Data Service `raw_today`/`raw_tomorrow`, ENTSO-e `prices_today`,
    `prices_tomorrow` and `prices`, and the generic `prices_today`/`prices_tomorrow`.
    """
    if not _is_mapping(attributes):
        return Forecast((), "attributes are not a mapping")
    keys = list(_PRICE_LISTS)
    # Until tomorrow's prices are published, raw_tomorrow may hold stale items.
    if attributes.get("tomorrow_valid") is False:
        keys.remove("raw_tomorrow")
    return _forecast(
        _lists(attributes, keys, _PRICE_KEYS), "no price forecast in its attributes"
    )


def _response_list(response: object, key: str | None) -> object:
    """The list under `key` (else the first key) of an action's response."""
    if not isinstance(response, Mapping) or not response:
        return None
    if key is not None and key in response:
        return response[key]
    return next(iter(response.values()))


def _action(items: object, value_keys: Sequence[str], scale: float = 1.0) -> Forecast:
    found = _Found()
    if items is not None and not isinstance(items, list | tuple):
        found.problems.append("the response is not a list of prices")
    elif items is not None:
        for item in items:
            found.add(_item_row(item, value_keys, scale))
    return _forecast(found, "no prices in the response")


def read_nordpool_action(
    response: Mapping[str, Any], area: str | None = None
) -> Forecast:
    """`nordpool.get_prices_for_date`'s response, `{"SE3": [{start, end, price}]}`:
    the prices of `area` (else the first area), per MWh turned per kWh."""
    return _action(_response_list(response, area), ("price",), scale=1000.0)


def read_tibber_action(response: Mapping[str, Any]) -> Forecast:
    """`tibber.get_prices`'s response, `{"prices": {home: [{start_time, price}]}}`:
    the first home's prices."""
    homes = response.get("prices") if _is_mapping(response) else None
    return _action(_response_list(homes, None), ("price",))


def read_co2(attributes: Mapping[str, Any]) -> Forecast:
    """The `forecast` attribute of a carbon-intensity sensor (g/kWh). None there
    is no problem: the planner then holds the current value."""
    if not _is_mapping(attributes):
        return Forecast((), "attributes are not a mapping")
    if not attributes.get("forecast"):
        return Forecast(())
    found = _lists(attributes, ("forecast",), _CO2_KEYS, minimum=0.0)
    return _forecast(found, "no carbon forecast in its attributes")


def _solcast(items: object) -> _Found:
    """Solcast's `{period_start, pv_estimate, pv_estimate10}` items, average kW."""
    found = _Found()
    if not isinstance(items, list | tuple):
        found.problems.append("the Solcast forecast is not a list")
        return found
    for item in items:
        row = None
        if isinstance(item, Mapping):
            row = _row(item.get("period_start"), item.get("pv_estimate"), minimum=0.0)
        if row is not None and row.value is not None:
            low = _number(item.get("pv_estimate10"), 0.0)
            row = _Row(
                row.start, None, row.value * 1000, None if low is None else low * 1000
            )
        found.add(row)
    return found


def _timed(values: object, name: str, end_after: float | None = None) -> _Found:
    """The rows of a `{ISO time: number}` mapping; with `end_after`, each row
    ends that long after its time at the latest."""
    found = _Found()
    if not isinstance(values, Mapping):
        found.problems.append(f"{name} is not a mapping")
        return found
    for when, value in values.items():
        row = _row(when, value, minimum=0.0)
        if row is not None and end_after is not None:
            row = _Row(row.start, row.start + end_after, row.value)
        found.add(row)
    return found


def _between(found: _Found, energy: bool) -> _Found:
    """Forecast.Solar's values at instants as values between two instants: the mean
    of the power at both (`watts`), or the energy of the period ending at the later
    one (`wh_period`, keyed by the period's end: its sunrise item is 0 Wh)."""
    known = sorted((row for row in found.rows if row.value is not None), key=_start)
    found.rows = [
        _Row(a.start, b.start, _average(a, b, energy))
        for a, b in itertools.pairwise(known)
        if b.start > a.start
    ]
    return found


def _start(row: _Row) -> float:
    return row.start


def _average(a: _Row, b: _Row, energy: bool) -> float:
    """The average W from `a` to `b`."""
    if energy:
        return (b.value or 0.0) * HOUR_S / (b.start - a.start)
    return ((a.value or 0.0) + (b.value or 0.0)) / 2


def _solar_found(attributes: Mapping[str, Any]) -> tuple[_Found, bool]:
    """The rows of the first solar layout present, and whether its values are
    energy (Wh) over each row rather than power (W)."""
    # An empty layout (e.g. before the first fetch) gives way to the next one.
    for key in _SOLCAST_LISTS:
        if attributes.get(key):
            return _solcast(attributes[key]), False
    if attributes.get("wh_period"):
        return _between(
            _timed(attributes["wh_period"], "wh_period"), energy=True
        ), False
    if attributes.get("watts"):
        return _between(_timed(attributes["watts"], "watts"), energy=False), False
    if attributes.get("wh_hours"):
        # The energy platform's Wh from each time up to the next (Solcast: half
        # hours), an hour at most: HA's energy dashboard sums them per hour.
        return _timed(attributes["wh_hours"], "wh_hours", end_after=HOUR_S), True
    return _Found(), False


def read_solar(attributes: Mapping[str, Any]) -> SolarForecast:
    """A solar forecast in W: Solcast `detailedForecast`/`detailedHourly` (average
    kW), Forecast.Solar `wh_period` (Wh per period) or `watts` (W at instants), or
    an energy platform's `wh_hours` (Wh per hour or less). The cautious
    p10 is Solcast's low estimate, else the expected value."""
    if not _is_mapping(attributes):
        return SolarForecast((), (), "attributes are not a mapping")
    found, energy = _solar_found(attributes)
    p50: list[Point] = []
    p10: list[Point] = []
    for row, end in _spans(found.rows):
        to_watts = HOUR_S / (end - row.start) if energy else 1.0
        value = (row.value or 0.0) * to_watts
        p50.append(Point(row.start, end, value))
        p10.append(Point(row.start, end, value if row.low is None else row.low))
    problem = _problem(found, "no solar forecast in its attributes")
    return SolarForecast(tuple(p50), tuple(p10), problem)


def _outside(old: Point, new: Point) -> list[Point]:
    """The parts of `old` that `new` does not cover."""
    if old.end <= new.start or new.end <= old.start:
        return [old]
    parts = []
    if old.start < new.start:
        parts.append(Point(old.start, new.start, old.value))
    if new.end < old.end:
        parts.append(Point(new.end, old.end, old.value))
    return parts


def merge(*series: Series) -> tuple[Point, ...]:
    """One series from several (e.g. today's and tomorrow's): where they overlap,
    the later series wins."""
    merged: list[Point] = []
    for one in series:
        for point in one:
            merged = [part for old in merged for part in _outside(old, point)]
            merged.append(point)
    return tuple(sorted(merged, key=lambda point: point.start))


@dataclass(frozen=True, slots=True)
class HouseholdProfile:
    """The household's usual load (W) by local weekday (0 = Monday) and hour."""

    by_weekday_hour: dict[tuple[int, int], float]
    by_hour: dict[int, float]
    overall: float | None

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, float]]) -> HouseholdProfile:
        """From recorder rows `(weekday, hour, mean W)`, in local time. Rows with
        a negative or non-finite mean, or an impossible weekday or hour, are skipped."""
        cells: dict[tuple[int, int], list[float]] = {}
        for weekday, hour, mean_w in rows:
            value = _number(mean_w, 0.0)
            if value is not None and weekday in range(7) and hour in range(24):
                cells.setdefault((weekday, hour), []).append(value)
        hours: dict[int, list[float]] = {}
        for (_weekday, hour), values in cells.items():
            hours.setdefault(hour, []).extend(values)
        every = [value for values in cells.values() for value in values]
        return cls(
            {key: _mean(values) for key, values in cells.items()},
            {hour: _mean(values) for hour, values in hours.items()},
            _mean(every) if every else None,
        )

    def at(self, weekday: int, hour: int) -> float | None:
        """The mean of that weekday and hour, else of that hour on any day, else of
        everything; None with no rows at all."""
        if (weekday, hour) in self.by_weekday_hour:
            return self.by_weekday_hour[weekday, hour]
        return self.by_hour.get(hour, self.overall)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)
