"""A charger being allocated: its limits, its place in line and its share so far."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import math
from operator import attrgetter

from .limits import MIN_CHARGE_CURRENT, drawn_phases
from .model import ChargerInput, ChargerState, EngineConfig, Mode, Profile, SiteInput


# Mutable: the fill hands its share out step by step (and it is the hot loop).
@dataclass(slots=True, eq=False)
class Slot:
    """A charger being allocated: its limits in amps and watts, and its share so far."""

    charger: ChargerInput
    watts_per_amp: float
    min_current: int
    ceiling: int
    # Its place in line (fair rotation, see in_rank_order): seconds served, less a
    # rotation period while charging,
    served_rank: float
    charging: int  # and 1 while charging (on a tie, waiting ones go first)
    full: bool = False  # its car took nothing when offered power: served last
    target: int = 0
    capped: bool = False  # paused because the budget could not fit its minimum
    follows: bool = False  # its top-up follows the (averaged) surplus
    # Started less than EngineConfig.min_on_s ago: keeps its minimum against the
    # fair rotation.
    protected: bool = False

    @property
    def fits(self) -> bool:
        """Whether a current exists between its minimum and its ceiling."""
        return self.ceiling >= self.min_current

    @property
    def min_w(self) -> float:
        return self.min_current * self.watts_per_amp

    @property
    def may_hold(self) -> bool:
        """Whether its box may hold a current now (not known to be paused): what a
        decrease-only step, which starts nobody, may still give it."""
        return self.charger.last_command != 0

    @property
    def ceiling_w(self) -> float:
        return self.ceiling * self.watts_per_amp


def make_slots(
    chargers: Sequence[ChargerInput],
    site: SiteInput,
    states: Mapping[str, ChargerState],
    now: float,
    config: EngineConfig,
) -> dict[str, Slot]:
    """A slot for every charger that may charge now (enabled, plugged in, not off)."""
    return {
        charger.id: make_slot(charger, site, states[charger.id], now, config)
        for charger in chargers
        if charger.enabled and charger.connected and charger.mode is not Mode.OFF
    }


def make_slot(
    charger: ChargerInput,
    site: SiteInput,
    state: ChargerState,
    now: float,
    config: EngineConfig,
) -> Slot:
    watts_per_amp = site.voltage * drawn_phases(charger.phases, state.car_phases)
    ceiling = charger.max_current
    if charger.ceiling is not None and charger.ceiling < ceiling:
        ceiling = charger.ceiling
    if charger.profile is Profile.STANDARD and site.standard_max_w > 0:
        ceiling = min(ceiling, math.floor(site.standard_max_w / watts_per_amp + 1e-9))
    demand = state.demand
    min_current = max(charger.min_current, MIN_CHARGE_CURRENT)
    if demand.cap is not None:
        # What the car takes, but never below a current the box can offer.
        ceiling = min(ceiling, max(demand.cap, min_current))
    charging = 1 if charger.last_command else 0
    return Slot(
        charger,
        watts_per_amp,
        min_current,
        max(ceiling, 0),
        served_rank(state, bool(charging), config),
        charging,
        demand.full_since is not None,  # full
        protected=charging == 1
        and state.charging_since is not None
        and now - state.charging_since < config.min_on_s,
    )


def served_rank(state: ChargerState, charging: bool, config: EngineConfig) -> float:
    """A charger's place in the fair rotation (lowest first): seconds served, less
    a rotation period while charging, so a full site rotates instead of starving
    anyone."""
    return state.served_s - config.rotation_period_s if charging else state.served_s


_BY_ID = attrgetter("charger.id")
_BY_CHARGING = attrgetter("charging")
_BY_SERVED = attrgetter("served_rank")


def in_rank_order(slots: Iterable[Slot]) -> list[Slot]:
    """The slots in fair rotation order: by served_rank, then charging, then the
    charger's id (the order of those tuples).

    Sorted one key at a time, the last one first (a sort keeps the order of the one
    before on ties): floats, ints and strings compare faster than tuples, and no
    tuple is built for each slot."""
    ranked = sorted(slots, key=_BY_ID)
    ranked.sort(key=_BY_CHARGING)
    ranked.sort(key=_BY_SERVED)
    return ranked


def takes_grid(charger: ChargerInput, offpeak: bool) -> bool:
    """Whether the mode allows power from the grid beyond the minimum."""
    return charger.mode is Mode.FAST or (charger.mode is Mode.OFF_PEAK and offpeak)


def planned(charger: ChargerInput) -> bool:
    """Whether a `smart` charger's plan gives it power from the grid now; without,
    it takes only solar surplus, as `solar` does."""
    return charger.mode is Mode.SMART and (charger.plan_w or 0.0) > 0.0


def planned_current(slot: Slot) -> int:
    """The whole amps that give a planned car at least its planned power, within
    its minimum and ceiling."""
    plan_w = slot.charger.plan_w or 0.0
    amps = math.ceil(plan_w / slot.watts_per_amp - 1e-9)
    return max(min(amps, slot.ceiling), slot.min_current)
