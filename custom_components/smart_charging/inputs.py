"""The site's settings and inputs, read from the config entry and the states."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ADAPTIVE_RESERVE,
    CONF_DIMMING_ENTITY,
    CONF_DIMMING_LIMIT_KW,
    CONF_FAILSAFE_CURRENT,
    CONF_FOLLOW_MONTHLY_PEAK,
    CONF_GRID_LIMIT_KW,
    CONF_GRID_POWER_ENTITY,
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_MAIN_FUSE_A,
    CONF_OFFPEAK_ENTITY,
    CONF_PEAK_LIMIT_KW,
    CONF_SAFETY_MARGIN_KW,
    CONF_SOLAR_POWER_ENTITY,
    CONF_STALE_AFTER_S,
    CONF_STANDARD_MAX_KW,
    CONF_VOLTAGE,
    DEFAULT_ADAPTIVE_RESERVE,
    DEFAULT_DIMMING_LIMIT_KW,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_FOLLOW_MONTHLY_PEAK,
    DEFAULT_MAIN_FUSE_A,
    DEFAULT_PEAK_LIMIT_KW,
    DEFAULT_SAFETY_MARGIN_KW,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STANDARD_MAX_KW,
    DEFAULT_VOLTAGE,
    PHASE_CURRENT_KEYS,
)
from .engine import EngineConfig
from .engine.control import SiteReadings, SiteSettings
from .engine.phases import PhaseCurrents
from .engine.readings import (
    Reading,
    grid_power_range,
    phase_current_range,
    read_current,
    read_power,
    site_power_range,
)

NEVER: PhaseCurrents = (0.0, 0.0, 0.0)  # no phase sensor reported
# The engine's defaults (SPEC §4's solar delays as minimums).
SPEC_TIMING = EngineConfig()
# The site's input entities: a change of one triggers an immediate step (a
# decrease step: dimming applies at once, its end waits for the regular cycle).
INPUT_KEYS = (
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_GRID_POWER_ENTITY,
    CONF_SOLAR_POWER_ENTITY,
    CONF_OFFPEAK_ENTITY,
    CONF_DIMMING_ENTITY,
)


def site_settings(data: Mapping[str, Any]) -> SiteSettings:
    """The site's configuration in W and A."""
    return SiteSettings(
        grid_limit_w=float(data[CONF_GRID_LIMIT_KW]) * 1000,
        safety_margin_w=float(data.get(CONF_SAFETY_MARGIN_KW, DEFAULT_SAFETY_MARGIN_KW))
        * 1000,
        standard_max_w=float(data.get(CONF_STANDARD_MAX_KW, DEFAULT_STANDARD_MAX_KW))
        * 1000,
        voltage=float(data.get(CONF_VOLTAGE, DEFAULT_VOLTAGE)),
        failsafe_current=int(data.get(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)),
        engine=SPEC_TIMING,
        dimming_limit_w=float(data.get(CONF_DIMMING_LIMIT_KW, DEFAULT_DIMMING_LIMIT_KW))
        * 1000,
        peak_limit_w=float(data.get(CONF_PEAK_LIMIT_KW, DEFAULT_PEAK_LIMIT_KW)) * 1000,
        follow_monthly_peak=bool(
            data.get(CONF_FOLLOW_MONTHLY_PEAK, DEFAULT_FOLLOW_MONTHLY_PEAK)
        ),
        main_fuse_a=main_fuse_a(data),
        adaptive_reserve=bool(
            data.get(CONF_ADAPTIVE_RESERVE, DEFAULT_ADAPTIVE_RESERVE)
        ),
    )


def main_fuse_a(data: Mapping[str, Any]) -> float:
    """The main fuse per phase, in A; 0 = none."""
    return float(data.get(CONF_MAIN_FUSE_A, DEFAULT_MAIN_FUSE_A))


def input_entities(data: Mapping[str, Any]) -> list[str]:
    """The site's input entities; the phase currents with a main fuse (a rise on
    one lowers the chargers on that phase at once)."""
    keys = INPUT_KEYS + (PHASE_CURRENT_KEYS if main_fuse_a(data) > 0 else ())
    return [entity for key in keys if (entity := data.get(key))]


