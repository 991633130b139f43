"""Automatic 1p/3p switching through a charger's phase switch (SPEC §4 `solar`,
§5 rules 7 and 9): a three-phase box on solar whose input_boolean switches it
between three phases (on) and one (off)."""

from __future__ import annotations

from dataclasses import dataclass, field

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    HOUSEHOLD,
    SOLAR,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    set_mode,
    settle,
    setup_wallboxes,
    state_of,
    tick,
    wallbox_current,
)

WB1 = "input_number.wb1"
SWITCH = "input_boolean.three_phases"


@dataclass
class Recorder:
    """Every change of the box's current and of its phase switch, with its time."""

    changes: list[tuple[float, str, str]] = field(default_factory=list)

    @callback
    def on_change(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        assert new is not None
        now = dt_util.utcnow().timestamp()
        self.changes.append((now, event.data["entity_id"], new.state))

    def switches(self) -> list[tuple[float, str]]:
        """When the phase switch moved, and to what."""
        return [(t, s) for t, e, s in self.changes if e == SWITCH]

    def current_at(self, when: float) -> float:
        """The box's current just before `when`."""
        held = [float(s) for t, e, s in self.changes if e == WB1 and t <= when]
        return held[-1]

    def first_charge_after(self, when: float) -> tuple[float, float]:
        """When, and at what current, the box charged first after `when`."""
        return next(
            (t, float(s))
            for t, e, s in self.changes
            if e == WB1 and t > when and float(s) > 0
        )


async def solar_car(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    switch: str = SWITCH,
    **charger: str,
) -> tuple[MockConfigEntry, str, Recorder]:
    """A 3-phase box on solar with a phase switch, 1 kW of household load and
    6 kW of solar (5 kW of surplus: 7 A on three phases)."""
    await setup_wallboxes(hass, "wb1")
    await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"three_phases": {"initial": True}}}
    )
    power_state(hass, HOUSEHOLD, 1000)
    power_state(hass, SOLAR, 6000)
    recorder = Recorder()
    async_track_state_change_event(hass, [WB1, SWITCH], recorder.on_change)
    entry = await site_entry_factory(
        [charger_data("Car", WB1, phase_switch_entity=switch, **charger)],
        solar_power_entity=SOLAR,
        stale_after_s=0,
    )
    cid = next(iter(entry.subentries))
    await set_mode(hass, cid, "solar")
    return entry, cid, recorder


def phases_in_use(hass: HomeAssistant, cid: str) -> str:
    return state_of(hass, find_entity(hass, "sensor", f"{cid}_phases_in_use")).state


async def test_one_phase_below_the_three_phase_minimum_and_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """2.5 kW of surplus (between the 1.38 kW one-phase and 4.14 kW three-phase
    minimum): paused, switched to one phase while at 0 A, resumed 30 s later on
    one phase; 5 kW again: back to three phases through a pause, once 600 s have
    passed since the first switch."""
    _entry, cid, recorder = await solar_car(hass, site_entry_factory)
    for _ in range(8):
        await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 7
    assert phases_in_use(hass, cid) == "3"

    power_state(hass, SOLAR, 3500)  # 2.5 kW of surplus
    await settle(hass)
    for _ in range(10):
        await tick(hass, freezer)
    ((down_at, down),) = recorder.switches()
    assert down == "off"
    assert recorder.current_at(down_at) == 0  # only while paused
    resumed_at, resumed = recorder.first_charge_after(down_at)
    assert resumed_at - down_at >= 30
    assert resumed >= 6
    assert wallbox_current(hass, "wb1") == 10  # 2.5 kW / 230 V
    assert phases_in_use(hass, cid) == "1"

    # 5 kW: 7 A on three phases, 1 A to spare; the 300 s it must last for are
    # over before the 600 s since the last switch.
    power_state(hass, SOLAR, 6000)
    await settle(hass)
    for _ in range(60):
        await tick(hass, freezer)
    (_, (up_at, up)) = recorder.switches()
    assert up == "on"
    assert 600 <= up_at - down_at <= 620
    assert recorder.current_at(up_at) == 0
    assert recorder.first_charge_after(up_at)[0] - up_at >= 30
    assert wallbox_current(hass, "wb1") == 7
    assert phases_in_use(hass, cid) == "3"


