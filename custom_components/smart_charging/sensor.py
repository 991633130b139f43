"""Sensors: what each charger is given, and the site's figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfElectricCurrent, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .engine import Status
from .entity import ChargerEntity, SiteEntity, add_charger_entities
from .runtime import ChargerRuntime
from .snapshot import ChargerData, SiteData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerSensorEntityDescription(SensorEntityDescription):
    """A charger sensor and where its value comes from."""

    value_fn: Callable[[ChargerData], StateType]
    attributes_fn: Callable[[ChargerData], dict[str, Any]] | None = None
    # Shown only while the box is read and its power reading is usable.
    measured: bool = False


@dataclass(frozen=True, kw_only=True)
class SiteSensorEntityDescription(SensorEntityDescription):
    """A site sensor and where its value comes from."""

    value_fn: Callable[[SiteData], StateType]


CHARGER_SENSORS = (
    ChargerSensorEntityDescription(
        key="allocated_current",
        translation_key="allocated_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda charger: charger.current,
    ),
    ChargerSensorEntityDescription(
        key="allocated_power",
        translation_key="allocated_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda charger: charger.power_w,
    ),
    ChargerSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in Status],
        value_fn=lambda charger: charger.status.value,
        attributes_fn=lambda charger: {"boost": charger.boost},
    ),
)

SESSION_ENERGY = ChargerSensorEntityDescription(
    key="session_energy",
    translation_key="session_energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=2,
    value_fn=lambda charger: charger.session_kwh,
    measured=True,
)

SITE_SENSORS = (
    SiteSensorEntityDescription(
        key="ev_budget",
        translation_key="ev_budget",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda site: site.budget_w,
    ),
    SiteSensorEntityDescription(
        key="solar_surplus",
        translation_key="solar_surplus",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda site: site.surplus_w,
    ),
    SiteSensorEntityDescription(
        key="household_power",
        translation_key="household_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda site: site.household_w,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's and each charger's sensors."""
    coordinator = entry.runtime_data
    async_add_entities(
        SiteSensorEntity(coordinator, description) for description in SITE_SENSORS
    )
    add_charger_entities(entry, async_add_entities, _charger_sensors)


def _charger_sensors(
    coordinator: SmartChargingCoordinator, charger: ChargerRuntime
) -> list[SensorEntity]:
    return [
        *(ChargerSensorEntity(coordinator, charger, desc) for desc in CHARGER_SENSORS),
        SessionEnergySensorEntity(coordinator, charger, SESSION_ENERGY),
    ]


class SiteSensorEntity(SiteEntity, SensorEntity):
    """A figure of the site."""

    entity_description: SiteSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)


class ChargerSensorEntity(ChargerEntity, SensorEntity):
    """A figure of one charger."""

    entity_description: ChargerSensorEntityDescription

    @property
    def available(self) -> bool:
        data = self.charger_data
        if data is None or not super().available:
            return False
        return data.measured or not self.entity_description.measured

    @property
    def native_value(self) -> StateType:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        data = self.charger_data
        if data is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(data)


class SessionEnergySensorEntity(ChargerSensorEntity, RestoreSensor):
    """Energy delivered since plug-in; kept across restarts for the Energy dashboard."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        value = last.native_value if last is not None else None
        # Only a real amount of energy: a corrupt store must not start a session
        # below zero (or at infinity).
        if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
            self.charger.metering.session_kwh = float(value)
