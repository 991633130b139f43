"""A short run of the whole benchmark: every strategy scored, table and plot written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench import cli, generate
from bench.scenario import SCENARIO_DIR, ChargerSpec
from bench.sim import ADAPTIVE_RESERVE, reserve_applies

from .helpers import scenario, session

STRATEGIES = ("engine", "uncontrolled", "static split", "evcc-style", "optimum (LP)")


def test_tiny_benchmark_writes_table_and_plot(tmp_path: Path) -> None:
    sc = scenario(
        (
            session("c1", 0, 1800, energy_kwh=4.0, mode="solar"),
            session("c2", 300, 1800, energy_kwh=6.0, mode="fast"),
        ),
        household_w=(800, 2500, 900),
        solar_w=(6000, 3000, 6500),
        profile_step_s=600,
        duration_s=1800,
        grid_limit_kw=12.0,
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 1, 32)),
        lp_min_current=True,
        tags=("pv_day", "cloudy"),
    )
    text = cli.run(
        [sc],
        tmp_path,
        timing_sizes=(1, 10),
        timing_budget_s=0.01,
        log=False,
        planner_repeats=0,
    )
    written = (tmp_path / "results.md").read_text()
    assert written.strip() == text.strip()
    for name in STRATEGIES:
        assert f"| {name} |" in text
    assert "| tiny |" in text  # the engine's target row
    assert "pass" in text
    assert "| unavoidable over kWh | over / unavoidable |" in text
    assert "| grid share of solar sessions max (mean) |" in text
    assert "true overshoot <= 1.2x the unavoidable bound" in text
    assert "grid share of each solar session <= 10 %" in text
    assert (tmp_path / "tiny.png").stat().st_size > 10_000


def test_the_adaptive_reserve_is_scored_on_plain_days(tmp_path: Path) -> None:
    """A day without tags, margin or grid limits, with household steps: the
    reserve's row and its table beside the engine's figures."""
    sc = scenario(
        (
            session("c1", 0, 1800, energy_kwh=8.0, mode="fast"),
            session("c2", 0, 1800, energy_kwh=8.0, mode="fast"),
        ),
        household_w=(1000, 4000, 1000, 4000, 1000, 4000),
        profile_step_s=300,
        duration_s=1800,
        grid_limit_kw=12.0,
        chargers=(ChargerSpec("c1", 3, 16), ChargerSpec("c2", 3, 16)),
    )
    assert reserve_applies(sc)
    assert not reserve_applies(replace(sc, tags=("pv_day",)))
    assert not reserve_applies(replace(sc, safety_margin_kw=1.0))
    text = cli.run(
        [sc],
        tmp_path,
        timing_sizes=(1,),
        timing_budget_s=0.01,
        log=False,
        planner_repeats=0,
    )
    assert f"| {ADAPTIVE_RESERVE} |" in text
    assert "| scenario | over kWh without | over kWh with |" in text
    rows = [line.split(" | ") for line in text.splitlines()]
    reserve_row = next(row for row in rows if row[0] == "| tiny" and len(row) == 6)
    # The reserve keeps the site under the limit, for a little energy.
    without, with_reserve = float(reserve_row[1]), float(reserve_row[2])
    assert with_reserve < without
    assert reserve_row[5].endswith(" % |")


def test_committed_scenarios_are_what_the_generator_writes(tmp_path: Path) -> None:
    paths = generate.generate_all(tmp_path)
    assert sorted(p.name for p in paths) == sorted(
        p.name for p in SCENARIO_DIR.glob("*.json")
    )
    for path in paths:
        assert path.read_bytes() == (SCENARIO_DIR / path.name).read_bytes()
