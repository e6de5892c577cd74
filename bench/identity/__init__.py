"""Benchmark of Keystone v3 token issue and validation: Haneul against upstream Keystone.

See bench/README.md; run with `python -m bench.identity --help` from the repository root.
"""
