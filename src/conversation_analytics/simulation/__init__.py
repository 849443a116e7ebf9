"""Realistic, messy conversation events for demos and tests: `simulator`
(in Python, deterministic under a seed) and `fastsim` (millions of events
generated inside DuckDB or PostgreSQL, for the benchmark)."""
