"""Tests of the benchmark's simulator, metrics and optimum."""
