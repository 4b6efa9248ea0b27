"""Whole-tool tests: the README, docs, examples, hooks, signals and the layout itself."""
