"""Tells a household sensor that wrongly includes the chargers.

Such a sensor rises when a charger is raised and falls when it is lowered, so the
budget shrinks with every start and the cars start and stop in a loop. The check
watches each larger change of the chargers' commanded power and whether the
household reading then moves by about as much, the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MIN_STEP_W = 1000.0  # smaller steps drown in the household's own noise
WINDOW_S = 30.0  # a sensor that includes the chargers shows a step by then
TOLERANCE = 0.3  # "about as much": within this share of the step
HITS_NEEDED = 3


@dataclass(frozen=True, slots=True)
class _Step:
    since: float  # when the chargers' power changed
    household_w: float  # the household reading just before
    step_w: float  # by how much the chargers' power changed


@dataclass(frozen=True, slots=True)
class DoubleCountCheck:
    """Counts the chargers' power steps the household reading followed, or not."""

    hits: int = 0
    misses: int = 0
    last_chargers_w: float | None = None
    pending: _Step | None = None

    def update(
        self, now: float, household_w: float, chargers_w: float
    ) -> DoubleCountCheck:
        """Feed one step: the household as read before this step's writes and the
        chargers' power after them."""
        hits, misses, pending = self.hits, self.misses, self.pending
        if pending is not None:
            moved_w = household_w - pending.household_w
            if abs(moved_w - pending.step_w) <= TOLERANCE * abs(pending.step_w):
                hits, pending = hits + 1, None
            elif now - pending.since > WINDOW_S:
                misses, pending = misses + 1, None
        last = self.last_chargers_w
        if last is not None and abs(chargers_w - last) >= MIN_STEP_W:
            if pending is not None:
                misses += 1  # not followed before the chargers moved again
            pending = _Step(now, household_w, chargers_w - last)
        return replace(
            self,
            hits=hits,
            misses=misses,
            last_chargers_w=chargers_w,
            pending=pending,
        )

    @property
    def suspected(self) -> bool:
        """Enough steps were followed, and far more than were not."""
        return self.hits >= HITS_NEEDED and self.hits > 2 * self.misses
