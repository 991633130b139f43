"""Dead, dropping, refusing and silent boxes; failsafe timers; the config-flow probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import gc
import os
import time
from typing import Any

import pytest

from custom_components.smart_charging.backend import BackendError
from custom_components.smart_charging.modbus import (
    CannotConnect,
    InvalidUnitId,
    ModbusErrorResponse,
    ModbusHub,
    ModbusWallbox,
    async_probe,
)
from custom_components.smart_charging.modbus.registers import Table
from wallbox_sim import SimBox, WallboxSimulator

from .conftest import BACKOFF, TIMEOUT, config


async def _free_port(sim: WallboxSimulator) -> int:
    """A port nothing listens on (a box started and stopped again)."""
    box = await sim.add("alfen")
    await box.stop()
    return box.port


async def _until(condition: Any, within: float = 2.0) -> None:
    """Wait until condition() holds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def _eventually(call: Any, within: float = 2.0) -> None:
    """Retry an awaitable factory until it stops raising BackendError."""
    deadline = time.monotonic() + within
    while True:
        try:
            await call()
        except BackendError:
            assert time.monotonic() < deadline, "box did not come back"
            await asyncio.sleep(BACKOFF)
        else:
            return


def _waited_for_cpu() -> float:
    """Seconds the calling thread has waited for a CPU so far (Linux; 0 elsewhere).

    On a loaded machine the event loop loses such time to other processes: it is a
    delay the code under test did not cause (a blocking call sleeps or computes).
    """
    try:
        fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    except OSError:
        return 0.0
    try:
        return int(os.read(fd, 64).split()[1]) / 1e9
    finally:
        os.close(fd)


class LagMeter:
    """Ticks every 5 ms and records the longest stretch the loop could not run it.

    What it measures is what blocked the loop: the time its thread waited for a CPU
    is taken off, and the garbage collector is off meanwhile (its pauses, tens of ms
    or a second under coverage on a loaded machine, are the interpreter's).
    """

    PERIOD = 0.005

    def __init__(self) -> None:
        self.max_lag = 0.0
        self.max_raw_lag = 0.0
        self._last = 0.0
        self._last_waited = 0.0
        self._gc_was_enabled = False
        self._task: asyncio.Task[None] | None = None

    def _record(self) -> None:
        now = asyncio.get_running_loop().time()
        waited = _waited_for_cpu()
        raw = now - self._last - self.PERIOD
        self.max_raw_lag = max(self.max_raw_lag, raw)
        self.max_lag = max(self.max_lag, raw - (waited - self._last_waited))
        self._last = now
        self._last_waited = waited

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.PERIOD)
            self._record()

    async def __aenter__(self) -> LagMeter:
        self._gc_was_enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        self._last = asyncio.get_running_loop().time()
        self._last_waited = _waited_for_cpu()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        # A loop blocked until the very end never let the meter tick: count it too.
        self._record()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self._gc_was_enabled:
            gc.enable()


@pytest.fixture
async def alfen(sim: WallboxSimulator) -> SimBox:
    """An Alfen with a short failsafe."""
    return await sim.add("alfen", failsafe_s=0.6)


# Tests that time a silent box or rely on the back-off use a longer timeout and
# back-off than the `hub` fixture's: on a loaded machine a call or a timer can be late
# by tens of ms, hundreds at worst. A loop blocked by a request, a retry, or a healthy
# box queued behind a silent one still shows by about the timeout, and "the next call
# fails at once" cannot miss the back-off window.
LONG_TIMEOUT = 1.0
LONG_BACKOFF = 0.5


@pytest.fixture
async def patient_hub() -> AsyncGenerator[ModbusHub]:
    """A hub whose timeout and back-off dwarf a loaded machine's scheduling delays."""
    modbus_hub = ModbusHub(
        timeout=LONG_TIMEOUT,
        connect_timeout=LONG_TIMEOUT,
        backoff_min=LONG_BACKOFF,
        backoff_max=LONG_BACKOFF,
    )
    yield modbus_hub
    await modbus_hub.async_close()


