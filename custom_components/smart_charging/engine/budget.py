"""What the site leaves for the chargers now: the budget and the solar surplus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

from .model import ChargerInput, EngineConfig, EngineState, SiteInput
from .solar import surplus_average


@dataclass(frozen=True, slots=True)
class SiteBudget:
    """The site's figures for one decision, in W."""

    household_w: float  # the household load counted
    budget_w: float  # what the chargers may use; below 0 when the site is over
    surplus_w: float  # solar - household - disabled chargers; may be below 0
    # The surplus as an exponential average; None when the inputs are unusable
    # (failsafe).
    average_w: float | None


def site_budget(
    site: SiteInput,
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    config: EngineConfig,
) -> SiteBudget:
    """The budget from the limit, the margin, the net load and the disabled chargers."""
    disabled_w = disabled_draw_w(chargers, site.voltage)
    if site.inputs_usable:
        household = site.household_w
        net_load = site.household_w - site.solar_w
        surplus = site.solar_w - site.household_w - disabled_w
        average: float | None = surplus_average(state, surplus, now, config)
    elif state.last_household_w is not None:
        # Nothing is known now: assume the last household seen and no solar at all.
        household = state.last_household_w
        net_load = max(household, 0.0)
        surplus = 0.0
        average = None
    else:
        # No household was ever seen, so no current can be shown to fit: pause all.
        household = 0.0
        net_load = math.inf
        surplus = 0.0
        average = None
    budget = site.grid_limit_w - site.safety_margin_w - net_load - disabled_w
    return SiteBudget(household, budget, surplus, average)


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
