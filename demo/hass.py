"""Run a real Home Assistant process and drive it over its REST API.

Shared by the demo (`scripts/develop`) and the end-to-end test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import json
from pathlib import Path
import signal
import sys
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
COMPONENT = REPO / "custom_components" / "smart_charging"
CONSOLE_LOG = "hass-console.log"


class HassError(Exception):
    """Home Assistant did not do what was asked."""


def prepare_config(config_dir: Path, configuration_yaml: str) -> None:
    """A config folder with this repo's integration linked in."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(configuration_yaml)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "smart_charging"
    if not link.is_symlink():
        link.symlink_to(COMPONENT, target_is_directory=True)


async def start_hass(
    config_dir: Path, *, quiet: bool = False
) -> asyncio.subprocess.Process:
    """Start `hass -c config_dir`; the requirements are installed already.

    Quiet, its console output goes to config_dir/CONSOLE_LOG (what it says before
    its own log, config_dir/home-assistant.log, is set up: why it could not start).
    """
    with contextlib.ExitStack() as stack:
        output = None
        if quiet:
            output = stack.enter_context((config_dir / CONSOLE_LOG).open("wb"))
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(config_dir),
            "--skip-pip",
            cwd=REPO,
            stdout=output,
            stderr=output,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not it
        )


async def stop_hass(process: asyncio.subprocess.Process, within: float = 60) -> int:
    """Stop HA the way a user would (SIGTERM), killing it if it hangs."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


async def wait_until_up(
    session: aiohttp.ClientSession,
    base: str,
    process: asyncio.subprocess.Process,
    within: float = 180,
) -> None:
    """Wait until HA serves HTTP, probing a view that needs no login.

    HA opens its port once the frontend and with it the API, auth and onboarding
    are set up. /api/onboarding answers 200 while onboarding runs and 404 once it
    is done; neither counts as a failed login (a request to /api/ without a token
    would, and leaves a notification and a warning behind).
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise HassError(
                f"Home Assistant exited with {process.returncode}"
                f" (its output: {CONSOLE_LOG} in its config folder, if quiet)"
            )
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(
                f"{base}/api/onboarding", timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                if response.status < 500:
                    return
        await asyncio.sleep(0.5)
    raise HassError(f"Home Assistant did not answer at {base} in {within} s")


def skip_core_config_step(config_dir: Path) -> None:
    """Mark onboarding's core_config step done before HA's first start.

    Finishing that step through the API or the UI adds met, radio_browser,
    google_translate and shopping_list, which the demo does not want (most need
    the internet). Marked done, neither the API nor the UI asks for it; the home's
    location comes from configuration.yaml. Does nothing once onboarding began.
    """
    store = config_dir / ".storage" / "onboarding"
    if store.exists():
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": 4, "minor_version": 1, "key": "onboarding"}
    store.write_text(json.dumps({**data, "data": {"done": ["core_config"]}}))


def owner_exists(config_dir: Path) -> bool:
    """Whether onboarding created the owner already (read from HA's storage)."""
    store = config_dir / ".storage" / "onboarding"
    if not store.exists():
        return False
    done = json.loads(store.read_text()).get("data", {}).get("done", [])
    return "user" in done


async def onboarding_done(session: aiohttp.ClientSession, base: str) -> bool:
    """Whether the owner account exists already (once done, the view is gone)."""
    async with session.get(f"{base}/api/onboarding") as response:
        if response.status == 404:
            return True
        steps = await response.json()
    return all(step["done"] for step in steps if step["step"] == "user")


async def onboard(
    session: aiohttp.ClientSession,
    base: str,
    *,
    name: str,
    username: str,
    password: str,
    core_config: bool = True,
) -> str:
    """Create the owner and finish onboarding; returns an access token.

    The core_config step also adds a weather, a radio, a text-to-speech and a
    shopping-list integration; leave it out where the UI is not used, or mark it
    done beforehand with skip_core_config_step (else the UI asks for it).
    """
    client_id = f"{base}/"
    response = await _post(
        session,
        f"{base}/api/onboarding/users",
        {
            "client_id": client_id,
            "name": name,
            "username": username,
            "password": password,
            "language": "en",
        },
    )
    token = await _token(session, base, client_id, response["auth_code"])
    headers = {"Authorization": f"Bearer {token}"}
    steps: list[tuple[str, dict[str, str]]] = (
        [("core_config", {})] if core_config else []
    )
    steps += [
        ("analytics", {}),
        (
            "integration",
            {"client_id": client_id, "redirect_uri": f"{base}/?auth_callback=1"},
        ),
    ]
    for step, data in steps:
        await _post(session, f"{base}/api/onboarding/{step}", data, headers)
    return token


async def _token(
    session: aiohttp.ClientSession, base: str, client_id: str, code: str
) -> str:
    async with session.post(
        f"{base}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as response:
        if response.status != 200:
            raise HassError(f"token: {response.status} {await response.text()}")
        body = await response.json()
    return str(body["access_token"])


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    data: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> Any:
    async with session.post(url, json=data, headers=headers) as response:
        if response.status >= 400:
            raise HassError(f"POST {url}: {response.status} {await response.text()}")
        return await response.json()


class HassApi:
    """The REST calls the demo and the end-to-end test need, with a token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self._session = session
        self._base = base
        self._headers = {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, data: Mapping[str, Any]) -> Any:
        return await _post(self._session, self._base + path, data, self._headers)

    async def get(self, path: str) -> Any:
        async with self._session.get(
            self._base + path, headers=self._headers
        ) as response:
            if response.status >= 400:
                raise HassError(
                    f"GET {path}: {response.status} {await response.text()}"
                )
            return await response.json()

    async def delete(self, path: str) -> None:
        async with self._session.delete(
            self._base + path, headers=self._headers
        ) as response:
            if response.status >= 400:
                raise HassError(
                    f"DELETE {path}: {response.status} {await response.text()}"
                )

    async def flow(self, path: str, handler: Any, *steps: Mapping[str, Any]) -> Any:
        """Start a flow and send each step's input; returns the last result."""
        result = await self.post(path, {"handler": handler})
        for data in steps:
            result = await self.post(f"{path}/{result['flow_id']}", data)
        return result

    async def add_site(self, data: Mapping[str, Any]) -> str:
        """Create a site through the config flow; returns its entry id."""
        result = await self.flow(
            "/api/config/config_entries/flow", "smart_charging", data
        )
        if result["type"] != "create_entry":
            raise HassError(f"site not created: {result}")
        return str(result["result"]["entry_id"])

    async def add_charger(
        self, entry_id: str, charger: Mapping[str, Any], backend: Mapping[str, Any]
    ) -> Any:
        """Create a charger through the subentry flow (steps user, then backend)."""
        return await self.flow(
            "/api/config/config_entries/subentries/flow",
            [entry_id, "charger"],
            charger,
            backend,
        )

    async def set_state(
        self, entity_id: str, state: str, attributes: Mapping[str, Any] | None = None
    ) -> None:
        await self.post(
            f"/api/states/{entity_id}", {"state": state, "attributes": attributes or {}}
        )

    async def state(self, entity_id: str) -> Any:
        return await self.get(f"/api/states/{entity_id}")

    async def call(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        await self.post(f"/api/services/{domain}/{service}", data)

    async def websocket(self, command: Mapping[str, Any]) -> Any:
        """One websocket command (for what the REST API lacks)."""
        async with self._session.ws_connect(f"{self._base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json(
                {"type": "auth", "access_token": self._headers["Authorization"][7:]}
            )
            if (await ws.receive_json())["type"] != "auth_ok":
                raise HassError("websocket authentication failed")
            await ws.send_json({"id": 1, **command})
            reply = await ws.receive_json()
        if not reply.get("success"):
            raise HassError(f"{command['type']}: {reply.get('error')}")
        return reply.get("result")

    async def wait_until_running(self, within: float = 180) -> None:
        """Wait until HA has set up everything (its HTTP answers earlier)."""
        deadline = time.monotonic() + within
        while (await self.websocket({"type": "get_config"}))["state"] != "RUNNING":
            if time.monotonic() > deadline:
                raise HassError(f"Home Assistant not running after {within} s")
            await asyncio.sleep(0.5)

    async def entity_ids(self, prefix: str) -> list[str]:
        """Entity ids that start with prefix."""
        states = await self.get("/api/states")
        return sorted(
            s["entity_id"] for s in states if s["entity_id"].startswith(prefix)
        )
