"""The coordinator: reads the site, runs the engine, writes the wallboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .backend import BackendError, ChargerBackend, ChargerReading
from .const import (
    BACKEND_MODBUS,
    CONF_BACKEND,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT_KW,
    CONF_GRID_POWER_ENTITY,
    CONF_HOUSEHOLD_POWER_ENTITY,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OFFPEAK_ENTITY,
    CONF_PHASES,
    CONF_PROFILE,
    CONF_SAFETY_MARGIN_KW,
    CONF_SOLAR_POWER_ENTITY,
    CONF_STALE_AFTER_S,
    CONF_STANDARD_MAX_KW,
    CONF_VOLTAGE,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_SAFETY_MARGIN_KW,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STANDARD_MAX_KW,
    DEFAULT_VOLTAGE,
    DOMAIN,
    EVENT_STATUS_CHANGED,
    LOGGER,
    REPAIR_AFTER_S,
    SUBENTRY_CHARGER,
    UPDATE_INTERVAL,
    WRITE_RETRY_MAX_S,
)
from .engine import (
    ChargerInput,
    Decision,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
    decide,
)
from .entity_backend import EntityWallbox, parse_power_w
from .modbus import ModbusHub, ModbusWallbox, keep_alive_interval

type SmartChargingConfigEntry = ConfigEntry[SmartChargingCoordinator]

READ_TIMEOUT_S = 10.0
# How long a car takes to follow a new setpoint, as a grid meter would see it.
RAMP_S = 10.0
FIRST_RETRY_S = 10.0


@dataclass
class ChargerRuntime:
    """One charger: its configuration, the user's settings and what was last done."""

    subentry: ConfigSubentry
    backend: ChargerBackend
    mode: Mode = Mode.FAST
    profile: Profile = Profile.STANDARD
    ceiling: int | None = None
    enabled: bool = True
    last_command: int | None = None
    reading: ChargerReading = field(default_factory=ChargerReading)
    current: int = 0
    power_w: float = 0.0
    power_before_w: float = 0.0  # commanded power before the last change
    power_changed_at: float = 0.0
    status: Status | None = None
    session_energy_kwh: float = 0.0
    failing_since: float | None = None
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    keep_alive_at: float = 0.0
    # While boosted: the mode and profile to return to once the car is unplugged.
    boost_restore: tuple[Mode, Profile] | None = None
    keep_alive_s: float | None = None  # the box's failsafe timer wants a refresh
    read_error: str | None = None

    @property
    def failing(self) -> bool:
        """Writes fail or the box does not answer: status error."""
        return self.failing_since is not None or self.read_error is not None

    @property
    def id(self) -> str:
        return self.subentry.subentry_id

    @property
    def name(self) -> str:
        return self.subentry.title

    @property
    def phases(self) -> int:
        return int(self.subentry.data[CONF_PHASES])

    @property
    def min_current(self) -> int:
        return int(self.subentry.data[CONF_MIN_CURRENT])

    @property
    def max_current(self) -> int:
        return int(self.subentry.data[CONF_MAX_CURRENT])

    @property
    def connected(self) -> bool:
        # Without a way to tell, assume a vehicle may draw: the box only takes what
        # it needs, and the budget stays reserved for it.
        return self.reading.connected is not False


@dataclass(frozen=True, slots=True)
class SiteReading:
    """The site's inputs as last read."""

    household_w: float | None
    grid_w: float | None
    solar_w: float | None
    offpeak: bool
    unusable: tuple[str, ...]
    grid_reported_at: float = 0.0


def subentries_snapshot(entry: SmartChargingConfigEntry) -> dict[str, Any]:
    """The chargers' configuration, to tell whether it changed."""
    return {sid: (sub.title, dict(sub.data)) for sid, sub in entry.subentries.items()}


