"""Sites made by older versions are brought up to date on set-up."""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from tests.conftest import HOUSEHOLD, SITE_DATA as SITE, power_state


async def test_version_1_drops_solar_ride_through(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """The retired ride-through option goes from the data and the options; the
    rest is kept and the site loads."""
    power_state(hass, HOUSEHOLD, 2000)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        data={**SITE, "solar_ride_through": True},
        options={"solar_ride_through": True},
        version=1,
    )
    entry.add_to_hass(hass)
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_charging")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    assert dict(entry.data) == SITE
    assert "solar_ride_through" not in entry.options
    assert "migrated to version 2" in caplog.text


async def test_newer_version_is_left_alone(hass: HomeAssistant) -> None:
    """A site from a newer version is not set up, nor changed."""
    entry = MockConfigEntry(domain=DOMAIN, title="Home", data=SITE, version=3)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 3
    assert dict(entry.data) == SITE
