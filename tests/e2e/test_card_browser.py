"""End to end: the dashboard card in real headless Chromium against a real `hass`.

Needs Debian's chromium (/usr/bin/chromium; scripts/setup installs it). Outside CI a
machine without it skips this test; in CI (CI=true) its absence fails the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import time
from typing import Any

import aiohttp
from playwright.async_api import Locator, Page, async_playwright, expect
import pytest

from demo.hass import (
    REPO,
    HassApi,
    HassError,
    onboard,
    prepare_config,
    skip_core_config_step,
    start_hass,
    stop_hass,
    wait_until_up,
)
from tests.e2e.test_real_hass import POWER, eventually, free_port

pytestmark = pytest.mark.timeout(300)

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Kept out of the tree; `SCREENSHOT=docs/screenshot.png` refreshes the README's.
SCREENSHOT = REPO / os.environ.get("SCREENSHOT", ".scratch/screenshot.png")
USERNAME, PASSWORD = "tester", "e2e-secret-1"
DASHBOARD = "smart-charging"

CONFIGURATION = """
homeassistant:
  name: Card test
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
input_number:
  garage_box:
    name: Garage box
    min: 0
    max: 32
    step: 1
    unit_of_measurement: A
  drive_box:
    name: Drive box
    min: 0
    max: 32
    step: 1
    unit_of_measurement: A
"""


async def _post(session: aiohttp.ClientSession, url: str, data: dict[str, Any]) -> Any:
    async with session.post(url, json=data) as response:
        if response.status >= 400:
            raise HassError(f"POST {url}: {response.status} {await response.text()}")
        return await response.json()


async def browser_tokens(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    """Log in through the login flow, as the login page does; returns what the
    frontend keeps in its localStorage (hassTokens)."""
    client_id = f"{base}/"
    redirect_uri = f"{base}/?auth_callback=1"
    flow = await _post(
        session,
        f"{base}/auth/login_flow",
        {
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": redirect_uri,
        },
    )
    result = await _post(
        session,
        f"{base}/auth/login_flow/{flow['flow_id']}",
        {"client_id": client_id, "username": USERNAME, "password": PASSWORD},
    )
    if result.get("type") != "create_entry":
        raise HassError(f"login: {result}")
    async with session.post(
        f"{base}/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": result["result"],
            "client_id": client_id,
        },
    ) as response:
        tokens = await response.json()
    return {
        **tokens,
        "hassUrl": base,
        "clientId": client_id,
        "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
    }


async def set_up_site(api: HassApi) -> str:
    """A site with two entity chargers; returns the site device's id."""
    await api.set_state("sensor.household_power", "3000", POWER)
    await api.set_state("sensor.solar_power", "2000", POWER)
    entry_id = await api.add_site(
        {
            "name": "Home",
            "grid_limit_kw": 20,
            "household_power_entity": "sensor.household_power",
            "solar_power_entity": "sensor.solar_power",
            "safety_margin_kw": 1,
            "stale_after_s": 0,
        }
    )
    charger = {"phases": "3", "min_current": 6, "max_current": 16}
    for name, profile, box in (
        ("Garage", "premium", "input_number.garage_box"),
        ("Drive", "standard", "input_number.drive_box"),
    ):
        created = await api.add_charger(
            entry_id,
            {**charger, "name": name, "backend": "entity", "profile": profile},
            {"current_entity": box},
        )
        assert created["type"] == "create_entry"
    devices = await api.websocket({"type": "config/device_registry/list"})
    (site,) = (d for d in devices if ["smart_charging", entry_id] in d["identifiers"])
    return str(site["id"])


async def create_dashboard(api: HassApi, site_device_id: str) -> None:
    """A storage-mode dashboard whose one view holds the card."""
    await api.websocket(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Smart Charging",
            "icon": "mdi:ev-station",
            "mode": "storage",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    card = {"type": "custom:smart-charging-card", "site": site_device_id}
    await api.websocket(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD,
            "config": {"views": [{"title": "Charging", "cards": [card]}]},
        }
    )


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/setup installs it")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup as root")
    return CHROMIUM


async def onboarded_site(session: aiohttp.ClientSession, base: str) -> HassApi:
    """Onboard, set up the site and its chargers, and the dashboard."""
    token = await onboard(
        session,
        base,
        name="Tester",
        username=USERNAME,
        password=PASSWORD,
        core_config=False,
    )
    api = HassApi(session, base, token)
    # The port and address set in configuration.yaml are new to HA: keep them, or
    # the UI asks to confirm them over the dashboard.
    await api.websocket({"type": "http/config/promote"})
    await create_dashboard(api, await set_up_site(api))

    async def charging() -> bool:
        state = await api.state("sensor.garage_status")
        return bool(state["state"] == "charging")

    await eventually(charging, within=60)
    return api


