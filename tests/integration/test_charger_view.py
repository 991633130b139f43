"""A charger's view, kept between steps, always shows what the charger is now."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smart_charging.engine import Mode, Profile
from custom_components.smart_charging.engine.control import ChargerView
from custom_components.smart_charging.runtime import (
    ChargerConfig,
    ChargerRuntime,
    UserSettings,
)
from custom_components.smart_charging.wallbox import ChargerReading


class Box:
    """Just what the view asks of a backend."""

    measures_power = True


def follows(charger: ChargerRuntime, before: ChargerView) -> ChargerView:
    """The view is what a fresh one would be, and shows the change."""
    view = charger.view()
    assert view == charger._build_view()
    assert view != before
    return view


def test_the_view_follows_every_change() -> None:
    config = ChargerConfig("c1", "Car", 3, 6, 16, Profile.STANDARD)
    charger = ChargerRuntime(config, Box(), UserSettings())  # type: ignore[arg-type]
    view = charger.view()
    assert charger.view() is view  # nothing changed: not built again
    charger.take_reading(ChargerReading(connected=True, power_w=900), 230)
    view = follows(charger, view)
    charger.settings = replace(charger.settings, mode=Mode.SOLAR)
    view = follows(charger, view)
    charger.settings = charger.settings.boosted()
    view = follows(charger, view)
    charger.link.holding = charger.link.holding.moved_to(10, 5.0, 690)
    view = follows(charger, view)
    charger.link.record_failure(12, "timeout", 6.0)
    view = follows(charger, view)
    charger.link.record_success()
    view = follows(charger, view)
    charger.take_reading(ChargerReading(connected=True), 230)  # no power shown
    view = follows(charger, view)
    charger.lose_reading("no answer")
    view = follows(charger, view)
    charger.link.read_error = None
    view = follows(charger, view)
    charger.config = replace(config, max_current=32)
    follows(charger, view)
