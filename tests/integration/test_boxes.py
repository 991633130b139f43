"""Writing to the boxes: what a box may hold after a write that failed or is not
shown yet stays counted, and holds the increases back (SPEC §5 rules 4 and 9)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.smart_charging.boxes import Boxes
from custom_components.smart_charging.engine.control import (
    ControlState,
    Holding,
    SiteReadings,
    SiteSettings,
    control_step,
    held_above,
)
from custom_components.smart_charging.runtime import (
    ChargerConfig,
    ChargerRuntime,
    UserSettings,
)
from custom_components.smart_charging.wallbox import BackendError, ChargerReading


class Box:
    """A box that takes writes, fails them, or takes them without showing them."""

    def __init__(self, *, fails: bool = False, shows_late: bool = False) -> None:
        self.fails = fails
        self.shows_late = shows_late
        self.holds = 0
        self.written: list[int] = []
        self.can_pause = True
        self.measures_power = False
        self.pending = False

    async def async_set_current(self, current: int) -> int:
        self.written.append(current)
        if self.fails:
            self.holds = current  # it took it, but the answer was lost
            raise BackendError("timeout")
        if self.shows_late:
            self.pending = True
            return max(current, self.holds)
        self.holds = current
        return current

    async def async_read(self) -> ChargerReading:
        return ChargerReading(connected=True)

    async def async_keep_alive(self) -> None:
        """Nothing to keep alive."""

    async def async_close(self) -> None:
        """Nothing to close."""


class NoRepairs:
    def raise_issue(self, *args: Any, **kwargs: Any) -> None:
        """Not under test."""

    def clear_issue(self, *args: Any, **kwargs: Any) -> None:
        """Not under test."""


def charger(cid: str, box: Box, holds: int) -> ChargerRuntime:
    runtime = ChargerRuntime(
        ChargerConfig(cid, cid, 3, 6, 32, UserSettings().profile), box, UserSettings()
    )
    runtime.link.holding = Holding(holds)
    box.holds = holds
    return runtime


async def step(chargers: dict[str, ChargerRuntime], household_w: float) -> None:
    result = control_step(
        SiteSettings(grid_limit_w=36000.0),
        SiteReadings(household_w=household_w),
        [c.view() for c in chargers.values()],
        ControlState(),
        100.0,
        allow_increase=True,
    )
    await Boxes(NoRepairs(), 230.0).async_write(result, chargers, 100.0)  # type: ignore[arg-type]


async def test_a_failed_increase_counts_what_the_box_may_have_taken() -> None:
    box = Box(fails=True)
    chargers = {"a": charger("a", box, 6)}
    await step(chargers, 20000.0)  # room for 23 A: raised, and the write fails
    assert box.written == [23]
    assert chargers["a"].link.holding.current == 23  # it may hold 23 A
    assert held_above(chargers["a"].view(), 6) == 17


async def test_a_decrease_not_shown_yet_holds_the_increases_back() -> None:
    slow, other = Box(shows_late=True), Box()
    chargers = {"a": charger("a", slow, 16), "b": charger("b", other, 6)}
    chargers["a"].settings = UserSettings(ceiling=6)  # a goes down to 6 A, b up
    await step(chargers, 10000.0)
    assert slow.written == [6]
    assert chargers["a"].link.holding.current == 16  # still counted at 16 A
    assert other.written == []  # b waits until a shows its decrease


class SwitchingBox(Box):
    """A box with a phase switch: it follows at once, fails, or shows the new
    phases only at the next read."""

    def __init__(self, *, fails: bool = False, late: bool = False) -> None:
        super().__init__()
        self.switch_fails = fails
        self.late = late
        self.phases = 3
        self.switched: list[int] = []

    async def async_set_phases(self, phases: int) -> bool:
        self.switched.append(phases)
        if self.switch_fails:
            raise BackendError("switch offline")
        self.phases = phases
        return not self.late

    async def async_read(self) -> ChargerReading:
        return ChargerReading(connected=True, setpoint=self.holds, phases=self.phases)


class Repairs(NoRepairs):
    """The repair issues cleared."""

    def __init__(self) -> None:
        self.cleared: list[str] = []

    def clear_issue(self, key: str, *args: Any) -> None:
        self.cleared.append(key)


async def switch_to_one_phase(
    boxes: Boxes, chargers: dict[str, ChargerRuntime], now: float
) -> None:
    """A step whose decision asks to switch box "a" to one phase, and no write."""
    result = control_step(
        SiteSettings(grid_limit_w=36000.0),
        SiteReadings(household_w=1000.0),
        [chargers["a"].view()],
        ControlState(),
        now,
        allow_increase=True,
    )
    decided = replace(result.decision.chargers["a"], current=None, phases=1)
    result = replace(
        result,
        decision=replace(result.decision, chargers={"a": decided}),
        decreases=(),
        increases=(),
    )
    await boxes.async_write(result, chargers, now)


@pytest.mark.parametrize(("holds", "switched"), [(8, []), (None, []), (0, [1])])
async def test_a_box_is_switched_only_while_it_holds_0_a(
    holds: int | None, switched: list[int]
) -> None:
    """A switch the decision asks for waits while the box may hold a current (a
    charging current, or one not known): SPEC §5 rule 7."""
    box = SwitchingBox()
    chargers = {"a": charger("a", box, 0)}
    chargers["a"].link.holding = Holding(holds)
    await switch_to_one_phase(Boxes(NoRepairs(), 230.0), chargers, 100.0)  # type: ignore[arg-type]
    assert box.switched == switched
    assert chargers["a"].phases == (1 if switched else 3)


async def test_a_failed_phase_switch_is_retried_after_its_back_off() -> None:
    """A switch that fails is an error, tried again once its back-off is over; one
    shown by the next read counts then (SPEC §5 rules 6 and 9)."""
    box = SwitchingBox(fails=True)
    chargers = {"a": charger("a", box, 0)}
    repairs = Repairs()
    boxes = Boxes(repairs, 230.0)  # type: ignore[arg-type]
    await switch_to_one_phase(boxes, chargers, 100.0)
    assert box.switched == [1]
    assert chargers["a"].link.failing
    assert chargers["a"].view().failing  # status error
    await switch_to_one_phase(boxes, chargers, 105.0)  # backing off
    assert box.switched == [1]

    box.switch_fails, box.late = False, True
    await switch_to_one_phase(boxes, chargers, 110.0)
    assert box.switched == [1, 1]
    assert chargers["a"].link.failing  # not shown yet
    assert chargers["a"].phases == 3
    await boxes.async_read(chargers.values(), 120.0)
    assert not chargers["a"].link.failing
    assert chargers["a"].phases == 1
    assert repairs.cleared == ["phase_switch_failed"]
