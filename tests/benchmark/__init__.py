"""Tests of submitkit/benchmark/."""
