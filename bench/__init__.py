"""Benchmarks: autoapi against hand-written Starlette + Beanie endpoints (README "Performance")."""