async def check_the_card(page: Page, api: HassApi) -> None:
    """What the card shows, and a mode changed on it."""
    card = page.locator("smart-charging-card")
    await expect(card.locator(".title")).to_have_text("Home", timeout=60000)

    # The site's figures: 3 kW household, 2 kW sun, 20 kW less 1 kW margin.
    site = card.locator(".site")

    def figure(key: str) -> Locator:
        return site.locator(f"[data-figure={key}] .value")

    budget = await api.state("sensor.home_ev_power_budget")
    await expect(figure("household_power")).to_have_text("3.0 kW")
    await expect(figure("solar_surplus")).to_have_text("0 W")
    await expect(figure("ev_budget")).to_have_text(
        f"{float(budget['state']) / 1000:.1f} kW"
    )
    await expect(site).to_contain_text("EV budget")

    # The chargers: status in words, mode, profile, allocated power.
    garage = card.locator(".charger[data-charger=Garage]")
    drive = card.locator(".charger[data-charger=Drive]")
    await expect(garage.locator(".status")).to_have_text("Charging")
    await expect(garage.locator("select[name=mode]")).to_have_value("fast")
    await expect(garage.locator("select[name=profile]")).to_have_value("premium")
    await expect(drive.locator("select[name=profile]")).to_have_value("standard")
    allocated = await api.state("sensor.garage_allocated_power")
    await expect(garage.locator("[data-figure=allocated] .value")).to_have_text(
        f"{float(allocated['state']) / 1000:.1f} kW"
    )

    # The driver picks solar for the Drive charger on the card.
    await drive.locator("select[name=mode]").select_option("solar")

    async def solar() -> bool:
        state = await api.state("select.drive_mode")
        return bool(state["state"] == "solar")

    await eventually(solar, within=15)
    # No surplus (3 kW load, 2 kW sun): it waits, and says why.
    await expect(drive.locator(".status")).to_have_text(
        "Waiting for solar", timeout=30000
    )
    await expect(drive.locator(".reason")).to_contain_text(
        "solar surplus covers the minimum current"
    )
    assert (await api.state("sensor.drive_status"))["state"] == "waiting_for_solar"


async def check_the_editor(page: Page) -> None:
    """The visual editor offers the site, by name, and reports the choice."""
    chosen = await page.evaluate(
        """async () => {
            const editor = document.createElement("smart-charging-card-editor");
            editor.hass = document.querySelector("home-assistant").hass;
            editor.setConfig({type: "custom:smart-charging-card"});
            document.body.appendChild(editor);
            await editor.updateComplete;
            const select = editor.shadowRoot.querySelector("select");
            const changed = new Promise((resolve) => editor.addEventListener(
                "config-changed", (event) => resolve(event.detail.config)
            ));
            select.value = select.options[0].value;
            select.dispatchEvent(new Event("change"));
            const config = await changed;
            editor.remove();
            return {names: [...select.options].map((o) => o.text.trim()), config};
        }"""
    )
    assert chosen["names"] == ["Home"]
    assert chosen["config"]["type"] == "custom:smart-charging-card"
    assert chosen["config"]["site"]


async def test_the_card_shows_the_site_and_changes_a_mode(
    tmp_path: Path, socket_enabled: None, chromium: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    prepare_config(tmp_path, CONFIGURATION.format(port=port))
    skip_core_config_step(tmp_path)
    process = await start_hass(tmp_path, quiet=True)
    errors: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, process)
            api = await onboarded_site(session, base)
            tokens = await browser_tokens(session, base)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(chromium),
                    headless=True,
                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
                )
                page = await browser.new_page(
                    viewport={"width": 1200, "height": 820}, locale="en-GB"
                )
                page.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))
                # What the login page would leave behind: the frontend's tokens.
                await page.add_init_script(
                    "localStorage.setItem('hassTokens', "
                    f"JSON.stringify({json.dumps(tokens)}));"
                )
                await page.goto(f"{base}/{DASHBOARD}/0")
                await check_the_card(page, api)
                SCREENSHOT.parent.mkdir(exist_ok=True)
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOT))
                await check_the_editor(page)
                await browser.close()
    finally:
        returncode = await stop_hass(process)
        log = tmp_path / "home-assistant.log"
        if log.exists():  # shown by pytest when the test fails
            print(log.read_text()[-20000:])
    # The card raised nothing (the HA frontend's own errors are not its).
    assert [error for error in errors if "smart-charging-card" in error] == []
    assert returncode == 0
