"""Never over the limit, whatever the sensors and the wallboxes do (issue 10).

One test per way the hostile test pass broke SPEC §5 rules 1, 5, 6, 8, 9 and 10.
The wallboxes are real Home Assistant entities; where a box must really become
unavailable, a template entity stands for its integration and an input_number or
input_boolean for what the box really holds. The site's true import is computed
from what the boxes really hold, never from what the integration believes.
"""

from __future__ import annotations

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    GRID,
    HOUSEHOLD,
    LIMIT_W,
    SOLAR,
    WATTS_PER_AMP,
    EntryFactory,
    amps,
    charger_data,
    find_entity,
    power_state,
    select,
    settle,
    setup_wallboxes,
    state_of,
    tick,
)

ONLINE = "input_boolean.a_online"  # whether box A's integration answers
A_REAL = "input_number.a_real"  # the current box A really holds
A_REAL_ON = "input_boolean.a_real_on"  # whether box A really charges
A_CURRENT = "number.a_current"  # box A's current entity, while online
A_SWITCH = "switch.a_charging"  # box A's switch entity, while online
WB1 = "input_number.wb1"
WB2 = "input_number.wb2"


# Reading what is there --------------------------------------------------------


def true_import_w(household_w: float, *held: float) -> float:
    """The site's real import: household plus what the boxes really draw."""
    return household_w + sum(held) * WATTS_PER_AMP


def status_of(hass: HomeAssistant, cid: str) -> str:
    return state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state


def boost_of(hass: HomeAssistant, cid: str) -> Any:
    status = state_of(hass, find_entity(hass, "sensor", f"{cid}_status"))
    return status.attributes.get("boost")


def session_energy(hass: HomeAssistant, cid: str) -> float:
    return float(
        state_of(hass, find_entity(hass, "sensor", f"{cid}_session_energy")).state
    )


def values_written(hass: HomeAssistant, entity_id: str) -> list[float]:
    """Every value set on entity_id (number/input_number set_value) from now on."""
    values: list[float] = []

    @callback
    def listener(event: Event[dict[str, Any]]) -> None:
        if event.data["service"] != "set_value":
            return
        data = event.data["service_data"]
        targets = data.get("entity_id")
        if targets == entity_id or (isinstance(targets, list) and entity_id in targets):
            values.append(float(data["value"]))

    hass.bus.async_listen(EVENT_CALL_SERVICE, listener)
    return values


# Setting the site up ----------------------------------------------------------


async def setup_boxes(hass: HomeAssistant, **maxima: int) -> None:
    """input_number wallboxes, each with its own maximum."""
    await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                name: {"min": 0, "max": top, "step": 1, "initial": 0}
                | {"unit_of_measurement": "A"}
                for name, top in maxima.items()
            }
        },
    )


async def setup_unreliable_box_a(hass: HomeAssistant) -> None:
    """Box A behind template entities that are unavailable while A_ONLINE is off.

    A_REAL and A_REAL_ON hold what the box really does; A_CURRENT and A_SWITCH are
    what its integration shows of it. Box B is the plain input_number WB2.
    """
    await setup_boxes(hass, a_real=32, wb1=32, wb2=32)
    await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {"a_online": {"initial": True}, "a_real_on": {}}},
    )
    online = "{{ is_state('input_boolean.a_online', 'on') }}"
    number = {
        "name": "A current",
        "state": "{{ states('input_number.a_real') | float(0) }}",
        "availability": online,
        "min": 0,
        "max": 32,
        "step": 1,
        "unit_of_measurement": "A",
        "set_value": {
            "action": "input_number.set_value",
            "target": {"entity_id": A_REAL},
            "data": {"value": "{{ value }}"},
        },
    }
    switch = {
        "name": "A charging",
        "state": "{{ is_state('input_boolean.a_real_on', 'on') }}",
        "availability": online,
        "turn_on": {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": A_REAL_ON},
        },
        "turn_off": {
            "action": "input_boolean.turn_off",
            "target": {"entity_id": A_REAL_ON},
        },
    }
    assert await async_setup_component(
        hass, "template", {"template": [{"number": [number], "switch": [switch]}]}
    )
    await settle(hass)


