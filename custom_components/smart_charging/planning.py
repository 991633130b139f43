"""`smart` mode in Home Assistant: reads the targets and forecasts, runs the
planner off the event loop when something changed (and every quarter hour), and says
what the plan gives each car now. The control step of every cycle still rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CO2_ENTITY,
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_OFFPEAK_ENTITY,
    CONF_PLAN_OBJECTIVE,
    CONF_PRICE_ENTITY,
    CONF_SOLAR_FORECAST_ENTITY,
    DEFAULT_PLAN_OBJECTIVE,
    EVENT_PLAN_UNREACHABLE,
    LOGGER,
)
from .engine import Mode, Profile
from .engine.control import ChargerView, ControlState, SiteSettings
from .engine.forecast import HouseholdProfile, Point
from .engine.planner import CarPlan, Objective, Plan, PlanCar
from .engine.readings import parse_number
from .engine.smart import (
    DAY_S,
    SiteForecast,
    SmartCharger,
    SolarSeen,
    next_replan_at,
    plan_site,
    probing,
    repeat_last_day,
    smart_car,
    smart_power,
)
from .events import fire_charger_event
from .forecasts import SiteForecasts, async_household_profile, async_read_forecasts
from .repairs import Repairs
from .runtime import ChargerRuntime

PROFILE_MAX_AGE_S = 6 * 3600.0  # the household's profile is read again after this
# A forecast problem that lasts this long raises a repair issue.
FORECAST_REPAIR_AFTER_S = 3600.0


@dataclass(frozen=True, slots=True)
class Target:
    """What one smart car must hold by when."""

    departure: datetime
    need_wh: float
    key: tuple[object, ...]  # what, when changed, asks for a new plan
    soc: float | None = None  # the car's state of charge (%), when read


class SmartPlanning:
    """The site's plan for its `smart` cars."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        settings: SiteSettings,
        repairs: Repairs,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._entry_id = entry.entry_id
        self._data: Mapping[str, Any] = entry.data
        self._settings = settings
        self._repairs = repairs
        self.plan: Plan | None = None
        self._asked: tuple[object, ...] | None = None  # what the plan was made for
        self._running = False
        self._memory = TargetMemory()
        self._next_plan_at = -math.inf  # the next plan at the latest
        self._failed = False  # the last plan failed
        self._profile: HouseholdProfile | None = None
        self._profile_at = -math.inf
        self._fired: dict[str, tuple[object, ...]] = {}  # unreachable, announced
        self._problems_since: dict[str, float] = {}
        self._solar_seen = SolarSeen()  # what the sun gave lately

    # What the control step and the entities see ---------------------------------

    def view(
        self, charger: ChargerRuntime, state: ControlState, now: float
    ) -> ChargerView:
        """The charger's view, with the power its plan gives it now."""
        view = charger.view()
        if view.mode is not Mode.SMART:
            return view
        full_w = view.max_current * self._settings.voltage * view.phases
        if self._failed and self.car_plan(charger.id) is None:
            # No plan could be made for it: ready on time first, so charge now.
            return replace(view, plan_w=full_w)
        kept = state.engine.chargers.get(charger.id)
        probe_w = full_w if view.measures_power else None
        return replace(
            view, plan_w=smart_power(self.plan, charger.id, now, kept, probe_w)
        )

    def car_plan(self, cid: str) -> CarPlan | None:
        return None if self.plan is None else self.plan.cars.get(cid)

    # Replanning -----------------------------------------------------------------

    def maybe_replan(
        self,
        chargers: Mapping[str, ChargerRuntime],
        state: ControlState,
        loads: tuple[float, float | None],  # the household and solar now
        now: float,
    ) -> None:
        """Plan again when a target, a departure, a plug or a forecast changed, a car
        has shown what it takes, or at the next quarter hour of the clock; in the
        background, one at a time."""
        household_w, solar_w = loads
        self._solar_seen = self._solar_seen.add(now, solar_w)
        if self._running:
            return
        targets = smart_targets(
            self._hass, chargers.values(), dt_util.utc_from_timestamp(now), self._memory
        )
        asked = (
            tuple(
                (cid, t.key, probing(state.engine.chargers.get(cid)))
                for cid, t in sorted(targets.items())
            ),
            tuple(self._forecast_stamps()),
        )
        if asked == self._asked and now < self._next_plan_at:
            return
        self._asked, self._next_plan_at = asked, next_replan_at(now)
        if not targets:
            self.plan = Plan(made_at=now, cars={})
            return
        cars = [
            plan_car(chargers[cid], t, state, self._settings)
            for cid, t in targets.items()
        ]
        keys = {cid: t.key for cid, t in targets.items()}
        # The plan stays under the contract, the capacity tariff's target and the
        # main fuse (the live cap of each step keeps them exactly, per phase too).
        settings = self._settings
        headroom_w = settings.grid_limit_w - settings.safety_margin_w
        peak_w = settings.capacity.pace_w(state.quarter)  # as each step keeps it
        if peak_w > 0:
            headroom_w = min(headroom_w, peak_w)
        if settings.main_fuse_a > 0:  # all three phases at the fuse, at most
            headroom_w = min(headroom_w, 3 * settings.main_fuse_a * settings.voltage)
        self._running = True
        # Tied to the entry: an unload cancels a plan in progress.
        self._entry.async_create_background_task(
            self._hass,
            self._async_replan(
                cars,
                keys,
                chargers,
                (household_w, headroom_w, self._solar_seen.mean_w(now)),
                now,
            ),
            "smart_charging plan",
        )

    async def _async_replan(
        self,
        cars: list[PlanCar],
        keys: Mapping[str, tuple[object, ...]],
        chargers: Mapping[str, ChargerRuntime],
        # The household now, the headroom for imports, and the sun read lately, as
        # when the plan was asked for (the steps meanwhile move its window on).
        loads: tuple[float, float, float | None],
        now: float,
    ) -> None:
        household_w, headroom_w, solar_seen_w = loads
        try:
            forecasts = await async_read_forecasts(
                self._hass,
                price_entity=self._data.get(CONF_PRICE_ENTITY),
                co2_entity=self._data.get(CONF_CO2_ENTITY),
                solar_forecast_entity=self._data.get(CONF_SOLAR_FORECAST_ENTITY),
            )
            self._follow_problems(forecasts, now)
            if now - self._profile_at >= PROFILE_MAX_AGE_S:
                self._profile = await async_household_profile(
                    self._hass, self._data.get(CONF_HOUSEHOLD_POWER_ENTITY)
                )
                self._profile_at = now
            offpeak = (
                ()
                if any(point.end > now for point in forecasts.prices)
                else await async_offpeak_hours(
                    self._hass, self._data.get(CONF_OFFPEAK_ENTITY), now
                )
            )
            plan = await self._hass.async_add_executor_job(
                partial(
                    plan_site,
                    cars,
                    now,
                    headroom_w,
                    self._site_forecast(forecasts, offpeak),
                    household_w,
                    Objective(
                        self._data.get(CONF_PLAN_OBJECTIVE, DEFAULT_PLAN_OBJECTIVE)
                    ),
                    solar_seen_w=solar_seen_w,
                )
            )
        except Exception:  # a failed plan leaves the cars on the last one
            LOGGER.exception("Planning the smart chargers failed")
            self._failed = True  # tried again at the next quarter hour, or on a change
            return
        finally:
            self._running = False
        self.plan, self._failed = plan, False
        self._announce_unreachable(chargers, cars, keys)

    def _site_forecast(
        self, forecasts: SiteForecasts, offpeak: tuple[Point, ...]
    ) -> SiteForecast:
        profile = self._profile

        def household_w(when: float) -> float | None:
            if profile is None:
                return None
            local = dt_util.as_local(dt_util.utc_from_timestamp(when))
            return profile.at(local.weekday(), local.hour)

        return SiteForecast(
            prices=forecasts.prices,
            co2=forecasts.co2,
            solar_p10=forecasts.solar_p10,
            solar_p50=forecasts.solar_p50,
            offpeak=offpeak,
            household_w=household_w,
        )

    def _forecast_stamps(self) -> Iterable[object]:
        """When each forecast entity last changed: a new forecast asks for a plan."""
        for key in (CONF_PRICE_ENTITY, CONF_CO2_ENTITY, CONF_SOLAR_FORECAST_ENTITY):
            entity = self._data.get(key)
            state = self._hass.states.get(entity) if entity else None
            yield None if state is None else state.last_updated

    # Telling the user -------------------------------------------------------------

    def _follow_problems(self, forecasts: SiteForecasts, now: float) -> None:
        """A forecast problem: one log line when it appears, a repair issue if it
        lasts; both go when it is gone."""
        seen = set(forecasts.problems)
        for problem in seen - self._problems_since.keys():
            LOGGER.warning("Smart charging plans without a forecast: %s", problem)
            self._problems_since[problem] = now
        for problem in self._problems_since.keys() - seen:
            del self._problems_since[problem]
        lasting = sorted(
            p
            for p, since in self._problems_since.items()
            if now - since >= FORECAST_REPAIR_AFTER_S
        )
        self._repairs.forecast_unusable(lasting)

    def _announce_unreachable(
        self,
        chargers: Mapping[str, ChargerRuntime],
        cars: list[PlanCar],
        keys: Mapping[str, tuple[object, ...]],
    ) -> None:
        """`smart_charging_plan_unreachable`, once per target that cannot be met
        (a new target or departure may be announced again)."""
        assert self.plan is not None
        for car in cars:
            planned = self.plan.cars.get(car.id)
            if planned is None or planned.reachable:
                self._fired.pop(car.id, None)
                continue
            if self._fired.get(car.id) == keys[car.id]:
                continue
            self._fired[car.id] = keys[car.id]
            fire_charger_event(
                self._hass,
                EVENT_PLAN_UNREACHABLE,
                self._entry_id,
                car.id,
                chargers[car.id].name,
                {
                    "departure": dt_util.utc_from_timestamp(car.departure).isoformat(),
                    "needed_kwh": round(planned.needed_wh / 1000, 2),
                    "reachable_kwh": round(planned.reachable_wh / 1000, 2),
                },
            )


