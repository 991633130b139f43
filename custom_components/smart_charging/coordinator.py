"""The coordinator: reads the site, runs the engine, writes the wallboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_HOMEASSISTANT_STOP,
    STATE_ON,
)
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
    CONF_SOLAR_RIDE_THROUGH,
    CONF_STALE_AFTER_S,
    CONF_STANDARD_MAX_KW,
    CONF_VOLTAGE,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_SAFETY_MARGIN_KW,
    DEFAULT_SOLAR_RIDE_THROUGH,
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
    RIDE_THROUGH,
    ChargerInput,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
    decide,
)
from .engine.household_check import DoubleCountCheck
from .engine.readings import (
    Reading,
    charger_power_range,
    check_power,
    grid_power_range,
    read_power,
    site_power_range,
)
from .entity_backend import EntityWallbox
from .modbus import ModbusHub, ModbusWallbox, keep_alive_interval

type SmartChargingConfigEntry = ConfigEntry[SmartChargingCoordinator]

READ_TIMEOUT_S = 10.0
# How long a car may take to follow a new setpoint, as a grid meter would see it.
RAMP_S = 10.0
FIRST_RETRY_S = 10.0
# The engine's defaults: SPEC §4's solar delays exactly (site option off).
SPEC_TIMING = EngineConfig()


@dataclass
class ChargerRuntime:
    """One charger: its configuration, the user's settings and what was last done."""

    subentry: ConfigSubentry
    backend: ChargerBackend
    voltage: float
    mode: Mode = Mode.FAST
    profile: Profile = Profile.STANDARD
    ceiling: int | None = None
    enabled: bool = True
    # The current the box holds: the last successful write, or what it reports.
    last_command: int | None = None
    reading: ChargerReading = field(default_factory=ChargerReading)
    status: Status | None = None
    session_energy_kwh: float = 0.0
    # The lowest power held lately, and when it last changed: a grid meter that
    # reported before the car followed a change has not seen the higher value.
    held_low_w: float = 0.0
    held_changed_at: float = 0.0
    failing_since: float | None = None
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    keep_alive_at: float = 0.0
    # While boosted: the mode and profile to return to once the car is unplugged,
    # and whether a car has been plugged in since (until then the boost is armed).
    boost_restore: tuple[Mode, Profile] | None = None
    boost_plugged: bool = False
    # Why the power reading of a box that measures power is unusable now.
    power_problem: str | None = None
    keep_alive_s: float | None = None  # the box's failsafe timer wants a refresh
    read_error: str | None = None
    # The lowest current the box can hold, once it showed it cannot pause below it.
    floor: int = 0
    # A current whose write failed: retried on the back-off, unless lower.
    attempted: int | None = None
    written_at: float = 0.0  # when this coordinator last wrote to the box

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

    @property
    def current(self) -> int:
        """Amps commanded now (what the box holds)."""
        return self.last_command or 0

    @property
    def power_w(self) -> float:
        return self.current * self.voltage * self.phases

    @property
    def max_power_w(self) -> float:
        return self.max_current * self.voltage * self.phases

    @property
    def boost(self) -> str | None:
        """A boost waiting for the car (armed) or charging it (active)."""
        if self.boost_restore is None:
            return None
        return "armed" if self.reading.connected is False else "active"

    def held_above(self, decided: int) -> int:
        """Amps the box may draw beyond `decided`: one failing keeps what it holds
        (its maximum when that is unknown), one that cannot pause its floor."""
        if not self.enabled or not self.connected:
            return 0
        if self.failing:
            held = self.max_current if self.last_command is None else self.last_command
            return max(held - decided, 0)
        return max(self.floor - decided, 0)


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


