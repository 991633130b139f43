"""From the allocated targets to what is written: the dead-bands and the write order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import math

from .model import ChargerDecision, ChargerInput, EngineConfig, Mode, SiteInput, Status
from .slot import Slot, in_rank_order, takes_grid


@dataclass(frozen=True, slots=True)
class Setpoints:
    """What to do with every charger, and in which order to write."""

    chargers: dict[str, ChargerDecision]
    write_order: tuple[str, ...]  # decreases first, then increases


def choose_setpoints(
    chargers: Sequence[ChargerInput],
    slots: Mapping[str, Slot],
    site: SiteInput,
    budget: float,
    rise_budget: float,
    *,
    allow_increase: bool,
    config: EngineConfig,
) -> Setpoints:
    """Each charger's setpoint: its target, unless a dead-band, a step that may only
    lower currents or the rise budget (a jittering meter's low reading not yet
    believed) holds it back. `budget` may be below zero."""
    decisions: dict[str, ChargerDecision] = {}
    # The ids of the writes by step; a box whose setpoint is unknown goes with the
    # decreases.
    decreases: defaultdict[int, list[str]] = defaultdict(list)
    increases: defaultdict[int, list[str]] = defaultdict(list)
    held: list[Slot] = []  # surplus top-ups lowered within the dead-band
    # Budget left over by the allocation, for rises to a ceiling inside the dead-band.
    spare_w = budget - sum(s.target * s.watts_per_amp for s in slots.values())
    rise_room_w = _rise_room(slots, rise_budget)
    for charger in chargers:
        if not charger.enabled:
            decisions[charger.id] = ChargerDecision(
                charger.id, None, Status.OFF, 0.0, write=False
            )
            continue
        slot = slots.get(charger.id)
        last = charger.last_command
        if slot is None:
            current = 0
            status = Status.OFF if charger.connected else Status.DISCONNECTED
        else:
            current = slot.target
            if last is not None and current > last:
                current, spare_w = _rise(slot, last, spare_w, allow_increase, config)
                current, rise_room_w = _within_rise_room(
                    slot, last, current, rise_room_w, config
                )
            elif slot.follows and _fell_within_band(slot, last, config):
                held.append(slot)
            status = slot_status(slot, current, site)
        write = last is None or current != last
        per_amp = site.voltage * charger.phases if slot is None else slot.watts_per_amp
        decisions[charger.id] = ChargerDecision(
            charger.id, current, status, current * per_amp, write
        )
        if write:
            step = current - (last or 0)
            (decreases if last is None or step < 0 else increases)[step].append(
                charger.id
            )
    kept: set[str] = set()
    if held and not any(s.capped for s in slots.values()):
        room_w = budget - sum(d.power_w for d in decisions.values())
        unchanged = _hold_small_decreases(held, room_w, decisions, site)
        decisions.update(unchanged)
        kept = set(unchanged)
    return Setpoints(decisions, _write_order(decreases, increases, kept))


def _rise(
    slot: Slot, last: int, spare_w: float, allow_increase: bool, config: EngineConfig
) -> tuple[int, float]:
    """The current to command when the target is above the box's setpoint, and the
    spare budget it leaves for the next ones."""
    current = slot.target
    # A top-up following the surplus has its own dead-band: the surplus moves both
    # ways, and a wider band for increases than for the decreases would ratchet it
    # below the surplus under noise.
    band = config.surplus_deadband_a if slot.follows else config.deadband_a
    # A rise to the ceiling inside the dead-band is written when the budget has room
    # for the whole band, as if there were no ceiling: with room to spare a charger
    # would else sit below its maximum, and a budget hovering at the ceiling still
    # does not flood the box. Each such rise uses that room up.
    room_w = (last + band - current) * slot.watts_per_amp
    to_ceiling = current == slot.ceiling and not slot.follows and spare_w >= room_w
    if not allow_increase or (last > 0 and current - last < band and not to_ceiling):
        # Hold the box where it is: increases wait for a regular cycle, and a move
        # inside the dead-band is not worth a write. A held setpoint must still be
        # valid (last < current <= ceiling: only the minimum can fail).
        return (last if last >= slot.min_current else 0), spare_w
    if to_ceiling and current - last < band:
        spare_w -= room_w
    return current, spare_w


def _rise_room(slots: Mapping[str, Slot], rise_budget: float) -> float:
    """What the rises may take: the rise budget less every box at the lower of its
    target and its setpoint."""
    return rise_budget - sum(
        min(s.target, s.charger.last_command or 0) * s.watts_per_amp
        for s in slots.values()
    )


def _within_rise_room(
    slot: Slot, last: int, current: int, room_w: float, config: EngineConfig
) -> tuple[int, float]:
    """A rise cut to the room the rise budget leaves (on a meter that does not
    jitter, all of it): held where the cut rise would not start the car or is
    inside the dead-band. Returns the current and the room left."""
    if current <= last:
        return current, room_w
    fits = last + math.floor(max(room_w, 0.0) / slot.watts_per_amp + 1e-9)
    if fits < current:
        too_small = fits < slot.min_current or (
            last > 0 and fits - last < config.deadband_a
        )
        current = last if too_small else fits
    return current, room_w - (current - last) * slot.watts_per_amp


def _fell_within_band(slot: Slot, last: int | None, config: EngineConfig) -> bool:
    """Whether the target is below the box's setpoint by less than the surplus
    dead-band, and still a valid current."""
    return (
        last is not None
        and slot.target >= slot.min_current
        and slot.target < last <= slot.ceiling
        and last - slot.target < config.surplus_deadband_a
    )


def _hold_small_decreases(
    held: list[Slot],
    room_w: float,
    decisions: Mapping[str, ChargerDecision],
    site: SiteInput,
) -> dict[str, ChargerDecision]:
    """Keep surplus top-ups that fell by less than the dead-band where they are, as
    far as the budget of now leaves room (`room_w`): a decrease the cap needs is never
    held, nor one while a charger is paused by the cap. Returns the decisions of the
    ones kept."""
    kept: dict[str, ChargerDecision] = {}
    for slot in in_rank_order(held):
        charger = slot.charger
        last = charger.last_command or 0
        extra = (last - slot.target) * slot.watts_per_amp
        if extra <= room_w + 1e-6:
            room_w -= extra
            kept[charger.id] = ChargerDecision(
                charger.id,
                last,
                decisions[charger.id].status,
                last * slot.watts_per_amp,
                write=False,
            )
    return kept


def _write_order(
    decreases: Mapping[int, list[str]],
    increases: Mapping[int, list[str]],
    kept: set[str],
) -> tuple[str, ...]:
    """Decreases first, the largest first, then increases, the largest first (ties
    by id); none of the decreases kept back."""
    order: list[str] = []
    for step in sorted(decreases):
        order += sorted(cid for cid in decreases[step] if cid not in kept)
    for step in sorted(increases, reverse=True):
        order += sorted(increases[step], reverse=True)
    return tuple(order)


# What a charger paused by its mode (not by the cap) waits for.
WAITING = {Mode.OFF_PEAK: Status.WAITING_FOR_OFF_PEAK, Mode.SMART: Status.SCHEDULED}


def slot_status(slot: Slot, current: int, site: SiteInput) -> Status:
    """Why the charger gets what it gets."""
    charger = slot.charger
    if not site.inputs_usable:
        return Status.FAILSAFE
    if charger.error:
        return Status.ERROR
    if current > 0:
        return Status.CHARGING
    if slot.capped or not slot.fits or takes_grid(charger, site.offpeak):
        return Status.PAUSED_BY_CAP
    return WAITING.get(charger.mode, Status.WAITING_FOR_SOLAR)