@dataclass(slots=True)
class TargetMemory:
    """What the targets need kept between plans."""

    # Per car: the departure counted towards and the session energy it counts
    # from (the energy target is what to add by that departure).
    baselines: dict[str, tuple[datetime, float]] = field(default_factory=dict)
    soc: dict[str, float] = field(default_factory=dict)  # the last SoC read

    def added_kwh(
        self, charger: ChargerRuntime, departure: datetime, now: datetime
    ) -> float:
        """The energy added towards `departure`: since plug-in, or since the last
        departure passed with the car still there (a box that cannot tell a
        plug-in counts from then too)."""
        session = charger.metering.session_kwh
        kept = self.baselines.get(charger.id)
        base = 0.0
        if kept is not None:
            base = kept[1]
            if session < base:  # a new session
                base = 0.0
            elif kept[0] <= now:  # its departure passed: a new target from here
                base = session
        self.baselines[charger.id] = (departure, base)
        return session - base

    def soc_of(self, hass: HomeAssistant, charger: ChargerRuntime) -> float | None:
        """The car's SoC, or the last one read while its sensor cannot say (a car
        asleep often reports nothing)."""
        entity = charger.config.soc_entity
        soc = None if entity is None else _soc(hass, entity)
        if soc is None:
            return self.soc.get(charger.id)
        self.soc[charger.id] = soc
        return soc


