"""Diagnostics: no wallbox address anywhere in them."""

from __future__ import annotations

import json
import socket

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.conftest import (
    HOUSEHOLD,
    EntryFactory,
    modbus_charger_data,
    power_state,
)


def unused_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_hosts_are_redacted_everywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    site_entry_factory: EntryFactory,
    socket_enabled: None,
) -> None:
    """The box's address is gone from the config, the errors and every other text."""
    port = unused_port()
    power_state(hass, HOUSEHOLD, 2000)
    charger = modbus_charger_data(port, name=f"Box at 127.0.0.1:{port}")
    entry = await site_entry_factory([charger], stale_after_s=0)
    for _ in range(3):
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    (box,) = diagnostics["chargers"].values()
    assert box["failures"]
    assert "**REDACTED**" in box["last_error"]
    assert box["config"]["host"] == "**REDACTED**"
    assert box["config"]["port"] == port
    assert box["name"] == "Box at **REDACTED**"
    assert "127.0.0.1" not in json.dumps(diagnostics)