async def test_box_down_at_start(sim: WallboxSimulator, patient_hub: ModbusHub) -> None:
    """No box: every call fails fast with BackendError; once it is up, it works."""
    hub = patient_hub
    port = await _free_port(sim)
    wallbox = ModbusWallbox(hub, {"host": "127.0.0.1", "port": port, "model": "alfen"})
    with pytest.raises(CannotConnect):
        await wallbox.async_set_current(10)
    # Within the back-off nothing is tried: the call fails at once.
    with pytest.raises(CannotConnect, match="next attempt"):
        await wallbox.async_read()
    with pytest.raises(BackendError):
        await wallbox.async_keep_alive()

    box = await sim.add("alfen", port=port)
    await _eventually(lambda: wallbox.async_set_current(10), within=LONG_BACKOFF + 2.0)
    assert box.socket.setpoint == 10
    await wallbox.async_close()


@pytest.mark.parametrize("model", ["alfen", "vestel_evc04"])
async def test_box_reboots_mid_session(
    sim: WallboxSimulator, hub: ModbusHub, model: str
) -> None:
    """Down, then back with its power-on values: the next keep-alive restores the
    setpoint (rewritten, or after a heart-beat on the new connection)."""
    box = await sim.add(model)
    wallbox = ModbusWallbox(hub, config(box))
    await wallbox.async_set_current(9)
    assert box.socket.offered == 9

    await box.stop()
    with pytest.raises(BackendError):
        await wallbox.async_keep_alive()
    with pytest.raises(BackendError):
        await wallbox.async_read()

    for socket in box.sockets.values():
        socket.reset()
    await box.start()
    assert box.socket.setpoint != 9
    await _eventually(wallbox.async_keep_alive)
    assert box.socket.setpoint == 9
    assert box.socket.offered == 9
    await wallbox.async_close()


async def test_dropped_connection_reconnects(alfen: SimBox, hub: ModbusHub) -> None:
    """A dropped connection is reopened on the next call and the setpoint restored."""
    wallbox = ModbusWallbox(hub, config(alfen))
    await wallbox.async_set_current(12)
    assert alfen.drop_connections() == 1
    await _until(lambda: not hub.acquire("127.0.0.1", alfen.port).connected)
    alfen.socket.reset()  # as if the box rebooted behind the drop
    alfen.writes.clear()
    reading = await wallbox.async_read()
    assert reading.connected is True
    assert alfen.socket.setpoint == 12  # restored on the new connection
    assert [w.address for w in alfen.writes] == [1210]
    assert alfen.connections == 1
    await wallbox.async_close()


async def test_exception_responses(alfen: SimBox, hub: ModbusHub) -> None:
    """A refusing box raises BackendError but keeps its connection."""
    wallbox = ModbusWallbox(hub, config(alfen))
    await wallbox.async_set_current(10)
    alfen.set_fault("exception")
    with pytest.raises(ModbusErrorResponse) as err:
        await wallbox.async_set_current(11)
    assert err.value.code == 4
    with pytest.raises(BackendError):
        await wallbox.async_read()
    with pytest.raises(BackendError):
        await wallbox.async_keep_alive()
    alfen.set_fault(None)
    await wallbox.async_set_current(11)  # no back-off: the box did answer
    assert alfen.socket.setpoint == 11
    assert alfen.connections == 1
    await wallbox.async_close()


async def test_partial_read(sim: WallboxSimulator, hub: ModbusHub) -> None:
    """A register the box refuses leaves that part of the reading unknown."""
    box = await sim.add("alfen")
    wallbox = ModbusWallbox(hub, config(box))
    box.refused.add(("holding", 344))  # power not served
    reading = await wallbox.async_read()
    assert reading.connected is True
    assert reading.power_w is None
    await wallbox.async_close()


