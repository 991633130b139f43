"""Tests of the pure allocation engine."""
