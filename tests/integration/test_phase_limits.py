"""The main fuse per phase, end to end through Home Assistant: a 3 x 25 A house,
two one-phase chargers rotated onto L1 and L2, and a three-phase one."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    charger_data,
    find_entity,
    power_state,
    settle,
    setup_wallboxes,
    state_of,
    tick,
    wallbox_current,
)

FUSE_A = 25.0
PHASE_SENSORS = ("sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3")


def meter(hass: HomeAssistant, household: tuple[float, float, float]) -> None:
    """The grid connection's phase currents: the household plus what the boxes
    hold (wb1 on L1, wb2 on L2, wb3 on all three)."""
    on_l1, on_l2, three = (wallbox_current(hass, b) for b in ("wb1", "wb2", "wb3"))
    loads = (
        household[0] + on_l1 + three,
        household[1] + on_l2 + three,
        household[2] + three,
    )
    for entity_id, amps in zip(PHASE_SENSORS, loads, strict=True):
        hass.states.async_set(
            entity_id,
            f"{amps:g}",
            {"unit_of_measurement": "A", "device_class": "current"},
        )


async def cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    household: tuple[float, float, float],
    times: int = 3,
) -> None:
    """Regular cycles, the meter reporting a second after each."""
    for _ in range(times):
        await tick(hass, freezer)
        freezer.tick(timedelta(seconds=1))
        meter(hass, household)
        await settle(hass)


def phase_loads(
    hass: HomeAssistant, household: tuple[float, float, float]
) -> tuple[float, float, float]:
    on_l1, on_l2, three = (wallbox_current(hass, b) for b in ("wb1", "wb2", "wb3"))
    return (
        household[0] + on_l1 + three,
        household[1] + on_l2 + three,
        household[2] + three,
    )


async def house(hass: HomeAssistant, factory: EntryFactory) -> MockConfigEntry:
    await setup_wallboxes(hass, "wb1", "wb2", "wb3")
    power_state(hass, HOUSEHOLD, 1500)
    meter(hass, (2.0, 2.0, 2.0))
    return await factory(
        [
            charger_data("On L1", "input_number.wb1", phases=1, max_current=16),
            charger_data(
                "On L2",
                "input_number.wb2",
                phases=1,
                max_current=16,
                phase_rotation="L2L3L1",
            ),
            charger_data(
                "Three", "input_number.wb3", max_current=16, profile="premium"
            ),
        ],
        main_fuse_a=FUSE_A,
        l1_current_entity=PHASE_SENSORS[0],
        l2_current_entity=PHASE_SENSORS[1],
        l3_current_entity=PHASE_SENSORS[2],
    )


def status(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str:
    cid = next(s.subentry_id for s in entry.subentries.values() if s.title == name)
    return state_of(hass, find_entity(hass, "sensor", f"{cid}_status")).state


async def test_a_rise_on_l1_lowers_the_charger_on_l1_at_once_not_the_one_on_l2(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await house(hass, site_entry_factory)
    household = (2.0, 2.0, 2.0)
    await cycle(hass, freezer, household)
    # The premium three-phase car takes its 16 A; each one-phase car what its
    # phase leaves: 25 - 2 - 16 = 7 A.
    assert [wallbox_current(hass, b) for b in ("wb1", "wb2", "wb3")] == [7, 7, 16]
    assert max(phase_loads(hass, household)) <= FUSE_A

    # 6 A more of household on L1: the charger on L1 is paused at once (7 - 6 A
    # is below its minimum), without waiting for a regular cycle; the one on L2
    # keeps its current.
    household = (8.0, 2.0, 2.0)
    freezer.tick(timedelta(seconds=1))
    meter(hass, household)
    await settle(hass)
    assert wallbox_current(hass, "wb1") == 0
    assert wallbox_current(hass, "wb2") == 7
    assert wallbox_current(hass, "wb3") == 16
    assert status(hass, entry, "On L1") == "paused_by_cap"
    assert status(hass, entry, "On L2") == "charging"
    for _ in range(3):
        await cycle(hass, freezer, household, 1)
        assert max(phase_loads(hass, household)) <= FUSE_A
    assert wallbox_current(hass, "wb1") == 0
    assert wallbox_current(hass, "wb2") == 7

    # The load goes away: the charger on L1 comes back at the next cycles.
    household = (2.0, 2.0, 2.0)
    await cycle(hass, freezer, household)
    assert wallbox_current(hass, "wb1") == 7
    assert max(phase_loads(hass, household)) <= FUSE_A


async def test_an_unavailable_phase_sensor_is_failsafe(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await house(hass, site_entry_factory)
    household = (2.0, 2.0, 2.0)
    await cycle(hass, freezer, household)
    assert wallbox_current(hass, "wb3") == 16

    hass.states.async_set(PHASE_SENSORS[1], "unavailable")
    await settle(hass)
    # The failsafe current (6 A) for each, within the fuse on the last known
    # household currents.
    assert [wallbox_current(hass, b) for b in ("wb1", "wb2", "wb3")] == [6, 6, 6]
    for name in ("On L1", "On L2", "Three"):
        assert status(hass, entry, name) == "failsafe"
    issues = ir.async_get(hass)
    for _ in range(13):
        await tick(hass, freezer)
    assert issues.async_get_issue(DOMAIN, f"{entry.entry_id}_failsafe") is not None

    # Back: the chargers return to what the fuse leaves them, the issue goes.
    await cycle(hass, freezer, household)
    assert [wallbox_current(hass, b) for b in ("wb1", "wb2", "wb3")] == [7, 7, 16]
    assert issues.async_get_issue(DOMAIN, f"{entry.entry_id}_failsafe") is None


async def test_a_phase_current_in_ma_counts_and_an_implausible_one_is_unusable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await house(hass, site_entry_factory)
    await tick(hass, freezer)
    hass.states.async_set(
        PHASE_SENSORS[0],
        "9000",
        {"unit_of_measurement": "mA", "device_class": "current"},
    )
    await tick(hass, freezer)
    assert status(hass, entry, "On L1") != "failsafe"
    hass.states.async_set(
        PHASE_SENSORS[0], "900", {"unit_of_measurement": "A", "device_class": "current"}
    )
    await settle(hass)
    assert status(hass, entry, "On L1") == "failsafe"  # over 10 x the fuse
