"""Bench-only Django settings and URLs for ``bench/run_gateway.py``: never used in production."""
