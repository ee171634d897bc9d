"""Stress parts run by `make stress`: each measures one worst case and tallies it."""
