"""The base layer: errors, diagnostic codes, progress, atomic writes, the parallel runner."""