async def set_online(hass: HomeAssistant, online: bool) -> None:
    """Box A's integration answers again, or stops answering."""
    await hass.services.async_call(
        "input_boolean",
        "turn_on" if online else "turn_off",
        {"entity_id": ONLINE},
        blocking=True,
    )
    await settle(hass)


async def two_boxes(
    hass: HomeAssistant,
    site_entry_factory: EntryFactory,
    household_w: float,
    **site: Any,
) -> tuple[MockConfigEntry, str, str]:
    """A on WB1 and B on WB2, both standard up to 32 A."""
    await setup_wallboxes(hass, "wb1", "wb2")
    power_state(hass, HOUSEHOLD, household_w)
    entry = await site_entry_factory(
        [charger_data("A", WB1), charger_data("B", WB2)], **site
    )
    a, b = list(entry.subentries)
    return entry, a, b


def device_of(hass: HomeAssistant, entry: MockConfigEntry, cid: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, cid), entry.entry_id
    )
    assert device is not None
    return device.id


# 1. A charger removed while charging ------------------------------------------


async def test_a_removed_charger_is_left_paused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry, _, b = await two_boxes(hass, site_entry_factory, 14000)
    await tick(hass, freezer)
    assert sorted((amps(hass, WB1), amps(hass, WB2))) == [15, 16]
    hass.config_entries.async_remove_subentry(entry, b)
    await settle(hass)
    for _ in range(4):
        held = amps(hass, WB1), amps(hass, WB2)
        assert true_import_w(14000, *held) <= LIMIT_W, held
        await tick(hass, freezer)
    assert amps(hass, WB2) == 0


# 2. A current entity that is unavailable -----------------------------------------


async def test_a_write_to_an_unavailable_current_entity_is_a_failed_write(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_unreliable_box_a(hass)
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [charger_data("A", A_CURRENT, max_current=22), charger_data("B", WB2)],
        stale_after_s=0,
    )
    a, _ = list(entry.subentries)
    await tick(hass, freezer)
    assert amps(hass, A_REAL) == 22
    await set_online(hass, False)
    await tick(hass, freezer)
    power_state(hass, HOUSEHOLD, 20000)  # A should go down; its box cannot hear
    await settle(hass)
    for _ in range(3):
        held = amps(hass, A_REAL), amps(hass, WB2)
        assert true_import_w(20000, *held) <= LIMIT_W, held
        await tick(hass, freezer)
    assert status_of(hass, a) == "error"


# 3. A switch entity that is unavailable -----------------------------------------


