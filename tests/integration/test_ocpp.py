"""An OCPP station as the lbbrhzn/ocpp integration shows it in Home Assistant.

The station's entities are shaped like that integration's:
`number.<station>_maximum_current` (0-32 A), `switch.<station>_charge_control` and
`sensor.<station>_status_connector`.
Like the stations its users report, this one does not stop at 0 A: it keeps charging
at 6 A until charge control is switched off. Template entities stand for the
integration; input helpers for what the station really does.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component

from tests.conftest import (
    HOUSEHOLD,
    LIMIT_W,
    WATTS_PER_AMP,
    EntryFactory,
    amps,
    charger_data,
    find_entity,
    power_state,
    settle,
    state_of,
    tick,
)

LIMIT = "input_number.station_limit"  # the current the station was told
CHARGING = "input_boolean.station_charging"  # charge control, as the station has it
PLUGGED = "input_boolean.station_plugged"
MAXIMUM_CURRENT = "number.station_maximum_current"
CHARGE_CONTROL = "switch.station_charge_control"
STATUS = "sensor.station_status_connector"


async def ocpp_station(hass: HomeAssistant) -> None:
    """The station's entities, as lbbrhzn/ocpp names and ranges them."""
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"station_limit": {"min": 0, "max": 32, "initial": 32}}},
    )
    assert await async_setup_component(
        hass,
        "input_boolean",
        {
            "input_boolean": {
                "station_charging": {"initial": True},
                "station_plugged": {"initial": True},
            }
        },
    )
    number = {
        "name": "Station Maximum current",
        "state": f"{{{{ states('{LIMIT}') | float(0) }}}}",
        "min": 0,
        "max": 32,
        "step": 1,
        "unit_of_measurement": "A",
        "set_value": {
            "action": "input_number.set_value",
            "target": {"entity_id": LIMIT},
            "data": {"value": "{{ value }}"},
        },
    }
    switch = {
        "name": "Station Charge control",
        "state": f"{{{{ is_state('{CHARGING}', 'on') }}}}",
        "turn_on": {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": CHARGING},
        },
        "turn_off": {
            "action": "input_boolean.turn_off",
            "target": {"entity_id": CHARGING},
        },
    }
    status = {
        "name": "Station Status connector",
        "state": (
            f"{{% if is_state('{PLUGGED}', 'off') %}}Available"
            f"{{% elif is_state('{CHARGING}', 'on') %}}Charging"
            "{% else %}SuspendedEVSE{% endif %}"
        ),
    }
    assert await async_setup_component(
        hass,
        "template",
        {"template": [{"number": [number], "switch": [switch], "sensor": [status]}]},
    )
    await settle(hass)


def drawn_amps(hass: HomeAssistant) -> float:
    """What the station really draws: 0 A does not stop it, charge control does."""
    if state_of(hass, CHARGING).state != "on" or state_of(hass, PLUGGED).state != "on":
        return 0.0
    return max(amps(hass, LIMIT), 6.0)


async def test_an_ocpp_station_pauses_through_its_switch(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    site_entry_factory: EntryFactory,
) -> None:
    await ocpp_station(hass)
    values: list[float] = []

    @callback
    def record(event: Event) -> None:
        if event.data["domain"] == "number" and event.data["service"] == "set_value":
            values.append(float(event.data["service_data"]["value"]))

    hass.bus.async_listen(EVENT_CALL_SERVICE, record)
    power_state(hass, HOUSEHOLD, 20000)
    entry = await site_entry_factory(
        [
            charger_data(
                "Station",
                MAXIMUM_CURRENT,
                switch_entity=CHARGE_CONTROL,
                connected_entity=STATUS,
            )
        ]
    )
    cid = next(iter(entry.subentries))
    status = find_entity(hass, "sensor", f"{cid}_status")
    await tick(hass, freezer)
    assert amps(hass, LIMIT) == 23  # 16 kW left: 23 A on three phases
    assert state_of(hass, status).state == "charging"

    power_state(hass, HOUSEHOLD, 33000)  # 3 kW left: under the 6 A minimum
    await settle(hass)
    assert state_of(hass, CHARGING).state == "off"  # paused through charge control
    assert 0 not in values  # never by writing 0 A, which this station ignores
    assert LIMIT_W >= 20000
    assert 33000 + drawn_amps(hass) * WATTS_PER_AMP <= LIMIT_W
    await tick(hass, freezer)
    assert state_of(hass, status).state == "paused_by_cap"

    power_state(hass, HOUSEHOLD, 20000)
    await tick(hass, freezer)
    assert state_of(hass, CHARGING).state == "on"
    assert drawn_amps(hass) == 23

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": PLUGGED}, blocking=True
    )
    await tick(hass, freezer)
    assert state_of(hass, status).state == "disconnected"
