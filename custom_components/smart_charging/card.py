"""The dashboard card: served by the integration and loaded on every dashboard.

HACS users get the card with the integration: no resource to add by hand. Its
source is frontend/ at the top of the repository; the built file is committed.
"""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant

CARD_FILE = Path(__file__).parent / "frontend" / "smart-charging-card.js"
CARD_URL = "/smart_charging/smart-charging-card.js"


def _card_version() -> str:
    """The build's source hash (first line of the file): a new build, a new URL."""
    with CARD_FILE.open(encoding="utf-8") as card:
        header = card.readline()
    return header.rsplit("sha256:", 1)[-1].strip(" */\n")[:12] or "0"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card and load it in the frontend, where Home Assistant has both.

    Without `http` and `frontend` (tests, a headless set-up) there is nothing to do.
    """
    if not {"http", "frontend"} <= hass.config.components:
        return
    # Imported here: both are after_dependencies, absent from a bare set-up.
    from homeassistant.components.frontend import add_extra_js_url  # noqa: PLC0415
    from homeassistant.components.http.server import StaticPathConfig  # noqa: PLC0415

    version = await hass.async_add_executor_job(_card_version)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    add_extra_js_url(hass, f"{CARD_URL}?v={version}")
