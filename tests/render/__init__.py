"""Tests of submitkit/render/."""
