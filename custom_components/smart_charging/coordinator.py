"""The coordinator: reads the site and the boxes, runs the control step, writes
the boxes and publishes a snapshot for the entities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .backend import Backends
from .boxes import Boxes
from .const import (
    CONF_HOUSEHOLD_POWER_ENTITY,
    LOGGER,
    SUBENTRY_CHARGER,
    UPDATE_INTERVAL,
)
from .engine.control import ControlState, StepResult, control_step
from .events import publish_statuses
from .grid_log import DimmingLog
from .inputs import input_entities, read_site, site_settings
from .planning import SmartPlanning
from .repairs import Repairs
from .runtime import ChargerConfig, ChargerRuntime, UserSettings
from .session_publish import SessionPublisher
from .snapshot import SiteData

type SmartChargingConfigEntry = ConfigEntry[SmartChargingCoordinator]
type SettingsChange = Callable[[UserSettings], UserSettings]


def subentries_snapshot(entry: SmartChargingConfigEntry) -> dict[str, Any]:
    """The chargers' configuration, to tell whether it changed."""
    return {sid: (sub.title, dict(sub.data)) for sid, sub in entry.subentries.items()}


class SmartChargingCoordinator(DataUpdateCoordinator[SiteData]):
    """Runs a control step every cycle and at once when the load or solar changes."""

    config_entry: SmartChargingConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: SmartChargingConfigEntry, site_device_id: str
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=UPDATE_INTERVAL,
            always_update=True,
        )
        self.settings = site_settings(entry.data)
        self.site_device_id = site_device_id
        self.subentries_seen = subentries_snapshot(entry)
        self.repairs = Repairs(hass, entry.entry_id, entry.title)
        self._backends = Backends(hass)
        self._boxes = Boxes(self.repairs, self.settings.voltage)
        self.chargers: dict[str, ChargerRuntime] = {}
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_CHARGER:
                config = ChargerConfig.from_subentry(subentry)
                backend, keep_alive_s = self._backends.make(subentry)
                self.chargers[config.id] = ChargerRuntime(
                    config, backend, UserSettings(profile=config.profile), keep_alive_s
                )
        self.state = ControlState()
        self.planning = SmartPlanning(hass, entry, self.settings, self.repairs)
        self.sessions = SessionPublisher(hass, entry)
        self.last_result: StepResult | None = None
        self.dimming = DimmingLog()  # the §14a dimming periods, for diagnostics
        # Chargers whose subentry was removed: their boxes are paused on unload.
        self.removed: set[str] = set()
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self._decrease_pending = False
        self._started = False

    # Life cycle -----------------------------------------------------------------

    async def async_start(self) -> None:
        """Start acting, once the entities have restored the user's settings."""
        self._started = True
        entry = self.config_entry
        entry.async_on_unload(
            async_track_state_change_event(
                self.hass, input_entities(entry.data), self._async_on_input_change
            )
        )
        entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_on_stop)
        )
        await self.async_refresh()

    async def async_shutdown(self) -> None:
        """Stop acting, leaving every box at the failsafe current or paused
        (SPEC §5 rule 10): nobody guards the limit afterwards."""
        running, self._started = self._started, False
        await super().async_shutdown()
        async with self._lock:  # a step in progress ends before the boxes close
            if running:
                told = await self._boxes.async_fall_back(
                    self.chargers.values(),
                    self.settings.failsafe_current,
                    dt_util.utcnow().timestamp(),
                    leaving=frozenset(self.removed),
                )
                LOGGER.info(
                    "%s stops; the wallboxes are left at: %s",
                    self.config_entry.title,
                    ", ".join(f"{name} {amps} A" for name, amps in told.items())
                    or "nothing written",
                )
            for charger in self.chargers.values():
                await charger.backend.async_close()
            await self._backends.async_close()

    async def _async_on_stop(self, event: Event) -> None:
        """Home Assistant stops: leave the boxes safe."""
        await self.async_shutdown()

    @callback
    def _async_on_input_change(self, event: Event[EventStateChangedData]) -> None:
        """A load or solar change: lower what must go down now, raise nothing."""
        if self._decrease_pending:
            return  # the step waiting already reads the newest state when it runs
        self._decrease_pending = True
        self.config_entry.async_create_background_task(
            self.hass, self.async_step(allow_increase=False), "smart_charging decrease"
        )

    # Steps ----------------------------------------------------------------------

    async def _async_update_data(self) -> SiteData:
        """The regular cycle: timers, increases and retries."""
        await self._async_step_locked(allow_increase=True)
        return self.data if self.last_result is None else self._snapshot()

    async def async_step(self, *, allow_increase: bool = True) -> None:
        """Run one step now and publish it."""
        if not await self._async_step_locked(allow_increase):
            return
        if allow_increase:
            self.async_set_updated_data(self._snapshot())
            return
        # Not async_set_updated_data: it would reschedule the regular cycle, and a
        # meter reporting every few seconds would keep increases from ever running.
        self.data = self._snapshot()
        self.async_update_listeners()

    async def _async_step_locked(self, allow_increase: bool) -> bool:
        if allow_increase and self._started:
            # Read the boxes outside the step's lock: a slow box must not hold
            # back a decrease that a load change asks for meanwhile.
            async with self._read_lock:
                await self._boxes.async_read(
                    self.chargers.values(), dt_util.utcnow().timestamp()
                )
        async with self._lock:
            if not allow_increase:
                self._decrease_pending = False
            if not self._started:  # not yet, or shut down while this step waited
                return False
            await self._async_step(allow_increase)
            return True

    async def _async_step(self, allow_increase: bool) -> None:
        now = dt_util.utcnow().timestamp()
        chargers = self.chargers
        readings = read_site(self.hass, self.config_entry.data, now)
        try:
            result = control_step(
                self.settings,
                readings,
                [self.planning.view(c, self.state, now) for c in chargers.values()],
                self.state,
                now,
                allow_increase=allow_increase,
            )
        except Exception:  # a bug must not leave the boxes unguarded
            LOGGER.exception("The control step failed; chargers go to failsafe")
            await self._boxes.async_fall_back(
                chargers.values(), self.settings.failsafe_current, now
            )
            return
        last_step = self.state.last_step
        self.state, self.last_result = result.state, result
        # The boxes first: nothing after this may keep a decrease from them.
        await self._boxes.async_write(result, chargers, now)
        await self._boxes.async_keep_alive(chargers.values(), now)
        self.sessions.count(result, chargers, last_step, now)
        publish_statuses(self.hass, self.config_entry.entry_id, chargers, result)
        self.dimming.record(result.grid, now)
        self.repairs.failsafe(result.unusable, now)
        self.planning.maybe_replan(
            chargers, self.state, (result.decision.household_w, readings.solar_w), now
        )
        if result.household_includes_chargers:
            self.repairs.household_includes_chargers(
                str(self.config_entry.data[CONF_HOUSEHOLD_POWER_ENTITY])
            )

    def _snapshot(self) -> SiteData:
        assert self.last_result is not None
        return SiteData.of(
            self.last_result, self.chargers, self.settings, self.planning.car_plan
        )

    # Settings from the entities and actions ---------------------------------------

    async def async_apply(self, cids: Iterable[str], change: SettingsChange) -> None:
        """Change the settings of these chargers and act on it in one step."""
        for cid in cids:
            charger = self.chargers[cid]
            new = change(charger.settings)
            if new.enabled and not charger.settings.enabled:
                # Left alone meanwhile, the box may hold anything: learn it afresh.
                charger.link.holding = replace(charger.link.holding, current=None)
            if new.boost_restore is not None and charger.settings.boost_restore is None:
                # Pressed before the car is plugged in, a boost waits for it.
                charger.boost_plugged = charger.reading.connected is True
            charger.settings = new
        await self.async_step(allow_increase=True)
