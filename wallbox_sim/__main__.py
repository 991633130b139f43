"""Command line: serve simulated wallboxes until interrupted.

    scripts/wallbox-sim --box alfen:15020 --box go_e:15021
    scripts/wallbox-sim --box generic:15030:type=float32:scale=0.1:order=little

Per box, after MODEL:PORT, options as key=value joined by ':':
failsafe (s), safe (A), vehicle (none), limit (A), battery (kWh), energy (kWh);
for generic also unit, register (100), type, scale, order, status (110) and
power (120; none = absent).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
import signal
import time

from .box import Vehicle, WallboxSimulator
from .profiles import MODELS, DType, Profile, WordOrder, generic_profile, profile

_GENERIC_KEYS = {"unit", "register", "type", "scale", "order", "status", "power"}
_BOX_KEYS = {"failsafe", "safe", "vehicle", "limit", "battery", "energy"}
_TYPES: dict[str, DType] = {
    "uint16": "uint16",
    "uint32": "uint32",
    "float32": "float32",
}


@dataclass(slots=True)
class BoxSpec:
    """One --box argument."""

    profile: Profile
    port: int
    options: dict[str, str] = field(default_factory=dict)


def _optional_int(text: str | None, default: int | None) -> int | None:
    if text is None:
        return default
    return None if text.lower() == "none" else int(text, 0)


def parse_box(text: str) -> BoxSpec:
    """MODEL:PORT[:key=value...] -> BoxSpec; ValueError when malformed."""
    model, _, rest = text.partition(":")
    port_text, _, option_text = rest.partition(":")
    if model not in MODELS or not port_text.isdigit():
        raise ValueError(f"expected MODEL:PORT with MODEL one of {', '.join(MODELS)}")
    options: dict[str, str] = {}
    for item in filter(None, option_text.split(":")):
        key, sep, value = item.partition("=")
        allowed = _BOX_KEYS | (_GENERIC_KEYS if model == "generic" else set())
        if not sep or key not in allowed:
            raise ValueError(
                f"unknown option {item!r}; one of {', '.join(sorted(allowed))}"
            )
        options[key] = value
    if model == "generic":
        dtype = _TYPES.get(options.get("type", "uint16"))
        if dtype is None:
            raise ValueError(f"type must be one of {', '.join(_TYPES)}")
        order: WordOrder = "little" if options.get("order") == "little" else "big"
        prof = generic_profile(
            setpoint_register=int(options.get("register", "100"), 0),
            setpoint_type=dtype,
            setpoint_scale=float(options.get("scale", "1")),
            word_order=order,
            status_register=_optional_int(options.get("status"), 110),
            power_register=_optional_int(options.get("power"), 120),
            unit_id=int(options.get("unit", "1")),
        )
    else:
        prof = profile(model)
    return BoxSpec(prof, int(port_text), options)


def _vehicle(options: dict[str, str]) -> Vehicle | None:
    if options.get("vehicle", "").lower() == "none":
        return None
    vehicle = Vehicle()
    vehicle.max_current = float(options.get("limit", vehicle.max_current))
    vehicle.battery_kwh = float(options.get("battery", vehicle.battery_kwh))
    vehicle.energy_kwh = float(options.get("energy", vehicle.energy_kwh))
    return vehicle


def _print(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


async def serve(args: argparse.Namespace, specs: Sequence[BoxSpec]) -> None:
    """Run the boxes until SIGINT/SIGTERM."""
    sim = WallboxSimulator(log=_print, speed=args.speed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        for spec in specs:
            options = spec.options
            box = await sim.add(
                spec.profile,
                port=spec.port,
                failsafe_s=float(options["failsafe"])
                if "failsafe" in options
                else None,
                safe_current=float(options["safe"]) if "safe" in options else None,
            )
            for socket in box.sockets.values():
                if (vehicle := _vehicle(options)) is None:
                    socket.unplug()
                else:
                    socket.plug(vehicle)
        sim.start_ticker(args.tick)
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.status_every or None)
            if args.status_every and not stop.is_set():
                for box in sim.boxes:
                    for socket in box.sockets.values():
                        vehicle = socket.vehicle
                        energy = f", {vehicle.energy_kwh:.2f} kWh" if vehicle else ""
                        _print(
                            f"{socket.name}: state {socket.state}, offered "
                            f"{socket.offered:g} A, {socket.power_w:.0f} W{energy}"
                        )
    finally:
        await sim.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(
        prog="wallbox-sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--box",
        action="append",
        required=True,
        metavar="MODEL:PORT[:key=value...]",
        help=f"a box to serve; MODEL one of {', '.join(MODELS)}",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="charging time factor")
    parser.add_argument("--tick", type=float, default=1.0, help="simulation step (s)")
    parser.add_argument(
        "--status-every", type=float, default=0.0, help="print each box every N s"
    )
    args = parser.parse_args(argv)
    try:
        specs = [parse_box(text) for text in args.box]
    except ValueError as err:
        parser.error(str(err))
    asyncio.run(serve(args, specs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
