"""Tests of Smart Charging."""