def read_site(hass: HomeAssistant, data: Mapping[str, Any], now: float) -> SiteReadings:
    """The site's inputs, each converted and checked (SPEC §5 rule 8)."""
    unusable: list[str] = []
    stale_after = float(data.get(CONF_STALE_AFTER_S, DEFAULT_STALE_AFTER_S))
    limit_w = float(data[CONF_GRID_LIMIT_KW]) * 1000

    def power(key: str, low_w: float, high_w: float) -> float | None:
        entity_id = data.get(key)
        if not entity_id:
            return None
        state = hass.states.get(entity_id)
        if state is None:
            reading = Reading(None, "missing")
        elif stale_after and now - state.last_reported.timestamp() > stale_after:
            reading = Reading(None, "stale")
        else:
            unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
            reading = read_power(state.state, unit, low_w, high_w)
        if reading.problem is not None:
            unusable.append(f"{entity_id} ({reading.problem})")
        return reading.watts

    household_w = power(CONF_HOUSEHOLD_POWER_ENTITY, *site_power_range(limit_w))
    # The grid meter only matters when it stands in for a household sensor.
    grid_w = None
    if household_w is None:
        grid_w = power(CONF_GRID_POWER_ENTITY, *grid_power_range(limit_w))
    solar_w = power(CONF_SOLAR_POWER_ENTITY, *site_power_range(limit_w))
    grid_entity = data.get(CONF_GRID_POWER_ENTITY)
    grid_state = hass.states.get(grid_entity) if grid_entity else None
    offpeak_entity = data.get(CONF_OFFPEAK_ENTITY)
    offpeak_state = hass.states.get(offpeak_entity) if offpeak_entity else None
    phase_currents, phases_reported_at = read_phases(hass, data, now, unusable)
    return SiteReadings(
        household_w=household_w,
        grid_w=grid_w,
        solar_w=solar_w,
        # Unknown off-peak state counts as peak: the cheaper assumption to be wrong.
        offpeak=offpeak_state is not None and offpeak_state.state == STATE_ON,
        unusable=tuple(unusable),
        grid_reported_at=grid_state.last_reported.timestamp() if grid_state else 0,
        dimmed=dimmed(hass, data),
        utc_offset_s=utc_offset_s(now),
        phase_currents_a=phase_currents,
        phases_reported_at=phases_reported_at,
    )


def stale(state: State, now: float, data: Mapping[str, Any]) -> bool:
    """Whether a state was not reported for longer than the site allows."""
    stale_after = float(data.get(CONF_STALE_AFTER_S, DEFAULT_STALE_AFTER_S))
    return bool(stale_after) and now - state.last_reported.timestamp() > stale_after


def read_phases(
    hass: HomeAssistant, data: Mapping[str, Any], now: float, unusable: list[str]
) -> tuple[PhaseCurrents | None, PhaseCurrents]:
    """The grid connection's L1, L2, L3 currents in A, each converted and checked
    (SPEC §5 rule 8), and when each was reported; None without a main fuse, or
    when one is unusable (added to `unusable`: failsafe)."""
    fuse_a = main_fuse_a(data)
    if fuse_a <= 0:
        return None, NEVER
    currents: list[float] = []
    reported_at: list[float] = []
    for key in PHASE_CURRENT_KEYS:
        entity_id = data.get(key) or key
        state = hass.states.get(entity_id)
        if state is None:
            problem: str | None = "missing"
        elif stale(state, now, data):
            problem = "stale"
        else:
            unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
            reading = read_current(state.state, unit, *phase_current_range(fuse_a))
            problem = reading.problem
            if reading.amps is not None:
                currents.append(reading.amps)
                reported_at.append(state.last_reported.timestamp())
        if problem is not None:
            unusable.append(f"{entity_id} ({problem})")
    if len(currents) != len(PHASE_CURRENT_KEYS):
        return None, NEVER
    return (currents[0], currents[1], currents[2]), (
        reported_at[0],
        reported_at[1],
        reported_at[2],
    )


def dimmed(hass: HomeAssistant, data: Mapping[str, Any]) -> bool:
    """Whether the grid operator dims the chargers now (§14a).

    Only an `off` state ends dimming: a dimming entity that is unavailable,
    unknown or missing counts as dimmed, the safe side, as the operator may be
    dimming while it cannot tell."""
    if not (entity_id := data.get(CONF_DIMMING_ENTITY)):
        return False
    state = hass.states.get(entity_id)
    return state is None or state.state != STATE_OFF


def utc_offset_s(now: float) -> float:
    """The local clock's offset from UTC at `now`, in seconds (the capacity
    tariff's month is the local one)."""
    offset = dt_util.as_local(datetime.fromtimestamp(now, UTC)).utcoffset()
    return 0.0 if offset is None else offset.total_seconds()
