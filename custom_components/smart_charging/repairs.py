"""Repair issues of a site: each carries the site's id, so it goes with the site."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, LOGGER, REPAIR_AFTER_S


class Repairs:
    """Raises and clears one site's repair issues."""

    def __init__(self, hass: HomeAssistant, entry_id: str, site: str) -> None:
        self._hass = hass
        self._entry_id = entry_id
        self._site = site
        self._failsafe_since: float | None = None

    def issue_id(self, key: str, cid: str | None = None) -> str:
        return (
            f"{self._entry_id}_{key}"
            if cid is None
            else f"{self._entry_id}_{key}_{cid}"
        )

    def raise_issue(
        self, key: str, placeholders: Mapping[str, str], cid: str | None = None
    ) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self.issue_id(key, cid),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=dict(placeholders),
        )

    def clear_issue(self, key: str, cid: str | None = None) -> None:
        ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(key, cid))

    def household_includes_chargers(self, entity: str) -> None:
        """The household sensor moves with the chargers: it includes them."""
        self.raise_issue(
            "household_includes_chargers", {"site": self._site, "entity": entity}
        )

    def forecast_unusable(self, problems: list[str]) -> None:
        """Forecasts that cannot be read for long: the plan falls back."""
        if problems:
            self.raise_issue(
                "forecast_unusable",
                {"site": self._site, "problems": "; ".join(problems)},
            )
        else:
            self.clear_issue("forecast_unusable")

    def failsafe(self, unusable: tuple[str, ...], now: float) -> None:
        """Unusable inputs: one log line at once, an issue if it lasts."""
        if not unusable:
            if self._failsafe_since is not None:
                self._failsafe_since = None
                LOGGER.info("%s: inputs usable again", self._site)
                self.clear_issue("failsafe")
            return
        if self._failsafe_since is None:
            self._failsafe_since = now
            LOGGER.warning(
                "%s: inputs unusable, failsafe: %s", self._site, ", ".join(unusable)
            )
        if now - self._failsafe_since >= REPAIR_AFTER_S:
            self.raise_issue(
                "failsafe", {"site": self._site, "entities": ", ".join(unusable)}
            )


def async_clear_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove a site's repair issues; those still true come back on their own."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(f"{entry_id}_"):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
