"""Config flow of Smart Charging: a site entry, with one subentry per charger.

The forms are in schemas.py, their checks in validators.py; this module walks the
user through them and stores the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_NAME
from homeassistant.core import HomeAssistant, callback

from .backend import BackendError
from .const import (
    BACKEND_MODBUS,
    CONF_BACKEND,
    CONF_CURRENT_ENTITY,
    CONF_MAX_CURRENT,
    CONFIG_VERSION,
    DOMAIN,
    LOGGER,
    SUBENTRY_CHARGER,
)
from .modbus import InvalidUnitId, async_probe
from .modbus.registers import (
    CONF_UNIT_ID,
)
from .schemas import (
    CHARGER_SCHEMA,
    ENTITY_SCHEMA,
    MODBUS_SCHEMA,
    SITE_SCHEMA,
    charger_form_values,
    modbus_form_values,
)
from .validators import (
    site_name_taken,
    validate_charger,
    validate_entity_charger,
    validate_modbus,
    validate_site,
)


@callback
def _async_reload_unless_listened(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Reload a site after a change; a loaded site has an update listener that
    reloads it already."""
    if not entry.update_listeners:
        hass.config_entries.async_schedule_reload(entry.entry_id)


class SmartChargingConfigFlow(ConfigFlow, domain=DOMAIN):
    """A site: its grid connection, meters and limits.

    Sites are told apart by name, which the user may change: the entry has no
    unique_id (entries made by earlier versions keep theirs, unused).
    """

    VERSION = CONFIG_VERSION

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Chargers are subentries of the site."""
        return {SUBENTRY_CHARGER: ChargerSubentryFlowHandler}

    def _name_taken(self, name: str, entry: ConfigEntry | None = None) -> bool:
        """True when a site other than `entry` has this name."""
        return site_name_taken(
            name,
            (
                other
                for other in self._async_current_entries(include_ignore=False)
                if entry is None or other.entry_id != entry.entry_id
            ),
        )

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up a site."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = validate_site(self.hass, user_input)
            if not errors:
                if self._name_taken(data[CONF_NAME]):
                    return self.async_abort(reason="already_configured")
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of a site, its name included."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = validate_site(self.hass, user_input)
            if self._name_taken(data[CONF_NAME], entry):
                errors[CONF_NAME] = "name_exists"
            if not errors:
                # unique_id=None drops the name-based one of an older entry.
                result = self.async_update_and_abort(
                    entry, unique_id=None, title=data[CONF_NAME], data=data
                )
                _async_reload_unless_listened(self.hass, entry)
                return result
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SITE_SCHEMA, user_input if user_input is not None else entry.data
            ),
            errors=errors,
        )


class ChargerSubentryFlowHandler(ConfigSubentryFlow):
    """A charger of the site, driven through HA entities or Modbus TCP."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._charger: dict[str, Any] = {}
        self._capped: dict[str, Any] = {}  # the data waiting for the capped note

    @property
    def _is_new(self) -> bool:
        """True when adding a charger, False when reconfiguring one."""
        return self.source == SOURCE_USER

    def _stored(self) -> Mapping[str, Any]:
        """The data of the charger being reconfigured (empty when adding one)."""
        if self._is_new:
            return {}
        return self._get_reconfigure_subentry().data

    def _other_chargers(self) -> list[ConfigSubentry]:
        """The site's other chargers."""
        own_id = None if self._is_new else self._get_reconfigure_subentry().subentry_id
        return [
            subentry
            for subentry in self._get_entry().subentries.values()
            if subentry.subentry_type == SUBENTRY_CHARGER
            and subentry.subentry_id != own_id
        ]

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a charger: name, backend, phases, currents and profile."""
        return await self._async_step_charger("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a charger."""
        return await self._async_step_charger("reconfigure", user_input)

    async def _async_step_charger(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """The first form of both adding and reconfiguring a charger."""
        errors: dict[str, str] = {}
        if user_input is not None:
            charger, errors = validate_charger(
                self.hass, user_input, self._other_chargers()
            )
            if not errors:
                self._charger = charger
                if self._charger[CONF_BACKEND] == BACKEND_MODBUS:
                    return await self.async_step_modbus()
                return await self.async_step_entity()
        values = charger_form_values(
            user_input if user_input is not None else self._stored()
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(CHARGER_SCHEMA, values),
            errors=errors,
        )

    async def async_step_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A charger driven through existing HA entities.

        A current entity whose `max` is below what the charger needs is refused; one
        below the charger's maximum current caps it, after a note.
        """
        errors: dict[str, str] = {}
        placeholders = {"name": self._charger[CONF_NAME]}
        if user_input is not None:
            check = validate_entity_charger(
                self.hass, user_input, self._charger, self._other_chargers()
            )
            errors = check.errors
            if errors.get(CONF_CURRENT_ENTITY) == "current_entity_range":
                placeholders["entity_max"] = str(check.entity_max)
            if not errors:
                data = {**self._charger, **check.entities}
                if check.entity_max is not None and (
                    data[CONF_MAX_CURRENT] > check.entity_max
                ):
                    self._capped = {**data, CONF_MAX_CURRENT: check.entity_max}
                    return await self.async_step_max_current_capped()
                return self._async_finish(data)
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(
                ENTITY_SCHEMA, user_input if user_input is not None else self._stored()
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_max_current_capped(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Tell that the maximum current is lowered to what the entity accepts."""
        if user_input is not None:
            return self._async_finish(self._capped)
        return self.async_show_form(
            step_id="max_current_capped",
            description_placeholders={
                "name": self._capped[CONF_NAME],
                "entity_max": str(self._capped[CONF_MAX_CURRENT]),
                "max_current": str(self._charger[CONF_MAX_CURRENT]),
            },
        )

    async def async_step_modbus(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A wallbox reached directly over Modbus TCP."""
        errors: dict[str, str] = {}
        if user_input is not None:
            modbus, errors = validate_modbus(user_input, self._other_chargers())
            if not errors:
                data = {**self._charger, **modbus}
                if not (errors := await self._async_probe(data)):
                    return self._async_finish(data)
        values = modbus_form_values(
            user_input if user_input is not None else self._stored()
        )
        return self.async_show_form(
            step_id="modbus",
            data_schema=self.add_suggested_values_to_schema(MODBUS_SCHEMA, values),
            errors=errors,
            description_placeholders={"name": self._charger[CONF_NAME]},
        )

    async def _async_probe(self, data: dict[str, Any]) -> dict[str, str]:
        """Ask the box once; the form errors when it does not answer as it should."""
        try:
            await async_probe(data)
        except InvalidUnitId:
            return {CONF_UNIT_ID: "invalid_unit_id"}
        except BackendError:
            return {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error probing %s", data[CONF_HOST])
            return {"base": "unknown"}
        return {}

    @callback
    def _async_finish(self, data: dict[str, Any]) -> SubentryFlowResult:
        """Create the charger, or store the reconfigured one."""
        if self._is_new:
            return self.async_create_entry(title=data[CONF_NAME], data=data)
        entry = self._get_entry()
        result = self.async_update_and_abort(
            entry, self._get_reconfigure_subentry(), title=data[CONF_NAME], data=data
        )
        _async_reload_unless_listened(self.hass, entry)
        return result
