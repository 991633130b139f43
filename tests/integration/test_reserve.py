"""The adaptive reserve through Home Assistant: learned from the household's load
steps, kept free under the limit, shown by a diagnostic sensor, kept across a
restart."""

from __future__ import annotations

import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_restore_state_shutdown_restart,
)

from custom_components.smart_charging.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.smart_charging.engine.reserve import HEADROOM, StepReserve
from custom_components.smart_charging.sensor import restored_reserve
from tests.conftest import (
    HOUSEHOLD,
    LIMIT_W,
    EntryFactory,
    find_entity,
    one_car_site,
    power_state,
    settle,
    state_of,
    tick,
)

STEP_W = 3000.0


async def stepping_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
    *,
    adaptive_reserve: bool,
) -> MockConfigEntry:
    """One car; the household at 1 kW, then a 3 kW step."""
    await one_car_site(hass, site_entry_factory, 1000)
    entry = hass.config_entries.async_entries("smart_charging")[0]
    if adaptive_reserve:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "adaptive_reserve": True}
        )
        await settle(hass)  # reloaded with the option
    await tick(hass, freezer, 5)
    power_state(hass, HOUSEHOLD, 1000 + STEP_W)
    await settle(hass)
    await tick(hass, freezer, 5)
    return hass.config_entries.async_entries("smart_charging")[0]


def site_sensor(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> float:
    return float(
        state_of(hass, find_entity(hass, "sensor", f"{entry.entry_id}_{key}")).state
    )


async def test_the_reserve_grows_with_the_household_steps(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    """A 3 kW step: the reserve learns it, and the chargers' budget loses it on
    top of the step itself."""
    entry = await stepping_site(
        hass, freezer, site_entry_factory, adaptive_reserve=True
    )
    reserve = site_sensor(hass, entry, "adaptive_reserve")
    assert reserve == pytest.approx(STEP_W * HEADROOM, abs=1)
    budget = site_sensor(hass, entry, "ev_budget")
    assert budget == pytest.approx(LIMIT_W - 1000 - STEP_W - reserve, abs=1)
    registry = er.async_get(hass)
    unique_id = f"{entry.entry_id}_adaptive_reserve"
    entity = registry.async_get(find_entity(hass, "sensor", unique_id))
    assert entity is not None
    assert entity.entity_category is EntityCategory.DIAGNOSTIC
    state = state_of(hass, entity.entity_id)
    assert state.attributes["unit_of_measurement"] == "W"
    assert state.attributes["device_class"] == "power"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    block = diagnostics["adaptive_reserve"]
    assert block["enabled"] is True
    assert block["reserve_w"] == pytest.approx(STEP_W * HEADROOM)


async def test_without_the_option_nothing_is_kept(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await stepping_site(
        hass, freezer, site_entry_factory, adaptive_reserve=False
    )
    assert site_sensor(hass, entry, "adaptive_reserve") == 0
    assert site_sensor(hass, entry, "ev_budget") == LIMIT_W - 1000 - STEP_W
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["adaptive_reserve"]["reserve_w"] == 0


async def test_a_restart_keeps_the_learned_reserve(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    entry = await stepping_site(
        hass, freezer, site_entry_factory, adaptive_reserve=True
    )
    learned = entry.runtime_data.state.reserve
    await async_mock_restore_state_shutdown_restart(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    await tick(hass, freezer, 5)
    # No new step since: only what was restored keeps the reserve.
    assert entry.runtime_data.state.reserve.rises == learned.rises
    assert site_sensor(hass, entry, "adaptive_reserve") == pytest.approx(
        STEP_W * HEADROOM, abs=1
    )
    budget = site_sensor(hass, entry, "ev_budget")
    assert budget == pytest.approx(LIMIT_W - 1000 - STEP_W - STEP_W * HEADROOM, abs=1)


def test_only_plain_stored_steps_are_restored() -> None:
    assert restored_reserve(None) is None
    for rises in ("x", [[1.0]], [[1.0, "a"]], [[1.0, True]], [[1.0, math.inf]]):
        assert restored_reserve({"rises": rises, "hourly": []}) is None
    assert restored_reserve({"rises": [[10, 3000.0]], "hourly": []}) == StepReserve(
        rises=((10.0, 3000.0),)
    )
