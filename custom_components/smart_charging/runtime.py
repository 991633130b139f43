"""One charger at run time, split by concern: its configuration, the user's
settings, the health of the link to its box, and the energy of its session."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from operator import is_

from homeassistant.config_entries import ConfigSubentry
from homeassistant.util import dt as dt_util

from .const import (
    CONF_BATTERY_KWH,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_PHASE_ROTATION,
    CONF_PHASES,
    CONF_PROFILE,
    CONF_SOC_ENTITY,
    DEFAULT_BATTERY_KWH,
    DEFAULT_DEPARTURE,
    DEFAULT_ENERGY_TARGET_KWH,
    DEFAULT_PHASE_ROTATION,
    DEFAULT_TARGET_SOC,
    WRITE_RETRY_MAX_S,
)
from .engine import Mode, Profile, Status
from .engine.control import ChargerView, Holding
from .engine.demand import draws_on_more
from .engine.limits import MIN_CHARGE_CURRENT
from .engine.readings import charger_power_range, check_power
from .sessions import Session, SessionProgress, Tariff
from .wallbox import ChargerBackend, ChargerReading

FIRST_RETRY_S = 10.0
SESSIONS_KEPT = 5  # the last sessions of each charger, for the diagnostics


@dataclass(frozen=True, slots=True)
class ChargerConfig:
    """What the charger's subentry says."""

    id: str
    name: str
    phases: int
    min_current: int
    max_current: int
    profile: Profile
    soc_entity: str | None = None  # the car's state of charge, in %
    battery_kwh: float = DEFAULT_BATTERY_KWH  # usable capacity, for SoC targets
    # The site phases the box's L1, L2, L3 are wired to (the main fuse).
    phase_rotation: str = DEFAULT_PHASE_ROTATION

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> ChargerConfig:
        data = subentry.data
        return cls(
            id=subentry.subentry_id,
            name=subentry.title,
            phases=int(data[CONF_PHASES]),
            min_current=int(data[CONF_MIN_CURRENT]),
            max_current=int(data[CONF_MAX_CURRENT]),
            profile=Profile(data.get(CONF_PROFILE, Profile.STANDARD)),
            soc_entity=data.get(CONF_SOC_ENTITY) or None,
            battery_kwh=float(data.get(CONF_BATTERY_KWH, DEFAULT_BATTERY_KWH)),
            phase_rotation=str(data.get(CONF_PHASE_ROTATION, DEFAULT_PHASE_ROTATION)),
        )


@dataclass(frozen=True, slots=True)
class UserSettings:
    """What the user chose through the charger's entities and actions."""

    mode: Mode = Mode.FAST
    profile: Profile = Profile.STANDARD
    ceiling: int | None = None  # None = the configured maximum
    enabled: bool = True
    # While boosted: the mode and profile to return to once the car is unplugged.
    boost_restore: tuple[Mode, Profile] | None = None
    # The target of `smart`: ready by the next `departure` (local time of day), or
    # by `departure_at` once (a date and time, in UTC, set through set_target),
    departure: time = DEFAULT_DEPARTURE
    departure_at: datetime | None = None
    # with this much more energy, or (a charger with a SoC sensor) this SoC in %.
    energy_target_kwh: float = DEFAULT_ENERGY_TARGET_KWH
    target_soc: float = DEFAULT_TARGET_SOC

    def with_departure(self, when: time | datetime) -> UserSettings:
        """A time of day: the departure of every day, a one-off one dropped; a date
        and time (local when naive): a one-off departure."""
        if isinstance(when, datetime):
            return replace(self, departure_at=dt_util.as_utc(when))
        return replace(self, departure=when, departure_at=None)

    def next_departure(self, now: datetime) -> datetime:
        """When the car must be ready next: the one-off departure while it is
        ahead, else the next `departure` time of day (local time)."""
        if self.departure_at is not None and self.departure_at > now:
            return self.departure_at
        zone = dt_util.get_default_time_zone()
        day = dt_util.as_local(now).date()
        when = datetime.combine(day, self.departure, tzinfo=zone)
        if when <= now:
            when = datetime.combine(day + timedelta(days=1), self.departure, zone)
        return when

    def boosted(self) -> UserSettings:
        """Full power until the car is unplugged; a second boost changes nothing."""
        restore = self.boost_restore or (self.mode, self.profile)
        return replace(
            self, mode=Mode.FAST, profile=Profile.PREMIUM, boost_restore=restore
        )

    def unboosted(self) -> UserSettings:
        """Back to what the boost replaced."""
        if self.boost_restore is None:
            return self
        mode, profile = self.boost_restore
        return replace(self, mode=mode, profile=profile, boost_restore=None)