def smart_targets(
    hass: HomeAssistant,
    chargers: Iterable[ChargerRuntime],
    now: datetime,
    memory: TargetMemory,
) -> dict[str, Target]:
    """The smart cars that may charge, and what each needs by when."""
    targets: dict[str, Target] = {}
    for charger in chargers:
        settings = charger.settings
        if (
            settings.mode is not Mode.SMART
            or not settings.enabled
            or charger.reading.connected is False
        ):
            continue
        departure = settings.next_departure(now)
        config = charger.config
        soc: float | None = None
        if config.soc_entity is None:
            goal: object = settings.energy_target_kwh
            added = memory.added_kwh(charger, departure, now)
            need_kwh = settings.energy_target_kwh - added
        else:
            goal = settings.target_soc
            soc = memory.soc_of(hass, charger)
            # Never read: the whole way to the target (ready on time first; a
            # full car stops taking power by itself).
            need_kwh = (settings.target_soc - (soc or 0.0)) / 100 * config.battery_kwh
        targets[charger.id] = Target(
            departure,
            max(need_kwh, 0.0) * 1000.0,
            # A new session (a plug-in) asks for a new plan too.
            (
                departure,
                goal,
                settings.ceiling,
                settings.profile,
                charger.metering.progress.start,
            ),
            soc,
        )
    return targets


def plan_car(
    charger: ChargerRuntime, target: Target, state: ControlState, site: SiteSettings
) -> PlanCar:
    """The car as the planner sees it (engine.smart.smart_car): with its state of
    charge read, the planner follows its taper."""
    config, settings = charger.config, charger.settings
    kept = state.engine.chargers.get(charger.id)
    return smart_car(
        SmartCharger(
            id=charger.id,
            phases=config.phases,
            min_current=config.min_current,
            ceiling=settings.ceiling or config.max_current,
            premium=settings.profile is Profile.PREMIUM,
            standard_max_w=site.standard_max_w,
            battery_wh=config.battery_kwh * 1000.0,
        ),
        target.need_wh,
        target.departure.timestamp(),
        site.voltage,
        kept,
        None if target.soc is None else target.soc / 100,
    )


async def async_offpeak_hours(
    hass: HomeAssistant, entity: str | None, now: float
) -> tuple[Point, ...]:
    """The off-peak hours ahead, as the recorder saw them the last 24 hours."""
    if not entity or "recorder" not in hass.config.components:
        return ()
    from homeassistant.components.recorder import history  # noqa: PLC0415
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    since = dt_util.utc_from_timestamp(now - DAY_S)

    def read() -> list[tuple[float, bool]]:
        states = history.state_changes_during_period(
            hass,
            since,
            None,
            entity,
            no_attributes=True,
            include_start_time_state=True,
        )
        return [
            (state.last_changed.timestamp(), state.state == STATE_ON)
            for state in states.get(entity, [])
        ]

    try:
        changes = await get_instance(hass).async_add_executor_job(read)
    except Exception:
        LOGGER.debug("No history of %s for the off-peak hours", entity)
        return ()
    return repeat_last_day(changes, now)


def _soc(hass: HomeAssistant, entity_id: str) -> float | None:
    """The car's state of charge, checked: a number from 0 to 100 %, else None."""
    state = hass.states.get(entity_id)
    soc = None if state is None else parse_number(state.state)
    return soc if soc is not None and 0.0 <= soc <= 100.0 else None
