"""The office's registers: staff, parties, rounds, past awards, identity numbers."""
