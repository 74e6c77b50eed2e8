"""The `fnf` command line: one module per command group."""
