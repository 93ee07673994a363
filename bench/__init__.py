"""Benchmarks, run on demand (never timed in CI)."""
