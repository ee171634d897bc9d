"""Benchmarks (`make bench`): figures only, never collected by pytest."""
