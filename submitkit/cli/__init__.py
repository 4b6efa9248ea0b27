"""The command line: each command wires settings, one workflow, one renderer and an exit code."""
