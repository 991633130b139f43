"""A charger being allocated: its limits, its place in line and its share so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import math

from .limits import MIN_CHARGE_CURRENT
from .model import ChargerInput, ChargerState, EngineConfig, Mode, Profile, SiteInput


# Mutable: the fill hands its share out step by step (and it is the hot loop).
@dataclass(slots=True, eq=False)
class Slot:
    """A charger being allocated: its limits in amps and watts, and its share so far."""

    charger: ChargerInput
    watts_per_amp: float
    min_current: int
    ceiling: int
    rank: tuple[float, int, str]
    full: bool = False  # its car took nothing when offered power: served last
    target: int = 0
    capped: bool = False  # paused because the budget could not fit its minimum
    follows: bool = False  # its top-up follows the (averaged) surplus

    @property
    def fits(self) -> bool:
        """Whether a current exists between its minimum and its ceiling."""
        return self.ceiling >= self.min_current

    @property
    def min_w(self) -> float:
        return self.min_current * self.watts_per_amp

    @property
    def ceiling_w(self) -> float:
        return self.ceiling * self.watts_per_amp


def make_slots(
    chargers: Sequence[ChargerInput],
    site: SiteInput,
    states: Mapping[str, ChargerState],
    config: EngineConfig,
) -> dict[str, Slot]:
    """A slot for every charger that may charge now (enabled, plugged in, not off)."""
    slots: dict[str, Slot] = {}
    for charger in chargers:
        if charger.enabled and charger.connected and charger.mode is not Mode.OFF:
            slots[charger.id] = make_slot(charger, site, states[charger.id], config)
    return slots


def make_slot(
    charger: ChargerInput, site: SiteInput, state: ChargerState, config: EngineConfig
) -> Slot:
    watts_per_amp = site.voltage * charger.phases
    ceiling = charger.max_current
    if charger.ceiling is not None:
        ceiling = min(ceiling, charger.ceiling)
    if charger.profile is Profile.STANDARD and site.standard_max_w > 0:
        ceiling = min(ceiling, math.floor(site.standard_max_w / watts_per_amp + 1e-9))
    demand = state.demand
    min_current = max(charger.min_current, MIN_CHARGE_CURRENT)
    if demand.cap is not None:
        # What the car takes, but never below a current the box can offer.
        ceiling = min(ceiling, max(demand.cap, min_current))
    charging = bool(charger.last_command)
    # Least served first; a charging one keeps its place until it is a rotation
    # period ahead of a waiting one, so a full site rotates instead of starving anyone.
    rank = (
        state.served_s - (config.rotation_period_s if charging else 0.0),
        int(charging),
        charger.id,
    )
    return Slot(
        charger,
        watts_per_amp,
        min_current,
        max(ceiling, 0),
        rank,
        full=demand.full_since is not None,
    )


def by_rank(slot: Slot) -> tuple[float, int, str]:
    """Sort key: fair rotation order."""
    return slot.rank


def takes_grid(charger: ChargerInput, offpeak: bool) -> bool:
    """Whether the mode allows power from the grid beyond the minimum."""
    return charger.mode is Mode.FAST or (charger.mode is Mode.OFF_PEAK and offpeak)
