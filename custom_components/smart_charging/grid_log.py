"""The record of §14a dimming periods, as a site owner must be able to show it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .engine.grid_limits import GridStatus

PERIODS_KEPT = 50


@dataclass(slots=True)
class DimmingPeriod:
    """One dimming period: when, and what the chargers drew from the grid."""

    start: float
    end: float | None = None  # None while it lasts
    last: float = 0.0  # counted up to then
    energy_ws: float = 0.0  # the chargers' grid import, counted
    max_w: float | None = None  # None: no interval counted yet

    def add(self, now: float, chargers_grid_w: float) -> None:
        """The interval since the last step, at what the chargers draw now (as
        the control step counts energy)."""
        self.energy_ws += chargers_grid_w * max(now - self.last, 0.0)
        self.max_w = max(self.max_w or 0.0, chargers_grid_w)
        self.last = now

    def as_dict(self) -> dict[str, Any]:
        span = self.last - self.start
        return {
            "start": _iso(self.start),
            "end": None if self.end is None else _iso(self.end),
            "chargers_grid_max_kw": (
                None if self.max_w is None else round(self.max_w / 1000, 3)
            ),
            "chargers_grid_average_kw": (
                round(self.energy_ws / span / 1000, 3) if span > 0 else None
            ),
        }


class DimmingLog:
    """The last dimming periods. The step that starts a period shows what the
    chargers drew before it, so its first interval counted is the next one."""

    def __init__(self) -> None:
        self.periods: deque[DimmingPeriod] = deque(maxlen=PERIODS_KEPT)
        self._open: DimmingPeriod | None = None

    def record(self, grid: GridStatus, now: float) -> None:
        """Follow one step."""
        period = self._open
        if period is None:
            if grid.dimmed:
                self._open = DimmingPeriod(start=now, last=now)
                self.periods.append(self._open)
            return
        period.add(now, grid.chargers_grid_w)
        if not grid.dimmed:
            period.end, self._open = now, None

    def as_list(self) -> list[dict[str, Any]]:
        return [period.as_dict() for period in self.periods]


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat()