class SmartChargingCoordinator(DataUpdateCoordinator[Decision | None]):
    """Runs an engine step every cycle and at once when the load or solar changes."""

    config_entry: SmartChargingConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartChargingConfigEntry,
        site_device_id: str,
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=UPDATE_INTERVAL,
            always_update=True,
        )
        self._modbus_hub: ModbusHub | None = None
        self.subentries_seen = subentries_snapshot(entry)
        self.chargers: dict[str, ChargerRuntime] = {}
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_CHARGER:
                self.chargers[subentry.subentry_id] = self._make_charger(subentry)
        self.engine_state = EngineState()
        self.site: SiteReading | None = None
        self.site_device_id = site_device_id
        self._lock = asyncio.Lock()
        self._last_step: float | None = None
        self._failsafe_since: float | None = None
        self._started = False

    # Configuration --------------------------------------------------------------

    def option(self, key: str, default: Any = None) -> Any:
        """A site setting from the entry."""
        return self.config_entry.data.get(key, default)

    @property
    def voltage(self) -> float:
        return float(self.option(CONF_VOLTAGE, DEFAULT_VOLTAGE))

    def input_entities(self) -> list[str]:
        """The site's power entities, whose changes trigger an immediate step."""
        keys = (
            CONF_HOUSEHOLD_POWER_ENTITY,
            CONF_GRID_POWER_ENTITY,
            CONF_SOLAR_POWER_ENTITY,
            CONF_OFFPEAK_ENTITY,
        )
        return [entity for key in keys if (entity := self.option(key))]

    def _make_charger(self, subentry: ConfigSubentry) -> ChargerRuntime:
        backend: ChargerBackend
        keep_alive_s = None
        if subentry.data.get(CONF_BACKEND) == BACKEND_MODBUS:
            if self._modbus_hub is None:
                self._modbus_hub = ModbusHub()  # one connection per box, shared
            backend = ModbusWallbox(self._modbus_hub, subentry.data)
            keep_alive_s = keep_alive_interval(subentry.data)
        else:
            backend = EntityWallbox(self.hass, subentry.data)
        return ChargerRuntime(
            subentry=subentry,
            backend=backend,
            profile=Profile(subentry.data.get(CONF_PROFILE, Profile.STANDARD)),
            keep_alive_s=keep_alive_s,
        )

    # Life cycle -----------------------------------------------------------------

    async def async_start(self) -> None:
        """Start acting, once the entities have restored the user's settings."""
        self._started = True
        self.config_entry.async_on_unload(
            async_track_state_change_event(
                self.hass, self.input_entities(), self._async_on_input_change
            )
        )
        await self.async_refresh()

    async def async_shutdown(self) -> None:
        await super().async_shutdown()
        for charger in self.chargers.values():
            await charger.backend.async_close()
        if self._modbus_hub is not None:
            await self._modbus_hub.async_close()

    @callback
    def _async_on_input_change(self, event: Event[EventStateChangedData]) -> None:
        """A load or solar change: lower what must go down now, raise nothing."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_step(allow_increase=False), "smart_charging decrease"
        )

    async def _async_update_data(self) -> Decision | None:
        """The regular cycle: timers, increases and retries."""
        return await self._async_step_locked(allow_increase=True)

    async def async_step(self, *, allow_increase: bool = True) -> None:
        """Run one engine step now and publish it to the entities."""
        if not self._started:
            return
        self.async_set_updated_data(await self._async_step_locked(allow_increase))

    async def _async_step_locked(self, allow_increase: bool) -> Decision | None:
        if not self._started:
            return None
        async with self._lock:
            return await self._async_step(allow_increase)

    # One step -------------------------------------------------------------------

    async def _async_step(self, allow_increase: bool) -> Decision:
        now = dt_util.utcnow().timestamp()
        self._count_energy(now)
        await self._async_read_chargers()
        site = self.site = self._read_site(now)
        inputs = [self._charger_input(charger) for charger in self.chargers.values()]
        usable = not site.unusable
        decision = decide(
            SiteInput(
                grid_limit_w=float(self.option(CONF_GRID_LIMIT_KW)) * 1000,
                household_w=self._household_w(site),
                solar_w=site.solar_w or 0.0,
                safety_margin_w=float(
                    self.option(CONF_SAFETY_MARGIN_KW, DEFAULT_SAFETY_MARGIN_KW)
                )
                * 1000,
                standard_max_w=float(
                    self.option(CONF_STANDARD_MAX_KW, DEFAULT_STANDARD_MAX_KW)
                )
                * 1000,
                voltage=self.voltage,
                offpeak=site.offpeak,
                inputs_usable=usable,
                failsafe_current=int(
                    self.option(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)
                ),
            ),
            inputs,
            self.engine_state,
            now,
            allow_increase=allow_increase,
        )
        self.engine_state = decision.state
        await self._async_write(decision, now)
        await self._async_keep_alive(now)
        self._publish(decision, now)
        self._update_failsafe_issue(site, now)
        return decision

    def _count_energy(self, now: float) -> None:
        """Add the energy of the last interval to each charging session."""
        if self._last_step is not None and now > self._last_step:
            hours = (now - self._last_step) / 3600
            for charger in self.chargers.values():
                if charger.connected:
                    power = charger.reading.power_w
                    if power is None:
                        power = charger.power_w
                    charger.session_energy_kwh += max(power, 0.0) * hours / 1000
        self._last_step = now

    async def _async_read_chargers(self) -> None:
        async def read(charger: ChargerRuntime) -> None:
            try:
                async with asyncio.timeout(READ_TIMEOUT_S):
                    reading = await charger.backend.async_read()
            except (BackendError, TimeoutError) as err:
                if charger.read_error is None:
                    LOGGER.warning("%s does not answer: %s", charger.name, err)
                charger.read_error = str(err) or type(err).__name__
                return
            if charger.read_error is not None:
                LOGGER.info("%s answers again", charger.name)
                charger.read_error = None
            if reading.connected is True and charger.reading.connected is False:
                charger.session_energy_kwh = 0.0  # a new plug-in starts a session
            if reading.connected is False and charger.boost_restore is not None:
                charger.mode, charger.profile = charger.boost_restore
                charger.boost_restore = None
            charger.reading = reading

        await asyncio.gather(*(read(charger) for charger in self.chargers.values()))

    def _read_site(self, now: float) -> SiteReading:
        unusable: list[str] = []
        stale_after = float(self.option(CONF_STALE_AFTER_S, DEFAULT_STALE_AFTER_S))

        def power(key: str) -> float | None:
            entity_id = self.option(key)
            if not entity_id:
                return None
            state = self.hass.states.get(entity_id)
            value = None
            if state is not None and not (
                stale_after and now - state.last_reported.timestamp() > stale_after
            ):
                value = parse_power_w(
                    state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
                )
            if value is None:
                unusable.append(entity_id)
            return value

        grid_entity = self.option(CONF_GRID_POWER_ENTITY)
        grid_state = self.hass.states.get(grid_entity) if grid_entity else None
        offpeak_entity = self.option(CONF_OFFPEAK_ENTITY)
        offpeak_state = self.hass.states.get(offpeak_entity) if offpeak_entity else None
        return SiteReading(
            household_w=power(CONF_HOUSEHOLD_POWER_ENTITY),
            grid_w=power(CONF_GRID_POWER_ENTITY),
            solar_w=power(CONF_SOLAR_POWER_ENTITY),
            # Unknown off-peak state counts as peak: the cheaper assumption to be wrong.
            offpeak=offpeak_state is not None and offpeak_state.state == STATE_ON,
            unusable=tuple(unusable),
            grid_reported_at=grid_state.last_reported.timestamp() if grid_state else 0,
        )

    def _household_w(self, site: SiteReading) -> float:
        """Household load, measured or derived from the grid meter.

        Derived, the chargers' share is what the meter could have seen when it last
        reported: right after a change, the lower of the old and new command. A car
        drawing less than commanded leaves that much of its own reserve unused, so
        the site stays under the limit either way.
        """
        if self.option(CONF_HOUSEHOLD_POWER_ENTITY):
            return site.household_w or 0.0
        chargers_w = 0.0
        for charger in self.chargers.values():
            if charger.reading.power_w is not None:
                chargers_w += charger.reading.power_w
            elif charger.power_changed_at > site.grid_reported_at - RAMP_S:
                chargers_w += min(charger.power_w, charger.power_before_w)
            else:
                chargers_w += charger.power_w
        return (site.grid_w or 0.0) + (site.solar_w or 0.0) - chargers_w

    def _charger_input(self, charger: ChargerRuntime) -> ChargerInput:
        return ChargerInput(
            id=charger.id,
            phases=charger.phases,
            min_current=charger.min_current,
            max_current=charger.max_current,
            ceiling=charger.ceiling,
            profile=charger.profile,
            mode=charger.mode,
            connected=charger.connected,
            enabled=charger.enabled,
            measured_power_w=charger.reading.power_w,
            last_command=charger.last_command,
            error=charger.failing,
        )

    async def _async_write(self, decision: Decision, now: float) -> None:
        """Write decreases first, then increases; a failing box does not stop others."""
        order = [
            cid
            for cid in decision.write_order
            if (charger := self.chargers.get(cid)) and charger.retry_at <= now
        ]
        decreases = [
            cid
            for cid in order
            if (decision.chargers[cid].current or 0)
            < (self.chargers[cid].last_command or 0)
            or self.chargers[cid].last_command is None
        ]
        increases = [cid for cid in order if cid not in decreases]
        for group in (decreases, increases):
            await asyncio.gather(
                *(self._async_write_one(cid, decision, now) for cid in group)
            )

    async def _async_write_one(self, cid: str, decision: Decision, now: float) -> None:
        charger = self.chargers[cid]
        current = decision.chargers[cid].current
        if current is None:
            return
        try:
            await charger.backend.async_set_current(current)
        except BackendError as err:
            charger.failures += 1
            charger.failing_since = charger.failing_since or now
            delay = min(FIRST_RETRY_S * 2 ** (charger.failures - 1), WRITE_RETRY_MAX_S)
            charger.retry_at = now + delay
            charger.last_error = str(err)
            LOGGER.warning("Setting %s to %s A failed: %s", charger.name, current, err)
            if now - charger.failing_since >= REPAIR_AFTER_S:
                self._create_issue(
                    f"write_failed_{cid}",
                    "write_failed",
                    {"charger": charger.name, "error": charger.last_error},
                )
            return
        charger.last_command = current
        charger.keep_alive_at = now
        if charger.failing_since is not None:
            charger.failing_since = None
            charger.failures = 0
            charger.retry_at = 0.0
            ir.async_delete_issue(self.hass, DOMAIN, f"write_failed_{cid}")
        issue_id = f"cannot_pause_{cid}"
        if charger.backend.can_pause:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        else:
            self._create_issue(issue_id, "cannot_pause", {"charger": charger.name})

    async def _async_keep_alive(self, now: float) -> None:
        """Let boxes with a failsafe timer know the setpoint still holds."""

        async def keep_alive(charger: ChargerRuntime) -> None:
            try:
                await charger.backend.async_keep_alive()
            except BackendError as err:
                LOGGER.debug("Keep-alive of %s failed: %s", charger.name, err)
                return
            charger.keep_alive_at = now

        await asyncio.gather(
            *(
                keep_alive(charger)
                for charger in self.chargers.values()
                if charger.enabled
                and charger.keep_alive_s is not None
                and charger.last_command is not None
                and not charger.failing
                and now - charger.keep_alive_at >= charger.keep_alive_s
            )
        )

    def _publish(self, decision: Decision, now: float) -> None:
        """Copy the decision onto the chargers and announce status changes."""
        for cid, result in decision.chargers.items():
            charger = self.chargers[cid]
            status = (
                Status.ERROR if charger.failing_since is not None else result.status
            )
            if result.current is not None:
                if result.power_w != charger.power_w:
                    charger.power_before_w = charger.power_w
                    charger.power_changed_at = now
                charger.current = result.current
                charger.power_w = result.power_w
            old = charger.status
            charger.status = status
            if old is not None and old != status:
                self.hass.bus.async_fire(
                    EVENT_STATUS_CHANGED,
                    {
                        "charger": charger.name,
                        "subentry_id": cid,
                        "device_id": self._device_id(cid),
                        "old_status": old.value,
                        "new_status": status.value,
                    },
                )

    def _device_id(self, cid: str) -> str | None:
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, cid), self.config_entry.entry_id
        )
        return device.id if device else None

    def _update_failsafe_issue(self, site: SiteReading, now: float) -> None:
        if not site.unusable:
            if self._failsafe_since is not None:
                self._failsafe_since = None
                ir.async_delete_issue(self.hass, DOMAIN, self._failsafe_issue_id)
            return
        if self._failsafe_since is None:
            self._failsafe_since = now
            LOGGER.warning("Inputs unusable, failsafe: %s", ", ".join(site.unusable))
        if now - self._failsafe_since >= REPAIR_AFTER_S:
            self._create_issue(
                self._failsafe_issue_id,
                "failsafe",
                {"site": self.config_entry.title, "entities": ", ".join(site.unusable)},
            )

    @property
    def _failsafe_issue_id(self) -> str:
        return f"failsafe_{self.config_entry.entry_id}"

    def _create_issue(
        self, issue_id: str, key: str, placeholders: Mapping[str, str]
    ) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=dict(placeholders),
        )

    # Settings from the entities -------------------------------------------------

    async def async_boost(self, cid: str) -> None:
        """Full power within the limit until the car is unplugged."""
        charger = self.chargers[cid]
        if charger.boost_restore is None:
            charger.boost_restore = (charger.mode, charger.profile)
        await self.async_apply_setting(cid, mode=Mode.FAST, profile=Profile.PREMIUM)

    async def async_apply_setting(self, cid: str, **changes: Any) -> None:
        """Apply a user setting (mode, profile, ceiling, enabled) and act on it now."""
        charger = self.chargers[cid]
        for key, value in changes.items():
            setattr(charger, key, value)
        await self.async_step(allow_increase=True)