async def test_a_pause_through_an_unavailable_switch_is_a_failed_write(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_unreliable_box_a(hass)
    power_state(hass, HOUSEHOLD, 5000)
    entry = await site_entry_factory(
        [
            charger_data("A", WB1, switch_entity=A_SWITCH, max_current=22),
            charger_data("B", WB2),
        ],
        stale_after_s=0,
    )
    a, _ = list(entry.subentries)
    await tick(hass, freezer)
    assert amps(hass, WB1) == 22
    assert state_of(hass, A_REAL_ON).state == "on"
    await set_online(hass, False)
    await select(hass, find_entity(hass, "select", f"{a}_mode"), "off")
    for _ in range(3):
        await tick(hass, freezer)
        a_held = amps(hass, WB1) if state_of(hass, A_REAL_ON).state == "on" else 0
        held = a_held, amps(hass, WB2)
        assert true_import_w(5000, *held) <= LIMIT_W, held
    assert status_of(hass, a) == "error"


# 4. A glitching charger power sensor on a grid-meter-only site --------------------


@pytest.mark.parametrize(("value", "unit"), [("1000000", "W"), ("22", "MW")])
async def test_a_glitching_charger_power_sensor_means_failsafe(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    value: str,
    unit: str,
) -> None:
    base_w = 10000
    await setup_wallboxes(hass, "wb1", "wb2")

    def report(a_power: tuple[Any, str] | None = None) -> None:
        """The meters see what the boxes really draw; A's sensor may glitch."""
        held = amps(hass, WB1), amps(hass, WB2)
        power_state(hass, "sensor.a_power", *(a_power or (held[0] * WATTS_PER_AMP,)))
        power_state(hass, "sensor.b_power", held[1] * WATTS_PER_AMP)
        power_state(hass, GRID, true_import_w(base_w, *held))

    report()
    entry = await site_entry_factory(
        [
            charger_data("A", WB1, power_entity="sensor.a_power"),
            charger_data("B", WB2, power_entity="sensor.b_power"),
        ],
        household_power_entity=None,
        grid_power_entity=GRID,
        stale_after_s=0,
    )
    for _ in range(2):
        await tick(hass, freezer)
        report()
    before = amps(hass, WB1), amps(hass, WB2)
    assert min(before) > 0
    report((value, unit))
    for _ in range(3):
        await tick(hass, freezer)
        report((value, unit))
        held = amps(hass, WB1), amps(hass, WB2)
        assert held[0] <= before[0], (before, held)  # never an increase
        assert held[1] <= before[1], (before, held)
        assert true_import_w(base_w, *held) <= LIMIT_W, held
    assert [status_of(hass, cid) for cid in entry.subentries] == ["failsafe"] * 2


# 5. A household sensor that loses its unit --------------------------------------


async def test_a_household_reading_without_unit_means_failsafe(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 30, "kW")
    entry = await site_entry_factory([charger_data("Car", WB1)])
    await tick(hass, freezer)
    before = amps(hass, WB1)
    assert before == 8  # 6 kW left
    hass.states.async_set(HOUSEHOLD, "30", {"device_class": "power"})
    await settle(hass)
    for _ in range(2):
        await tick(hass, freezer)
        assert amps(hass, WB1) <= before
    assert status_of(hass, next(iter(entry.subentries))) == "failsafe"


# 6. Readings that are not finite, not plausible or not strictly numbers -----------


@pytest.mark.parametrize(
    ("entity_id", "value", "unit"),
    [
        (HOUSEHOLD, "1e308", "MW"),
        (HOUSEHOLD, "+1e308", "MW"),
        (HOUSEHOLD, "-1e308", "MW"),
        (SOLAR, "1e308", "MW"),
        (HOUSEHOLD, "-50", "kW"),
        (SOLAR, "1e9", "W"),
        (HOUSEHOLD, "1_000", "W"),
    ],
)
async def test_an_implausible_reading_means_failsafe(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    caplog: pytest.LogCaptureFixture,
    entity_id: str,
    value: str,
    unit: str,
) -> None:
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 30, "kW")
    power_state(hass, SOLAR, 0)
    entry = await site_entry_factory(
        [charger_data("Car", WB1)], solar_power_entity=SOLAR
    )
    await tick(hass, freezer)
    before = amps(hass, WB1)
    assert before == 8  # 6 kW left
    power_state(hass, entity_id, value, unit)
    await settle(hass)
    for _ in range(2):
        await tick(hass, freezer)
        assert amps(hass, WB1) <= before
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors
    assert status_of(hass, next(iter(entry.subentries))) == "failsafe"


# 7. A current entity whose own maximum is below the charger's ---------------------


async def test_a_current_entity_with_a_lower_maximum_is_allocated_within_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_boxes(hass, wb1=10, wb2=32)
    power_state(hass, HOUSEHOLD, 14000)
    written = values_written(hass, WB1)
    await site_entry_factory(
        [charger_data("A", WB1), charger_data("B", WB2)], stale_after_s=0
    )
    for _ in range(30):  # five minutes
        await tick(hass, freezer)
    assert written.count(10) <= 2, written
    fits_b = (LIMIT_W - 14000 - 10 * WATTS_PER_AMP) // WATTS_PER_AMP
    assert amps(hass, WB1) == 10
    assert amps(hass, WB2) >= fits_b
    assert true_import_w(14000, amps(hass, WB1), amps(hass, WB2)) <= LIMIT_W


