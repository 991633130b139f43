"""The allocation engine: decides every cycle how many amps each charger gets.

Pure Python with no Home Assistant import, so the integration and the benchmark run
exactly the same decisions from the same inputs.
"""

from .allocate import decide
from .limits import MIN_CHARGE_CURRENT
from .model import (
    RULES_AS_WRITTEN,
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
    "MIN_CHARGE_CURRENT",
    "RULES_AS_WRITTEN",
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
