"""Benchmarks, each printing its figures and its ratio to a baseline as the last line."""
