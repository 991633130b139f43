"""Switching a box between one and three phases (SPEC §4, §5 rule 7).

A car on three phases needs three times the power of one phase at its minimum
(4.1 kW against 1.4 kW at 6 A and 230 V). Where the box can switch, a car that
cannot get its three-phase minimum (a surplus between the two minimums, a budget
that fits one phase only) charges on one phase instead of stopping; it goes back to
three phases once they have fitted with switch_up_margin_a to spare for the restart
window. A switch pauses the box, switches, waits switch_wait_s, then resumes; a box
is switched at most every switch_interval_s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .fill import Pool, grid_allowed
from .limits import drawn_phases
from .model import ChargerState, EngineConfig, SiteInput
from .slot import Slot


def plan_switches(
    slots: Mapping[str, Slot],
    site: SiteInput,
    pool: Pool | None,
    states: dict[str, ChargerState],
    now: float,
    config: EngineConfig,
) -> dict[str, int]:
    """The boxes to switch now, to how many phases. A box being switched is held
    paused: until it has paused, then for switch_wait_s after the switch. `pool`:
    what the allocation left (None in failsafe: no new switch starts)."""
    switches: dict[str, int] = {}
    for cid, slot in slots.items():
        charger = slot.charger
        if not charger.switchable:
            continue
        kept = states[cid]
        if slot.full and kept.switch_to is None:
            continue  # a full car: nothing to gain
        target = kept.switch_to
        if target is None and pool is not None:
            target = _wanted(slot, site, pool, kept, now, config)
        if target is None:
            continue
        if target == charger.phases:
            # Switched: resume once the box has had its wait.
            if now - (kept.switched_at or 0.0) < config.switch_wait_s:
                slot.target = 0
            else:
                states[cid] = replace(kept, switch_to=None)
            continue
        requested_at = _requested_at(kept, now, config)
        if requested_at is not None:
            if now - requested_at >= config.switch_wait_s:
                # The box has not shown the switch within its wait: given up, the
                # car charges on the phases it has; the next try after the interval.
                states[cid] = replace(kept, switch_to=None)
            else:
                slot.target = 0
            continue
        slot.target = 0  # paused first (rule 7)
        if not charger.last_command:
            switches[cid] = target
            kept = replace(kept, switched_at=now)
        states[cid] = replace(kept, switch_to=target)
    return switches


def _requested_at(kept: ChargerState, now: float, config: EngineConfig) -> float | None:
    """When the switch under way was asked of the box (None = not yet): a switch
    starts only switch_interval_s after the last one, so a switch asked within it is
    this one."""
    at = kept.switched_at
    if kept.switch_to is None or at is None or now - at >= config.switch_interval_s:
        return None
    return at


def _wanted(
    slot: Slot,
    site: SiteInput,
    pool: Pool,
    kept: ChargerState,
    now: float,
    config: EngineConfig,
) -> int | None:
    """The phases the box should switch to, if any: one when the car cannot get its
    three-phase minimum but can get its one-phase one, three once they have fitted
    (with the margin) for the restart window."""
    if (
        kept.switched_at is not None
        and now - kept.switched_at < config.switch_interval_s
    ):
        return None
    charger = slot.charger
    own_w = slot.target * slot.watts_per_amp
    from_grid = grid_allowed(charger, site)
    one_phase_w = slot.min_current * site.voltage
    if charger.phases == 3 and drawn_phases(3, kept.car_phases) == 3:
        left_w = pool.budget_w + pool.withheld_w
        if not from_grid:
            left_w = min(pool.steady_surplus_w, left_w)
        can_w = left_w + own_w
        return 1 if one_phase_w <= can_w < 3 * one_phase_w else None
    if charger.phases == 1:
        left_w = pool.restart_budget_w
        if not from_grid:
            left_w = min(pool.restart_surplus_w, left_w)
        needed_a = slot.min_current + config.switch_up_margin_a
        return 3 if left_w + own_w >= needed_a * site.voltage * 3 else None
    return None
