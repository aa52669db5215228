"""Polls: the reference workload the platform runs (create a poll, vote, read results)."""
