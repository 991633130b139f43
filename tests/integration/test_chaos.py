"""Chaos: random bad days through Home Assistant, and the site keeps to its limit.

Issue 10, item 8 (SPEC §5 rules 1, 5, 6, 8, 9 and 10). Hypothesis plays random
sequences of steps against a real Home Assistant: site sensors that report garbage,
wrong units, spikes and overflows; wallbox entities that go unavailable and come
back; a charger's power sensor that glitches; chargers added and removed; reloads.

The test keeps its own model of reality: the true household load and solar
production, and what each wallbox really holds. A wallbox is a template `number`
and `switch` whose availability follows an input_boolean; their actions write the
input_number / input_boolean that stand for what the box really holds, so a write
to an unavailable box is lost (Home Assistant skips unavailable entities). A box
with a car draws what it holds x 230 V x its phases; its power sensor and, on a
site with only a grid meter, the grid meter follow the truth at once.

After every step (settled, then one regular 10 s cycle) it asserts:
- nothing raised, nothing reached the loop, no ERROR was logged;
- a box no charger drives (its charger removed, or the entry gone at the end) is
  left paused: the site's failsafe current is 0 (rule 10);
- site inputs usable: the true import is within the grid limit, or, where the
  household and the boxes no one can reach exceed it on their own, every other box
  draws nothing;
- a site input unusable (on a grid-meter site a charger's power reading is one):
  every charger is failsafe, error, off or disconnected and no box draws more than
  before the step; a charger whose own power sensor is unusable (rule 8): the same
  for that charger.

Left out, as no controller could do better: a charger is not removed while its box
is unavailable (nobody could pause that box), and a reading that is wrong but
plausible is never shown.

Each example sets up its own site entry and removes it at the end. Hypothesis
cannot drive an async test with function-scoped fixtures, so the test runs it in a
worker thread and each example runs its coroutine on Home Assistant's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
import itertools
import logging
from types import MappingProxyType
from typing import Any, Literal

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from tests.conftest import (
    GRID,
    HOUSEHOLD,
    SOLAR,
    charger_data,
    find_entity,
    settle,
    tick,
)

type EntryFactory = Callable[..., Awaitable[ConfigEntry]]

BOXES = 4  # wallboxes on site; an example starts with chargers on 2 or 3 of them
BOX_MAX_A = 32
VOLTAGE = 230.0
TOLERANCE_W = 1.0
EXAMPLE_TIMEOUT_S = 60.0
POWER_UNITS = {"W": 1.0, "kW": 1e3, "MW": 1e6}
# Statuses that promise the charger is not being raised.
QUIET = frozenset({"failsafe", "error", "off", "disconnected"})
WATCHED_LOGGERS = ("custom_components.smart_charging", "homeassistant", "asyncio")

type SiteSensor = Literal["meter", "solar"]  # meter: household, or grid if alone
type Sensor = SiteSensor | int  # an int: that box's power sensor
SITE_SENSORS: tuple[SiteSensor, ...] = ("meter", "solar")


# What the sensors show -------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What a power sensor shows: the truth, or something nobody should trust."""

    state: str | None = None  # None: the true value, in `unit` (W if no power unit)
    unit: str | None = "W"  # None: no unit attribute at all

    @property
    def usable(self) -> bool:
        return self.state is None and self.unit in POWER_UNITS

    def shown(self, true_w: float) -> tuple[str, dict[str, str]]:
        """The state and attributes that show `true_w` this way."""
        state = self.state
        if state is None:
            state = repr(true_w / POWER_UNITS.get(self.unit or "W", 1.0))
        attributes = {"device_class": "power", "state_class": "measurement"}
        if self.unit is not None:
            attributes["unit_of_measurement"] = self.unit
        return state, attributes


def bad_readings(spikes: tuple[str, ...]) -> st.SearchStrategy[Reading]:
    """Unusable readings: garbage, missing, not finite, implausible, wrong unit."""
    words = ("abc", "", "1_000", "unavailable", "unknown", "nan", "inf")
    return st.one_of(
        st.sampled_from(words).map(Reading),
        st.sampled_from(spikes).map(lambda state: Reading(state, "W")),
        st.sampled_from(("1e308", "-1e308")).map(lambda state: Reading(state, "MW")),
        st.sampled_from((None, "%", "kWh")).map(lambda unit: Reading(None, unit)),
    )


