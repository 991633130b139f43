"""The grid's own limits on the live cap (SPEC §5 rule 1): §14a dimming and the
capacity tariff.

Each is a small limit on what the chargers may take now, given the site's net load
(household - solar; negative while there is a solar surplus):

- §14a EnWG dimming: while the grid operator dims, the chargers draw at most
  `limit_w` from the grid. They take the solar surplus first, so together they may
  use limit_w + the surplus.
- The capacity tariff (Belgium): the quarter-hour's average grid import ends each
  quarter at or under a target. The quarter is budgeted to end a reserve under
  it, for a household rise the sensors show late; what that leaves of the
  quarter's energy is spread over the seconds left of it, which caps the site's
  import now; never below the household's own need (the chargers then get
  nothing from the grid).

Import is counted clipped at 0 at every moment: the tariff bills the energy taken
from the grid (the meter's offtake register), and an export in the same quarter
does not offset it. Quarters follow the clock (epoch seconds % 900, the same
quarters in every time zone); the month is the local one, from the UTC offset the
caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

QUARTER_S = 900.0
# How late the household's readings may show a rise (a meter reporting every 15 s,
# read a few seconds later). The import is counted from the readings, so a rise in
# a quarter's last seconds is not counted in it and comes too late to be made up:
# each quarter keeps this long at its target in reserve, as much as a household
# that stays under the target can add unseen.
SENSOR_LAG_S = 20.0
# What a quarter has left beyond its pace is spread over at least this long, not
# spent in a burst at its end: that would start a paused car for the quarter's
# last seconds only (one more start and stop, more writes).
CATCH_UP_S = 300.0


def quarter_start(when: float) -> float:
    """The start of the clock quarter-hour `when` falls in."""
    return when - when % QUARTER_S


def month_of(when: float, utc_offset_s: float) -> int:
    """The local month of `when`, as year * 12 + month - 1."""
    local = datetime.fromtimestamp(when + utc_offset_s, UTC)
    return local.year * 12 + local.month - 1


@dataclass(frozen=True, slots=True)
class Dimming:
    """§14a: the chargers' grid import stays at or under limit_w."""

    limit_w: float

    def chargers_cap_w(self, net_w: float) -> float:
        """What all the chargers together may draw: the surplus, then limit_w."""
        return self.limit_w + max(-net_w, 0.0)


@dataclass(frozen=True, slots=True)
class QuarterPeak:
    """The quarter-hour being counted, and the month's highest quarter so far."""

    start: float | None = None  # the clock quarter counted; None = none yet
    # Counted since then: the quarter's start, or later after a (re)start, when the
    # part before is not known.
    counted_from: float = 0.0
    energy_ws: float = 0.0  # imported since counted_from, in W s
    month: int | None = None  # the month of the quarter (month_of); None = unknown
    month_peak_w: float = 0.0  # its highest quarter-hour average so far

    def advance(
        self, last: float | None, now: float, import_w: float, utc_offset_s: float
    ) -> QuarterPeak:
        """Count the interval since the last step at the import read now; a quarter
        that ended meanwhile closes, its average joining the month's peak. After a
        gap of more than a quarter (or at the first step), counting starts afresh
        now."""
        if self.start is None or last is None or not 0 <= now - last <= QUARTER_S:
            return self._begin(now, now, utc_offset_s)
        peak, since = self, max(last, self.counted_from)
        while now >= (end := (peak.start or 0.0) + QUARTER_S):
            peak = replace(peak, energy_ws=peak.energy_ws + import_w * (end - since))
            peak = peak._closed()._begin(end, end, utc_offset_s)
            since = end
        return replace(peak, energy_ws=peak.energy_ws + import_w * (now - since))

    def _begin(self, start: float, now: float, utc_offset_s: float) -> QuarterPeak:
        """Start counting the quarter of `start` from `now`; a new month starts
        with no peak."""
        month = month_of(start, utc_offset_s)
        peak_w = self.month_peak_w if month == self.month else 0.0
        return QuarterPeak(quarter_start(start), now, 0.0, month, peak_w)

    def _closed(self) -> QuarterPeak:
        """The quarter's average joins the month's peak. A quarter counted only in
        part counts its unknown part as no import: a peak too low keeps
        follow_monthly_peak's target low, the safe side."""
        return replace(
            self, month_peak_w=max(self.month_peak_w, self.energy_ws / QUARTER_S)
        )

    def average_w(self, now: float, import_w: float) -> float:
        """The average import counted so far in this quarter (the import now, when
        nothing is counted yet)."""
        if self.start is None or now <= self.counted_from:
            return import_w
        return self.energy_ws / (now - self.counted_from)


@dataclass(frozen=True, slots=True)
class CapacityTariff:
    """The quarter-hour average import ends each quarter at or under a target."""

    limit_w: float  # 0 = no limit
    follow_monthly_peak: bool = False  # raise the target to the month's peak

    def target_w(self, quarter: QuarterPeak) -> float:
        """The target in force; 0 = none."""
        if self.limit_w <= 0:
            return 0.0
        if self.follow_monthly_peak:
            return max(self.limit_w, quarter.month_peak_w)
        return self.limit_w

    def pace_w(self, quarter: QuarterPeak) -> float:
        """The steady import that ends the quarter under the target by the
        reserve for the sensors' lag; 0 = no target."""
        return self.target_w(quarter) * (1.0 - SENSOR_LAG_S / QUARTER_S)

    def import_cap_w(self, quarter: QuarterPeak, now: float) -> float | None:
        """The site's import allowed now, so that the quarter ends at or under the
        target; None = no limit. The pace, less what the quarter is behind it
        spread over the rest of the quarter, or plus what it is ahead spread over
        CATCH_UP_S at least. The part of the quarter not counted (after a start)
        is taken as at the pace."""
        pace_w = self.pace_w(quarter)
        if pace_w <= 0 or quarter.start is None:
            return None
        ahead_ws = pace_w * (now - quarter.counted_from) - quarter.energy_ws
        # > 0 once advanced to now; a second at least, should a caller not have.
        left_s = max(quarter.start + QUARTER_S - now, 1.0)
        spread_s = max(left_s, CATCH_UP_S) if ahead_ws > 0 else left_s
        return max(pace_w + ahead_ws / spread_s, 0.0)


@dataclass(frozen=True, slots=True)
class GridStatus:
    """What the grid's limits came to in one step, for the entities."""

    dimmed: bool = False
    import_w: float = 0.0  # the site's grid import read now (0 while exporting)
    # What the chargers draw from the grid now, beyond the solar surplus.
    chargers_grid_w: float = 0.0
    quarter_average_w: float = 0.0  # the quarter's average import so far
    peak_target_w: float = 0.0  # the capacity tariff's target in force; 0 = none
    month_peak_w: float = 0.0  # the month's highest quarter-hour average so far
    # What these limits leave the chargers together; None = no limit now.
    chargers_cap_w: float | None = None


def chargers_cap_w(
    net_w: float,
    dimming: Dimming | None,
    import_cap_w: float | None,
) -> float | None:
    """The most the chargers may draw together under these limits; None = no
    limit. A household that alone needs more than the import cap leaves them
    nothing from the grid (and there is no surplus then)."""
    caps: list[float] = []
    if dimming is not None:
        caps.append(dimming.chargers_cap_w(net_w))
    if import_cap_w is not None:
        caps.append(max(import_cap_w - net_w, 0.0))
    return min(caps) if caps else None