def _backed_off(failures: int, now: float) -> float:
    """When the next try may be, after `failures` failures in a row: a doubling
    back-off."""
    return now + min(FIRST_RETRY_S * 2.0 ** (failures - 1), WRITE_RETRY_MAX_S)


@dataclass(slots=True)
class PhaseSwitchHealth:
    """The box's 1p/3p switch: a switch asked and not shown yet, and whether
    switching fails (SPEC §5 rules 6, 7 and 9)."""

    switching_to: int | None = None  # asked, not shown yet
    failing_since: float | None = None
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""

    def record_failure(self, error: str, now: float) -> None:
        """A switch failed or did not follow: retry on a doubling back-off."""
        self.switching_to = None
        self.failures += 1
        self.failing_since = self.failing_since or now
        self.retry_at = _backed_off(self.failures, now)
        self.last_error = error

    def record_success(self) -> None:
        """The switch shows the phases asked."""
        self.switching_to = None
        self.failing_since = None
        self.failures = 0
        self.retry_at = 0.0


@dataclass(slots=True)
class LinkHealth:
    """The link to the box: what it holds, and whether writes and reads succeed."""

    holding: Holding = field(default_factory=Holding)
    failing_since: float | None = None
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    read_error: str | None = None
    attempted: int | None = None  # a current whose write failed or is not shown
    keep_alive_at: float = 0.0
    phase_switch: PhaseSwitchHealth = field(default_factory=PhaseSwitchHealth)

    @property
    def failing(self) -> bool:
        """Writes or phase switches fail, or the box does not answer: status
        error."""
        return (
            self.failing_since is not None
            or self.read_error is not None
            or self.phase_switch.failing_since is not None
        )

    def record_failure(self, current: int, error: str, now: float) -> None:
        """A write failed: retry on a doubling back-off."""
        self.attempted = current
        self.failures += 1
        self.failing_since = self.failing_since or now
        self.retry_at = _backed_off(self.failures, now)
        self.last_error = error

    def record_success(self) -> None:
        """A write was taken and shown: the back-off ends."""
        self.attempted = None
        self.failing_since = None
        self.failures = 0
        self.retry_at = 0.0


@dataclass(slots=True)
class Metering:
    """The energy since plug-in, the session in progress and the last sessions."""

    session_kwh: float = 0.0  # shown from plug-in to the next plug-in
    unplugged: bool = False  # seen unplugged since the last plug-in
    progress: SessionProgress = field(default_factory=SessionProgress)
    solar: bool = False  # the site has a solar sensor: sessions have a solar share
    ended: list[Session] = field(default_factory=list)  # not yet published
    history: deque[Session] = field(default_factory=lambda: deque(maxlen=SESSIONS_KEPT))

    @property
    def last_session(self) -> Session | None:
        return self.history[-1] if self.history else None

    def add(
        self, kwh: float, now: float, solar: float = 0.0, tariff: Tariff | None = None
    ) -> None:
        """One interval's energy (and its solar part) at the price and carbon of
        now; counted in the session in progress, once a car was seen plugged in
        (a box that cannot tell has no sessions)."""
        self.session_kwh += kwh
        if self.progress.start is not None:
            self.progress.add(kwh, solar, tariff or Tariff(), now)

    def follow_plug(
        self, connected: bool | None, was: bool | None, now: float | None
    ) -> None:
        """A plug-in starts a session, an unplug records it. A session restored
        after a restart whose car left meanwhile ends when its energy last came."""
        if connected is False:
            self.unplugged = True
        elif connected is True and (was is False or self.unplugged):
            # Plugged in after an unplug, however long it could not be told.
            self.session_kwh = 0.0
            self.unplugged = False
        progress = self.progress
        if connected is False and progress.start is not None:
            end = now if was is True or progress.last is None else progress.last
            session = progress.finish(
                end if end is not None else progress.start, solar=self.solar
            )
            self.ended.append(session)
            self.history.append(session)
            self.progress = SessionProgress()
        elif connected is True and progress.start is None and now is not None:
            progress.start = now

    def take_ended(self) -> list[Session]:
        """The sessions recorded since last asked."""
        ended, self.ended = self.ended, []
        return ended