SITE_SPIKES = ("1e9", "-1e6")  # beyond 10x the limit, under -0.5 kW
BOX_SPIKES = ("1e6", "1e9")  # beyond 1.25x any charger's maximum


# The site and the steps --------------------------------------------------------------


@dataclass(frozen=True)
class ChargerSpec:
    profile: str
    max_current: int
    use_switch: bool
    use_power: bool


@dataclass(frozen=True)
class BoxSpec:
    phases: int
    plugged: bool  # a car is plugged in and takes all it is given
    start_a: int  # what it holds before Smart Charging is set up


@dataclass(frozen=True)
class SiteSpec:
    limit_kw: int
    grid_meter_only: bool  # no household sensor: the grid meter stands in
    household_w: int
    solar_w: int
    boxes: tuple[BoxSpec, ...]
    chargers: tuple[ChargerSpec, ...]  # on boxes 0, 1, ... in order


@dataclass(frozen=True)
class NewValue:
    """The household load or solar production changes; its sensor tells the truth."""

    sensor: SiteSensor
    watts: int
    unit: str


@dataclass(frozen=True)
class Show:
    """A sensor shows this from now on; the truth does not change."""

    sensor: Sensor
    reading: Reading


@dataclass(frozen=True)
class SetAvailable:
    """A wallbox's entities go unavailable or come back; what it holds stays."""

    box: int
    available: bool


@dataclass(frozen=True)
class AddCharger:
    """A charger subentry for the first box without one (none free: nothing)."""

    charger: ChargerSpec


@dataclass(frozen=True)
class RemoveCharger:
    """Remove a charger subentry (by position); not while its box is unavailable,
    as then nobody can leave that box paused."""

    index: int


@dataclass(frozen=True)
class Reload:
    """Reload the site entry."""


type Step = NewValue | Show | SetAvailable | AddCharger | RemoveCharger | Reload


def charger_specs() -> st.SearchStrategy[ChargerSpec]:
    return st.builds(
        ChargerSpec,
        profile=st.sampled_from(("standard", "premium")),
        max_current=st.sampled_from((16, 32)),
        use_switch=st.booleans(),
        use_power=st.booleans(),
    )


def site_specs() -> st.SearchStrategy[SiteSpec]:
    box = st.builds(
        BoxSpec,
        phases=st.sampled_from((3, 1)),
        plugged=st.booleans(),
        start_a=st.sampled_from((0, 6, 16, 32)),
    )
    return st.builds(
        SiteSpec,
        limit_kw=st.sampled_from((36, 22, 11)),
        grid_meter_only=st.booleans(),
        household_w=st.integers(-400, 45_000),
        solar_w=st.integers(0, 45_000),
        boxes=st.tuples(*[box] * BOXES),
        chargers=st.lists(charger_specs(), min_size=2, max_size=3).map(tuple),
    )


def step_specs() -> st.SearchStrategy[Step]:
    box = st.integers(0, BOXES - 1)
    site_sensor = st.sampled_from(SITE_SENSORS)
    return st.one_of(
        st.builds(
            NewValue,
            site_sensor,
            st.integers(-400, 45_000),
            st.sampled_from(tuple(POWER_UNITS)),
        ),
        st.builds(Show, site_sensor, bad_readings(SITE_SPIKES)),
        st.builds(Show, box, st.just(Reading()) | bad_readings(BOX_SPIKES)),
        st.builds(SetAvailable, box, st.booleans()),
        st.builds(AddCharger, charger_specs()),
        st.builds(RemoveCharger, st.integers(0, 2)),
        st.just(Reload()),
    )


# The wallboxes -----------------------------------------------------------------------


def jinja(expression: str) -> str:
    return "{{ " + expression + " }}"


def real_current(box: int) -> str:
    return f"input_number.box{box}_real"


def real_switch(box: int) -> str:
    return f"input_boolean.box{box}_on"


def up(box: int) -> str:
    return f"input_boolean.box{box}_up"


