"""`python -m cli` runs the `fnf` command."""

from cli.entry import main

main()
