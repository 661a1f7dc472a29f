"""The `award` engine: generic, knows no procedure by name."""
