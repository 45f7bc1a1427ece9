"""Top layer, fronts: the command line and the REPL."""

