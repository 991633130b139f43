"""The allocation engine: decides every cycle how many amps each charger gets.

Pure Python with no Home Assistant import, so the integration and the benchmark run
exactly the same decisions from the same inputs.
"""

from .allocate import decide
from .model import (
    RIDE_THROUGH,
    ChargerDecision,
    ChargerInput,
    ChargerState,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
)

__all__ = [
    "RIDE_THROUGH",
    "ChargerDecision",
    "ChargerInput",
    "ChargerState",
    "Decision",
    "EngineConfig",
    "EngineState",
    "Mode",
    "Profile",
    "SiteInput",
    "Status",
    "decide",
]
