"""Tiny hand-made scenarios."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bench.scenario import ChargerSpec, Scenario, Session


def session(
    charger: str = "c1",
    arrive_s: int = 0,
    depart_s: int = 3600,
    energy_kwh: float = 5.5,
    car_kw: float = 11.0,
    car_phases: int = 3,
    mode: str = "fast",
    soc0: float = 0.1,
    capacity_kwh: float = 60.0,
) -> Session:
    return Session(
        charger=charger,
        arrive_s=arrive_s,
        depart_s=depart_s,
        energy_kwh=energy_kwh,
        capacity_kwh=capacity_kwh,
        soc0=soc0,
        car_kw=car_kw,
        car_phases=car_phases,
        mode=mode,
    )


def scenario(
    sessions: tuple[Session, ...],
    household_w: tuple[int, ...] = (1000,),
    solar_w: tuple[int, ...] = (),
    duration_s: int = 3600,
    grid_limit_kw: float = 20.0,
    chargers: tuple[ChargerSpec, ...] = (ChargerSpec("c1", 3, 16),),
    offpeak_hours: tuple[tuple[float, float], ...] = (),
    price_peak: float = 0.30,
    price_offpeak: float = 0.30,
    profile_step_s: int = 3600,
    lp_step_s: int = 300,
    lp_min_current: bool = False,
    tags: tuple[str, ...] = (),
) -> Scenario:
    return Scenario(
        name="tiny",
        title="tiny",
        start_clock_s=0,
        duration_s=duration_s,
        tick_s=5,
        sensor_period_s=15,
        sensor_delay_s=5,
        lp_step_s=lp_step_s,
        lp_min_current=lp_min_current,
        grid_limit_kw=grid_limit_kw,
        safety_margin_kw=0.0,
        standard_max_kw=0.0,
        voltage=230.0,
        offpeak_hours=offpeak_hours,
        price_peak=price_peak,
        price_offpeak=price_offpeak,
        profile_step_s=profile_step_s,
        household_w=household_w,
        solar_w=solar_w,
        chargers=chargers,
        sessions=sessions,
        tags=tags,
    )


def smart_session(
    charger: str = "c1",
    arrive_s: int = 0,
    depart_s: int = 3600,
    need_kwh: float = 5.5,
    energy_kwh: float = 20.0,
    car_kw: float = 11.0,
    car_phases: int = 3,
) -> Session:
    """A `smart` car: its need by its departure (when it leaves); it accepts up to
    `energy_kwh`."""
    return replace(
        session(charger, arrive_s, depart_s, energy_kwh, car_kw, car_phases),
        mode="smart",
        departure_s=depart_s,
        need_kwh=need_kwh,
    )


def priced(
    sc: Scenario,
    prices: tuple[float, ...],
    co2: tuple[float, ...] = (),
    **changes: Any,
) -> Scenario:
    """The scenario with a 15-minute price series (and CO2) from t = 0, tagged
    smart."""
    return replace(
        sc,
        prices=prices,
        co2_g_kwh=co2 or tuple(300.0 for _ in prices),
        tags=("smart", *sc.tags),
        **changes,
    )
