"""The main fuse, per phase (SPEC §5 rule 1): on each site phase, the household's
current plus the currents of the chargers on that phase stay at or under
`main_fuse_a`.

The engine shares power; this module then checks the currents it decided phase by
phase. A charger draws on the site phases its `phase_rotation` wires it to: a
one-phase charger, or a car seen drawing on one phase, on the first of them, a car
drawing on two on the first two. Where a phase is over the fuse, the chargers on
it are lowered, the lowest priority first (standard before premium, then the one
with the most current), each to a current it can take (at least its minimum) or
to 0, until every phase fits.

The household's current per phase is what the grid connection's sensors measure
less what the chargers draw there now: what each box holds (when it changed after
the sensors reported, the lowest it held lately: they have not seen the new
value), and for a box that measures power, no more than that power shows.
Counting a charger's draw low counts the household high: the safe side. Where
that side is known too high (a car of unknown phases counts its draw spread over
all of them), the sensors themselves tell: once every phase sensor has reported,
settled, since each box last changed, and every phase was within the fuse, no box
is lowered below what it holds for the fuse (`PhaseCharger.keep`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
import math

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
    # Amps the fuse leaves it at the least: what it holds, once the sensors showed
    # every phase within the fuse with it.
    keep: int = 0


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

    One at a time, the lowest priority of those on a phase over the fuse (standard
    before premium, then the most current, then by id) goes down by as much as its
    worst phase is over, or to 0 when that leaves less than its minimum. Its phases
    then fit, and lowering others only lowers them further: each charger moves at
    most once. A phase the household alone (with what failing boxes hold) puts over
    the fuse is left with all its chargers at 0."""
    currents = {charger.id: charger.current for charger in chargers}
    lowered: dict[str, int] = {}
    while True:
        loads = phase_loads(household_a, chargers, currents)
        over = {
            p: load - fuse_a for p, load in enumerate(loads) if load > fuse_a + _EPS
        }
        candidates = [
            charger
            for charger in chargers
            if currents[charger.id] > max(charger.held, charger.keep)
            and any(phase in over for phase in charger.phases)
        ]
        if not candidates:
            return lowered
        charger = min(candidates, key=lambda c: (c.premium, -currents[c.id], c.id))
        excess = max(over[p] for p in charger.phases if p in over)
        amps = max(math.floor(currents[charger.id] - excess + _EPS), charger.keep)
        if amps < charger.min_current:
            amps = 0
        currents[charger.id] = lowered[charger.id] = amps


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
