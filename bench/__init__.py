"""Benchmarks for Liaison: each one times Liaison against a bare baseline in the same process and prints the ratio.

`python -m bench` (or `make bench`) runs the HTTP latency benchmark; see bench/README.md.
"""
