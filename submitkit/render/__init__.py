"""Turning results into text, JSON, GitHub annotations, tables and charts; the consoles."""