class BrokenBackend:
    """A charger whose stored settings no longer fit a model: always an error."""

    can_pause = True
    measures_power = False

    def __init__(self, reason: str) -> None:
        self._reason = reason

    async def async_set_current(self, current: int) -> int:
        raise BackendError(self._reason)

    async def async_read(self) -> ChargerReading:
        raise BackendError(self._reason)

    async def async_keep_alive(self) -> None:
        """Nothing to keep alive."""

    async def async_close(self) -> None:
        """Nothing to close."""


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
        self._decrease_pending = False
        self._started = False
        # Chargers whose subentry was removed: their boxes are paused on unload.
        self.removed: set[str] = set()
        self._double_count = DoubleCountCheck()

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
            try:
                backend = ModbusWallbox(self._modbus_hub, subentry.data)
                keep_alive_s = keep_alive_interval(subentry.data)
            except ValueError as err:
                backend = BrokenBackend(str(err))
        else:
            backend = EntityWallbox(self.hass, subentry.data)
        return ChargerRuntime(
            subentry=subentry,
            backend=backend,
            voltage=self.voltage,
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
        self.config_entry.async_on_unload(
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
                told = await self._async_fall_back(leaving=True)
                LOGGER.info(
                    "%s stops; the wallboxes are left at: %s",
                    self.config_entry.title,
                    ", ".join(f"{name} {amps} A" for name, amps in told.items())
                    or "nothing written",
                )
            for charger in self.chargers.values():
                await charger.backend.async_close()
            if self._modbus_hub is not None:
                await self._modbus_hub.async_close()

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

    async def _async_update_data(self) -> Decision | None:
        """The regular cycle: timers, increases and retries."""
        return await self._async_step_locked(allow_increase=True)

    async def async_step(self, *, allow_increase: bool = True) -> None:
        """Run one engine step now and publish it to the entities.

        Published without rescheduling the regular cycle: a meter reporting every
        few seconds must not keep increases from ever running.
        """
        decision = await self._async_step_locked(allow_increase)
        if decision is not None:
            self.data = decision
            self.last_update_success = True
            self.async_update_listeners()

    async def _async_step_locked(self, allow_increase: bool) -> Decision | None:
        if not self._started:
            return None
        async with self._lock:
            if not allow_increase:
                self._decrease_pending = False
            if not self.running:  # shut down while this step waited
                return None
            return await self._async_step(allow_increase)

    @property
    def running(self) -> bool:
        """Started and not shut down."""
        return self._started

    # One step -------------------------------------------------------------------

    async def _async_step(self, allow_increase: bool) -> Decision | None:
        now = dt_util.utcnow().timestamp()
        self._count_energy(now)
        if allow_increase:
            # A decrease-only step uses the last readings: it must not wait on boxes.
            await self._async_read_chargers(now)
        site = self.site = self._read_site(now)
        try:
            decision = self._decide(site, now, allow_increase)
        except Exception:  # a bug must not leave the boxes unguarded
            LOGGER.exception("The engine failed; chargers go to the failsafe current")
            await self._async_fall_back()
            return self.data
        self.engine_state = decision.state
        await self._async_write(decision, now)
        await self._async_keep_alive(now)
        self._publish(decision)
        self._update_failsafe_issue(site, now)
        self._check_double_count(site, now)
        return decision

    def _decide(self, site: SiteReading, now: float, allow_increase: bool) -> Decision:
        site_input = SiteInput(
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
            inputs_usable=not site.unusable,
            failsafe_current=int(
                self.option(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)
            ),
        )
        inputs = [self._charger_input(charger) for charger in self.chargers.values()]
        config = (
            RIDE_THROUGH
            if self.option(CONF_SOLAR_RIDE_THROUGH, DEFAULT_SOLAR_RIDE_THROUGH)
            else SPEC_TIMING
        )
        # A box that fails, or cannot pause, may draw more than it is told: decide
        # again with that power set aside (a lower limit holds in failsafe too),
        # until the set-aside no longer changes.
        reserved_w = 0.0
        for _ in range(4):
            decision = decide(
                replace(site_input, grid_limit_w=site_input.grid_limit_w - reserved_w),
                inputs,
                self.engine_state,
                now,
                allow_increase=allow_increase,
                config=config,
            )
            needed_w = sum(
                charger.held_above(decision.chargers[charger.id].current or 0)
                * charger.voltage
                * charger.phases
                for charger in self.chargers.values()
            )
            if needed_w <= reserved_w:
                break
            reserved_w = needed_w
        return decision

    def _count_energy(self, now: float) -> None:
        """Add the energy of the last interval to each charging session.

        Measured power when the charger has a power reading, and nothing while
        that reading is unusable; without one, what it was told, but only while a
        car is known to be plugged in.
        """
        if self._last_step is not None and now > self._last_step:
            hours = (now - self._last_step) / 3600
            for charger in self.chargers.values():
                power = charger.reading.power_w
                if (
                    not charger.backend.measures_power
                    and charger.enabled
                    and (charger.reading.connected or charger.reading.charging)
                ):
                    power = charger.power_w
                if power:
                    charger.session_energy_kwh += max(power, 0.0) * hours / 1000
        self._last_step = now

    async def _async_read_chargers(self, now: float) -> None:
        async def read(charger: ChargerRuntime) -> None:
            try:
                async with asyncio.timeout(READ_TIMEOUT_S):
                    reading = await charger.backend.async_read()
            except Exception as err:  # a box that cannot be read is an error
                if charger.read_error is None:
                    LOGGER.warning("%s does not answer: %s", charger.name, err)
                charger.read_error = str(err) or type(err).__name__
                # Keep whether a car is there; what it drew is no longer known.
                charger.reading = ChargerReading(connected=charger.reading.connected)
                charger.power_problem = None
                return
            if charger.read_error is not None:
                LOGGER.info("%s answers again", charger.name)
                charger.read_error = None
            if reading.connected is True and charger.reading.connected is False:
                charger.session_energy_kwh = 0.0  # a new plug-in starts a session
            self._follow_boost(charger, reading.connected)
            self._follow_setpoint(charger, reading, now)
            charger.reading = self._checked_power(charger, reading)

        await asyncio.gather(*(read(charger) for charger in self.chargers.values()))

    def _follow_boost(self, charger: ChargerRuntime, connected: bool | None) -> None:
        """A boost arms until a car is plugged in and ends when it is unplugged."""
        if charger.boost_restore is None:
            return
        if connected is True:
            charger.boost_plugged = True
        elif connected is False and charger.boost_plugged:
            charger.mode, charger.profile = charger.boost_restore
            charger.boost_restore = None
            charger.boost_plugged = False

    def _follow_setpoint(
        self, charger: ChargerRuntime, reading: ChargerReading, now: float
    ) -> None:
        """What the box shows of its setpoint: a write it did not take is a failed
        write, one it took is what it holds."""
        if reading.unconfirmed is not None:
            self._write_failed(
                charger, charger.attempted or 0, BackendError(reading.unconfirmed), now
            )
            return
        setpoint = reading.setpoint
        if setpoint is None:
            return
        if setpoint == charger.attempted and setpoint < (charger.last_command or 0):
            # A lower setpoint shown late: the box holds it now.
            charger.attempted = None
            self._set_held(charger, setpoint, now)
        elif (
            setpoint > (charger.last_command or 0)
            and now - charger.written_at >= RAMP_S
        ):
            # Raised behind our back (a reboot, another automation): trust the
            # box. A lower value is safe as it is and would only start a fight.
            self._set_held(charger, setpoint, now)

    def _checked_power(
        self, charger: ChargerRuntime, reading: ChargerReading
    ) -> ChargerReading:
        """The reading with its power checked: an implausible value is unusable."""
        charger.power_problem = None
        if not charger.backend.measures_power:
            return reading
        if reading.power_w is None:
            charger.power_problem = "unavailable"
            return reading
        checked = check_power(
            reading.power_w, *charger_power_range(charger.max_power_w)
        )
        charger.power_problem = checked.problem
        return replace(reading, power_w=checked.watts)

    def _set_held(self, charger: ChargerRuntime, current: int, now: float) -> None:
        """Record what the box holds now."""
        old_w = charger.power_w
        if now - charger.held_changed_at < RAMP_S:
            charger.held_low_w = min(charger.held_low_w, old_w)
        else:
            charger.held_low_w = old_w
        charger.held_changed_at = now
        charger.last_command = current

    def _read_site(self, now: float) -> SiteReading:
        """The site's inputs, each converted and checked (SPEC §5 rule 8)."""
        unusable: list[str] = []
        stale_after = float(self.option(CONF_STALE_AFTER_S, DEFAULT_STALE_AFTER_S))
        limit_w = float(self.option(CONF_GRID_LIMIT_KW)) * 1000

        def power(key: str, low_w: float, high_w: float) -> float | None:
            entity_id = self.option(key)
            if not entity_id:
                return None
            state = self.hass.states.get(entity_id)
            if state is None:
                reading = Reading(None, "missing")
            elif stale_after and now - state.last_reported.timestamp() > stale_after:
                reading = Reading(None, "stale")
            else:
                reading = read_power(
                    state.state,
                    state.attributes.get(ATTR_UNIT_OF_MEASUREMENT),
                    low_w,
                    high_w,
                )
            if reading.problem is not None:
                unusable.append(f"{entity_id} ({reading.problem})")
            return reading.watts

        household_w = power(CONF_HOUSEHOLD_POWER_ENTITY, *site_power_range(limit_w))
        # The grid meter only matters when it stands in for a household sensor.
        grid_w = (
            None
            if household_w is not None
            else power(CONF_GRID_POWER_ENTITY, *grid_power_range(limit_w))
        )
        solar_w = power(CONF_SOLAR_POWER_ENTITY, *site_power_range(limit_w))
        grid_entity = self.option(CONF_GRID_POWER_ENTITY)
        grid_state = self.hass.states.get(grid_entity) if grid_entity else None
        offpeak_entity = self.option(CONF_OFFPEAK_ENTITY)
        offpeak_state = self.hass.states.get(offpeak_entity) if offpeak_entity else None
        site = SiteReading(
            household_w=household_w,
            grid_w=grid_w,
            solar_w=solar_w,
            # Unknown off-peak state counts as peak: the cheaper assumption to be wrong.
            offpeak=offpeak_state is not None and offpeak_state.state == STATE_ON,
            unusable=tuple(unusable),
            grid_reported_at=grid_state.last_reported.timestamp() if grid_state else 0,
        )
        if household_w is None and not unusable:
            # Derived from the grid meter: the chargers' readings are inputs too.
            unusable += [
                f"{charger.name} power ({charger.power_problem})"
                for charger in self.chargers.values()
                if charger.power_problem is not None
            ]
            derived = check_power(self._household_w(site), *site_power_range(limit_w))
            if derived.problem is not None:
                unusable.append(f"{grid_entity} (household {derived.problem})")
            site = replace(site, unusable=tuple(unusable))
        return site

    def _household_w(self, site: SiteReading) -> float:
        """Household load, measured or derived from the grid meter.

        Derived, each charger's share is what the meter could have seen when it
        last reported: measured power, else what the box holds, and right after a
        change the lowest it held lately. A car drawing less than that leaves as
        much of its own reserve unused, so the site stays under the limit anyway.
        """
        if site.household_w is not None:
            return site.household_w
        chargers_w = 0.0
        for charger in self.chargers.values():
            if charger.reading.power_w is not None:
                chargers_w += charger.reading.power_w
            elif not charger.connected:
                continue  # no car: the box draws nothing, whatever it holds
            elif charger.held_changed_at > site.grid_reported_at - RAMP_S:
                chargers_w += min(charger.power_w, charger.held_low_w)
            else:
                chargers_w += charger.power_w
        return (site.grid_w or 0.0) + (site.solar_w or 0.0) - chargers_w

    def _charger_input(self, charger: ChargerRuntime) -> ChargerInput:
        min_current, ceiling = charger.min_current, charger.ceiling
        if (accepts := charger.reading.accepts) is not None:
            # Within what the box's entity accepts, so no write is clamped.
            min_current = max(min_current, accepts[0])
            ceiling = min(ceiling or charger.max_current, accepts[1])
        return ChargerInput(
            id=charger.id,
            phases=charger.phases,
            min_current=min_current,
            max_current=charger.max_current,
            ceiling=ceiling,
            profile=charger.profile,
            mode=charger.mode,
            connected=charger.connected,
            enabled=charger.enabled,
            measured_power_w=charger.reading.power_w,
            last_command=charger.last_command,
            error=charger.failing,
        )

    async def _async_write(self, decision: Decision, now: float) -> None:
        """Write decreases first, then increases.

        A decrease is tried at once unless the same or a lower one failed within
        the back-off. Increases wait for the next step when, after the decreases,
        a box holds more than the decision counted on (a decrease just failed, or
        a box just showed it cannot pause).
        """
        decreases: list[str] = []
        increases: list[str] = []
        for cid in decision.write_order:
            charger = self.chargers[cid]
            current = decision.chargers[cid].current
            if current is None or current == charger.last_command:
                continue
            if current < charger.floor and charger.last_command == charger.floor:
                continue  # the box is as low as it goes
            backing_off = charger.retry_at > now
            if charger.last_command is None or current < charger.last_command:
                if not backing_off or current < (charger.attempted or 0):
                    decreases.append(cid)
            elif not backing_off:
                increases.append(cid)
        counted = {
            charger.id: charger.held_above(decision.chargers[charger.id].current or 0)
            for charger in self.chargers.values()
        }
        await asyncio.gather(
            *(self._async_write_one(cid, decision, now) for cid in decreases)
        )
        if any(
            charger.held_above(decision.chargers[charger.id].current or 0)
            > counted[charger.id]
            for charger in self.chargers.values()
        ):
            return
        await asyncio.gather(
            *(self._async_write_one(cid, decision, now) for cid in increases)
        )

    async def _async_fall_back(self, *, leaving: bool = False) -> dict[str, int]:
        """Lower every box to the failsafe current, never raising one; the amps
        each box was told, by name.

        Leaving (unload, stop), a box whose holding is unknown is told the failsafe
        current too, and a removed charger's box is paused: nobody guards them.
        """
        failsafe = int(self.option(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT))
        told: dict[str, int] = {}

        async def lower(charger: ChargerRuntime) -> None:
            held = charger.last_command
            if held is None and leaving:
                held = failsafe
            current = min(held or 0, failsafe)
            if current < charger.min_current or charger.id in self.removed:
                current = 0
            try:
                held = await charger.backend.async_set_current(current)
            except Exception as err:  # the next step tries again
                LOGGER.warning("Could not lower %s: %s", charger.name, err)
                return
            told[charger.name] = current
            self._set_held(charger, held, dt_util.utcnow().timestamp())

        await asyncio.gather(
            *(lower(charger) for charger in self.chargers.values() if charger.enabled)
        )
        return told

    async def _async_write_one(self, cid: str, decision: Decision, now: float) -> None:
        charger = self.chargers[cid]
        current = decision.chargers[cid].current
        if current is None:
            return
        try:
            held = await charger.backend.async_set_current(current)
        except Exception as err:  # any failure is the box's error
            charger.attempted = current
            self._write_failed(charger, current, err, now)
            return
        charger.written_at = now
        self._set_held(charger, held, now)
        charger.keep_alive_at = now
        if held > current and charger.backend.can_pause:
            # Not shown yet: the higher value stays counted until it is.
            charger.attempted = current
            return
        if held > current:
            charger.floor = held  # it cannot go lower than this
        charger.attempted = None
        if charger.failing_since is not None:
            charger.failing_since = None
            charger.failures = 0
            charger.retry_at = 0.0
            ir.async_delete_issue(
                self.hass, DOMAIN, self._issue_id("write_failed", cid)
            )
        issue_id = self._issue_id("cannot_pause", cid)
        if charger.backend.can_pause:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        else:
            self._create_issue(issue_id, "cannot_pause", {"charger": charger.name})

    def _write_failed(
        self, charger: ChargerRuntime, current: int, err: Exception, now: float
    ) -> None:
        charger.failures += 1
        charger.failing_since = charger.failing_since or now
        delay = min(FIRST_RETRY_S * 2 ** (charger.failures - 1), WRITE_RETRY_MAX_S)
        charger.retry_at = now + delay
        charger.last_error = str(err) or type(err).__name__
        log = LOGGER.warning if charger.failures == 1 else LOGGER.debug
        log("Setting %s to %s A failed: %s", charger.name, current, charger.last_error)
        if now - charger.failing_since >= REPAIR_AFTER_S:
            self._create_issue(
                self._issue_id("write_failed", charger.id),
                "write_failed",
                {"charger": charger.name, "error": charger.last_error},
            )

    async def _async_keep_alive(self, now: float) -> None:
        """Let boxes with a failsafe timer know the setpoint still holds."""

        async def keep_alive(charger: ChargerRuntime) -> None:
            try:
                await charger.backend.async_keep_alive()
            except Exception as err:
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

    def _publish(self, decision: Decision) -> None:
        """Copy the statuses onto the chargers and announce their changes."""
        for cid, result in decision.chargers.items():
            charger = self.chargers[cid]
            status = result.status
            if charger.failing and result.status is not Status.OFF:
                status = Status.ERROR
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
        issue_id = self._issue_id("failsafe")
        if not site.unusable:
            if self._failsafe_since is not None:
                self._failsafe_since = None
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        if self._failsafe_since is None:
            self._failsafe_since = now
            LOGGER.warning("Inputs unusable, failsafe: %s", ", ".join(site.unusable))
        if now - self._failsafe_since >= REPAIR_AFTER_S:
            self._create_issue(
                issue_id,
                "failsafe",
                {"site": self.config_entry.title, "entities": ", ".join(site.unusable)},
            )

    def _check_double_count(self, site: SiteReading, now: float) -> None:
        """A household sensor that moves with the chargers includes them."""
        if site.household_w is None or site.unusable:
            return
        chargers_w = sum(c.power_w for c in self.chargers.values() if c.connected)
        if self._double_count.update(now, site.household_w, chargers_w):
            self._create_issue(
                self._issue_id("household_includes_chargers"),
                "household_includes_chargers",
                {
                    "site": self.config_entry.title,
                    "entity": str(self.option(CONF_HOUSEHOLD_POWER_ENTITY)),
                },
            )

    def _issue_id(self, key: str, cid: str | None = None) -> str:
        """Repair issues carry the site's id, so they can be cleared with it."""
        entry_id = self.config_entry.entry_id
        return f"{entry_id}_{key}" if cid is None else f"{entry_id}_{key}_{cid}"

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
        # Pressed before the car is plugged in, it waits for it (armed).
        charger.boost_plugged = charger.reading.connected is True
        await self.async_apply_setting(cid, mode=Mode.FAST, profile=Profile.PREMIUM)

    async def async_apply_setting(self, cid: str, **changes: Any) -> None:
        """Apply a user setting (mode, profile, ceiling, enabled) and act on it now."""
        charger = self.chargers[cid]
        if changes.get("enabled") and not charger.enabled:
            # Left alone meanwhile, the box may hold anything: learn it afresh.
            charger.last_command = None
        for key, value in changes.items():
            setattr(charger, key, value)
        await self.async_step(allow_increase=True)


def async_clear_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove a site's repair issues; those still true come back on their own."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(f"{entry_id}_"):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
