"""What the site leaves for the chargers now: the budget and the solar surplus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
import math

from .model import ChargerInput, EngineConfig, EngineState, SiteInput
from .solar import surplus_average

# The most samples kept of the recent site (a step every second for five minutes).
MAX_SAMPLES = 300
# A usable step's (time, net load, surplus, room: the limit less the margin and
# the disabled chargers).
type Sample = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class SiteBudget:
    """The site's figures for one decision, in W."""

    household_w: float  # the household load counted
    budget_w: float  # what the chargers may use; below 0 when the site is over
    surplus_w: float  # solar - household - disabled chargers; may be below 0
    # The surplus as an exponential average; None when the inputs are unusable
    # (failsafe).
    average_w: float | None
    # What the allocation follows: the budget with the highest net load of the
    # steady window, and the lowest surplus of the surplus window;
    steady_budget_w: float
    steady_surplus_w: float
    # and what increases may take at most: the budget with the net load held
    # through the meter's jitter (rise_net).
    rise_budget_w: float
    # The lowest budget of the restart window (paused cars restart within it: a
    # limit that moves, as a capacity tariff's quarter does, counts too), and the
    # lowest surplus of that window.
    restart_budget_w: float
    restart_surplus_w: float
    recent: tuple[Sample, ...]


def site_budget(
    site: SiteInput,
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    config: EngineConfig,
) -> SiteBudget:
    """The budget from the limit, the margin, the net load and the disabled chargers."""
    disabled_w = disabled_draw_w(chargers, site.voltage)
    room = site.grid_limit_w - site.safety_margin_w - disabled_w
    recent = state.recent
    if site.inputs_usable:
        household = site.household_w
        net_load = site.household_w - site.solar_w
        surplus = site.solar_w - site.household_w - disabled_w
        average: float | None = surplus_average(state, surplus, now, config)
        recent = _with_sample(recent, (now, net_load, surplus, room), config)
        steady_net = _highest_net(recent, now, config.steady_window_s)
        rise_net = _rise_net(recent, now, config)
        sunny = _within_window(recent, now, config.surplus_window_s)
        steady_surplus = min(sample[2] for sample in sunny)
        restarts = _within_window(recent, now, config.restart_window_s)
        restart_budget = min(sample[3] - sample[1] for sample in restarts)
        restart_surplus = min(sample[2] for sample in restarts)
    elif state.last_household_w is not None:
        # Nothing is known now: assume the last household seen and no solar at all.
        household = state.last_household_w
        rise_net = steady_net = net_load = max(household, 0.0)
        restart_budget = room - net_load
        restart_surplus = steady_surplus = surplus = 0.0
        average = None
    else:
        # No household was ever seen, so no current can be shown to fit: pause all.
        household = 0.0
        rise_net = steady_net = net_load = math.inf
        restart_budget = -math.inf
        restart_surplus = steady_surplus = surplus = 0.0
        average = None
    return SiteBudget(
        household,
        room - net_load,
        surplus,
        average,
        room - steady_net,
        steady_surplus,
        room - rise_net,
        restart_budget,
        restart_surplus,
        recent,
    )


def _highest_net(recent: tuple[Sample, ...], now: float, window_s: float) -> float:
    return max(sample[1] for sample in _within_window(recent, now, window_s))


def _rise_net(recent: tuple[Sample, ...], now: float, config: EngineConfig) -> float:
    """The net load increases may rise to at most: the highest of the steady window;
    or, when the load has fallen since by no more than the meter's jitter, the
    highest of the jitter window (a jittering meter's low reading moves no setpoint
    up, a real drop does at the next cycle)."""
    steady = _highest_net(recent, now, config.steady_window_s)
    longer = _highest_net(recent, now, config.jitter_window_s)
    if longer - steady <= _jitter_w(recent, now, config):
        return longer
    return steady


def _jitter_w(recent: tuple[Sample, ...], now: float, config: EngineConfig) -> float:
    """How far the net load jitters from one sample to the next: a multiple of a
    quantile of its changes over jitter_sample_s before the jitter window (not the
    fall being judged), once it changed often (0 for a meter that mostly holds
    still)."""
    before = _within_window(
        recent, now - config.jitter_window_s, config.jitter_sample_s
    )
    changes = sorted(abs(b[1] - a[1]) for a, b in pairwise(before) if b[1] != a[1])
    if len(changes) < config.jitter_min_changes:
        return 0.0
    return config.jitter_factor * changes[int(len(changes) * config.jitter_quantile)]


def _with_sample(
    recent: tuple[Sample, ...], sample: Sample, config: EngineConfig
) -> tuple[Sample, ...]:
    """The samples of the longest window with this one (time, net load, surplus,
    room) added; another step at the same time makes one sample, the worse of
    both."""
    now, net_load, surplus, room = sample
    window_s = max(
        config.steady_window_s,
        config.jitter_window_s + config.jitter_sample_s,
        config.surplus_window_s,
        config.restart_window_s,
    )
    recent = _within_window(recent, now, window_s)
    if recent and recent[-1][0] == now:
        _, last_net, last_surplus, last_room = recent[-1]
        recent = recent[:-1]
        sample = (
            now,
            max(net_load, last_net),
            min(surplus, last_surplus),
            min(room, last_room),
        )
    return (*recent[-MAX_SAMPLES + 1 :], sample)


def _within_window(
    recent: tuple[Sample, ...], now: float, window_s: float
) -> tuple[Sample, ...]:
    """The samples taken within the window up to `now` (after now - window_s, and
    now itself; oldest first); none from after it (a clock set back)."""
    start = 0
    while (
        start < len(recent)
        and recent[start][0] <= now - window_s
        and recent[start][0] < now
    ):
        start += 1
    end = len(recent)
    while end > start and recent[end - 1][0] > now:
        end -= 1
    return recent[start:end]


def disabled_draw_w(chargers: Sequence[ChargerInput], voltage: float) -> float:
    """A disabled charger is left alone but still draws: reserve what it measures, or
    else what it was last told, or else (unknown) its maximum."""
    disabled_w = 0.0
    for c in chargers:
        if not c.enabled and c.connected:
            if c.measured_power_w is not None:
                disabled_w += max(c.measured_power_w, 0.0)
            else:
                held = c.max_current if c.last_command is None else c.last_command
                disabled_w += held * voltage * c.phases
    return disabled_w


def steady_net_w(
    state: EngineState, now: float, net_w: float, config: EngineConfig
) -> float:
    """The highest net load of the steady window, `net_w` now included: the frame
    the budget of increases is counted in (a cap set relative to the net load, such
    as §14a dimming, is set in it too)."""
    recent = _with_sample(state.recent, (now, net_w, math.inf, math.inf), config)
    return _highest_net(recent, now, config.steady_window_s)
