"""Scenarios: a site, its chargers, the day's household and solar, and the vehicles.

A scenario is a small JSON file in bench/scenarios/, written by bench.generate. Time `t`
is seconds from the scenario's start; `start_clock_s` maps it to the time of day, which
sets the tariff and the off-peak window.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any
import zlib

import numpy as np
import numpy.typing as npt

from custom_components.smart_charging.engine.planner import taper_share

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SCENARIO_DIR = Path(__file__).parent / "scenarios"
DAY_S = 86400
# Simulation time 0 is this midnight (UTC, a Monday) plus `start_clock_s`: the epoch
# the `smart` planner and its forecasts work in (a multiple of 15 minutes, so the
# planner's clock-aligned slots fall on the scenario's quarter hours).
EPOCH_MIDNIGHT = 1_748_822_400  # 2025-06-02 00:00 UTC

# Every car tapers as the `smart` planner assumes (engine.planner.taper_share): full
# power up to 80 %, then falling linearly to 20 % at 100 %. Linear in the state of
# charge, so the optimum's LP models it exactly.


@dataclass(frozen=True, slots=True)
class ChargerSpec:
    """A wallbox."""

    id: str
    phases: int
    max_current: int
    min_current: int = 6
    profile: str = "standard"
    # The site phases its L1, L2, L3 are wired to (engine/phases.py ROTATIONS); a
    # one-phase car draws on the first.
    phase_rotation: str = "L1L2L3"
    # It switches between one and three phases (SPEC §5 rule 7).
    switchable: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """One vehicle plugged into one charger."""

    charger: str
    arrive_s: int
    depart_s: int
    energy_kwh: float  # what the driver asks for (up to the car's charge limit)
    capacity_kwh: float
    soc0: float  # state of charge at arrival, 0..1
    car_kw: float  # on-board charger limit
    car_phases: int
    mode: str  # engine mode while this car is plugged
    # `smart`: the departure the driver declares (default: when the car leaves) and
    # the energy it must hold more by then (default: `energy_kwh`, what it accepts).
    departure_s: int | None = None
    need_kwh: float | None = None

    @property
    def smart(self) -> bool:
        return self.mode == "smart"

    @property
    def departure(self) -> int:
        """The declared departure (sim time): the planner's deadline."""
        return self.depart_s if self.departure_s is None else self.departure_s

    @property
    def need(self) -> float:
        """kWh the car must have by its departure."""
        return self.energy_kwh if self.need_kwh is None else self.need_kwh

    @property
    def car_max_current(self) -> float:
        return self.car_kw * 1000.0 / (230.0 * self.car_phases)

    def taper_w(self, delivered_kwh: float) -> float:
        """Most the car accepts now, from its on-board limit and its state of charge."""
        soc = self.soc0 + delivered_kwh / self.capacity_kwh
        return self.car_kw * 1000.0 * taper_share(soc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """Everything one benchmark run of a day needs."""

    name: str
    title: str
    start_clock_s: int  # time of day at t = 0
    duration_s: int = DAY_S
    tick_s: int = 5  # simulation step
    sensor_period_s: int = 20  # household and solar are sampled this often ...
    # ... and seen this much later: lag = delay .. delay + period - tick
    sensor_delay_s: int = 5
    lp_step_s: int = 300  # the optimum's time step (coarser is faster)
    lp_min_current: bool = True  # the optimum keeps to the minimum current (a MILP)
    grid_limit_kw: float
    safety_margin_kw: float = 0.0
    standard_max_kw: float = 0.0
    voltage: float = 230.0
    offpeak_hours: tuple[tuple[float, float], ...]  # clock hours [start, end)
    price_peak: float  # per kWh
    price_offpeak: float
    profile_step_s: int
    # Each profile step after the first starts a seeded random whole number of ticks
    # in [0, profile_jitter_s) late: loads change at any moment, not on the sensors'
    # sampling grid, so a change is seen after the full range of sensor lags.
    profile_jitter_s: int = 0
    household_w: tuple[int, ...]
    solar_w: tuple[int, ...]
    chargers: tuple[ChargerSpec, ...]
    sessions: tuple[Session, ...]
    notes: str = ""
    # Which targets apply: "pv_day" (solar share), "cloudy" (start/stop cycles).
    tags: tuple[str, ...] = ()
    # A variant of another scenario draws its profile step offsets as that one does,
    # so both have the same day (e.g. the noisy-meter variants).
    variant_of: str = ""
    # A jittering household meter: every `household_noise_s` the household is
    # multiplied by a seeded uniform factor in [1 - noise, 1 + noise]. The meter is
    # taken as exact, so the jitter is in the true household too, and the sensors
    # show each jump late like any other change.
    household_noise: float = 0.0
    household_noise_s: int = 10
    # Day-ahead series from t = 0, one value per `series_step_s`: the price (per kWh;
    # where set it replaces the peak/off-peak tariff) and the grid's carbon intensity
    # (g/kWh). Known in advance: the `smart` planner's price and CO2 forecasts.
    series_step_s: int = 900
    prices: tuple[float, ...] = ()
    co2_g_kwh: tuple[float, ...] = ()
    # Forecasts from t = 0, one value per `forecast_step_s` (mean W over the step):
    # the solar forecast's expected value (P50) and low estimate (P10), and the
    # household forecast (the previous day's profile, as the recorder gives it).
    forecast_step_s: int = 3600
    solar_p50_w: tuple[int, ...] = ()
    solar_p10_w: tuple[int, ...] = ()
    household_forecast_w: tuple[int, ...] = ()
    plan_objective: str = "cost"  # what `smart` and the optimum minimise: cost, co2
    # The grid's own limits (issue 13, bench/grid.py). The main fuse per phase (A;
    # 0 = none) with the household split over L1, L2, L3: three series like
    # `household_w` (their sum), on its steps and with its step offsets.
    main_fuse_a: float = 0.0
    household_phase_w: tuple[tuple[int, ...], ...] = ()
    # The capacity tariff: quarter-hour average import target (kW; 0 = none).
    peak_limit_kw: float = 0.0
    follow_monthly_peak: bool = False
    # §14a: the clock hours [start, end) the grid operator dims the chargers, and
    # the chargers' grid import allowed meanwhile.
    dimmed_hours: tuple[tuple[float, float], ...] = ()
    dimming_limit_kw: float = 4.2

    @property
    def has_grid_limits(self) -> bool:
        return bool(self.main_fuse_a or self.peak_limit_kw or self.dimmed_hours)

    @property
    def has_smart(self) -> bool:
        return any(s.smart for s in self.sessions)

    @property
    def epoch0(self) -> int:
        """Epoch seconds at t = 0."""
        return EPOCH_MIDNIGHT + self.start_clock_s

    @property
    def has_pv(self) -> bool:
        return any(self.solar_w)

    @property
    def limit_w(self) -> float:
        return self.grid_limit_kw * 1000.0

    def ticks(self) -> FloatArray:
        return np.arange(0, self.duration_s, self.tick_s, dtype=np.float64)

    def profile_at(
        self, values: tuple[int, ...], times: FloatArray, salt: str
    ) -> FloatArray:
        """A profile held constant over each of its steps, at the given times (`salt`
        draws each profile's step offsets apart)."""
        if not values:
            return np.zeros(len(times))
        if (
            not 0 <= self.profile_jitter_s <= self.profile_step_s
            or self.profile_jitter_s % self.tick_s
        ):
            raise ValueError(
                "profile_jitter_s must be whole ticks, from 0 to profile_step_s"
            )
        starts = np.arange(len(values), dtype=np.float64) * self.profile_step_s
        jitter_ticks = self.profile_jitter_s // self.tick_s
        if jitter_ticks > 1:
            rng = np.random.default_rng(
                [
                    zlib.crc32((self.variant_of or self.name).encode()),
                    zlib.crc32(salt.encode()),
                ]
            )
            starts[1:] += rng.integers(0, jitter_ticks, len(values) - 1) * self.tick_s
        idx = np.searchsorted(starts, times, side="right") - 1
        table = np.asarray(values, dtype=np.float64)
        return np.asarray(table[np.maximum(idx, 0)], dtype=np.float64)

    def household_at(self, times: FloatArray) -> FloatArray:
        """The true household at the given times: its profile, times the meter's
        jitter if any (a factor drawn per `household_noise_s`, from the name)."""
        base = self.profile_at(self.household_w, times, "household")
        if not self.household_noise:
            return base
        if self.household_noise_s <= 0 or self.household_noise_s % self.tick_s:
            raise ValueError("household_noise_s must be whole ticks")
        rng = np.random.default_rng(
            [zlib.crc32(self.name.encode()), zlib.crc32(b"household noise")]
        )
        periods = int(self.duration_s // self.household_noise_s) + 1
        factor = 1.0 + self.household_noise * rng.uniform(-1.0, 1.0, periods)
        idx = (times // self.household_noise_s).astype(np.int64)
        return np.asarray(base * factor[idx], dtype=np.float64)

    def offpeak_at(self, times: FloatArray) -> BoolArray:
        return self._in_hours(self.offpeak_hours, times)

    def dimmed_at(self, times: FloatArray) -> BoolArray:
        """Whether the grid operator dims the chargers (§14a) at the given times."""
        return self._in_hours(self.dimmed_hours, times)

    def household_phases_at(self, times: FloatArray) -> FloatArray | None:
        """The true household per site phase (W, shape (n, 3)); None unless split."""
        if not self.household_phase_w:
            return None
        return np.column_stack(
            [self.profile_at(v, times, "household") for v in self.household_phase_w]
        )

    def _in_hours(
        self, windows: tuple[tuple[float, float], ...], times: FloatArray
    ) -> BoolArray:
        hours = ((times + self.start_clock_s) % DAY_S) / 3600.0
        result = np.zeros(len(times), dtype=bool)
        for start, end in windows:
            if start <= end:
                result |= (hours >= start) & (hours < end)
            else:  # across midnight
                result |= (hours >= start) | (hours < end)
        return result

    def price_at(self, times: FloatArray) -> FloatArray:
        if self.prices:
            return _series_at(self.prices, self.series_step_s, times)
        return np.where(self.offpeak_at(times), self.price_offpeak, self.price_peak)

    def co2_at(self, times: FloatArray) -> FloatArray | None:
        """Carbon intensity (g/kWh) at the given times; None without a series."""
        if not self.co2_g_kwh:
            return None
        return _series_at(self.co2_g_kwh, self.series_step_s, times)

    def requested_kwh(self) -> float:
        return sum(s.energy_kwh for s in self.sessions)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "notes": self.notes,
            "tags": list(self.tags),
            "start_clock_s": self.start_clock_s,
            "duration_s": self.duration_s,
            "tick_s": self.tick_s,
            "sensor_period_s": self.sensor_period_s,
            "sensor_delay_s": self.sensor_delay_s,
            "lp_step_s": self.lp_step_s,
            "lp_min_current": self.lp_min_current,
            "site": {
                "grid_limit_kw": self.grid_limit_kw,
                "safety_margin_kw": self.safety_margin_kw,
                "standard_max_kw": self.standard_max_kw,
                "voltage": self.voltage,
            },
            "offpeak_hours": [list(w) for w in self.offpeak_hours],
            "price_peak": self.price_peak,
            "price_offpeak": self.price_offpeak,
            "profile_step_s": self.profile_step_s,
            "profile_jitter_s": self.profile_jitter_s,
            "household_w": list(self.household_w),
            "solar_w": list(self.solar_w),
            "chargers": [
                [c.id, c.phases, c.min_current, c.max_current, c.profile]
                + (
                    [c.phase_rotation]
                    if c.phase_rotation != "L1L2L3" or c.switchable
                    else []
                )
                + ([True] if c.switchable else [])
                for c in self.chargers
            ],
            "sessions": [
                [
                    s.charger,
                    s.arrive_s,
                    s.depart_s,
                    s.energy_kwh,
                    s.capacity_kwh,
                    s.soc0,
                    s.car_kw,
                    s.car_phases,
                    s.mode,
                    *(
                        [s.departure_s, s.need_kwh]
                        if s.departure_s is not None or s.need_kwh is not None
                        else []
                    ),
                ]
                for s in self.sessions
            ],
        }
        # Only where set, so the files of the scenarios without them stay as they were.
        if self.variant_of:
            data["variant_of"] = self.variant_of
        if self.household_noise:
            data["household_noise"] = self.household_noise
            data["household_noise_s"] = self.household_noise_s
        if self.prices or self.co2_g_kwh:
            data["series_step_s"] = self.series_step_s
            data["prices"] = list(self.prices)
            data["co2_g_kwh"] = list(self.co2_g_kwh)
        if self.solar_p50_w or self.household_forecast_w:
            data["forecast_step_s"] = self.forecast_step_s
            data["solar_p50_w"] = list(self.solar_p50_w)
            data["solar_p10_w"] = list(self.solar_p10_w)
            data["household_forecast_w"] = list(self.household_forecast_w)
        if self.plan_objective != "cost":
            data["plan_objective"] = self.plan_objective
        if self.has_grid_limits:
            data["grid"] = {
                "main_fuse_a": self.main_fuse_a,
                "household_phase_w": [list(v) for v in self.household_phase_w],
                "peak_limit_kw": self.peak_limit_kw,
                "follow_monthly_peak": self.follow_monthly_peak,
                "dimmed_hours": [list(w) for w in self.dimmed_hours],
                "dimming_limit_kw": self.dimming_limit_kw,
            }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        site = data["site"]
        grid = data.get("grid", {})
        return cls(
            main_fuse_a=float(grid.get("main_fuse_a", 0.0)),
            household_phase_w=tuple(
                tuple(int(v) for v in series)
                for series in grid.get("household_phase_w", ())
            ),
            peak_limit_kw=float(grid.get("peak_limit_kw", 0.0)),
            follow_monthly_peak=bool(grid.get("follow_monthly_peak", False)),
            dimmed_hours=tuple(
                (float(a), float(b)) for a, b in grid.get("dimmed_hours", ())
            ),
            dimming_limit_kw=float(grid.get("dimming_limit_kw", 4.2)),
            name=data["name"],
            title=data["title"],
            notes=data.get("notes", ""),
            tags=tuple(data.get("tags", ())),
            variant_of=data.get("variant_of", ""),
            household_noise=float(data.get("household_noise", 0.0)),
            household_noise_s=int(data.get("household_noise_s", 10)),
            series_step_s=int(data.get("series_step_s", 900)),
            prices=tuple(float(v) for v in data.get("prices", ())),
            co2_g_kwh=tuple(float(v) for v in data.get("co2_g_kwh", ())),
            forecast_step_s=int(data.get("forecast_step_s", 3600)),
            solar_p50_w=tuple(int(v) for v in data.get("solar_p50_w", ())),
            solar_p10_w=tuple(int(v) for v in data.get("solar_p10_w", ())),
            household_forecast_w=tuple(
                int(v) for v in data.get("household_forecast_w", ())
            ),
            plan_objective=str(data.get("plan_objective", "cost")),
            start_clock_s=int(data["start_clock_s"]),
            duration_s=int(data["duration_s"]),
            tick_s=int(data["tick_s"]),
            sensor_period_s=int(data["sensor_period_s"]),
            sensor_delay_s=int(data["sensor_delay_s"]),
            lp_step_s=int(data["lp_step_s"]),
            lp_min_current=bool(data["lp_min_current"]),
            grid_limit_kw=float(site["grid_limit_kw"]),
            safety_margin_kw=float(site["safety_margin_kw"]),
            standard_max_kw=float(site["standard_max_kw"]),
            voltage=float(site["voltage"]),
            offpeak_hours=tuple((float(a), float(b)) for a, b in data["offpeak_hours"]),
            price_peak=float(data["price_peak"]),
            price_offpeak=float(data["price_offpeak"]),
            profile_step_s=int(data["profile_step_s"]),
            profile_jitter_s=int(data.get("profile_jitter_s", 0)),
            household_w=tuple(int(v) for v in data["household_w"]),
            solar_w=tuple(int(v) for v in data["solar_w"]),
            chargers=tuple(
                ChargerSpec(
                    id=c[0],
                    phases=c[1],
                    min_current=c[2],
                    max_current=c[3],
                    profile=c[4],
                    phase_rotation=c[5] if len(c) > 5 else "L1L2L3",
                    switchable=bool(c[6]) if len(c) > 6 else False,
                )
                for c in data["chargers"]
            ),
            sessions=tuple(_session(s) for s in data["sessions"]),
        )


def _session(s: list[Any]) -> Session:
    return Session(
        charger=s[0],
        arrive_s=int(s[1]),
        depart_s=int(s[2]),
        energy_kwh=float(s[3]),
        capacity_kwh=float(s[4]),
        soc0=float(s[5]),
        car_kw=float(s[6]),
        car_phases=int(s[7]),
        mode=s[8],
        departure_s=None if len(s) < 10 or s[9] is None else int(s[9]),
        need_kwh=None if len(s) < 11 or s[10] is None else float(s[10]),
    )


def _series_at(values: tuple[float, ...], step_s: int, times: FloatArray) -> FloatArray:
    """A series held over each step from t = 0 (its last value past its end)."""
    idx = np.minimum((times // step_s).astype(np.int64), len(values) - 1)
    return np.asarray(np.asarray(values, dtype=np.float64)[idx], dtype=np.float64)


def save(scenario: Scenario, directory: Path = SCENARIO_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{scenario.name}.json"
    path.write_text(json.dumps(scenario.to_json(), separators=(",", ":")) + "\n")
    return path


def load(path: Path) -> Scenario:
    return Scenario.from_json(json.loads(path.read_text()))


def _order(path: Path) -> tuple[int, str]:
    """By the number the name starts with, then the name: 9_... before 10_..."""
    digits = len(path.stem) - len(path.stem.lstrip("0123456789"))
    return (int(path.stem[:digits] or 0), path.stem)


def load_all(directory: Path = SCENARIO_DIR) -> list[Scenario]:
    return [load(p) for p in sorted(directory.glob("*.json"), key=_order)]
