"""Simulated Modbus TCP wallboxes for the demo and the tests.

sim = WallboxSimulator(log=print)
box = await sim.add("alfen", failsafe_s=2.0)   # port 0 = a free port
box.port, box.socket.setpoint, box.socket.offered, box.writes
box.set_fault("silent") / box.drop_connections() / await box.stop()
await sim.close()
"""

from __future__ import annotations

from .box import (
    SimBox,
    Socket,
    Vehicle,
    WallboxSimulator,
    Write,
    from_registers,
    to_registers,
)
from .profiles import (
    MODELS,
    PROFILES,
    PhaseReg,
    Profile,
    Reg,
    StatusReg,
    generic_profile,
    profile,
)

__all__ = [
    "MODELS",
    "PROFILES",
    "PhaseReg",
    "Profile",
    "Reg",
    "SimBox",
    "Socket",
    "StatusReg",
    "Vehicle",
    "WallboxSimulator",
    "Write",
    "from_registers",
    "generic_profile",
    "profile",
    "to_registers",
]
