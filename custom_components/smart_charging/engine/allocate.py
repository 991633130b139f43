"""One engine step: from the site, the chargers and the kept state to the currents.

The step composes the parts: what each car takes (demand), the site's budget and
surplus (budget), when solar chargers start and stop (solar), filling the budget
(fill, equal_share), switching boxes between one and three phases (switching) and
what is written (setpoints).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .budget import SiteBudget, site_budget
from .demand import advance_states
from .fill import Pool, allocate, allocate_failsafe
from .model import ChargerInput, Decision, EngineConfig, EngineState, SiteInput
from .setpoints import choose_setpoints
from .slot import make_slots
from .switching import plan_switches

DEFAULT_CONFIG = EngineConfig()


def decide(
    site: SiteInput,
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    *,
    allow_increase: bool = True,
    config: EngineConfig = DEFAULT_CONFIG,
) -> Decision:
    """Decide the current of every charger.

    `allow_increase` is False for a step triggered by a load or solar change: such a
    step only lowers currents; increases wait for the next regular cycle.
    """
    states = advance_states(chargers, state, now, site.voltage, config)
    power = site_budget(site, chargers, state, now, config)
    slots = make_slots(chargers, site, states, now, config)
    pool: Pool | None = None
    if power.average_w is not None:
        pool = _pool(power, power.average_w)
        allocate(slots.values(), site, states, pool, now, config, starts=allow_increase)
    else:
        allocate_failsafe(slots.values(), site, power.budget_w)
    switches = plan_switches(slots, site, pool, states, now, config)
    setpoints = choose_setpoints(
        chargers,
        slots,
        site,
        power.steady_budget_w,
        power.rise_budget_w,
        allow_increase=allow_increase,
        config=config,
    )
    chargers_decided = setpoints.chargers
    for cid, phases in switches.items():
        chargers_decided[cid] = replace(chargers_decided[cid], phases=phases)
    return Decision(
        chargers=chargers_decided,
        write_order=setpoints.write_order,
        budget_w=max(power.budget_w, 0.0),
        surplus_w=max(power.surplus_w, 0.0),
        household_w=power.household_w,
        failsafe=not site.inputs_usable,
        state=EngineState(
            chargers=states,
            last_time=now,
            last_household_w=site.household_w
            if site.inputs_usable
            else state.last_household_w,
            surplus_avg_w=power.average_w,
            recent=power.recent,
        ),
    )


def _pool(power: SiteBudget, average_w: float) -> Pool:
    """What the allocation hands out, from the site's budget figures."""
    return Pool(
        power.steady_budget_w,
        power.surplus_w,
        average_w,
        power.steady_surplus_w,
        power.restart_budget_w,
        power.restart_surplus_w,
        jitter_w=max(power.steady_budget_w - power.rise_budget_w, 0.0),
    )
