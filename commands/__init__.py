"""The command groups of the `award` CLI, one module per concept; `cli.py` assembles them."""
