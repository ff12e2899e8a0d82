"""Benchmarks: autoapi against hand-written Starlette + Beanie endpoints (see bench/README.md)."""