async def test_a_phase_switch_that_does_not_follow_is_an_error(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """A switch whose state stays on: status error, the box paused for the switch's
    wait only, the switch retried on a back-off, and a repair issue names it."""
    await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "switch": [
                        {
                            "name": "Stuck phases",
                            "state": "{{ true }}",
                            "turn_on": [],
                            "turn_off": [],
                        }
                    ]
                }
            ]
        },
    )
    entry, cid, recorder = await solar_car(
        hass, site_entry_factory, "switch.stuck_phases"
    )
    for _ in range(8):
        await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 7

    power_state(hass, SOLAR, 3500)
    await settle(hass)
    paused = None
    for _ in range(75):  # the next try 10 minutes after the first
        await tick(hass, freezer)
        if paused is None and wallbox_current(hass, "wb1") == 0:
            paused = dt_util.utcnow().timestamp()
    assert paused is not None
    # Held paused for the switch's 30 s wait; then the switch is given up and the
    # car charges as the three phases it has allow (the next try in 10 minutes).
    assert all(
        float(s) == 0
        for t, e, s in recorder.changes
        if e == WB1 and paused <= t < paused + 30
    )
    status = find_entity(hass, "sensor", f"{cid}_status")
    assert state_of(hass, status).state == "error"
    assert phases_in_use(hass, cid) == "3"
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_phase_switch_failed_{cid}"
    )
    assert issue is not None
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    charger = diagnostics["chargers"][cid]
    assert charger["config"]["phase_switch_entity"] == "switch.stuck_phases"
    assert charger["phases"] == 3
    assert 1 < charger["phase_switch"]["failures"] < 10  # backed off


async def test_a_phase_switch_that_does_not_tell_is_left_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """While the switch is unavailable the box counts on its configured three
    phases and is not switched (it stops for lack of sun like any box); once the
    switch tells again, it is."""
    _entry, cid, recorder = await solar_car(hass, site_entry_factory)
    for _ in range(8):
        await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") == 7
    hass.states.async_set(SWITCH, "unavailable")
    power_state(hass, SOLAR, 3500)  # 2.5 kW of surplus
    await settle(hass)
    for _ in range(30):
        await tick(hass, freezer)
    assert [state for _, state in recorder.switches()] == ["unavailable"]
    assert wallbox_current(hass, "wb1") == 0
    assert phases_in_use(hass, cid) == "3"

    hass.states.async_set(SWITCH, "on")
    for _ in range(16):  # switched, then a solar restart's 120 s
        await tick(hass, freezer)
    assert [state for _, state in recorder.switches()] == ["unavailable", "on", "off"]
    assert wallbox_current(hass, "wb1") == 10
    assert phases_in_use(hass, cid) == "1"


async def test_a_switch_that_shows_one_phase_while_the_car_draws_three_is_not_trusted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """Switched to one phase, but the car's power shows it draws on three: it is
    counted on its configured three phases again (SPEC §5 rule 1)."""
    power_state(hass, "sensor.car_power", 0)
    _entry, cid, _recorder = await solar_car(
        hass, site_entry_factory, power_entity="sensor.car_power"
    )
    power_state(hass, SOLAR, 3500)  # 2.5 kW of surplus: one phase
    await settle(hass)
    for _ in range(10):
        await tick(hass, freezer)
    held = wallbox_current(hass, "wb1")
    assert held == 10
    power_state(hass, "sensor.car_power", held * 230)
    await tick(hass, freezer)
    assert phases_in_use(hass, cid) == "1"

    power_state(hass, "sensor.car_power", held * 230 * 3)  # the box kept three
    await tick(hass, freezer)
    assert phases_in_use(hass, cid) == "3"
    # Counted on three phases, 10 A is far beyond the 2.5 kW of surplus.
    await tick(hass, freezer)
    assert wallbox_current(hass, "wb1") < held
