"""Switching boxes between one and three phases (SPEC §5 rules 6, 7 and 9).

The engine pauses a box first and then asks for the switch; it is made only while
the box is known to hold 0 A. A switch counts only when the box shows the new
phases, at once or by the next read; one that fails or does not follow is retried
on a back-off, the charger's status is `error`, and a repair issue tells if it
lasts.
"""

from __future__ import annotations

from dataclasses import replace

from .const import LOGGER, REPAIR_AFTER_S
from .repairs import Repairs
from .runtime import ChargerRuntime
from .wallbox import ChargerReading


class PhaseSwitches:
    """Switches a site's boxes and follows whether they did."""

    def __init__(self, repairs: Repairs) -> None:
        self._repairs = repairs

    def follow(
        self, charger: ChargerRuntime, reading: ChargerReading, now: float
    ) -> None:
        """A switch asked and not shown then: shown now, or failed."""
        wanted = charger.link.phase_switch.switching_to
        if wanted is None:
            return
        if reading.phases == wanted:
            self._taken(charger, wanted)
        else:
            error = f"the phase switch does not show {wanted} phases"
            self._failed(charger, wanted, error, now)

    async def async_switch(
        self, charger: ChargerRuntime, phases: int, now: float
    ) -> None:
        """Switch the box to `phases`, only while it is known to hold 0 A (rule 7)
        and not before the back-off of a failed switch is over."""
        link = charger.link
        if (
            link.holding.current != 0
            or link.attempted is not None
            or charger.backend.pending
            or link.phase_switch.switching_to is not None
            or now < link.phase_switch.retry_at
        ):
            return
        try:
            shown = await charger.backend.async_set_phases(phases)
        except Exception as err:  # any failure is the box's error
            self._failed(charger, phases, str(err) or type(err).__name__, now)
            return
        LOGGER.info("%s switched to %s phases", charger.name, phases)
        if shown:
            self._taken(charger, phases)
        else:
            link.phase_switch.switching_to = phases  # the next read tells

    def _taken(self, charger: ChargerRuntime, phases: int) -> None:
        """The box shows the phases asked."""
        if charger.link.phase_switch.failing_since is not None:
            self._repairs.clear_issue("phase_switch_failed", charger.id)
        charger.link.phase_switch.record_success()
        charger.reading = replace(charger.reading, phases=phases)

    def _failed(
        self, charger: ChargerRuntime, phases: int, error: str, now: float
    ) -> None:
        switch = charger.link.phase_switch
        switch.record_failure(error, now)
        log = LOGGER.warning if switch.failures == 1 else LOGGER.debug
        log("Switching %s to %s phases failed: %s", charger.name, phases, error)
        if now - (switch.failing_since or now) >= REPAIR_AFTER_S:
            self._repairs.raise_issue(
                "phase_switch_failed",
                {"charger": charger.name, "error": error},
                charger.id,
            )
