"""A small clock-driven driver around decide() and the invariant checks it must pass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
import math
from typing import Any

from custom_components.smart_charging.engine import (
    RULES_AS_WRITTEN,
    ChargerInput,
    Decision,
    EngineConfig,
    EngineState,
    Mode,
    Profile,
    SiteInput,
    Status,
    decide,
)

V = 230.0
MIN_A = 6  # no car charges below 6 A
TOL_W = 1e-3  # float noise allowed when comparing sums of watts
DEADBAND_A = EngineConfig().deadband_a

SLOT_STATUSES = {
    Status.CHARGING,
    Status.WAITING_FOR_SOLAR,
    Status.WAITING_FOR_OFF_PEAK,
    Status.SCHEDULED,
    Status.PAUSED_BY_CAP,
    Status.ERROR,
    Status.FAILSAFE,
}
PLAIN = RULES_AS_WRITTEN


def kw(value: float) -> float:
    return value * 1000.0


def watts(current: int, phases: int, voltage: float = V) -> float:
    return current * voltage * phases


def effective_min(charger: ChargerInput) -> int:
    return max(charger.min_current, MIN_A)


def counted(charger: ChargerInput, decision: Decision | None = None) -> int:
    """The phases a car counts on (SPEC §5 rule 1, v2): the configured ones until
    a settled draw showed fewer (what the engine keeps as car_phases)."""
    kept = None if decision is None else decision.state.chargers.get(charger.id)
    if kept is None or kept.car_phases is None:
        return charger.phases
    return min(charger.phases, kept.car_phases)


def effective_ceiling(
    charger: ChargerInput, site: SiteInput, decision: Decision | None = None
) -> int:
    """The charger's ceiling as SPEC §1 defines it, computed independently."""
    ceiling = charger.max_current
    if charger.ceiling is not None:
        ceiling = min(ceiling, charger.ceiling)
    if charger.profile is Profile.STANDARD and site.standard_max_w > 0:
        per_amp = site.voltage * counted(charger, decision)
        # A hair of float tolerance, as 7000 W / 690 W is not exact in binary.
        ceiling = min(ceiling, math.floor(site.standard_max_w / per_amp + 1e-9))
    return max(ceiling, 0)


def commanded_w(
    decision: Decision, chargers: Iterable[ChargerInput], voltage: float
) -> float:
    """Sum of current x voltage x the phases each car counts on, over the enabled
    chargers."""
    total = 0.0
    for charger in chargers:
        current = decision.chargers[charger.id].current
        if charger.enabled:
            assert current is not None
            total += watts(current, counted(charger, decision), voltage)
    return total


def reserved_w(chargers: Iterable[ChargerInput], voltage: float) -> float:
    """Power a disabled (left alone) charger may still draw."""
    total = 0.0
    for c in chargers:
        if not c.enabled and c.connected:
            if c.measured_power_w is not None:
                total += max(c.measured_power_w, 0.0)
            else:
                total += watts(c.last_command or 0, c.phases, voltage)
    return total


def learned_ceiling(
    charger: ChargerInput, site: SiteInput, decision: Decision
) -> int | None:
    """The ceiling lowered to what the engine has learned the car takes; None for a
    car taken as full (it only ever gets 0 or its minimum)."""
    ceiling = effective_ceiling(charger, site, decision)
    demand = decision.state.chargers[charger.id].demand
    if demand.full_since is not None:
        return None
    if demand.cap is not None:
        ceiling = min(ceiling, max(demand.cap, effective_min(charger)))
    return ceiling


def cap_bound_w(site: SiteInput, last_usable_household: float | None) -> float:
    """limit - margin - (household - solar); in failsafe the last usable household
    with no solar. With no household ever seen nothing can be shown to fit: 0."""
    if site.inputs_usable:
        net = site.household_w - site.solar_w
    elif last_usable_household is None:
        return -math.inf
    else:
        net = max(last_usable_household, 0.0)
    return site.grid_limit_w - site.safety_margin_w - net


def wants_grid(charger: ChargerInput, site: SiteInput) -> bool:
    return charger.mode is Mode.FAST or (charger.mode is Mode.OFF_PEAK and site.offpeak)


