"""Tells a household sensor that wrongly includes the chargers.

Such a sensor rises when a charger is raised and falls when it is lowered, so the
budget shrinks with every start and the cars start and stop in a loop. The check
watches each larger change of the chargers' commanded power and whether the
household reading then moves by about as much, the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Step:
    since: float  # when the chargers' power changed
    household_w: float  # the household reading just before
    step_w: float  # by how much the chargers' power changed


@dataclass(slots=True)
class DoubleCountCheck:
    """Counts the household readings that followed the chargers' power steps."""

    min_step_w: float = 1000.0  # smaller steps drown in the household's own noise
    window_s: float = 30.0  # a sensor that includes the chargers shows them by then
    tolerance: float = 0.3  # "about as much": within this share of the step
    hits_needed: int = 3
    hits: int = 0
    misses: int = 0
    _last_chargers_w: float | None = None
    _pending: _Step | None = None

    def update(self, now: float, household_w: float, chargers_w: float) -> bool:
        """Feed one step: the household as read before this step's writes and the
        chargers' power after them. True once the sensor looks like it includes
        the chargers."""
        pending = self._pending
        if pending is not None:
            moved_w = household_w - pending.household_w
            if abs(moved_w - pending.step_w) <= self.tolerance * abs(pending.step_w):
                self.hits += 1
                self._pending = None
            elif now - pending.since > self.window_s:
                self.misses += 1
                self._pending = None
        last = self._last_chargers_w
        if last is not None and abs(chargers_w - last) >= self.min_step_w:
            if self._pending is not None:
                self.misses += 1  # not followed before the chargers moved again
            self._pending = _Step(now, household_w, chargers_w - last)
        self._last_chargers_w = chargers_w
        return self.suspected

    @property
    def suspected(self) -> bool:
        """Enough steps were followed, and far more than were not."""
        return self.hits >= self.hits_needed and self.hits > 2 * self.misses
