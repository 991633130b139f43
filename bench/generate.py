"""Seeded generator of the committed scenario files (`scripts/bench --regenerate`).

Every scenario draws from its own numpy Generator seeded from SEED and its name, so one
scenario can change without moving the others. Times of arrival and departure fall on a
5-minute grid, the optimum's finest step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
import zlib

import numpy as np

from bench.scenario import (
    DAY_S,
    SCENARIO_DIR,
    ChargerSpec,
    FloatArray,
    Scenario,
    Session,
    save,
)

SEED = 20240601
GRID_S = 300  # arrivals and departures fall on this grid
H = 3600

Rng = np.random.Generator


def _rng(name: str) -> Rng:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def _clock(start_clock_s: int, step_s: int, n: int) -> FloatArray:
    """Time of day in hours of each profile step."""
    return ((start_clock_s + np.arange(n) * step_s) % DAY_S) / H


def _snap(t: float) -> int:
    return int(round(t / GRID_S) * GRID_S)


def _household(
    rng: Rng,
    hours: FloatArray,
    level: Callable[[FloatArray], FloatArray],
    noise_w: float,
    events: int,
    event_w: tuple[float, float],
    event_len: tuple[int, int],
) -> FloatArray:
    """A base level by time of day, slow AR(1) noise, and appliances switched on for a
    while (the steps a charger controller must follow)."""
    n = len(hours)
    base = level(hours)
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.9 * ar[i - 1] + rng.normal(0.0, noise_w * 0.45)
    load = base + ar
    for _ in range(events):
        start = int(rng.integers(0, n))
        length = int(rng.integers(event_len[0], event_len[1] + 1))
        load[start : start + length] += rng.uniform(*event_w)
    return np.maximum(load, 100.0)


def _clear_sky(
    hours: FloatArray, peak_w: float, rise: float, setting: float
) -> FloatArray:
    """A clear day's PV production: a sine-squared bell between sunrise and sunset."""
    x = np.clip((hours - rise) / (setting - rise), 0.0, 1.0)
    return peak_w * np.sin(np.pi * x) ** 2


def _car(rng: Rng, kind: str) -> tuple[float, int, float]:
    """(on-board kW, phases, battery kWh) of a car of the given kind."""
    if kind == "1p":
        return 7.4, 1, float(rng.choice([40.0, 50.0, 58.0]))
    if kind == "22":
        return 22.0, 3, float(rng.choice([77.0, 82.0, 95.0]))
    return 11.0, 3, float(rng.choice([58.0, 64.0, 77.0]))


def _session(
    rng: Rng,
    charger: str,
    arrive: float,
    depart: float,
    energy: float,
    kind: str,
    mode: str,
) -> Session:
    car_kw, phases, capacity = _car(rng, kind)
    energy = min(energy, capacity * 0.9)
    # Arrival state of charge leaves room for the request, sometimes into the taper.
    soc0 = float(rng.uniform(0.0, 1.0 - energy / capacity))
    return Session(
        charger=charger,
        arrive_s=_snap(arrive),
        depart_s=_snap(depart),
        energy_kwh=round(energy, 1),
        capacity_kwh=capacity,
        soc0=round(soc0, 3),
        car_kw=car_kw,
        car_phases=phases,
        mode=mode,
    )


def _ints(values: FloatArray) -> tuple[int, ...]:
    return tuple(round(float(v)) for v in values)


