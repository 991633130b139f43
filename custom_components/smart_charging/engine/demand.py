"""Learning from the measured draw what each car takes of what it is offered.

A car that persistently draws less than offered (an 11 kW car on a 22 kW box, a
one-phase car offered more than it takes, the taper near full) is capped at its draw
plus about 1 A, so the budget it cannot use goes to others; one that draws nothing is
taken as full. A car that takes all it is offered at its cap loses the cap at once: it
may want more. The cap only lowers a ceiling, so SPEC §5 rule 1 (on commanded current
x voltage x configured phases) is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
import math

from .limits import MIN_CHARGE_CURRENT, backoff
from .model import (
    NO_DEMAND,
    ChargerInput,
    ChargerState,
    DemandState,
    EngineConfig,
    EngineState,
)

UNPLUGGED = ChargerState()
# A meter reads a little high when the voltage is above nominal, so a draw counts as
# needing another phase only past this share of a phase.
PHASE_TOLERANCE = 0.2
BELOW_SHARE = 0.9  # drawing under this share of the offer is "taking less"
SATURATED_A = 0.25  # drawing within this of the offer is "taking all it gets"
CAP_HEADROOM_A = 0.75  # a cap is at least this (and under 1.75 A) above the draw
# Under 1 A on one phase a car is not charging: a charging car takes at least 6 A.
IDLE_A = 1.0


@dataclass(frozen=True, slots=True)
class _Draw:
    """A settled reading at a charging setpoint, and the phases it shows."""

    command: int
    power_w: float  # never negative
    phases: int
    phases_known: bool


def advance_states(
    chargers: Sequence[ChargerInput],
    state: EngineState,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> dict[str, ChargerState]:
    """Carry each charger's state to `now`: served time grows, what the car takes is
    learned from its draw, unplugging resets."""
    elapsed = 0.0 if state.last_time is None else max(now - state.last_time, 0.0)
    states: dict[str, ChargerState] = {}
    for charger in chargers:
        if not charger.connected:
            states[charger.id] = UNPLUGGED
            continue
        kept = state.chargers.get(charger.id) or UNPLUGGED
        if charger.switchable and kept.box_phases != charger.phases:
            kept = switched_box(kept, charger.phases)
        demand = kept.demand
        command = charger.last_command or 0
        if (
            command != demand.command
            or demand.command_since is None
            or demand.full_since is not None
            or (charger.measured_power_w is not None and command >= MIN_CHARGE_CURRENT)
        ):
            # Skipped when there is nothing to learn: it is the hot loop.
            demand = learn_demand(charger, demand, now, voltage, config)
        served = kept.served_s + elapsed if charger.last_command else kept.served_s
        since = (kept.charging_since or now) if command else None
        if (
            demand is not kept.demand
            or served != kept.served_s
            or since != kept.charging_since
        ):
            solar_wh, grid_wh = _solar_energy(kept, charger, elapsed, voltage)
            limit, car_phases = _car_seen(kept, demand, charger, now, voltage, config)
            # Built directly: dataclasses.replace is the slowest part at 1000 chargers.
            kept = ChargerState(
                kept.solar_running,
                kept.surplus_since,
                kept.deficit_since,
                served,
                demand,
                kept.solar_stops,
                limit,
                car_phases,
                solar_wh,
                grid_wh,
                kept.solar_grid_w,
                since,
                kept.box_phases,
                kept.switch_to,
                kept.switched_at,
                kept.solar_stopped_at,
            )
        states[charger.id] = kept
    return states


def switched_box(kept: ChargerState, phases: int) -> ChargerState:
    """The state of a box now switched to `phases`: what was learned of the car's
    draw on the others goes (a car seen on one phase draws on three again)."""
    if kept.box_phases is None:
        return replace(kept, box_phases=phases)
    return replace(
        kept, demand=NO_DEMAND, car_limit_w=None, car_phases=None, box_phases=phases
    )


def _car_seen(
    kept: ChargerState,
    demand: DemandState,
    charger: ChargerInput,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> tuple[float | None, int | None]:
    """What the car itself takes (ChargerState.car_limit_w) and the phases it draws
    on (car_phases), with what this draw shows."""
    limit, car_phases = kept.car_limit_w, kept.car_phases
    if demand.cap is not None and demand.cap != kept.demand.cap:
        # A cap was just judged on its draw: what the car itself takes.
        drawn = max(demand.below_peak_w, charger.measured_power_w or 0.0)
        limit = max(limit or 0.0, drawn)
    if demand.phases_known or _settled_draw(charger, demand, now, voltage, config):
        car_phases = demand.phases
    if car_phases is not None and draws_on_more(
        charger.measured_power_w, charger.last_command or 0, car_phases, voltage
    ):
        # Drawing on more phases than it counts on: back to the box's own at once
        # (rule 1), until a settled draw shows its phases again.
        car_phases = None
    return limit, car_phases


def _solar_energy(
    kept: ChargerState, charger: ChargerInput, elapsed: float, voltage: float
) -> tuple[float, float]:
    """The session's solar-running energy and its grid part (Wh), with what it
    drew since the last decision, of which what the surplus did not cover then."""
    command = charger.last_command or 0
    if not kept.solar_running or not command:
        return kept.solar_wh, kept.solar_grid_wh
    drawn_w = charger.measured_power_w
    if drawn_w is None:
        drawn_w = command * voltage * charger.phases
    drawn_w = max(drawn_w, 0.0)
    return (
        kept.solar_wh + drawn_w * elapsed / 3600,
        kept.solar_grid_wh + min(kept.solar_grid_w, drawn_w) * elapsed / 3600,
    )


def draws_on_more(
    measured_w: float | None, command: int, phases: int, voltage: float
) -> bool:
    """Whether a car draws more than `command` allows on `phases` phases."""
    return (
        measured_w is not None
        and measured_w
        > command * voltage * (phases + PHASE_TOLERANCE) + IDLE_A * voltage
    )


def _settled_draw(
    charger: ChargerInput,
    demand: DemandState,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> bool:
    """Whether the car takes all it is offered on `demand.phases` phases at a
    setpoint that has stood long enough: then it draws on exactly those (a car
    taking less than offered may be limited by its own charger instead). Two
    phases of three only where all three cannot explain the draw (under the
    minimum current on each): an 11 kW car offered 24 A draws what a two-phase
    car would, and offered less it draws as much again."""
    return (
        charger.measured_power_w is not None
        and charger.measured_power_w
        >= BELOW_SHARE * demand.command * voltage * demand.phases
        and (
            demand.phases != 2
            or charger.phases < 3
            or charger.measured_power_w < MIN_CHARGE_CURRENT * voltage * 3
        )
        and demand.command >= MIN_CHARGE_CURRENT
        and demand.command_since is not None
        and now - demand.command_since >= config.demand_settle_s
    )


def learn_demand(
    charger: ChargerInput,
    kept: DemandState,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> DemandState:
    """Learn from the measured draw how much the car takes of what it is offered."""
    command = charger.last_command or 0
    if kept.command_since is None or command != kept.command:
        return _new_setpoint(kept, command, now)
    power = charger.measured_power_w
    if (
        power is None
        or command < MIN_CHARGE_CURRENT
        or now - kept.command_since < config.demand_settle_s
    ):
        return _not_judged(kept, command, now, config)
    draw = _phases_shown(charger, kept, command, power, voltage)
    drawn = draw.power_w / (draw.phases * voltage)
    if drawn >= command - SATURATED_A:
        return _takes_all(kept, draw)
    if drawn >= command * BELOW_SHARE:
        return _takes_nearly_all(kept, draw)
    return _takes_less(charger, kept, draw, now, voltage, config)


def _new_setpoint(kept: DemandState, command: int, now: float) -> DemandState:
    """A new setpoint: the car and the meter need time to follow. A window of taking
    less survives a change between two charging setpoints only."""
    keep = command >= MIN_CHARGE_CURRENT and kept.command >= MIN_CHARGE_CURRENT
    return DemandState(
        command,
        now,
        kept.phases,
        kept.phases_known,
        kept.below_since if keep else None,
        kept.below_peak_w if keep else 0.0,
        kept.cap,
        kept.probing,
        kept.full_since,
        kept.refused,
    )


def _not_judged(
    kept: DemandState, command: int, now: float, config: EngineConfig
) -> DemandState:
    """No draw to judge (none measured, paused, or still settling)."""
    if (
        command == 0
        and kept.full_since is not None
        and now - kept.full_since >= reprobe_after(kept.refused, config)
    ):
        # Paused as full for a while: offer it power again to see, its minimum
        # first (a cap the car lifts by taking it all): a full car asking nothing
        # does not pause the others for its whole share.
        return DemandState(
            command,
            kept.command_since,
            kept.phases,
            kept.phases_known,
            cap=MIN_CHARGE_CURRENT,
            refused=kept.refused,
        )
    return kept


def _phases_shown(
    charger: ChargerInput,
    kept: DemandState,
    command: int,
    power: float,
    voltage: float,
) -> _Draw:
    """More power than one phase carries at this setpoint proves more phases. Until
    the count is known, the fewest consistent with what was seen gives the highest
    estimate of its current: an error that way never starves a car."""
    power = max(power, 0.0)
    phases = kept.phases
    known = kept.phases_known
    seen = math.ceil(power / (command * voltage) - PHASE_TOLERANCE)
    if seen > phases:
        phases = min(seen, charger.phases)
    if phases >= charger.phases:
        known = True
    return _Draw(command, power, phases, known)


def _takes_all(kept: DemandState, draw: _Draw) -> DemandState:
    """It takes all it gets. Under a probing cap this shows it draws on `phases`
    phases; at its cap it may want more, so the cap goes."""
    known = draw.phases_known or kept.probing
    cap = kept.cap
    if cap is not None and draw.command >= cap - 1:
        cap = None
    if (
        cap is kept.cap
        and known is kept.phases_known
        and draw.phases == kept.phases
        and kept.below_since is None
        and kept.full_since is None
        and not kept.refused
    ):
        return kept
    return DemandState(
        draw.command,
        kept.command_since,
        draw.phases,
        known,
        cap=cap,
        probing=kept.probing and cap is not None,
    )


def _takes_nearly_all(kept: DemandState, draw: _Draw) -> DemandState:
    """Close to the offer: a car at its cap, or following its setpoint."""
    if (
        kept.below_since is None
        and kept.full_since is None
        and not kept.refused
        and draw.phases == kept.phases
        and draw.phases_known is kept.phases_known
    ):
        return kept
    return DemandState(
        draw.command,
        kept.command_since,
        draw.phases,
        draw.phases_known,
        cap=kept.cap,
        probing=kept.probing and not draw.phases_known,
    )


def _takes_less(
    charger: ChargerInput,
    kept: DemandState,
    draw: _Draw,
    now: float,
    voltage: float,
    config: EngineConfig,
) -> DemandState:
    """Less than offered: watched for a window, then judged on its peak draw in it."""
    since = kept.below_since
    peak = draw.power_w
    if since is None:
        since = now
    else:
        peak = max(kept.below_peak_w, draw.power_w)
    if now - since < config.demand_window_s:
        return DemandState(
            draw.command,
            kept.command_since,
            draw.phases,
            draw.phases_known,
            since,
            peak,
            kept.cap,
            kept.probing,
            kept.full_since,
            # Drawing power (not only less than offered) ends a run of refusals.
            0 if draw.power_w >= IDLE_A * voltage else kept.refused,
        )
    # Taken less for the whole window: learn from its peak draw in it, then watch
    # a new window (the taper goes on lowering it).
    if peak < IDLE_A * voltage:
        return DemandState(
            draw.command,
            kept.command_since,
            draw.phases,
            draw.phases_known,
            full_since=now,
            # Only a verdict after an offer counts: a full car kept at its minimum
            # (nobody else needs the power) is judged again every window.
            refused=kept.refused + (kept.full_since is None),
        )
    # While fewer phases are not ruled out, the cap first assumes them all: if the
    # car then takes all of that smaller offer, its phases are known and the cap
    # goes; if not, the offer was not what held it and the cap stands.
    counted = draw.phases if draw.phases_known else charger.phases
    cap = math.ceil(peak / (counted * voltage) + CAP_HEADROOM_A)
    return DemandState(
        draw.command,
        kept.command_since,
        draw.phases,
        draw.phases_known,
        cap=cap,
        probing=not draw.phases_known,
    )


def reprobe_after(refused: int, config: EngineConfig) -> float:
    """How long a full car waits paused before it is offered power again: twice as
    long for each time in a row it was found full."""
    return backoff(
        config.demand_reprobe_s,
        2.0,
        max(refused - 1, 0),
        max(config.demand_reprobe_max_s, config.demand_reprobe_s),
    )
