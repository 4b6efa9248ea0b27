"""Tests of submitkit/checks/."""