def check_invariants(
    site: SiteInput,
    chargers: list[ChargerInput],
    decision: Decision,
    *,
    last_usable_household: float | None,
    allow_increase: bool,
) -> None:
    """SPEC §5 invariants 1-5 for one step, checked from the inputs alone."""
    assert set(decision.chargers) == {c.id for c in chargers}
    assert decision.failsafe is (not site.inputs_usable)

    # 1. The cap, with disabled chargers' draw reserved.
    bound = cap_bound_w(site, last_usable_household)
    bound -= reserved_w(chargers, site.voltage)
    total = commanded_w(decision, chargers, site.voltage)
    assert total <= max(bound, 0.0) + TOL_W, (total, bound)

    for c in chargers:
        d = decision.chargers[c.id]
        if not c.enabled:
            assert d.current is None
            assert not d.write
            assert d.power_w == 0.0
            continue
        assert d.current is not None
        phases = counted(c, decision)
        assert math.isclose(d.power_w, watts(d.current, phases, site.voltage))
        # 2. Zero or within [min, ceiling]: never 1-5 A.
        if d.current:
            ceiling = effective_ceiling(c, site, decision)
            assert effective_min(c) <= d.current <= ceiling, c
            if c.connected and c.mode is not Mode.OFF and site.inputs_usable:
                # Never more than the car was shown to take; a full car at most
                # its minimum.
                learned = learned_ceiling(c, site, decision)
                assert d.current <= (effective_min(c) if learned is None else learned)
        assert not 0 < d.current < MIN_A
        if not c.connected:
            assert d.current == 0
            assert d.status is Status.DISCONNECTED
        elif c.mode is Mode.OFF:
            assert d.current == 0
            assert d.status is Status.OFF
        else:
            assert d.status in SLOT_STATUSES
            if not site.inputs_usable:
                assert d.status is Status.FAILSAFE
            elif c.error:
                assert d.status is Status.ERROR
            else:
                assert (d.status is Status.CHARGING) == (d.current > 0)
        last = c.last_command
        # Never an increase on unusable data, nor on a decrease-only step.
        if last is not None and (not site.inputs_usable or not allow_increase):
            assert d.current <= last
        if not site.inputs_usable:
            assert d.current <= max(site.failsafe_current, 0)
        # A setpoint is written exactly when it changes.
        assert d.write == (last is None or d.current != last)

    # 4. Write order: every decrease before any increase; nothing unchanged written.
    written = {c.id for c in chargers if decision.chargers[c.id].write}
    assert set(decision.write_order) == written
    assert len(decision.write_order) == len(written)
    last_of = {c.id: c.last_command for c in chargers}
    kinds = [
        last_of[cid] is not None
        and (decision.chargers[cid].current or 0) > (last_of[cid] or 0)
        for cid in decision.write_order
    ]
    assert kinds == sorted(kinds), "an increase is ordered before a decrease"

    check_priority(site, chargers, decision, allow_increase=allow_increase)


def _left_short(
    charger: ChargerInput, site: SiteInput, decision: Decision, current: int
) -> bool:
    """Whether a premium car was given less than it could take from the grid."""
    # A car that takes less than offered (or nothing) leaves the rest to others.
    ceiling = learned_ceiling(charger, site, decision)
    kept = decision.state.chargers.get(charger.id)
    if ceiling is None or (kept is not None and kept.switch_to is not None):
        return False  # a car that takes nothing, or a box paused for a switch
    if current == charger.last_command and ceiling - current < DEADBAND_A:
        return False  # an increase inside the dead-band is not written (rule 4)
    wants_more = wants_grid(charger, site) and current < ceiling
    return wants_more and ceiling >= effective_min(charger)


def check_priority(
    site: SiteInput,
    chargers: list[ChargerInput],
    decision: Decision,
    *,
    allow_increase: bool,
) -> None:
    """3. Premium before standard; equal chargers share equally."""
    active = [
        c for c in chargers if c.enabled and c.connected and c.mode is not Mode.OFF
    ]
    current = {c.id: decision.chargers[c.id].current or 0 for c in active}
    standard_served = any(
        current[c.id] > 0 for c in active if c.profile is Profile.STANDARD
    )
    premium = [c for c in active if c.profile is Profile.PREMIUM]
    if not site.inputs_usable:
        # A premium charger that could hold a failsafe current is never paused while
        # a standard one gets one.
        for c in premium:
            allowance = min(site.failsafe_current, effective_ceiling(c, site))
            if c.last_command is not None:
                allowance = min(allowance, c.last_command)
            if allowance >= effective_min(c) and current[c.id] == 0:
                assert not standard_served, c
        return
    if not allow_increase:
        return  # held setpoints reflect the previous step, not this one's shares
    for c in premium:
        if _left_short(c, site, decision, current[c.id]):
            assert not standard_served, c
    groups: dict[tuple[object, ...], list[int]] = {}
    for c in active:
        if c.mode is Mode.FAST and current[c.id] > 0:
            key = (
                c.profile,
                counted(c, decision),
                effective_min(c),
                learned_ceiling(c, site, decision),
            )
            groups.setdefault(key, []).append(current[c.id])
    for amps in groups.values():
        assert max(amps) - min(amps) <= 1, amps


@dataclass
class Sim:
    """Drives decide() with a clock, carrying the state and the boxes' setpoints."""

    chargers: dict[str, ChargerInput]
    now: float = 0.0
    state: EngineState = field(default_factory=EngineState)
    config: EngineConfig = field(default_factory=EngineConfig)
    last_usable_household: float | None = None
    check: bool = True
    history: list[Decision] = field(default_factory=list)

    @classmethod
    def of(cls, *chargers: ChargerInput, now: float = 0.0) -> Sim:
        return cls({c.id: c for c in chargers}, now=now)

    def set(self, cid: str, **changes: Any) -> None:
        self.chargers[cid] = replace(self.chargers[cid], **changes)

    def step(
        self, site: SiteInput, *, dt: float = 10.0, allow_increase: bool = True
    ) -> Decision:
        """Decide at the current time, apply the writes, then advance the clock."""
        chargers = list(self.chargers.values())
        decision = decide(
            site,
            chargers,
            self.state,
            self.now,
            allow_increase=allow_increase,
            config=self.config,
        )
        if self.check:
            check_invariants(
                site,
                chargers,
                decision,
                last_usable_household=self.last_usable_household,
                allow_increase=allow_increase,
            )
        if site.inputs_usable:
            self.last_usable_household = site.household_w
        self.state = decision.state
        for cid in decision.write_order:
            self.set(cid, last_command=decision.chargers[cid].current)
        for cid, decided in decision.chargers.items():
            if decided.phases is not None:
                # Rule 7: a box is switched only while it holds nothing.
                assert not self.chargers[cid].last_command, decided
                self.set(cid, phases=decided.phases)
        self.history.append(decision)
        self.now += dt
        return decision

    def amps(self) -> Mapping[str, int | None]:
        return {cid: c.last_command for cid, c in self.chargers.items()}