async def test_a_current_entity_below_the_minimum_never_gets_1_to_5_amps(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_boxes(hass, wb1=5, wb2=32)
    power_state(hass, HOUSEHOLD, 14000)
    written = values_written(hass, WB1)
    await site_entry_factory(
        [charger_data("A", WB1), charger_data("B", WB2)], stale_after_s=0
    )
    for _ in range(6):
        await tick(hass, freezer)
        assert not 0 < amps(hass, WB1) < 6
    assert not [value for value in written if 0 < value < 6], written


# 8. Session energy while the power sensor is unavailable -------------------------


async def test_session_energy_does_not_count_unmeasured_power(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb1")
    hass.states.async_set("input_boolean.a_plugged", "on")
    power_state(hass, "sensor.a_power", 0)  # a full car
    power_state(hass, HOUSEHOLD, 31500)  # 4.5 kW left: 6 A
    entry = await site_entry_factory(
        [
            charger_data(
                "A",
                WB1,
                power_entity="sensor.a_power",
                connected_entity="input_boolean.a_plugged",
            )
        ],
        stale_after_s=0,
    )
    cid = next(iter(entry.subentries))
    await tick(hass, freezer)
    assert amps(hass, WB1) == 6
    before = session_energy(hass, cid)
    hass.states.async_set("sensor.a_power", "unavailable")
    for _ in range(360):  # one hour
        await tick(hass, freezer)
    energy = find_entity(hass, "sensor", f"{cid}_session_energy")
    assert state_of(hass, energy).state == "unavailable"
    assert amps(hass, WB1) == 6
    power_state(hass, "sensor.a_power", 0)
    await tick(hass, freezer)
    assert session_energy(hass, cid) <= before + 0.01


# 9. A boost pressed before the plug sensor reports -------------------------------


async def test_a_boost_before_the_plug_waits_for_the_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await setup_wallboxes(hass, "wb1")
    await async_setup_component(hass, "input_boolean", {"input_boolean": {"plug": {}}})
    power_state(hass, HOUSEHOLD, 0)
    entry = await site_entry_factory(
        [charger_data("A", WB1, connected_entity="input_boolean.plug")],
        stale_after_s=0,
        standard_max_kw=7.0,
    )
    cid = next(iter(entry.subentries))
    mode = find_entity(hass, "select", f"{cid}_mode")
    profile = find_entity(hass, "select", f"{cid}_profile")
    await select(hass, mode, "solar")
    await tick(hass, freezer)

    await hass.services.async_call(
        DOMAIN, "boost", {"device_id": device_of(hass, entry, cid)}, blocking=True
    )
    assert state_of(hass, mode).state == "fast"
    assert state_of(hass, profile).state == "premium"
    assert boost_of(hass, cid) == "armed"

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.plug"}, blocking=True
    )
    for _ in range(2):
        await tick(hass, freezer)
    assert amps(hass, WB1) == 32  # premium: the 7 kW standard ceiling does not hold
    assert boost_of(hass, cid) == "active"

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.plug"}, blocking=True
    )
    await tick(hass, freezer)
    assert state_of(hass, mode).state == "solar"
    assert state_of(hass, profile).state == "standard"
    assert boost_of(hass, cid) is None


# 11. What the boxes hold once Smart Charging stops ---------------------------------


@pytest.mark.parametrize("failsafe", [6, 0])
@pytest.mark.parametrize("how", ["unload", "stop"])
async def test_boxes_are_left_at_the_failsafe_current(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    failsafe: int,
    how: str,
) -> None:
    entry, _, _ = await two_boxes(
        hass, site_entry_factory, 0, failsafe_current=failsafe
    )
    await tick(hass, freezer)
    assert amps(hass, WB1) == amps(hass, WB2) == 26
    if how == "unload":
        assert await hass.config_entries.async_unload(entry.entry_id)
        await settle(hass)
    else:
        await hass.async_stop()
    assert (amps(hass, WB1), amps(hass, WB2)) == (failsafe, failsafe)


# 12. A household sensor that includes the chargers ---------------------------------


async def test_a_household_sensor_including_the_chargers_raises_a_repair_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    base_w = 20000
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, base_w)
    await site_entry_factory([charger_data("Car", WB1)], stale_after_s=0)
    for _ in range(60):  # ten minutes; the meter wrongly counts the car
        await tick(hass, freezer)
        power_state(hass, HOUSEHOLD, true_import_w(base_w, amps(hass, WB1)))
        await settle(hass)
    keys = [
        issue.translation_key
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    ]
    assert "household_includes_chargers" in keys, keys


# 13. Restored state is validated ---------------------------------------------------


async def test_a_negative_restored_session_energy_is_not_accepted(
    hass: HomeAssistant, site_entry_factory: EntryFactory
) -> None:
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 0)
    entry = await site_entry_factory([charger_data("Car", WB1)])
    cid = next(iter(entry.subentries))
    energy = find_entity(hass, "sensor", f"{cid}_session_energy")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(energy, "-5.0"),
                {"native_value": -5.0, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    assert session_energy(hass, cid) == 0
