"""Talking to the wallboxes: reading them, writing with back-off, keep-alives;
switching their phases (phase_switch.py).

A write counts only when the box takes it and shows it (SPEC §5 rules 6 and 9):
a write that fails or is not shown is retried on a back-off, and what the box may
still hold stays counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace

from homeassistant.util.async_ import create_eager_task

from .const import LOGGER, REPAIR_AFTER_S
from .engine.control import StepResult, held_above
from .phase_switch import PhaseSwitches
from .repairs import Repairs
from .runtime import ChargerRuntime
from .wallbox import ChargerReading

READ_TIMEOUT_S = 10.0


class Boxes:
    """Reads and writes a site's boxes."""

    def __init__(self, repairs: Repairs, voltage: float) -> None:
        self._repairs = repairs
        self._voltage = voltage
        self._phases = PhaseSwitches(repairs)

    def _watts_per_amp(self, charger: ChargerRuntime) -> float:
        return self._voltage * charger.phases

    async def async_read(self, chargers: Iterable[ChargerRuntime], now: float) -> None:
        """Read every box at once; one that does not answer is an error.

        Eager tasks: a box read from Home Assistant's states is done without
        waiting, so hundreds of them cost no trip through the event loop each."""
        await asyncio.gather(
            *(create_eager_task(self._async_read(c, now)) for c in chargers)
        )

    async def _async_read(self, charger: ChargerRuntime, now: float) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                reading = await charger.backend.async_read()
        except Exception as err:  # a box that cannot be read is an error
            if charger.link.read_error is None:
                LOGGER.warning("%s does not answer: %s", charger.name, err)
            charger.lose_reading(str(err) or type(err).__name__)
            return
        if charger.link.read_error is not None:
            LOGGER.info("%s answers again", charger.name)
            charger.link.read_error = None
        self._follow_setpoint(charger, reading, now)
        self._phases.follow(charger, reading, now)
        charger.take_reading(reading, self._voltage, now)

    def _follow_setpoint(
        self, charger: ChargerRuntime, reading: ChargerReading, now: float
    ) -> None:
        """What the box shows of its setpoint."""
        link = charger.link
        if reading.unconfirmed is not None:
            wanted = link.attempted
            if wanted is None:
                wanted = link.holding.current or 0
            self._write_failed(charger, wanted, reading.unconfirmed, now)
            return
        shown, held = reading.setpoint, link.holding.current or 0
        if shown is None:
            return
        if shown == link.attempted:
            # A write shown late: the box holds it now.
            self._write_taken(charger)
            if shown < held:
                self._hold(charger, shown, now)
        elif shown > held:
            # Raised behind our back (a reboot, another automation): trust the
            # box. A lower value is safe as it is and would only start a fight.
            # (A read older than a write cannot show here: a write not shown yet
            # is `attempted`, checked above and by the backend.)
            self._hold(charger, shown, now)

    def _hold(self, charger: ChargerRuntime, current: int, now: float) -> None:
        link = charger.link
        link.holding = link.holding.moved_to(current, now, self._watts_per_amp(charger))

    async def async_write(
        self, result: StepResult, chargers: dict[str, ChargerRuntime], now: float
    ) -> None:
        """Decreases first; increases only when, after them, no box holds more than
        the decision counted on (a decrease just failed, or a box just showed it
        cannot pause)."""
        amps = {cid: d.current for cid, d in result.decision.chargers.items()}
        await asyncio.gather(
            *(self._async_write(chargers[c], amps[c], now) for c in result.decreases)
        )
        await asyncio.gather(
            *(
                self._phases.async_switch(chargers[cid], decided.phases, now)
                for cid, decided in result.decision.chargers.items()
                if decided.phases is not None
            )
        )
        if any(
            self._holds_above(charger, amps[cid] or 0, result.counted[cid])
            for cid, charger in chargers.items()
        ):
            return
        await asyncio.gather(
            *(self._async_write(chargers[c], amps[c], now) for c in result.increases)
        )

    @staticmethod
    def _holds_above(charger: ChargerRuntime, decided: int, counted: int) -> bool:
        """The box may draw more beyond `decided` than the decision counted on.

        Only a failing box, one whose last write is not shown yet, or one with a
        floor above `decided` holds anything above it (held_above); the others
        skip building their view."""
        link = charger.link
        if (
            not link.failing
            and link.attempted is None
            and link.holding.floor <= decided
        ):
            return False
        return held_above(charger.view(), decided) > counted

    async def _async_write(
        self, charger: ChargerRuntime, current: int | None, now: float
    ) -> None:
        if current is None:
            return
        try:
            held = await charger.backend.async_set_current(current)
        except Exception as err:  # any failure is the box's error
            if current > (charger.link.holding.current or current):
                # The request may have reached the box: it may hold the new value.
                self._hold(charger, current, now)
            self._write_failed(charger, current, str(err) or type(err).__name__, now)
            return
        link = charger.link
        link.keep_alive_at = now
        self._hold(charger, held, now)
        if charger.backend.pending:
            # Not shown yet: what it held before stays counted until it is.
            link.attempted = current
            return
        if held > current:
            link.holding = replace(link.holding, floor=held)  # it goes no lower
        self._write_taken(charger)

    def _write_taken(self, charger: ChargerRuntime) -> None:
        """The box took the last write and shows it."""
        if charger.link.failing_since is not None:
            self._repairs.clear_issue("write_failed", charger.id)
        charger.link.record_success()
        if charger.backend.can_pause:
            self._repairs.clear_issue("cannot_pause", charger.id)
        else:
            self._repairs.raise_issue(
                "cannot_pause", {"charger": charger.name}, charger.id
            )

    def _write_failed(
        self, charger: ChargerRuntime, current: int, error: str, now: float
    ) -> None:
        link = charger.link
        link.record_failure(current, error, now)
        log = LOGGER.warning if link.failures == 1 else LOGGER.debug
        log("Setting %s to %s A failed: %s", charger.name, current, error)
        if now - (link.failing_since or now) >= REPAIR_AFTER_S:
            self._repairs.raise_issue(
                "write_failed", {"charger": charger.name, "error": error}, charger.id
            )

    async def async_keep_alive(
        self, chargers: Iterable[ChargerRuntime], now: float
    ) -> None:
        """Let boxes with a failsafe timer know the setpoint still holds."""

        async def keep_alive(charger: ChargerRuntime) -> None:
            try:
                await charger.backend.async_keep_alive()
            except Exception as err:
                LOGGER.debug("Keep-alive of %s failed: %s", charger.name, err)
                return
            charger.link.keep_alive_at = now

        await asyncio.gather(
            *(
                keep_alive(charger)
                for charger in chargers
                if charger.settings.enabled
                and charger.keep_alive_s is not None
                and charger.link.holding.current is not None
                # Not while its writes fail (their retries refresh it), but
                # while a phase switch does: the box holds its current meanwhile.
                and charger.link.failing_since is None
                and charger.link.read_error is None
                and now - charger.link.keep_alive_at >= charger.keep_alive_s
            )
        )

    async def async_fall_back(
        self,
        chargers: Iterable[ChargerRuntime],
        failsafe: int,
        now: float,
        *,
        leaving: frozenset[str] | None = None,
    ) -> dict[str, int]:
        """Lower every box to the failsafe current, never raising one; the amps
        each box was told, by name.

        Leaving (unload, stop; `leaving` holds the removed chargers), a box whose
        holding is unknown is told the failsafe current too, and a removed
        charger's box is paused: nobody guards them afterwards.
        """
        told: dict[str, int] = {}

        async def lower(charger: ChargerRuntime) -> None:
            held = charger.link.holding.current
            if held is None and leaving is not None:
                held = failsafe
            current = min(held or 0, failsafe)
            if current < charger.config.min_current or charger.id in (leaving or ()):
                current = 0
            try:
                held = await charger.backend.async_set_current(current)
            except Exception as err:  # the next step tries again
                LOGGER.warning("Could not lower %s: %s", charger.name, err)
                return
            told[charger.name] = current
            self._hold(charger, held, now)

        await asyncio.gather(
            *(lower(charger) for charger in chargers if charger.settings.enabled)
        )
        return told
