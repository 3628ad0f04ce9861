"""Benchmarks that measure microdrama against ground truth and against the tools a studio would otherwise use."""