async def test_silent_box_times_out_without_blocking(
    sim: WallboxSimulator, patient_hub: ModbusHub
) -> None:
    """A box that never answers: BackendError after the timeout; meanwhile another
    charger on the same hub keeps being served and the loop is never blocked."""
    hub = patient_hub
    dead = await sim.add("alfen")
    alive = await sim.add("go_e")
    slow = ModbusWallbox(hub, config(dead))
    other = ModbusWallbox(hub, config(alive))
    await slow.async_set_current(10)
    await other.async_set_current(10)
    dead.set_fault("silent")

    async with LagMeter() as lag:
        start = time.monotonic()
        failing = asyncio.create_task(slow.async_set_current(16))
        await asyncio.sleep(0.05)  # its request is out, its connection busy
        # A control loop writing the healthy box while the silent one is pending.
        written: list[int] = []
        served = 0  # healthy calls that ended while the silent one was pending
        while not failing.done():
            written.append(6 + len(written) % 11)
            await other.async_set_current(written[-1])
            if not failing.done():
                served += 1
            await asyncio.sleep(0.05)
        with pytest.raises(BackendError):
            await failing
        failed_after = time.monotonic() - start
    print(
        f"dead box: failed after {failed_after:.3f} s, healthy box served "
        f"{served} times meanwhile, max loop lag {lag.max_lag * 1000:.1f} ms "
        f"({lag.max_raw_lag * 1000:.1f} ms with the waits for a CPU)"
    )
    # Served while the silent box was pending: not queued behind it. A healthy call
    # takes ms (tens on a loaded machine); the window is about LONG_TIMEOUT.
    assert served >= 3
    assert alive.socket.setpoint == written[-1]
    # A loop blocked while the silent box is pending lags by about the timeout; a
    # busy one, by ms.
    assert lag.max_lag < LONG_TIMEOUT / 2, f"loop lag {lag.max_lag:.3f} s"
    await slow.async_close()
    await other.async_close()


async def test_silent_box_call_is_bounded(
    sim: WallboxSimulator, patient_hub: ModbusHub
) -> None:
    """Every call returns within the request timeout (plus a margin), without
    blocking the loop; within the back-off the next call fails at once."""
    hub = patient_hub
    box = await sim.add("vestel_evc04")
    wallbox = ModbusWallbox(hub, config(box))
    box.set_fault("silent")
    async with LagMeter() as lag:
        start = time.monotonic()
        with pytest.raises(BackendError):
            await wallbox.async_read()
        elapsed = time.monotonic() - start
    print(
        f"silent box: call {elapsed:.3f} s, max loop lag {lag.max_lag * 1000:.1f} ms "
        f"({lag.max_raw_lag * 1000:.1f} ms with the waits for a CPU)"
    )
    # A loop blocked by the call lags by about the timeout; a busy one, by ms.
    assert lag.max_lag < LONG_TIMEOUT / 2, f"loop lag {lag.max_lag:.3f} s"
    # One request timeout (after connecting, about 0.1 s), not two: a retry or the
    # backstop (connect + 2 x timeout) take at least twice as long, a loaded machine
    # adds tens of ms.
    assert LONG_TIMEOUT * 0.9 < elapsed < LONG_TIMEOUT * 2
    # The next call within the back-off fails at once, without trying the box.
    with pytest.raises(CannotConnect, match="next attempt"):
        await wallbox.async_read()
    box.set_fault(None)
    await _eventually(wallbox.async_read, within=LONG_BACKOFF + 2.0)
    await wallbox.async_close()


async def test_slow_box_is_cut_off(sim: WallboxSimulator) -> None:
    """An answer slower than the timeout counts as no answer."""
    hub = ModbusHub(timeout=0.2, connect_timeout=0.2, backoff_min=0.0)
    box = await sim.add("go_e")
    box.delay_s = 0.5
    wallbox = ModbusWallbox(hub, config(box))
    with pytest.raises(BackendError):
        await wallbox.async_set_current(10)
    box.delay_s = 0.0
    await asyncio.sleep(0.4)  # let the late answer pass
    await wallbox.async_set_current(10)
    assert box.socket.setpoint == 10
    await wallbox.async_close()
    await hub.async_close()


