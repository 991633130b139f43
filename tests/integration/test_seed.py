"""The seed's examples, end to end through Home Assistant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from tests.conftest import (
    HOUSEHOLD,
    charger_data,
    find_entity,
    power_state,
    setup_wallboxes,
    tick,
    wallbox_current,
)

VOLTS = 230 * 3
WALLBOXES = ("wb1", "wb2", "wb3")


class LimitWatch:
    """Checks SPEC rule 1 on every write to a wallbox, not just at the end.

    A load that rises puts the site over until the decreases land, one write at a
    time; what must never happen is a write that raises a current while the site
    is over its budget.
    """

    def __init__(self, hass: HomeAssistant, limit_w: float, *wallboxes: str) -> None:
        self.hass = hass
        self.limit_w = limit_w
        self.wallboxes = {f"input_number.{name}": name for name in wallboxes}
        self.writes = 0
        self.worst_w = -limit_w
        hass.bus.async_listen("state_changed", self._on_change)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] not in self.wallboxes:
            return
        household = self.hass.states.get(HOUSEHOLD)
        assert household is not None
        load_w = float(household.state) * (
            1000 if household.attributes["unit_of_measurement"] == "kW" else 1
        )
        total = sum(wallbox_current(self.hass, n) for n in self.wallboxes.values())
        self.writes += 1
        old, new = event.data["old_state"], event.data["new_state"]
        assert new is not None
        if old is None or float(new.state) > float(old.state):
            self.worst_w = max(self.worst_w, total * VOLTS - (self.limit_w - load_w))


async def test_three_fast_chargers_share_day_and_night(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: Callable[..., Awaitable[MockConfigEntry]],
) -> None:
    await setup_wallboxes(hass, *WALLBOXES)
    power_state(hass, HOUSEHOLD, 20, "kW")
    watch = LimitWatch(hass, 36000, *WALLBOXES)
    await site_entry_factory(
        [
            charger_data(f"Car {i}", f"input_number.{name}")
            for i, name in enumerate(WALLBOXES)
        ]
    )
    await tick(hass, freezer, 10)
    day = [wallbox_current(hass, name) for name in WALLBOXES]
    assert sum(day) * VOLTS <= 16000
    assert max(day) - min(day) <= 1
    assert sum(day) * VOLTS > 16000 - 3 * VOLTS

    power_state(hass, HOUSEHOLD, 10, "kW")
    await hass.async_block_till_done(wait_background_tasks=True)
    await tick(hass, freezer, 10)
    night = [wallbox_current(hass, name) for name in WALLBOXES]
    assert sum(night) * VOLTS <= 26000
    assert max(night) - min(night) <= 1
    assert sum(night) * VOLTS > 26000 - 3 * VOLTS

    # The day load comes back: every write on the way down fits the new budget.
    power_state(hass, HOUSEHOLD, 20, "kW")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sum(wallbox_current(hass, name) for name in WALLBOXES) * VOLTS <= 16000
    assert watch.writes >= 9
    assert watch.worst_w <= 0


async def test_premium_before_standard_with_standard_ceiling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: Callable[..., Awaitable[MockConfigEntry]],
) -> None:
    await setup_wallboxes(hass, *WALLBOXES)
    power_state(hass, HOUSEHOLD, 0)
    watch = LimitWatch(hass, 36000, *WALLBOXES)
    entry = await site_entry_factory(
        [
            charger_data("Boss", "input_number.wb1", profile="premium"),
            charger_data("Fleet 1", "input_number.wb2"),
            charger_data("Fleet 2", "input_number.wb3"),
        ],
        standard_max_kw=7.0,
    )
    boss_mode = find_entity(hass, "select", f"{next(iter(entry.subentries))}_mode")
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": boss_mode, "option": "off"},
        blocking=True,
    )
    power_state(hass, HOUSEHOLD, 25000)  # 11 kW left: the standard cars share it
    await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == 0
    assert sorted(wallbox_current(hass, name) for name in ("wb2", "wb3")) == [7, 8]
    # The boss arrives: the standard cars go down before the boss goes up.
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": boss_mode, "option": "fast"},
        blocking=True,
    )
    await tick(hass, freezer, 10)
    assert [wallbox_current(hass, name) for name in WALLBOXES] == [15, 0, 0]
    power_state(hass, HOUSEHOLD, 0)
    await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == 32  # 22 kW
    for name in ("wb2", "wb3"):
        assert wallbox_current(hass, name) == 10  # 6.9 kW, under 7 kW
    # A 10 kW load leaves 26 kW: premium keeps 22 kW, the standard ones cannot both fit.
    power_state(hass, HOUSEHOLD, 10000)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert wallbox_current(hass, "wb1") == 32
    standard = [wallbox_current(hass, name) for name in ("wb2", "wb3")]
    assert sorted(standard) == [0, 0]
    total = (32 + sum(standard)) * VOLTS
    assert total <= 26000
    assert watch.writes >= 5
    assert watch.worst_w <= 0


async def test_off_peak_charger_waits_for_off_peak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: Callable[..., Awaitable[MockConfigEntry]],
) -> None:
    freezer.move_to("2026-11-26T18:00:00+00:00")
    await setup_wallboxes(hass, "wb1")
    power_state(hass, HOUSEHOLD, 2000)
    hass.states.async_set("input_boolean.off_peak", "off")
    entry = await site_entry_factory(
        [charger_data("Night car", "input_number.wb1")],
        offpeak_entity="input_boolean.off_peak",
    )
    mode = find_entity(hass, "select", f"{next(iter(entry.subentries))}_mode")
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": mode, "option": "off_peak"},
        blocking=True,
    )
    status = find_entity(hass, "sensor", f"{next(iter(entry.subentries))}_status")
    for _ in range(120):  # eight hours; the meter reports every four minutes
        power_state(hass, HOUSEHOLD, 2000)
        await tick(hass, freezer, 240)
        assert wallbox_current(hass, "wb1") == 0
        assert hass.states.get(status).state == "waiting_for_off_peak"
    hass.states.async_set("input_boolean.off_peak", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    await tick(hass, freezer, 10)
    assert wallbox_current(hass, "wb1") == 32
    assert hass.states.get(status).state == "charging"