@dataclass(slots=True)
class ChargerRuntime:
    """One charger: its parts, and what its box last said."""

    config: ChargerConfig
    backend: ChargerBackend
    settings: UserSettings
    keep_alive_s: float | None = None  # the box's failsafe timer wants a refresh
    link: LinkHealth = field(default_factory=LinkHealth)
    metering: Metering = field(default_factory=Metering)
    reading: ChargerReading = field(default_factory=ChargerReading)
    power_problem: str | None = None  # why a box that measures power shows none
    status: Status | None = None
    boost_plugged: bool = False  # a car was plugged in since the boost
    # The last view and the very objects it was built from (see view()).
    _view: ChargerView | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _view_of: tuple[object, ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def phases(self) -> int:
        """The phases the box supplies: as its switch shows them, else (no switch,
        or one that does not tell now) the configured ones."""
        return self.reading.phases or self.config.phases

    @property
    def boost(self) -> str | None:
        """A boost waiting for the car (armed) or charging it (active)."""
        if self.settings.boost_restore is None:
            return None
        return "armed" if self.reading.connected is False else "active"

    def take_reading(
        self, reading: ChargerReading, voltage: float, now: float | None = None
    ) -> None:
        """What the box says now, its power checked; a plug-in starts a session
        and an unplug ends it and a boost."""
        self.metering.follow_plug(reading.connected, self.reading.connected, now)
        if self.settings.boost_restore is not None:
            if reading.connected is True:
                self.boost_plugged = True
            elif reading.connected is False and self.boost_plugged:
                self.settings = self.settings.unboosted()
                self.boost_plugged = False
        self.power_problem = None
        if self.backend.measures_power:
            if reading.power_w is None:
                self.power_problem = "unavailable"
            else:
                max_w = self.config.max_current * voltage * self.config.phases
                checked = check_power(reading.power_w, *charger_power_range(max_w))
                self.power_problem = checked.problem
                reading = replace(reading, power_w=checked.watts)
        if self._draws_on_more_phases(reading, voltage):
            # A switch that shows fewer phases than the box supplies (accepted but
            # not made): counted on its configured phases, and not switched.
            reading = replace(reading, phases=None)
        self.reading = reading

    def _draws_on_more_phases(self, reading: ChargerReading, voltage: float) -> bool:
        """Whether the car, charging, draws more than the phases the box's switch
        shows can carry at the current it holds."""
        held = self.link.holding.current or 0
        return (
            reading.phases is not None
            and reading.phases < self.config.phases
            and held >= MIN_CHARGE_CURRENT
            and draws_on_more(reading.power_w, held, reading.phases, voltage)
        )

    def lose_reading(self, error: str) -> None:
        """The box cannot be read: keep whether a car is there; what it drew is no
        longer known."""
        self.link.read_error = error
        self.reading = ChargerReading(connected=self.reading.connected)
        self.power_problem = None

    def view(self) -> ChargerView:
        """The charger as the control step sees it.

        Every step asks each charger, a decrease step without reading any box:
        the view is built again only when one of the objects it is made of was
        replaced (all are immutable), so a site of hundreds of chargers does not
        rebuild hundreds of identical views."""
        link = self.link
        made_of = (
            self.config,
            self.settings,
            self.reading,
            self.power_problem,
            self.backend.measures_power,
            link.holding,
            link.failing,
            link.retry_at,
            link.attempted,
        )
        if self._view is None or not all(map(is_, made_of, self._view_of, strict=True)):
            self._view, self._view_of = self._build_view(), made_of
        return self._view

    def _build_view(self) -> ChargerView:
        config, settings, link, reading = (
            self.config,
            self.settings,
            self.link,
            self.reading,
        )
        return ChargerView(
            id=config.id,
            name=config.name,
            phases=self.phases,
            min_current=config.min_current,
            max_current=config.max_current,
            ceiling=settings.ceiling,
            profile=settings.profile,
            mode=settings.mode,
            enabled=settings.enabled,
            connected=reading.connected,
            charging=reading.charging,
            power_w=reading.power_w,
            measures_power=self.backend.measures_power,
            power_problem=self.power_problem,
            accepts=reading.accepts,
            holding=link.holding,
            failing=link.failing,
            retry_at=link.retry_at,
            attempted=link.attempted,
            phase_rotation=config.phase_rotation,
            switchable=reading.phases is not None,
        )
