"""Tests of submitkit/inputs/."""
