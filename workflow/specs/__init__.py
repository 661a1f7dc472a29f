"""Definitions to frozen specs: load, check, catalog. No SQL, no engine."""
