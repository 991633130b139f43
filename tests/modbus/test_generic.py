"""The generic map with every setpoint type, scale and word order."""

from __future__ import annotations

from dataclasses import replace
import itertools

from pymodbus.client.mixin import ModbusClientMixin
import pytest

from custom_components.smart_charging.modbus import ModbusHub, ModbusWallbox
from wallbox_sim import Reg, StatusReg, WallboxSimulator, generic_profile
from wallbox_sim.profiles import DType, WordOrder

from .conftest import config

DT = ModbusClientMixin.DATATYPE
TYPES: dict[DType, DT] = {
    "uint16": DT.UINT16,
    "uint32": DT.UINT32,
    "float32": DT.FLOAT32,
}
ORDERS: tuple[WordOrder, ...] = ("big", "little")
CASES = list(itertools.product(TYPES, (1.0, 0.1, 0.001), ORDERS))


@pytest.mark.parametrize(("dtype", "scale", "order"), CASES)
async def test_generic_setpoint(
    sim: WallboxSimulator,
    hub: ModbusHub,
    dtype: DType,
    scale: float,
    order: WordOrder,
) -> None:
    """Raw registers carry amps / scale in the type and word order asked for."""
    box = await sim.add(
        generic_profile(
            setpoint_register=1000,
            setpoint_type=dtype,
            setpoint_scale=scale,
            word_order=order,
            status_register=2000,
            power_register=3000,
            unit_id=7,
        )
    )
    wallbox = ModbusWallbox(
        hub,
        config(
            box,
            "generic",
            setpoint_register=1000,
            setpoint_type=dtype,
            setpoint_scale=scale,
            word_order=order,
            status_register=2000,
            power_register=3000,
        ),
    )
    assert wallbox.can_pause
    count = 1 if dtype == "uint16" else 2
    holding = box.socket.registers["holding"]
    for amps in (16, 6, 32):
        await wallbox.async_set_current(amps)
        raw = [holding[1000 + i] for i in range(count)]
        value = ModbusClientMixin.convert_from_registers(
            raw, TYPES[dtype], word_order=order
        )
        assert isinstance(value, int | float)
        assert value == pytest.approx(amps / scale)
    if count == 2 and dtype != "float32":
        # The word order is visible in the raw registers of a 32-bit integer.
        low, high = divmod(round(32 / scale), 0x10000)[::-1]
        assert raw == ([low, high] if order == "little" else [high, low])
    reading = await wallbox.async_read()
    assert reading.connected is True
    assert reading.charging is True
    assert reading.power_w == pytest.approx(16 * 230 * 3, abs=1)  # car limit 16 A

    await wallbox.async_set_current(0)
    assert box.socket.setpoint == 0
    reading = await wallbox.async_read()
    assert reading.charging is False
    assert reading.power_w == 0
    await wallbox.async_close()


async def test_generic_without_status_or_power(
    sim: WallboxSimulator, hub: ModbusHub
) -> None:
    """Nothing to read: the reading is empty, but a dead box still raises."""
    box = await sim.add(generic_profile(status_register=None, power_register=None))
    wallbox = ModbusWallbox(hub, config(box, "generic", setpoint_register=100))
    await wallbox.async_set_current(10)
    assert box.socket.setpoint == 10
    assert box.writes[-1].function_code == 6  # uint16: write single register
    reading = await wallbox.async_read()
    assert (reading.connected, reading.charging, reading.power_w) == (None, None, None)
    box.set_fault("exception")
    with pytest.raises(Exception, match="exception code"):
        await wallbox.async_read()
    await wallbox.async_close()


@pytest.mark.parametrize("shift", [0, 8])
async def test_generic_status_letters(
    sim: WallboxSimulator, hub: ModbusHub, shift: int
) -> None:
    """The generic status register also takes an ASCII letter, in either byte."""
    letters = {state: ord(state) << shift for state in "ABC"}
    box = await sim.add(
        replace(
            generic_profile(power_register=None),
            status=(StatusReg(Reg(101), letters),),
        )
    )
    wallbox = ModbusWallbox(
        hub, config(box, "generic", setpoint_register=100, status_register=101)
    )
    await wallbox.async_set_current(0)
    assert box.socket.registers["holding"][101] == letters["B"]
    reading = await wallbox.async_read()
    assert (reading.connected, reading.charging) == (True, False)
    await wallbox.async_set_current(10)
    reading = await wallbox.async_read()
    assert (reading.connected, reading.charging) == (True, True)
    box.socket.unplug()
    reading = await wallbox.async_read()
    assert (reading.connected, reading.charging) == (False, False)
    await wallbox.async_close()
