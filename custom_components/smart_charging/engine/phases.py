"""The main fuse, per phase (SPEC §5 rule 1): on each site phase, the household's
current plus the currents of the chargers on that phase stay at or under
`main_fuse_a`.

The engine shares power; this module then checks the currents it decided phase by
phase. A charger draws on the site phases its `phase_rotation` wires it to: a
one-phase charger, or a car seen drawing on one phase, on the first of them, a car
drawing on two on the first two. Where a phase is over the fuse, the chargers on
it share it at one level of current, standard ones before premium; where that
level is under a charger's minimum, the one ranked last in the fair rotation
pauses (fit_fuse). The control step then has the engine share again what they
leave (control._fuse_passes).

The household's current per phase is what the grid connection's sensors measure
less what the chargers draw there now: what each box holds (when it changed after
the sensors reported, the lowest it held lately: they have not seen the new
value), and for a box that measures power, no more than that power shows.
Counting a charger's draw low counts the household high: the safe side. Where
that side is known too high (a car of unknown phases counts its draw spread over
all of them), the sensors themselves tell: once every phase sensor has reported,
settled, since each box last changed, and every phase was within the fuse, no box
is lowered below what it holds on a phase the count puts over the fuse with it
(keep_shown). Until a phase sensor reports again, its count stands: the boxes'
writes since are not in what it showed (control._counted_household).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
import math

from .equal_share import equal_level
from .model import ChargerDecision, Decision, Status

# `phase_rotation`: which site phases a charger's L1, L2, L3 are wired to.
ROTATIONS = ("L1L2L3", "L2L3L1", "L3L1L2")
DEFAULT_ROTATION = ROTATIONS[0]
SITE_PHASES = 3
# Loads are sums of floats: a phase this little over is not over.
_EPS = 1e-6

type PhaseCurrents = tuple[float, float, float]


def site_phases(rotation: str, phases: int) -> tuple[int, ...]:
    """The site phases (0 = L1) a charger drawing on `phases` phases draws on: the
    first ones its rotation wires it to. An unknown rotation counts as L1L2L3."""
    start = ROTATIONS.index(rotation) if rotation in ROTATIONS else 0
    count = min(max(phases, 1), SITE_PHASES)
    return tuple((start + k) % SITE_PHASES for k in range(count))


@dataclass(frozen=True, slots=True)
class Draw:
    """What a charger draws now, per phase, on which site phases."""

    phases: tuple[int, ...]
    amps: float


def household_currents(measured: PhaseCurrents, draws: Iterable[Draw]) -> PhaseCurrents:
    """The household's current on each site phase: measured less the chargers."""
    household = list(measured)
    for draw in draws:
        for phase in draw.phases:
            household[phase] -= draw.amps
    return household[0], household[1], household[2]


@dataclass(frozen=True, slots=True)
class PhaseCharger:
    """A charger as the fuse sees it."""

    id: str
    phases: tuple[int, ...]  # the site phases it draws on
    current: int  # decided
    min_current: int  # the lowest current it may be given above 0
    premium: bool = False
    # Amps it may draw whatever is decided (a failing box keeps what it holds, one
    # that cannot pause its floor): lowering it below this frees nothing.
    held: int = 0
    # Amps the fuse leaves it at the least: what it holds, where the sensors
    # showed its phases within the fuse with it and the count does not
    # (keep_shown).
    keep: int = 0
    # Its place in the fair rotation (slot.served_rank): where a phase cannot
    # give all its chargers their minimum, the one ranked last pauses first.
    rank: float = 0.0


def phase_loads(
    household_a: PhaseCurrents,
    chargers: Sequence[PhaseCharger],
    currents: Mapping[str, int] | None = None,
) -> list[float]:
    """Each site phase's current with these chargers' currents (theirs as decided,
    unless given in `currents`)."""
    loads = list(household_a)
    for charger in chargers:
        amps = charger.current if currents is None else currents[charger.id]
        for phase in charger.phases:
            loads[phase] += max(amps, charger.held)
    return loads


def fit_fuse(
    fuse_a: float, household_a: PhaseCurrents, chargers: Sequence[PhaseCharger]
) -> dict[str, int]:
    """The chargers to lower so that every phase fits the fuse, with their new
    currents (whole amps: 0 or at least their minimum).

    The most loaded phase over the fuse is shared by the chargers on it at one
    level of current: a phase's amps are what is scarce there, whatever phases
    each of them draws on (a level of power would give a three-phase car a third
    of a one-phase car's amps, and leave the phases it has room on unused).
    Standard ones share first, premium ones only once no standard one can go
    lower (shared_level). Each pass only lowers, so a phase that fits stays
    within the fuse. A phase the household alone (with what failing boxes hold)
    puts over the fuse is left with all its chargers at 0."""
    currents = {charger.id: charger.current for charger in chargers}
    lowered: dict[str, int] = {}
    while True:
        loads = phase_loads(household_a, chargers, currents)
        tier: list[PhaseCharger] = []
        for phase in sorted(range(SITE_PHASES), key=lambda p: -loads[p]):
            if loads[phase] <= fuse_a + _EPS:
                return lowered
            movable = [
                c
                for c in chargers
                if phase in c.phases and currents[c.id] > max(c.held, c.keep)
            ]
            if movable:
                tier = [c for c in movable if not c.premium] or movable
                break
        if not tier:
            return lowered
        room = fuse_a - loads[phase] + sum(currents[c.id] for c in tier)
        for cid, amps in shared_level(tier, currents, room).items():
            currents[cid] = lowered[cid] = amps


