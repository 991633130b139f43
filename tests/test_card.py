"""The dashboard card: its committed build matches frontend/, and it is served."""

from __future__ import annotations

import hashlib
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock, patch

from homeassistant.core import HomeAssistant

from custom_components.smart_charging.card import (
    CARD_FILE,
    CARD_URL,
    async_register_card,
)

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
BUILD_INPUTS = ("build.mjs", "package.json", "package-lock.json", "tsconfig.json")


def source_hash() -> str:
    """What frontend/build.mjs hashes: src/ and the build's own files, by path."""
    files = [
        p.relative_to(FRONTEND).as_posix()
        for p in FRONTEND.joinpath("src").rglob("*")
        if p.is_file()
    ]
    files = sorted([*files, *BUILD_INPUTS])
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0")
        digest.update((FRONTEND / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_the_committed_card_is_built_from_the_source() -> None:
    header = CARD_FILE.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.endswith(f"source sha256: {source_hash()} */"), (
        "custom_components/smart_charging/frontend/smart-charging-card.js is not "
        "built from frontend/: run `npm ci && npm run build` in frontend/"
    )


async def test_the_card_is_served_and_loaded_where_the_frontend_runs(
    hass: HomeAssistant,
) -> None:
    hass.http = MagicMock(async_register_static_paths=AsyncMock())
    hass.config.components.update({"http", "frontend"})
    with patch("homeassistant.components.frontend.add_extra_js_url") as add_url:
        await async_register_card(hass)
    (paths,) = hass.http.async_register_static_paths.await_args.args
    assert [(p.url_path, p.path) for p in paths] == [(CARD_URL, str(CARD_FILE))]
    add_url.assert_called_once_with(hass, f"{CARD_URL}?v={source_hash()[:12]}")


async def test_without_the_frontend_nothing_is_registered(hass: HomeAssistant) -> None:
    hass.http = MagicMock(async_register_static_paths=AsyncMock())
    assert "frontend" not in hass.config.components
    await async_register_card(hass)
    hass.http.async_register_static_paths.assert_not_awaited()
