"""Tests of submitkit/cli/."""