def shared_level(
    tier: Sequence[PhaseCharger], currents: Mapping[str, int], room_a: float
) -> dict[str, int]:
    """The chargers of `tier` to lower so that together they take at most
    `room_a` on the phase they share, with their new currents: each at one
    level, or at its current if lower, never below what it holds or keeps.
    Whole amps: what rounding down leaves goes one amp at a time to the best
    ranked. Where the level is under a charger's minimum, the one ranked last
    (the most served, then the most current, then by id) is paused instead, the
    others left as they are: the caller finds the level again without it."""
    floors = [max(c.held, c.keep) for c in tier]
    wants = [currents[c.id] for c in tier]
    level = 0.0
    if room_a > sum(floors):
        level = equal_level(
            [float(f) for f in floors], [float(w) for w in wants], room_a
        )
    amps = {
        c.id: max(min(want, math.floor(level + _EPS)), floor)
        for c, want, floor in zip(tier, wants, floors, strict=True)
    }
    spare = math.floor(room_a - sum(amps.values()) + _EPS)
    for charger in sorted(tier, key=lambda c: (c.rank, c.id)):
        if spare <= 0:
            break
        if amps[charger.id] < currents[charger.id]:
            amps[charger.id] += 1
            spare -= 1
    short = [c for c in tier if amps[c.id] < c.min_current]
    if short:
        last = max(short, key=lambda c: (c.rank, currents[c.id], c.id))
        return {last.id: 0}
    return {cid: a for cid, a in amps.items() if a < currents[cid]}


def keep_shown(
    fuse_a: float,
    household_a: PhaseCurrents,
    chargers: Sequence[PhaseCharger],
    holding: Mapping[str, int],
) -> list[PhaseCharger]:
    """The chargers, once the sensors showed every phase within the fuse with
    what the boxes hold (`holding`): each keeps that on a phase the household
    counted puts over the fuse with it, since there the count is too high (a car
    of unknown phases counts its draw spread over all of them), not the load.
    Where the count agrees with the sensors, a charger may go below what it
    holds, for another one on its phase."""
    loads = phase_loads(household_a, chargers, holding)
    high = {p for p, load in enumerate(loads) if load > fuse_a + _EPS}
    return [
        replace(c, keep=holding[c.id]) if high.intersection(c.phases) else c
        for c in chargers
    ]


def apply_limits(
    decision: Decision,
    lowered: Mapping[str, int],
    held: Mapping[str, int | None],
) -> Decision:
    """The decision with these chargers lowered: a charger paused by the fuse is
    `paused_by_cap` (in failsafe or error it keeps that status); its power follows
    its current; the writes are ordered again, decreases first. `held` is the
    current each box holds (None = unknown)."""
    if not lowered:
        return decision
    chargers = dict(decision.chargers)
    for cid, amps in lowered.items():
        old = chargers[cid]
        status = old.status
        if amps == 0 and status is Status.CHARGING:
            status = Status.PAUSED_BY_CAP
        per_amp = old.power_w / old.current if old.current else 0.0
        last = held.get(cid)
        chargers[cid] = ChargerDecision(
            cid, amps, status, amps * per_amp, last is None or amps != last, old.phases
        )
    return replace(decision, chargers=chargers, write_order=write_order(chargers, held))


def write_order(
    chargers: Mapping[str, ChargerDecision], held: Mapping[str, int | None]
) -> tuple[str, ...]:
    """The chargers to write: decreases (and boxes whose setpoint is unknown)
    first, the largest first, then increases, the largest first; as the engine
    orders them (setpoints._write_order)."""
    decreases: list[tuple[int, str]] = []
    increases: list[tuple[int, str]] = []
    for cid, decided in chargers.items():
        if not decided.write or decided.current is None:
            continue
        last = held.get(cid)
        step = decided.current - (last or 0)
        (decreases if last is None or step < 0 else increases).append((step, cid))
    return (
        *(cid for _, cid in sorted(decreases)),
        *(cid for _, cid in sorted(increases, reverse=True)),
    )
