"""The engine-time figures and their table."""

from __future__ import annotations

from bench import timing
from bench.report import timing_table


def test_every_size_is_timed() -> None:
    figures = timing.time_all((1, 10), budget_s=0.01)
    assert list(figures) == [1, 10]
    assert all(0 < seconds < 1 for seconds in figures.values())


def test_table_shows_targets_and_the_ratio() -> None:
    text = "\n".join(timing_table({1: 0.00001, 1000: 0.004, 10_000: 0.052}))
    assert "| 1 | 0.010 ms |  |" in text
    assert "| 1000 | 4.000 ms | <= 5 ms: pass |" in text
    assert "| 10000 | 52.000 ms | <= 60 ms: pass |" in text
    assert "| 10000 / 1000 | 13.0x | <= 12x: **FAIL** |" in text


def test_table_without_both_sizes_has_no_ratio() -> None:
    text = "\n".join(timing_table({1000: 0.006}))
    assert "<= 5 ms: **FAIL**" in text
    assert "/" not in text.split("All sizes")[0]