def seed_three_chargers() -> Scenario:
    """The seed's cap example: 36 kW, 20 kW day load (10 kW at night), 3 chargers."""
    name = "1_seed_three_chargers"
    rng = _rng(name)
    start, step = 6 * H, 60
    hours = _clock(start, step, DAY_S // step)
    household = _household(
        rng,
        hours,
        lambda h: np.where((h >= 7) & (h < 22), 20000.0, 10000.0),
        noise_w=600.0,
        events=40,
        event_w=(1000.0, 4000.0),
        event_len=(3, 40),
    )
    chargers = tuple(ChargerSpec(f"c{i + 1}", 3, 16) for i in range(3))
    sessions = []
    for c in chargers:
        arrive = rng.uniform(1.0, 3.0) * H  # 07:00 - 09:00
        depart = rng.uniform(10.0, 12.0) * H
        sessions.append(
            _session(rng, c.id, arrive, depart, rng.uniform(25, 45), "11", "fast")
        )
        arrive = rng.uniform(13.0, 15.0) * H  # 19:00 - 21:00
        depart = rng.uniform(23.0, 23.9) * H
        sessions.append(
            _session(rng, c.id, arrive, depart, rng.uniform(30, 60), "11", "fast")
        )
    return Scenario(
        name=name,
        title="Seed: 36 kW contract, 20 kW day / 10 kW night load, 3 chargers (fast)",
        notes="Three 11 kW chargers share 16 kW by day and 26 kW at night.",
        start_clock_s=start,
        grid_limit_kw=36.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(household),
        solar_w=(),
        chargers=chargers,
        sessions=tuple(sessions),
    )


def seed_fleet_profiles() -> Scenario:
    """The seed's fleet example: one premium 22 kW charger, two standard at 7 kW."""
    name = "2_seed_fleet_profiles"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    household = _household(
        rng,
        hours,
        lambda h: np.where((h >= 7) & (h < 19), 3000.0, 1500.0),
        noise_w=300.0,
        events=25,
        event_w=(1000.0, 3000.0),
        event_len=(5, 60),
    )
    chargers = (
        ChargerSpec("premium", 3, 32, profile="premium"),
        ChargerSpec("std1", 3, 32),
        ChargerSpec("std2", 3, 32),
    )
    sessions = [
        _session(
            rng,
            "premium",
            rng.uniform(5.0, 7.0) * H,
            rng.uniform(18.0, 19.0) * H,
            rng.uniform(55, 70),
            "22",
            "fast",
        )
    ]
    for cid in ("std1", "std2"):
        sessions.append(
            _session(
                rng,
                cid,
                rng.uniform(5.0, 7.5) * H,
                rng.uniform(18.0, 19.5) * H,
                rng.uniform(35, 50),
                "11",
                "fast",
            )
        )
    return Scenario(
        name=name,
        title="Seed: fleet, 1 premium 22 kW + 2 standard (standard_max_kw 7), 36 kW",
        notes="Fleet back at 17:00-19:00, out at 06:00-07:30.",
        start_clock_s=start,
        grid_limit_kw=36.0,
        standard_max_kw=7.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(household),
        solar_w=(),
        chargers=chargers,
        sessions=tuple(sessions),
    )


def _home_load(rng: Rng, hours: FloatArray, winter: bool = False) -> FloatArray:
    def level(h: FloatArray) -> FloatArray:
        base = np.full(len(h), 350.0)
        base += np.where((h >= 6.5) & (h < 8.5), 600.0, 0.0)
        base += np.where((h >= 17.5) & (h < 22.5), 900.0, 0.0)
        if winter:  # heat pump, more in the cold morning and evening
            base += 1200.0 + 800.0 * np.cos((h - 6.0) / 24.0 * 2 * np.pi)
        return base

    return _household(
        rng,
        hours,
        level,
        noise_w=120.0,
        events=30,
        event_w=(800.0, 2500.0),
        event_len=(2, 45),
    )


def offpeak_night() -> Scenario:
    """The seed's off-peak example: plugged at 18:00, off-peak from 02:00."""
    name = "3_seed_offpeak_night"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    session = _session(rng, "wallbox", 6.0 * H, 19.0 * H, 38.0, "11", "off_peak")
    return Scenario(
        name=name,
        title="Seed: off_peak car plugged at 18:00, off-peak 02:00-07:00, 12 kW home",
        notes="Departs 07:00; evening household peaks; no PV.",
        start_clock_s=start,
        grid_limit_kw=12.0,
        offpeak_hours=((2.0, 7.0),),
        price_peak=0.32,
        price_offpeak=0.18,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(_home_load(rng, hours)),
        solar_w=(),
        chargers=(ChargerSpec("wallbox", 3, 16),),
        sessions=(session,),
    )


def _pv_home(name: str, title: str, cloudy: bool) -> Scenario:
    tags = ("pv_day", "cloudy") if cloudy else ("pv_day",)
    rng = _rng(name)
    step = 20 if cloudy else 60
    hours = _clock(0, step, DAY_S // step)
    solar = _clear_sky(hours, 6900.0, 5.5, 21.5)  # 8 kWp, clear summer day, AC side
    if cloudy:
        # Clouds: a factor that jumps between clear and overcast every 20 s - 3 min.
        factor = np.empty(len(hours))
        i = 0
        while i < len(hours):
            length = int(rng.integers(1, 10))
            factor[i : i + length] = rng.choice(
                [rng.uniform(0.15, 0.35), rng.uniform(0.75, 1.0)], p=[0.45, 0.55]
            )
            i += length
        solar *= factor
    household = _home_load(rng, hours)
    chargers = (ChargerSpec("wallbox3p", 3, 16), ChargerSpec("wallbox1p", 1, 32))
    sessions = (
        _session(
            rng, "wallbox3p", rng.uniform(8.0, 9.5) * H, 18.5 * H, 30.0, "11", "solar"
        ),
        _session(
            rng,
            "wallbox1p",
            11.0 * H,
            rng.uniform(16.0, 17.0) * H,
            14.0,
            "1p",
            "solar_min",
        ),
    )
    return Scenario(
        name=name,
        title=title,
        notes="Car 1 (11 kW) in solar mode, car 2 (7.4 kW one phase) in solar_min.",
        tags=tags,
        start_clock_s=0,
        lp_step_s=120,
        grid_limit_kw=17.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(household),
        solar_w=_ints(solar),
        chargers=chargers,
        sessions=sessions,
    )


def pv_clear() -> Scenario:
    return _pv_home(
        "4_pv_clear_summer", "Home, 8 kWp PV, clear summer day, 17 kW", cloudy=False
    )


def pv_cloudy() -> Scenario:
    return _pv_home(
        "5_pv_cloudy_swings",
        "Home, 8 kWp PV, cloudy day with fast swings (20 s profile), 17 kW",
        cloudy=True,
    )


def _switching(base: Scenario, name: str) -> Scenario:
    """The same day with the three-phase box switching between one and three
    phases: a surplus between the one- and three-phase minimums still charges the
    car."""
    chargers = tuple(
        replace(c, switchable=True) if c.phases == 3 else c for c in base.chargers
    )
    return replace(
        base,
        name=name,
        title=f"{base.title}; the three-phase box switches 1p/3p",
        notes=f"{base.notes} The three-phase box switches to one phase and back.",
        variant_of=base.name,
        chargers=chargers,
    )


def pv_clear_switching() -> Scenario:
    return _switching(pv_clear(), "4b_pv_clear_summer_1p3p")


def pv_cloudy_switching() -> Scenario:
    return _switching(pv_cloudy(), "5b_pv_cloudy_swings_1p3p")


def winter_offpeak() -> Scenario:
    name = "6_winter_offpeak"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    solar = _clear_sky(hours, 2200.0, 8.3, 16.3) * rng.uniform(0.6, 1.0, len(hours))
    sessions = (
        _session(rng, "wallbox3p", 5.5 * H, 19.5 * H, 42.0, "11", "off_peak"),
        _session(rng, "wallbox1p", 6.0 * H, 20.0 * H, 22.0, "1p", "off_peak"),
    )
    return Scenario(
        name=name,
        title="Home in winter, heat pump, off-peak 22:00-06:00, 2 off_peak cars, 17 kW",
        notes="Both cars in off_peak mode from the evening to the next morning.",
        start_clock_s=start,
        grid_limit_kw=17.0,
        offpeak_hours=((22.0, 6.0),),
        price_peak=0.34,
        price_offpeak=0.22,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(_home_load(rng, hours, winter=True)),
        solar_w=_ints(solar),
        chargers=(ChargerSpec("wallbox3p", 3, 16), ChargerSpec("wallbox1p", 1, 32)),
        sessions=sessions,
    )


def _building(rng: Rng, hours: FloatArray, scale: float) -> FloatArray:
    """An office building's load, `scale` times that of the 20-charger lot."""

    def level(h: FloatArray) -> FloatArray:
        day = np.clip(np.sin(np.pi * (h - 6.5) / 12.5), 0.0, None)
        return (12000.0 + 26000.0 * day) * scale

    return _household(
        rng,
        hours,
        level,
        noise_w=1500.0 * np.sqrt(scale),
        events=int(30 * scale),
        event_w=(2000.0, 6000.0),
        event_len=(5, 60),
    )


def _lot(name: str, title: str, n: int, tick_s: int, lp_step_s: int) -> Scenario:
    """An office parking lot: building load by day, cars arriving at random."""
    rng = _rng(name)
    scale = n / 20.0
    step = 60
    hours = _clock(0, step, DAY_S // step)
    building = _building(rng, hours, scale)
    chargers = tuple(
        ChargerSpec(
            f"cp{i + 1:03d}", 3, 32, profile="premium" if i % 5 == 0 else "standard"
        )
        for i in range(n)
    )
    sessions: list[Session] = []
    for c in chargers:
        t = rng.uniform(6.5, 9.5) * H  # the first car of the day
        while t < 20 * H:
            dwell = rng.uniform(1.0, 9.5) * H
            depart = min(t + dwell, 23.5 * H)
            kind = str(rng.choice(["11", "22", "1p"], p=[0.6, 0.2, 0.2]))
            energy = rng.uniform(5.0, 55.0)
            sessions.append(_session(rng, c.id, t, depart, energy, kind, "fast"))
            t = depart + rng.exponential(1.5 * H) + GRID_S
    return Scenario(
        name=name,
        title=title,
        notes="Office building load; every 5th charger premium; cars of 7.4/11/22 kW.",
        start_clock_s=0,
        tick_s=tick_s,
        sensor_period_s=20,
        sensor_delay_s=5 if tick_s == 5 else 10,
        lp_step_s=lp_step_s,
        lp_min_current=False,
        grid_limit_kw=100.0 * scale,
        offpeak_hours=((22.0, 6.0),),
        price_peak=0.28,
        price_offpeak=0.20,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(building),
        solar_w=(),
        chargers=chargers,
        sessions=tuple(sessions),
    )


def lot_20() -> Scenario:
    return _lot(
        "7_lot_20", "Parking lot: 20 chargers (22 kW), 100 kW contract", 20, 5, 300
    )


def lot_200() -> Scenario:
    return _lot(
        "8_lot_200",
        "Parking lot at scale: 200 chargers, 1000 kW contract (10 s steps, LP 15 min)",
        200,
        10,
        900,
    )


# --- `smart`: day-ahead prices, carbon intensity, forecasts ---------------------

SERIES_S = 900  # day-ahead prices (and the CO2 series) in 15-minute steps
FORECAST_S = 3600  # solar and household forecasts: hourly means


def _bump(hours: FloatArray, center: float, width: float) -> FloatArray:
    """A bell around a time of day (wrapping at midnight)."""
    d = np.abs(hours - center)
    d = np.minimum(d, 24.0 - d)
    return np.asarray(np.exp(-0.5 * (d / width) ** 2), dtype=np.float64)


def _ar(rng: Rng, n: int, sigma: float, keep: float) -> FloatArray:
    out = np.zeros(n)
    for i in range(1, n):
        out[i] = keep * out[i - 1] + rng.normal(0.0, sigma)
    return out


def _day_ahead(
    rng: Rng, start_clock_s: int, duration_s: int, solar_dip: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """15-minute retail prices (per kWh) and grid carbon intensity (g/kWh).

    The wholesale price is low at night, peaks in the morning (08:00) and higher in
    the evening (19:00), dips at midday by `solar_dip` (solar on the grid), with an
    hourly random level and a little 15-minute noise; retail adds VAT and fixed
    fees. The carbon intensity follows the same daily shape, hourly (gas plants at
    the peaks, wind at night, solar at noon)."""
    n = duration_s // SERIES_S
    hours = _clock(start_clock_s, SERIES_S, n)
    shape = (
        0.085
        + 0.055 * _bump(hours, 8.0, 1.3)
        + 0.100 * _bump(hours, 19.0, 1.7)
        - 0.040 * _bump(hours, 3.5, 2.2)
        - solar_dip * _bump(hours, 13.5, 2.3)
    )
    hourly = np.repeat(rng.normal(0.0, 0.010, n // 4 + 1), 4)[:n]
    wholesale = np.maximum(shape + hourly + rng.normal(0.0, 0.004, n), -0.01)
    prices = 1.19 * wholesale + 0.17
    co2_hourly = (
        330.0
        + 90.0 * _bump(hours, 19.0, 2.0)
        + 50.0 * _bump(hours, 8.0, 1.5)
        - 70.0 * _bump(hours, 3.5, 2.5)
        - 2500.0 * solar_dip * _bump(hours, 13.5, 2.5)
    )
    co2 = np.maximum(co2_hourly + np.repeat(_ar(rng, n // 4 + 1, 18.0, 0.8), 4)[:n], 60)
    return (
        tuple(round(float(p), 4) for p in prices),
        tuple(float(round(float(c))) for c in co2),
    )


def _hourly_means(values: FloatArray, step_s: int) -> FloatArray:
    per = FORECAST_S // step_s
    return np.asarray(values.reshape(-1, per).mean(axis=1), dtype=np.float64)


def _solar_forecast(
    rng: Rng, solar: FloatArray, step_s: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """An hourly solar forecast of a true profile: P50 is each hour's true mean times
    a seeded log-normal error (sigma 0.3: off by a third on a typical hour), P10 is
    45-70 % of P50, the cautious low estimate."""
    truth = _hourly_means(solar, step_s)
    p50 = truth * np.exp(rng.normal(0.0, 0.3, len(truth)))
    p10 = p50 * rng.uniform(0.45, 0.7, len(truth))
    return _ints(p50), _ints(p10)


def _smart(session: Session, need_kwh: float | None = None) -> Session:
    """The session in `smart`: its departure declared (when it leaves), its need."""
    return replace(
        session,
        mode="smart",
        departure_s=session.depart_s,
        need_kwh=session.energy_kwh if need_kwh is None else need_kwh,
    )


def smart_home_prices() -> Scenario:
    """The README's `smart` example: plugged 18:00, ready at 07:00, 15-min prices."""
    name = "9_smart_home_prices"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    household = _home_load(rng, hours)
    yesterday = _home_load(_rng(f"{name} previous day"), hours)
    session = _smart(_session(rng, "wallbox", 6.0 * H, 19.0 * H, 32.0, "11", "fast"))
    prices, co2 = _day_ahead(rng, start, DAY_S, solar_dip=0.02)
    return Scenario(
        name=name,
        title="smart: home, car plugged 18:00, ready at 07:00, 15-min prices, 12 kW",
        notes="One smart car (11 kW) needs 32 kWh by 07:00; day-ahead prices; the "
        "household forecast is the previous day's hourly profile.",
        tags=("smart",),
        start_clock_s=start,
        grid_limit_kw=12.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(household),
        solar_w=(),
        chargers=(ChargerSpec("wallbox", 3, 16),),
        sessions=(session,),
        prices=prices,
        co2_g_kwh=co2,
        household_forecast_w=_ints(_hourly_means(yesterday, step)),
    )


def _depot(rng: Rng, hours: FloatArray) -> FloatArray:
    def level(h: FloatArray) -> FloatArray:
        return np.where((h >= 6.5) & (h < 18.5), 9000.0, 3500.0)

    return _household(
        rng,
        hours,
        level,
        noise_w=500.0,
        events=35,
        event_w=(1500.0, 5000.0),
        event_len=(5, 60),
    )


def smart_fleet() -> Scenario:
    """10 fleet cars back in the afternoon and evening, out early in the morning,
    all in `smart`, on a 50 kW connection: the cheap night cannot hold them all."""
    name = "10_smart_fleet_50kw"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    chargers = tuple(ChargerSpec(f"cp{i + 1:02d}", 3, 32) for i in range(10))
    sessions = []
    for c in chargers:
        arrive = rng.uniform(3.0, 7.5) * H  # 15:00 - 19:30
        depart = rng.uniform(16.5, 20.5) * H  # 04:30 - 08:30
        kind = str(rng.choice(["11", "22", "1p"], p=[0.7, 0.2, 0.1]))
        energy = rng.uniform(20.0, 60.0)
        sessions.append(
            _smart(_session(rng, c.id, arrive, depart, energy, kind, "fast"))
        )
    prices, co2 = _day_ahead(rng, start, DAY_S, solar_dip=0.02)
    return Scenario(
        name=name,
        title="smart: fleet of 10 cars on 50 kW, overlapping deadlines, 15-min prices",
        notes="Depot load 9 kW by day, 3.5 kW at night; cars back 15:00-19:30, out "
        "04:30-08:30, 20-55 kWh each.",
        tags=("smart", "fleet"),
        start_clock_s=start,
        lp_min_current=False,
        grid_limit_kw=50.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(_depot(rng, hours)),
        solar_w=(),
        chargers=chargers,
        sessions=tuple(sessions),
        prices=prices,
        co2_g_kwh=co2,
        household_forecast_w=_ints(
            _hourly_means(_depot(_rng(f"{name} previous day"), hours), step)
        ),
    )


def smart_pv_forecast() -> Scenario:
    """A home with PV on a changeable day, planned on a solar forecast with errors."""
    name = "11_smart_pv_forecast"
    rng = _rng(name)
    step = 60
    n = DAY_S // step
    hours = _clock(0, step, n)
    # Cloud cover changes hour to hour (linearly between hourly draws), with
    # passing clouds on top minute to minute.
    cover = np.interp(
        np.arange(n) / (H / step), np.arange(25), rng.uniform(0.25, 1.0, 25)
    )
    passing = np.where(rng.uniform(0.0, 1.0, n) < 0.15, rng.uniform(0.3, 0.7, n), 1.0)
    solar = _clear_sky(hours, 6900.0, 5.5, 21.5) * cover * passing
    household = _home_load(rng, hours)
    yesterday = _home_load(_rng(f"{name} previous day"), hours)
    p50, p10 = _solar_forecast(rng, solar, step)
    prices, co2 = _day_ahead(rng, 0, DAY_S, solar_dip=0.07)
    sessions = (
        _smart(_session(rng, "wallbox3p", 8.5 * H, 17.5 * H, 30.0, "11", "fast"), 18.0),
        _smart(
            _session(rng, "wallbox1p", 12.0 * H, 23.0 * H, 20.0, "1p", "fast"), 12.0
        ),
    )
    return Scenario(
        name=name,
        title="smart: home, 8 kWp PV with a P10/P50 forecast off by ~30 %/h, "
        "15-min prices, 17 kW",
        notes="Car 1 (11 kW) plugged 08:30-17:30 needs 18 kWh, car 2 (7.4 kW one "
        "phase) 12:00-23:00 needs 12 kWh; both take up to 30 / 20 kWh. Prices dip "
        "at midday.",
        tags=("smart", "solar_forecast"),
        start_clock_s=0,
        lp_step_s=120,
        grid_limit_kw=17.0,
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(household),
        solar_w=_ints(solar),
        chargers=(ChargerSpec("wallbox3p", 3, 16), ChargerSpec("wallbox1p", 1, 32)),
        sessions=sessions,
        prices=prices,
        co2_g_kwh=co2,
        solar_p50_w=p50,
        solar_p10_w=p10,
        household_forecast_w=_ints(_hourly_means(yesterday, step)),
    )


def smart_lot_200() -> Scenario:
    """8_lot_200's day with every car in `smart` and its departure known."""
    name = "12_smart_lot_200"
    base = lot_200()
    rng = _rng(name)
    hours = _clock(0, base.profile_step_s, DAY_S // base.profile_step_s)
    # The previous day of the same building: its level, its own noise and events.
    scale = len(base.chargers) / 20.0
    yesterday = _building(_rng(f"{name} previous day"), hours, scale)
    _, co2 = _day_ahead(rng, 0, DAY_S, solar_dip=0.03)
    return replace(
        base,
        name=name,
        title="smart: the 200-charger lot, every car in smart with its departure known",
        notes=f"{base.notes} The day of {base.name}; each car's departure and need "
        "(its request) known at plug-in; the tariff's peak/off-peak prices.",
        tags=("smart", "lot"),
        variant_of=base.name,
        sessions=tuple(_smart(s) for s in base.sessions),
        co2_g_kwh=co2,
        household_forecast_w=_ints(_hourly_means(yesterday, base.profile_step_s)),
    )


NOISE = 0.05  # the noisy meter: +-5 % ...
NOISE_S = 10  # ... every 10 s, reported every 10 s


def _noisy(base: Scenario, name: str) -> Scenario:
    """The same day with a jittering household meter: the household moves by a
    seeded +-5 % every 10 s and the sensors report every 10 s (seen 5-10 s late)."""
    return replace(
        base,
        name=name,
        title=f"{base.title}; household meter +-5 % every 10 s",
        notes=f"{base.notes} The day of {base.name} with a jittering household meter.",
        variant_of=base.name,
        sensor_period_s=NOISE_S,
        household_noise=NOISE,
        household_noise_s=NOISE_S,
    )


def seed_three_chargers_noisy() -> Scenario:
    return _noisy(seed_three_chargers(), "1b_seed_three_chargers_noisy")


def lot_20_noisy() -> Scenario:
    return _noisy(lot_20(), "7b_lot_20_noisy")


GENERATORS: tuple[Callable[[], Scenario], ...] = (
    seed_three_chargers,
    seed_three_chargers_noisy,
    seed_fleet_profiles,
    offpeak_night,
    pv_clear,
    pv_clear_switching,
    pv_cloudy,
    pv_cloudy_switching,
    winter_offpeak,
    lot_20,
    lot_20_noisy,
    lot_200,
    smart_home_prices,
    smart_fleet,
    smart_pv_forecast,
    smart_lot_200,
)


def generate_all(directory: Path = SCENARIO_DIR) -> list[Path]:
    """Write every scenario file; the same files every time."""
    for old in directory.glob("*.json"):
        old.unlink()
    return [save(make(), directory) for make in GENERATORS]


# The grid's own limits (issue 13, bench/grid.py).
FUSE_A = 25.0


def _phase_load(rng: Rng, hours: FloatArray, scale: float, events: int) -> FloatArray:
    """One site phase's household: a share of a home's level, its own appliances."""

    def level(h: FloatArray) -> FloatArray:
        base = np.full(len(h), 150.0)
        base += np.where((h >= 6.5) & (h < 8.5), 300.0, 0.0)
        base += np.where((h >= 17.5) & (h < 22.5), 500.0, 0.0)
        return base * scale

    return _household(
        rng,
        hours,
        level,
        noise_w=60.0 * scale,
        events=events,
        event_w=(600.0 * scale, 2300.0 * scale),
        event_len=(2, 45),
    )


def house_3x25_phases() -> Scenario:
    """A three-phase house on a 3 x 25 A main fuse, the household heavier on L1,
    two one-phase cars and one three-phase car on three-phase boxes."""
    name = "13_house_3x25_phases"
    rng = _rng(name)
    start, step = 12 * H, 60
    hours = _clock(start, step, DAY_S // step)
    # The household alone stays within 20 A on every phase (its own fuse would
    # trip): the chargers fill what is left.
    phases = [
        _ints(np.minimum(_phase_load(rng, hours, scale, events), 20.0 * 230.0))
        for scale, events in ((1.4, 24), (0.9, 16), (0.6, 10))
    ]
    total = tuple(sum(v) for v in zip(*phases, strict=True))
    sessions = (
        _session(rng, "box_1", 5.5 * H, 9.5 * H, 30.0, "1p", "fast"),
        _session(rng, "box_2", 6.0 * H, 10.5 * H, 30.0, "1p", "fast"),
        _session(rng, "box_3", 6.5 * H, 11.5 * H, 40.0, "11", "fast"),
    )
    return Scenario(
        name=name,
        title="House on 3 x 25 A: two one-phase cars, one three-phase, uneven phases",
        notes=(
            "Household split L1 > L2 > L3 (its own appliances on each); one-phase "
            "cars on boxes 1 and 2 wired L1L2L3 and L2L3L1 (on L1 and L2). Cars "
            "plugged 17:30-18:30 and out again 21:30-23:30."
        ),
        tags=("fuse",),
        start_clock_s=start,
        grid_limit_kw=round(3 * FUSE_A * 230.0 / 1000.0, 2),
        offpeak_hours=(),
        price_peak=0.30,
        price_offpeak=0.30,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=total,
        solar_w=(),
        chargers=(
            ChargerSpec("box_1", 3, 32, phase_rotation="L1L2L3"),
            ChargerSpec("box_2", 3, 32, phase_rotation="L2L3L1"),
            ChargerSpec("box_3", 3, 16, phase_rotation="L1L2L3"),
        ),
        sessions=sessions,
        main_fuse_a=FUSE_A,
        household_phase_w=tuple(phases),
    )


def be_capacity_month_slice() -> Scenario:
    """Three days of a Belgian home with a capacity tariff: a 2.5 kW quarter-hour
    target following the month's peak, one car each evening."""
    name = "14_be_capacity_month_slice"
    rng = _rng(name)
    days = 3
    start, step = 12 * H, 60
    hours = _clock(start, step, days * DAY_S // step)
    load = _household(
        rng,
        hours,
        lambda h: (
            300.0
            + np.where((h >= 6.5) & (h < 8.5), 500.0, 0.0)
            + np.where((h >= 17.5) & (h < 22.0), 700.0, 0.0)
        ),
        noise_w=100.0,
        events=40,
        event_w=(500.0, 1500.0),
        event_len=(2, 20),
    )
    sessions = tuple(
        _session(
            rng,
            "wallbox",
            d * DAY_S + float(rng.uniform(6.0, 7.5)) * H,
            d * DAY_S + float(rng.uniform(19.0, 20.0)) * H,
            float(rng.uniform(14.0, 24.0)),
            "1p",
            "fast",
        )
        for d in range(days)
    )
    return Scenario(
        name=name,
        title="Belgian home, 3 days, capacity tariff 2.5 kW following the month's peak",
        notes="One one-phase car each evening; 40 A single-phase connection; no PV.",
        tags=("capacity",),
        start_clock_s=start,
        duration_s=days * DAY_S,
        grid_limit_kw=9.2,
        offpeak_hours=((22.0, 7.0),),
        price_peak=0.34,
        price_offpeak=0.26,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(load),
        solar_w=(),
        chargers=(ChargerSpec("wallbox", 1, 32),),
        sessions=sessions,
        peak_limit_kw=2.5,
        follow_monthly_peak=True,
    )


def de_14a_evening() -> Scenario:
    """A German evening with §14a dimming 17:00-20:00, two cars, a little late PV."""
    name = "15_de_14a_evening"
    rng = _rng(name)
    start, step = 15 * H, 60
    duration = 8 * H
    hours = _clock(start, step, duration // step)
    sessions = (
        _session(rng, "box_1", 1.5 * H, 8.0 * H, 40.0, "11", "fast"),
        _session(rng, "box_2", 2.5 * H, 8.0 * H, 35.0, "11", "fast"),
    )
    return Scenario(
        name=name,
        title="German evening, §14a dimming 17:00-20:00 (4.2 kW), two cars, late PV",
        notes="6 kWp PV in its last hours; 3 x 35 A; cars from 16:30 and 17:30.",
        tags=("dimming",),
        start_clock_s=start,
        duration_s=duration,
        grid_limit_kw=24.0,
        offpeak_hours=(),
        price_peak=0.35,
        price_offpeak=0.35,
        profile_step_s=step,
        profile_jitter_s=20,
        household_w=_ints(_home_load(rng, hours)),
        solar_w=_ints(_clear_sky(hours, 6000.0, 6.0, 20.5)),
        chargers=(ChargerSpec("box_1", 3, 16), ChargerSpec("box_2", 3, 16)),
        sessions=sessions,
        dimmed_hours=((17.0, 20.0),),
    )


GENERATORS = (
    *GENERATORS,
    house_3x25_phases,
    be_capacity_month_slice,
    de_14a_evening,
)
