"""The official metrics and matchings, computed exactly on CPU."""
