"""Fixtures: simulated wallboxes on 127.0.0.1 and a hub with short time bounds."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.smart_charging.modbus import ModbusHub
from wallbox_sim import SimBox, WallboxSimulator

# Short bounds keep the fault tests fast.
TIMEOUT = 0.4
BACKOFF = 0.05


@pytest.fixture(autouse=True)
def _allow_sockets(socket_enabled: None) -> None:
    """The boxes are real TCP servers on 127.0.0.1 (HA's plugin blocks sockets)."""


@pytest.fixture
async def sim() -> AsyncGenerator[WallboxSimulator]:
    """A simulator; every box it starts is stopped after the test."""
    simulator = WallboxSimulator()
    yield simulator
    await simulator.close()


@pytest.fixture
async def hub() -> AsyncGenerator[ModbusHub]:
    """A hub with short timeouts and back-off."""
    modbus_hub = ModbusHub(
        timeout=TIMEOUT, connect_timeout=TIMEOUT, backoff_min=BACKOFF, backoff_max=0.2
    )
    yield modbus_hub
    await modbus_hub.async_close()


def config(box: SimBox, model: str | None = None, **extra: Any) -> dict[str, Any]:
    """Subentry data for a simulated box."""
    return {
        "host": box.host,
        "port": box.port,
        "unit_id": box.profile.units[0],
        "model": model or box.profile.model,
        **extra,
    }