def power_sensor(box: int) -> str:
    return f"sensor.box{box}_power"


def box_of(subentry: ConfigSubentry) -> int:
    return int(str(subentry.data["current_entity"]).removeprefix("number.box"))


async def setup_template_wallboxes(hass: HomeAssistant) -> None:
    """number.boxN and switch.boxN, unavailable while input_boolean.boxN_up is
    off; what they set is input_number.boxN_real and input_boolean.boxN_on."""
    boxes = range(BOXES)
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {f"box{b}_{k}": {} for b in boxes for k in ("up", "on")}},
    )
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                f"box{b}_real": {"min": 0, "max": BOX_MAX_A, "step": 1} for b in boxes
            }
        },
    )
    numbers = [
        {
            "name": f"box{b}",
            "unique_id": f"box{b}_current",
            "state": jinja(f"states('{real_current(b)}') | float(0)"),
            "availability": jinja(f"is_state('{up(b)}', 'on')"),
            "min": 0,
            "max": BOX_MAX_A,
            "step": 1,
            "unit_of_measurement": "A",
            "set_value": [
                {
                    "action": "input_number.set_value",
                    "target": {"entity_id": real_current(b)},
                    "data": {"value": jinja("value")},
                }
            ],
        }
        for b in boxes
    ]
    switches = [
        {
            "name": f"box{b}",
            "unique_id": f"box{b}_switch",
            "state": jinja(f"is_state('{real_switch(b)}', 'on')"),
            "availability": jinja(f"is_state('{up(b)}', 'on')"),
            "turn_on": [
                {
                    "action": "input_boolean.turn_on",
                    "target": {"entity_id": real_switch(b)},
                }
            ],
            "turn_off": [
                {
                    "action": "input_boolean.turn_off",
                    "target": {"entity_id": real_switch(b)},
                }
            ],
        }
        for b in boxes
    ]
    assert await async_setup_component(
        hass, "template", {"template": [{"number": numbers, "switch": switches}]}
    )
    await settle(hass)


def charger_on_box(
    name: str, box: int, spec: ChargerSpec, phases: int
) -> ConfigSubentryData:
    extra: dict[str, Any] = {}
    if spec.use_switch:
        extra["switch_entity"] = f"switch.box{box}"
    if spec.use_power:
        extra["power_entity"] = power_sensor(box)
    return charger_data(
        name,
        f"number.box{box}",
        phases=phases,
        max_current=spec.max_current,
        profile=spec.profile,
        **extra,
    )


# The model of reality ----------------------------------------------------------------


