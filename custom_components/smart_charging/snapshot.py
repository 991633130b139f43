"""What the entities show: a frozen snapshot taken after every step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time

from .const import DEFAULT_DEPARTURE, DEFAULT_ENERGY_TARGET_KWH, DEFAULT_TARGET_SOC
from .engine import Mode, Profile, Status
from .engine.control import SiteSettings, StepResult, reserve_w
from .engine.limits import drawn_phases
from .engine.planner import CarPlan
from .runtime import ChargerRuntime
from .sessions import Session


@dataclass(frozen=True, slots=True)
class ChargerData:
    """One charger after a step."""

    current: int  # amps commanded now (0 = paused)
    power_w: float  # power budgeted for it
    status: Status
    session_kwh: float
    # Its box can be read and, where it measures power, the reading is usable.
    measured: bool
    measured_w: float | None  # what its box measures it draws, where it does
    boost: str | None  # "armed", "active" or None
    mode: Mode
    profile: Profile
    ceiling: int  # the user's ceiling, or the configured maximum
    enabled: bool
    last_session: Session | None = None
    # The user's target for `smart` (see UserSettings).
    departure: time = DEFAULT_DEPARTURE
    departure_at: datetime | None = None
    energy_target_kwh: float = DEFAULT_ENERGY_TARGET_KWH
    target_soc: float = DEFAULT_TARGET_SOC
    # The plan of `smart`: its next slot's start, its slots (start, end, power in
    # W) and whether the target can be reached by the departure (None: no plan).
    planned_start: datetime | None = None
    schedule: tuple[tuple[datetime, datetime, float], ...] = ()
    reachable: bool | None = None
    # The phases in use: the box's (as switched), or fewer where the car was seen
    # to draw on fewer.
    phases: int = 3

    @classmethod
    def of(
        cls,
        charger: ChargerRuntime,
        status: Status,
        voltage: float,
        car_phases: int | None = None,
    ) -> ChargerData:
        current = charger.link.holding.current or 0
        settings = charger.settings
        return cls(
            current=current,
            power_w=current * voltage * charger.phases,
            status=status,
            session_kwh=round(charger.metering.session_kwh, 3),
            measured=charger.link.read_error is None and charger.power_problem is None,
            measured_w=charger.reading.power_w,
            boost=charger.boost,
            mode=settings.mode,
            profile=settings.profile,
            ceiling=settings.ceiling or charger.config.max_current,
            enabled=settings.enabled,
            last_session=charger.metering.last_session,
            departure=settings.departure,
            departure_at=settings.departure_at,
            energy_target_kwh=settings.energy_target_kwh,
            target_soc=settings.target_soc,
            phases=drawn_phases(charger.phases, car_phases),
        )


@dataclass(frozen=True, slots=True)
class SiteData:
    """The site after a step."""

    grid_limit_w: float
    safety_margin_w: float
    budget_w: float  # power the chargers may use now
    surplus_w: float
    household_w: float
    offpeak: bool
    failsafe: bool
    chargers: Mapping[str, ChargerData]
    # The grid's own limits: §14a dimming and the capacity tariff (W; a target of 0
    # = none).
    dimmed: bool = False
    quarter_average_w: float = 0.0
    peak_target_w: float = 0.0
    month_peak_w: float = 0.0
    # The reserve learned from the household's load steps (0 without
    # adaptive_reserve), kept on top of the safety margin.
    reserve_w: float = 0.0

    @classmethod
    def of(
        cls,
        result: StepResult,
        chargers: Mapping[str, ChargerRuntime],
        settings: SiteSettings,
        car_plan: Callable[[str], CarPlan | None] = lambda _cid: None,
    ) -> SiteData:
        decision = result.decision
        voltage = settings.voltage
        kept = result.state.engine.chargers
        return cls(
            grid_limit_w=settings.grid_limit_w,
            safety_margin_w=settings.safety_margin_w,
            budget_w=decision.budget_w,
            surplus_w=decision.surplus_w,
            household_w=decision.household_w,
            offpeak=result.readings.offpeak,
            failsafe=decision.failsafe,
            dimmed=result.grid.dimmed,
            quarter_average_w=result.grid.quarter_average_w,
            peak_target_w=result.grid.peak_target_w,
            month_peak_w=result.grid.month_peak_w,
            reserve_w=reserve_w(settings, result.state.reserve),
            chargers={
                cid: with_plan(
                    ChargerData.of(
                        charger,
                        charger.status or Status.OFF,
                        voltage,
                        kept[cid].car_phases if cid in kept else None,
                    ),
                    car_plan(cid) if charger.settings.mode is Mode.SMART else None,
                )
                for cid, charger in chargers.items()
            },
        )


def with_plan(data: ChargerData, plan: CarPlan | None) -> ChargerData:
    """The charger's plan, for the planned_start sensor."""
    if plan is None:
        return data

    def at(when: float) -> datetime:
        return datetime.fromtimestamp(when, UTC)

    return replace(
        data,
        planned_start=None if plan.planned_start is None else at(plan.planned_start),
        schedule=tuple(
            (at(block.start), at(block.end), round(block.power_w))
            for block in plan.schedule
        ),
        reachable=plan.reachable,
    )
