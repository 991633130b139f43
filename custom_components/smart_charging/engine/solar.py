"""When a solar charger starts and stops, and the surplus it follows.

SPEC §4's delays (minimums), refined for a fluctuating surplus. The first start and
stop of a session follow the plain delays exactly. A stop shows that the surplus comes
and goes: from then on each restart waits a longer off time after the stop (growing
per stop, capped) and needs the average to cover most of the minimum, and a running
car rides a cloud out while the average still covers a share of its minimum, for at
most solar_ride_max_s and while the grid's share of the session stays small; a
steady deficit brings the average down and stops it. An hour or so without surplus
(a night) starts the count afresh.
"""

from __future__ import annotations

from dataclasses import replace
import math

from .limits import backoff
from .model import ChargerState, EngineConfig, EngineState


def surplus_average(
    state: EngineState, surplus: float, now: float, config: EngineConfig
) -> float:
    """The surplus as an exponential average over surplus_smoothing_s."""
    previous = state.surplus_avg_w
    tau = config.surplus_smoothing_s
    if previous is None or state.last_time is None or tau <= 0:
        return surplus
    elapsed = max(now - state.last_time, 0.0)
    return previous + (surplus - previous) * -math.expm1(-elapsed / tau)


def solar_hysteresis(
    state: ChargerState,
    surplus: float,
    average: float,
    min_w: float,
    now: float,
    config: EngineConfig,
) -> ChargerState:
    """Start once the surplus covered the minimum for a while; stop once it did not."""
    if surplus >= min_w:
        return _while_covered(state, average, min_w, now, config)
    return _while_short(state, average, min_w, now, config)


def _while_covered(
    state: ChargerState,
    average: float,
    min_w: float,
    now: float,
    config: EngineConfig,
) -> ChargerState:
    """The surplus covers the minimum: a stopped charger starts once it has long
    enough (longer after each stop of the session)."""
    stops = state.solar_stops
    since = state.surplus_since if state.surplus_since is not None else now
    running = state.solar_running
    if not running and now - since >= config.solar_start_delay_s:
        stopped = state.solar_stopped_at
        running = stops == 0 or (
            (stopped is None or now - stopped >= restart_delay(stops, config))
            and average >= min_w * config.solar_restart_share
        )
    return _moved(state, running, since, None, stops, state.solar_stopped_at)


def _while_short(
    state: ChargerState,
    average: float,
    min_w: float,
    now: float,
    config: EngineConfig,
) -> ChargerState:
    """The surplus does not cover the minimum: a running charger stops after the stop
    delay, or rides the cloud out once the session has seen a stop."""
    stops = state.solar_stops
    since = state.deficit_since if state.deficit_since is not None else now
    lasted = now - since
    running = state.solar_running and (
        lasted < config.solar_stop_delay_s
        or (
            stops > 0
            and lasted < config.solar_ride_max_s
            and average >= min_w * config.solar_ride_share
            and state.solar_grid_wh <= config.solar_grid_share * state.solar_wh
        )
    )
    stopped = state.solar_stopped_at
    if state.solar_running and not running:
        stops += 1
        stopped = now
    elif not running and lasted >= config.solar_stops_reset_s:
        stops = 0  # a long time without surplus (a night): a fresh start
    return _moved(state, running, None, since, stops, stopped)


def _moved(
    state: ChargerState,
    running: bool,
    surplus_since: float | None,
    deficit_since: float | None,
    stops: int,
    stopped_at: float | None,
) -> ChargerState:
    """The state with these timers: the same object when nothing moved (most steps,
    for most chargers, so nothing is built)."""
    if (
        running == state.solar_running
        and surplus_since is state.surplus_since
        and deficit_since is state.deficit_since
        and stops == state.solar_stops
        and stopped_at == state.solar_stopped_at
    ):
        return state
    return replace(
        state,
        solar_running=running,
        surplus_since=surplus_since,
        deficit_since=deficit_since,
        solar_stops=stops,
        solar_stopped_at=stopped_at,
    )


def restart_delay(stops: int, config: EngineConfig) -> float:
    """How long a car stays stopped (from its last stop) before a restart after
    `stops` stops in the session."""
    return backoff(
        config.solar_start_delay_s,
        config.solar_restart_backoff,
        stops,
        config.solar_start_delay_max_s,
    )
