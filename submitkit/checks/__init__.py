"""The staged check: one module per family of findings, the staged run, and its report."""
