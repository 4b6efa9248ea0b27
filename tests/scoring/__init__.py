"""Tests of submitkit/scoring/."""