class World:
    """What is really there, and the Home Assistant entities that show it."""

    def __init__(self, hass: HomeAssistant, site: SiteSpec, name: str) -> None:
        self.hass = hass
        self.site = site
        self.name = name
        self.household_w = float(site.household_w)
        self.solar_w = float(site.solar_w)
        self.shown: dict[Sensor, Reading] = {
            sensor: Reading() for sensor in (*SITE_SENSORS, *range(BOXES))
        }
        self.entry: ConfigEntry | None = None
        self.history: list[str] = []

    # Truth

    @property
    def limit_w(self) -> float:
        return self.site.limit_kw * 1000.0

    def available(self, box: int) -> bool:
        state = self.hass.states.get(up(box))
        return state is not None and state.state == "on"

    def held_a(self, box: int) -> float:
        """The current the box really gives a car (0 while its switch is off)."""
        switch = self.hass.states.get(real_switch(box))
        current = self.hass.states.get(real_current(box))
        if switch is None or switch.state != "on" or current is None:
            return 0.0
        return float(current.state)

    def draw_w(self, box: int) -> float:
        spec = self.site.boxes[box]
        return self.held_a(box) * VOLTAGE * spec.phases if spec.plugged else 0.0

    def import_w(self) -> float:
        boxes = sum(self.draw_w(box) for box in range(BOXES))
        return self.household_w + boxes - self.solar_w

    def true_w(self, sensor: Sensor) -> float:
        if sensor == "solar":
            return self.solar_w
        if sensor == "meter":
            return self.import_w() if self.site.grid_meter_only else self.household_w
        return self.draw_w(sensor)

    # Entities

    def entity(self, sensor: Sensor) -> str:
        if sensor == "solar":
            return SOLAR
        if sensor == "meter":
            return GRID if self.site.grid_meter_only else HOUSEHOLD
        return power_sensor(sensor)

    @callback
    def publish(self) -> None:
        """Every sensor shows what it shows of the truth now."""
        for sensor, reading in self.shown.items():
            state, attributes = reading.shown(self.true_w(sensor))
            self.hass.states.async_set(self.entity(sensor), state, attributes)

    @callback
    def follow(self, _: Event[EventStateChangedData]) -> None:
        """A box changed what it holds: its power sensor and the grid meter see it
        at once."""
        self.publish()

    async def reset(self) -> None:
        """Boxes back to their starting state: up, switched on, at start_a (those
        without a charger at 0 A)."""
        managed = len(self.site.chargers)
        for box, spec in enumerate(self.site.boxes):
            for entity_id in (up(box), real_switch(box)):
                await self.hass.services.async_call(
                    "input_boolean", "turn_on", {"entity_id": entity_id}, blocking=True
                )
            await self.hass.services.async_call(
                "input_number",
                "set_value",
                {
                    "entity_id": real_current(box),
                    "value": spec.start_a if box < managed else 0,
                },
                blocking=True,
            )
        self.publish()
        await settle(self.hass)

    def site_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "grid_limit_kw": float(self.site.limit_kw),
            "household_power_entity": (
                None if self.site.grid_meter_only else HOUSEHOLD
            ),
            "grid_power_entity": GRID if self.site.grid_meter_only else None,
            "solar_power_entity": SOLAR,
            "safety_margin_kw": 0.0,
            # A removed charger's box is left paused: nobody guards it after.
            "failsafe_current": 0,
            "stale_after_s": 0,  # staleness is not part of this test
        }

    def initial_chargers(self) -> list[ConfigSubentryData]:
        return [self.charger(box, spec) for box, spec in enumerate(self.site.chargers)]

    def charger(self, box: int, spec: ChargerSpec) -> ConfigSubentryData:
        phases = self.site.boxes[box].phases
        return charger_on_box(f"{self.name} box{box}", box, spec, phases)

    # Chargers

    def chargers(self) -> dict[str, int]:
        """Subentry id -> the box it drives (none once the entry is removed)."""
        if self.entry is None:
            return {}
        return {sid: box_of(sub) for sid, sub in self.entry.subentries.items()}

    def uses_power(self, box: int) -> bool:
        if self.entry is None:
            return False
        return any(
            box_of(sub) == box and "power_entity" in sub.data
            for sub in self.entry.subentries.values()
        )

    def status(self, sid: str) -> str:
        state = self.hass.states.get(find_entity(self.hass, "sensor", f"{sid}_status"))
        return "missing" if state is None else state.state

    # Steps

    async def apply(self, step: Step) -> None:
        hass = self.hass
        entry = self.entry
        assert entry is not None
        match step:
            case NewValue(sensor=sensor, watts=watts, unit=unit):
                if sensor == "meter":
                    self.household_w = float(watts)
                else:
                    self.solar_w = float(watts)
                self.shown[sensor] = Reading(None, unit)
                self.publish()
            case Show(sensor=sensor, reading=reading):
                self.shown[sensor] = reading
                self.publish()
            case SetAvailable(box=box, available=available):
                service = "turn_on" if available else "turn_off"
                await hass.services.async_call(
                    "input_boolean", service, {"entity_id": up(box)}, blocking=True
                )
            case AddCharger(charger=spec):
                taken = set(self.chargers().values())
                free = [box for box in range(BOXES) if box not in taken]
                if free:
                    data = self.charger(free[0], spec)
                    subentry = ConfigSubentry(
                        data=MappingProxyType(data["data"]),
                        subentry_type=data["subentry_type"],
                        title=data["title"],
                        unique_id=None,
                    )
                    hass.config_entries.async_add_subentry(entry, subentry)
            case RemoveCharger(index=index):
                chargers = list(self.chargers().items())
                if chargers:
                    sid, box = chargers[index % len(chargers)]
                    if self.available(box):
                        hass.config_entries.async_remove_subentry(entry, sid)
            case Reload():
                await hass.config_entries.async_reload(entry.entry_id)

    # Properties

    def snapshot(self) -> list[float]:
        return [self.held_a(box) for box in range(BOXES)]

    def describe(self, label: str) -> str:
        boxes = ", ".join(
            f"box{box}{'' if self.available(box) else '(unavailable)'} "
            f"{self.held_a(box):g} A/{self.site.boxes[box].phases}p"
            f"{'' if self.site.boxes[box].plugged else ' no car'}"
            for box in range(BOXES)
        )
        statuses = ", ".join(
            f"box{box} {self.status(sid)}" for sid, box in self.chargers().items()
        )
        unusable = ", ".join(
            f"{self.entity(sensor)} {reading.state!r} {reading.unit}"
            for sensor, reading in self.shown.items()
            if not reading.usable
        )
        meter = "grid meter" if self.site.grid_meter_only else "household"
        return (
            f"{label}: import {self.import_w():.0f} W of {self.limit_w:.0f} "
            f"(household {self.household_w:.0f}, solar {self.solar_w:.0f}, {meter}); "
            f"{boxes}; chargers: {statuses}; unusable: {unusable or 'none'}"
        )

    def check(self, before: list[float], label: str) -> None:
        """The properties after one step (`before`: what the boxes held before it),
        each asserted on a line of its own: hypothesis shrinks and reports each
        kind of failure apart."""
        self.history.append(self.describe(label))
        left = self.left_running()
        assert not left, self.report(left)
        site_usable = self.site_usable()
        over = self.over_the_limit() if site_usable else []
        assert not over, self.report(over)
        if not site_usable:  # every charger is concerned
            loud = self.loud(self.chargers())
            assert not loud, self.report(loud)
            rising = self.rising(before, range(BOXES))
            assert not rising, self.report(rising)
        else:  # those whose own power sensor is unusable
            blind = self.blind_chargers()
            loud = self.loud(blind)
            assert not loud, self.report(loud)
            rising = self.rising(before, blind.values())
            assert not rising, self.report(rising)

    def report(self, problems: list[str]) -> str:
        return "\n".join([*problems, "history:", *self.history])

    def site_usable(self) -> bool:
        meters = all(self.shown[sensor].usable for sensor in SITE_SENSORS)
        if not self.site.grid_meter_only:
            return meters
        # Without a household sensor the chargers' power is part of the household.
        return meters and all(
            self.shown[box].usable for box in range(BOXES) if self.uses_power(box)
        )

    def blind_chargers(self) -> dict[str, int]:
        """The chargers whose own power sensor is unusable, and their boxes."""
        return {
            sid: box
            for sid, box in self.chargers().items()
            if self.uses_power(box) and not self.shown[box].usable
        }

    def over_the_limit(self) -> list[str]:
        # Boxes nobody can reach keep drawing; the others can always pause.
        stuck_w = sum(self.draw_w(b) for b in range(BOXES) if not self.available(b))
        unavoidable_w = self.household_w - self.solar_w + stuck_w
        allowed_w = max(self.limit_w, unavoidable_w) + TOLERANCE_W
        if self.import_w() <= allowed_w:
            return []
        return [f"import {self.import_w():.0f} W over {allowed_w:.0f} W"]

    def left_running(self) -> list[str]:
        """Boxes no charger drives that still give current: a removed charger's
        box, and every box once the entry is gone, is left paused (failsafe
        current 0), except one that cannot be reached."""
        managed = set(self.chargers().values())
        return [
            f"box{box} left at {self.held_a(box):g} A with nobody guarding it"
            for box in range(BOXES)
            if box not in managed and self.available(box) and self.held_a(box) > 0
        ]

    def loud(self, chargers: dict[str, int]) -> list[str]:
        """Those of `chargers` whose status does not say they are held back."""
        return [
            f"box{box}'s charger is {status!r} on unusable input"
            for sid, box in chargers.items()
            if (status := self.status(sid)) not in QUIET
        ]

    def rising(self, before: list[float], boxes: Iterable[int]) -> list[str]:
        """Those of `boxes` that give more than before the step."""
        return [
            f"box{box} rose from {before[box]:g} A to {self.held_a(box):g} A "
            "on unusable input"
            for box in sorted(boxes)
            if self.held_a(box) > before[box]
        ]


