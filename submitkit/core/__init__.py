"""The base layer: errors, diagnostic codes, progress interface, atomic writes, workers. Imports nothing of submitkit above it."""
