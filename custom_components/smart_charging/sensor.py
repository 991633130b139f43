"""Sensors: what each charger is given, and the site's figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
import math
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.typing import StateType

from .coordinator import SmartChargingConfigEntry, SmartChargingCoordinator
from .engine import Status
from .engine.grid_limits import QuarterPeak
from .engine.reserve import Buckets, StepReserve
from .entity import ChargerEntity, SiteEntity, add_charger_entities
from .runtime import ChargerRuntime
from .sessions import Session, SessionProgress
from .snapshot import ChargerData, SiteData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerSensorEntityDescription(SensorEntityDescription):
    """A charger sensor and where its value comes from."""

    value_fn: Callable[[ChargerData], StateType | datetime]
    attributes_fn: Callable[[ChargerData], dict[str, Any]] | None = None
    # Shown only while the box is read and its power reading is usable.
    measured: bool = False


@dataclass(frozen=True, kw_only=True)
class SiteSensorEntityDescription(SensorEntityDescription):
    """A site sensor and where its value comes from."""

    value_fn: Callable[[SiteData], StateType]
    attributes_fn: Callable[[SiteData], dict[str, Any]] | None = None


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
        attributes_fn=lambda charger: {"measured_power_w": charger.measured_w},
    ),
    ChargerSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in Status],
        value_fn=lambda charger: charger.status.value,
        attributes_fn=lambda charger: {"boost": charger.boost},
    ),
    ChargerSensorEntityDescription(
        key="planned_start",
        translation_key="planned_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda charger: charger.planned_start,
        attributes_fn=lambda charger: {
            "schedule": [
                {"start": start.isoformat(), "end": end.isoformat(), "power_w": power}
                for start, end, power in charger.schedule
            ],
            "reachable": charger.reachable,
        },
    ),
    # 1 or 3: the phases the box is switched to (its configured ones without a
    # phase switch), or fewer once the car was seen to draw on fewer.
    ChargerSensorEntityDescription(
        key="phases_in_use",
        translation_key="phases_in_use",
        value_fn=lambda charger: charger.phases,
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

# The last session's energy is its state: the figure users look for, and one point
# per session on its history graph; when and at what cost are its attributes. Not a
# total: the Energy dashboard takes session_energy.
LAST_SESSION = ChargerSensorEntityDescription(
    key="last_session",
    translation_key="last_session",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
    value_fn=lambda charger: (
        None
        if charger.last_session is None
        else round(charger.last_session.energy_kwh, 3)
    ),
    attributes_fn=lambda charger: (
        {} if charger.last_session is None else charger.last_session.attributes()
    ),
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
        # The budget's frame, for dashboards: the contract and the margin kept.
        attributes_fn=lambda site: {
            "grid_limit_kw": site.grid_limit_w / 1000,
            "safety_margin_kw": site.safety_margin_w / 1000,
        },
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

# The capacity tariff: the quarter-hour's average import so far, the target in
# force (None without a limit) and the month's highest quarter-hour.
QUARTER_PEAK = SiteSensorEntityDescription(
    key="quarter_peak",
    translation_key="quarter_peak",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.KILO_WATT,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=2,
    value_fn=lambda site: round(site.quarter_average_w / 1000, 3),
    attributes_fn=lambda site: {
        "peak_limit_kw": (
            round(site.peak_target_w / 1000, 3) if site.peak_target_w > 0 else None
        ),
        "month_peak_kw": round(site.month_peak_w / 1000, 3),
    },
)

# The adaptive reserve: the margin learned from the household's load steps.
ADAPTIVE_RESERVE = SiteSensorEntityDescription(
    key="adaptive_reserve",
    translation_key="adaptive_reserve",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
    suggested_display_precision=0,
    value_fn=lambda site: round(site.reserve_w),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's and each charger's sensors."""
    coordinator = entry.runtime_data
    async_add_entities(
        [
            *(SiteSensorEntity(coordinator, desc) for desc in SITE_SENSORS),
            QuarterPeakSensorEntity(coordinator, QUARTER_PEAK),
            ReserveSensorEntity(coordinator, ADAPTIVE_RESERVE),
        ]
    )
    add_charger_entities(entry, async_add_entities, _charger_sensors)


def _charger_sensors(
    coordinator: SmartChargingCoordinator, charger: ChargerRuntime
) -> list[SensorEntity]:
    return [
        *(ChargerSensorEntity(coordinator, charger, desc) for desc in CHARGER_SENSORS),
        SessionEnergySensorEntity(coordinator, charger, SESSION_ENERGY),
        LastSessionSensorEntity(coordinator, charger, LAST_SESSION),
    ]


class SiteSensorEntity(SiteEntity, SensorEntity):
    """A figure of the site."""

    entity_description: SiteSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        data = self.coordinator.data
        if data is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(data)


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
    def native_value(self) -> StateType | datetime:
        data = self.charger_data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        data = self.charger_data
        if data is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(data)


class StoredData(ExtraStoredData):
    """Extra data kept across restarts, as a plain dict."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        return self.data


@dataclass
class SessionStoredData(SensorExtraStoredData):
    """The sensor's value and the session in progress."""

    session: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "session": self.session}