async def test_cancel_is_not_swallowed(sim: WallboxSimulator, hub: ModbusHub) -> None:
    """Cancelling a call on a silent box cancels it (pymodbus would turn it into
    an error)."""
    box = await sim.add("alfen")
    wallbox = ModbusWallbox(hub, config(box))
    await wallbox.async_read()
    box.set_fault("silent")
    task = asyncio.create_task(wallbox.async_set_current(8))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wallbox.async_close()


@pytest.mark.parametrize("model", ["alfen", "vestel_evc04", "schneider_evlink_pro"])
async def test_keep_alive_holds_off_failsafe(
    sim: WallboxSimulator, hub: ModbusHub, model: str
) -> None:
    """Refreshed in time the box keeps the setpoint; left alone it falls back."""
    box = await sim.add(model, failsafe_s=0.3, safe_current=6)
    wallbox = ModbusWallbox(hub, config(box))
    socket = box.socket
    assert socket.offered == 6  # no controller yet: safe current
    await wallbox.async_set_current(13)
    assert socket.offered == 13
    end = time.monotonic() + 0.7  # well past the failsafe timeout
    while time.monotonic() < end:
        await asyncio.sleep(0.075)
        await wallbox.async_keep_alive()
        assert socket.offered == 13
    await asyncio.sleep(0.4)
    assert socket.offered == 6  # fell back
    await wallbox.async_keep_alive()
    assert socket.offered == 13
    await wallbox.async_close()


async def test_probe(sim: WallboxSimulator) -> None:
    """cannot_connect vs invalid_unit_id, distinguished before anything exists."""
    box = await sim.add("phoenix_em_cp")
    await async_probe(config(box), probe_timeout=TIMEOUT)
    with pytest.raises(InvalidUnitId):
        await async_probe(config(box, unit_id=7), probe_timeout=TIMEOUT)
    box.set_fault("silent")
    with pytest.raises(CannotConnect):
        await async_probe(config(box), probe_timeout=TIMEOUT)
    port = await _free_port(sim)
    with pytest.raises(CannotConnect):
        await async_probe(
            {
                "host": "127.0.0.1",
                "port": port,
                "model": "generic",
                "setpoint_register": 1,
            },
            probe_timeout=TIMEOUT,
        )
    generic = await sim.add("generic")
    await async_probe(
        config(generic, "generic", setpoint_register=100), probe_timeout=TIMEOUT
    )
    assert box.connections == 0  # the probe closed its connection


async def test_connect_timeout_and_coils(sim: WallboxSimulator) -> None:
    """A connect slower than its bound fails; coils read back as 0/1."""
    box = await sim.add("phoenix_em_cp")
    # pymodbus pauses 0.1 s after connecting: longer than this bound.
    hub = ModbusHub(timeout=TIMEOUT, connect_timeout=0.01, backoff_min=0.0)
    link = hub.acquire("127.0.0.1", box.port)
    with pytest.raises(CannotConnect):
        await link.read(180, Table.COIL, 400, 1)
    await hub.async_close()
    hub = ModbusHub(timeout=TIMEOUT, connect_timeout=TIMEOUT)
    wallbox = ModbusWallbox(hub, config(box))
    assert wallbox.register_map.unit_id == 180
    link = hub.acquire("127.0.0.1", box.port)
    await wallbox.async_set_current(0)
    assert await link.read(180, Table.COIL, 400, 1) == [0]
    await wallbox.async_set_current(10)
    assert await link.read(180, Table.COIL, 400, 1) == [1]
    hub.release(link)
    await wallbox.async_close()
    await hub.async_close()


async def test_backstop_bounds_any_request(sim: WallboxSimulator) -> None:
    """Whatever hangs inside a call, the call ends in BackendError in time."""
    box = await sim.add("go_e")
    hub = ModbusHub(timeout=0.1, connect_timeout=0.3)
    link = hub.acquire("127.0.0.1", box.port)

    async def hang(_client: Any) -> Any:
        await asyncio.sleep(10)

    start = time.monotonic()
    with pytest.raises(BackendError, match="timed out"):
        await link._call("hang", hang)
    assert time.monotonic() - start < 0.8  # connect + 2 x timeout = 0.5 s
    await hub.async_close()
