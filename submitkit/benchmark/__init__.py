"""The benchmark as data: tracks, splits, protocols and their rules table, the id encoding."""
