"""What the coordinator needs of a wallbox, whatever talks to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class BackendError(Exception):
    """A wallbox did not take a command or could not be read."""


@dataclass(frozen=True, slots=True)
class ChargerReading:
    """What a wallbox says of itself; None where it cannot tell."""

    connected: bool | None = None
    charging: bool | None = None
    power_w: float | None = None
    # The current the box holds now, where it can tell (0 = paused).
    setpoint: int | None = None
    # The currents the box accepts, where it tells (an entity's min and max).
    accepts: tuple[int, int] | None = None
    # The last write was taken but the box does not show it: a failed write.
    unconfirmed: str | None = None
    # The phases a box that can switch is switched to (1 or 3); None where it
    # cannot switch or its switch does not tell now.
    phases: int | None = None


class ChargerBackend(Protocol):
    """One wallbox. Every call is bounded in time and raises only BackendError."""

    @property
    def can_pause(self) -> bool:
        """False when 0 A is not accepted and pausing falls back to the minimum."""

    @property
    def measures_power(self) -> bool:
        """Whether the box has a power reading (a sensor or a register)."""

    @property
    def pending(self) -> bool:
        """The last write was taken but is not shown yet: the next read tells
        (ChargerReading.unconfirmed)."""

    async def async_set_current(self, current: int) -> int:
        """Command `current` amps (0 pauses); returns the current the box holds,
        which is more than asked when it cannot pause."""

    async def async_read(self) -> ChargerReading:
        """Read vehicle state and power."""

    async def async_set_phases(self, phases: int) -> bool:
        """Switch a paused box to 1 or 3 phases; True when it shows them already
        (otherwise the next read tells: ChargerReading.phases)."""

    async def async_keep_alive(self) -> None:
        """Refresh the setpoint or heartbeat before the box's own failsafe timeout."""

    async def async_close(self) -> None:
        """Release connections."""
