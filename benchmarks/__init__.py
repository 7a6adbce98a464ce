"""Reproducible load and latency benchmarks of the local stack (`make bench`)."""
