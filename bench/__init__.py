"""Benchmark of the allocation engine against its peers and the hindsight optimum.

Run with `scripts/bench` (see bench/README.md).
"""