class SessionEnergySensorEntity(ChargerSensorEntity, RestoreSensor):
    """Energy delivered since plug-in; kept across restarts for the Energy
    dashboard, with the session in progress (its start, energy, cost...)."""

    @property
    def extra_restore_state_data(self) -> SensorExtraStoredData:
        sensor = super().extra_restore_state_data
        return SessionStoredData(
            sensor.native_value,
            sensor.native_unit_of_measurement,
            self.charger.metering.progress.as_dict(),
        )

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        value = last.native_value if last is not None else None
        # Only a real amount of energy: a corrupt store must not start a session
        # below zero (or at infinity).
        if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
            self.charger.metering.session_kwh = float(value)
        extra = await self.async_get_last_extra_data()
        stored = extra.as_dict().get("session") if extra is not None else None
        if isinstance(stored, dict):
            self.charger.metering.progress = SessionProgress.from_dict(stored)


class LastSessionSensorEntity(ChargerSensorEntity, RestoreEntity):
    """The last session: its energy, with when, cost, CO2 and solar share; the
    last few sessions are kept across restarts."""

    @property
    def extra_restore_state_data(self) -> ExtraStoredData:
        history = self.charger.metering.history
        return StoredData({"sessions": [session.as_dict() for session in history]})

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        extra = await self.async_get_last_extra_data()
        stored = extra.as_dict().get("sessions") if extra is not None else None
        if not isinstance(stored, list) or self.charger.metering.history:
            return
        for item in stored:
            if isinstance(item, dict) and (session := Session.from_dict(item)):
                self.charger.metering.history.append(session)


@dataclass
class PeakStoredData(SensorExtraStoredData):
    """The sensor's value and the month's highest quarter-hour."""

    month: int | None = None
    month_peak_w: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **super().as_dict(),
            "month": self.month,
            "month_peak_w": self.month_peak_w,
        }


def restored_quarter(stored: dict[str, Any] | None) -> QuarterPeak | None:
    """The month's peak as stored; None for anything that is not plainly one."""
    if stored is None:
        return None
    month, peak_w = stored.get("month"), stored.get("month_peak_w")
    if not isinstance(month, int) or isinstance(month, bool):
        return None
    if not isinstance(peak_w, int | float) or not 0 <= peak_w < math.inf:
        return None
    return QuarterPeak(month=month, month_peak_w=float(peak_w))


class QuarterPeakSensorEntity(SiteSensorEntity, RestoreSensor):
    """The quarter-hour's average import; the month's highest quarter-hour is kept
    across restarts (the capacity tariff's month peak; the quarter in progress is
    counted afresh)."""

    @property
    def extra_restore_state_data(self) -> SensorExtraStoredData:
        sensor = super().extra_restore_state_data
        quarter = self.coordinator.state.quarter
        return PeakStoredData(
            sensor.native_value,
            sensor.native_unit_of_measurement,
            quarter.month,
            quarter.month_peak_w,
        )

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        extra = await self.async_get_last_extra_data()
        quarter = restored_quarter(extra.as_dict() if extra is not None else None)
        coordinator = self.coordinator
        if quarter is not None and coordinator.state.quarter.month is None:
            coordinator.state = replace(coordinator.state, quarter=quarter)


@dataclass
class ReserveStoredData(SensorExtraStoredData):
    """The sensor's value and the load steps the reserve learned from."""

    rises: Buckets = ()
    hourly: Buckets = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            **super().as_dict(),
            "rises": [list(bucket) for bucket in self.rises],
            "hourly": [list(bucket) for bucket in self.hourly],
        }


def _finite(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _buckets(stored: Any) -> Buckets | None:
    """Stored [start, watts] pairs of finite numbers; None for anything else."""
    if not isinstance(stored, list) or not all(
        isinstance(item, list) and len(item) == 2 and all(map(_finite, item))
        for item in stored
    ):
        return None
    return tuple((float(start), float(watts)) for start, watts in stored)


def restored_reserve(stored: dict[str, Any] | None) -> StepReserve | None:
    """The learned steps as stored; None for anything that is not plainly them."""
    if stored is None:
        return None
    rises, hourly = _buckets(stored.get("rises")), _buckets(stored.get("hourly"))
    if rises is None or hourly is None:
        return None
    return StepReserve(rises=rises, hourly=hourly)


class ReserveSensorEntity(SiteSensorEntity, RestoreSensor):
    """The adaptive reserve; what it learned is kept across restarts (the load
    steps of the last hour and the biggest of each hour of the day)."""

    @property
    def extra_restore_state_data(self) -> SensorExtraStoredData:
        sensor = super().extra_restore_state_data
        reserve = self.coordinator.state.reserve
        return ReserveStoredData(
            sensor.native_value,
            sensor.native_unit_of_measurement,
            reserve.rises,
            reserve.hourly,
        )

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        extra = await self.async_get_last_extra_data()
        reserve = restored_reserve(extra.as_dict() if extra is not None else None)
        coordinator = self.coordinator
        if reserve is not None and coordinator.state.reserve == StepReserve():
            coordinator.state = replace(coordinator.state, reserve=reserve)