# Errors ------------------------------------------------------------------------------


def watch_loop(hass: HomeAssistant) -> list[str]:
    """Whatever reaches the event loop's exception handler, from now on."""
    seen: list[str] = []
    previous = hass.loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        seen.append(repr(context.get("exception") or context.get("message")))
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    hass.loop.set_exception_handler(handler)
    return seen


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith(WATCHED_LOGGERS)
    ]


# The test ----------------------------------------------------------------------------


@dataclass
class Rig:
    """What every example needs of the test's fixtures."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    caplog: pytest.LogCaptureFixture
    site_entry_factory: EntryFactory
    loop_errors: list[str]
    names: Iterator[int]

    async def play(self, site: SiteSpec, steps: list[Step]) -> None:
        """One example: a site of its own, the steps, the checks; then it goes."""
        hass = self.hass
        self.caplog.clear()
        self.loop_errors.clear()
        # A name of its own: no entity restores the state of an earlier example's.
        world = World(hass, site, f"Site {next(self.names)}")
        await world.reset()
        real = [real_current(b) for b in range(BOXES)]
        unsubscribe = async_track_state_change_event(
            hass, [*real, *(real_switch(b) for b in range(BOXES))], world.follow
        )
        try:
            before = world.snapshot()
            world.entry = await self.site_entry_factory(
                world.initial_chargers(), **world.site_config()
            )
            await tick(hass, self.freezer)
            self.check(world, before, "set-up")
            for number, step in enumerate(steps):
                before = world.snapshot()
                await world.apply(step)
                await settle(hass)
                await tick(hass, self.freezer)
                self.check(world, before, f"step {number} {step}")
            await self.remove(world)
            self.check_no_errors(world, "entry removed")
            left = world.left_running()
            assert not left, world.report(left)
        finally:
            unsubscribe()
            await self.remove(world)

    async def remove(self, world: World) -> None:
        if world.entry is not None:
            entry_id, world.entry = world.entry.entry_id, None
            await self.hass.config_entries.async_remove(entry_id)
            await settle(self.hass)

    def check(self, world: World, before: list[float], label: str) -> None:
        self.check_no_errors(world, label)
        world.check(before, label)

    def check_no_errors(self, world: World, label: str) -> None:
        errors = logged_errors(self.caplog) + self.loop_errors
        assert not errors, world.report([f"{label}: {error}" for error in errors])


def let_hypothesis_keep_real_time() -> None:
    """freezegun stops hypothesis's clock too: after 30 ticks of 10 s it would think
    it had been shrinking for five minutes and stop half-way."""
    ignored = freezegun.api.ignore_lists
    ignored[-1] = (*ignored[-1], "hypothesis")


# Passing takes well under a minute; a failure is shrunk for up to five.
@pytest.mark.timeout(600)
async def test_chaos(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    site_entry_factory: EntryFactory,
) -> None:
    caplog.set_level(logging.WARNING)  # fewer records to keep, and faster
    # asyncio's debug mode makes every example four times slower.
    debug, handler = hass.loop.get_debug(), hass.loop.get_exception_handler()
    hass.loop.set_debug(False)
    let_hypothesis_keep_real_time()
    await setup_template_wallboxes(hass)
    rig = Rig(
        hass, freezer, caplog, site_entry_factory, watch_loop(hass), itertools.count()
    )

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(site=site_specs(), steps=st.lists(step_specs(), min_size=5, max_size=20))
    def chaos(site: SiteSpec, steps: list[Step]) -> None:
        future = asyncio.run_coroutine_threadsafe(rig.play(site, steps), hass.loop)
        try:
            future.result(EXAMPLE_TIMEOUT_S)
        finally:
            future.cancel()

    # Not hass.async_add_executor_job: Home Assistant would count the thread among
    # its own jobs, and every example's settle would wait for it to end.
    try:
        await asyncio.get_running_loop().run_in_executor(None, chaos)
    finally:
        hass.loop.set_debug(debug)
        hass.loop.set_exception_handler(handler)
