"""Stress runs: each module with a `main` is one part of `make stress`."""
