"""Measurements: `make eval` (quality) and `make bench` (speed and memory)."""
