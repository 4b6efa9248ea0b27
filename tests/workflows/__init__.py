"""Tests of submitkit/workflows/."""
