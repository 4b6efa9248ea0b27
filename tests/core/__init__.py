"""Tests of submitkit/core/."""
