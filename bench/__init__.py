"""Benchmarks: speed and memory goals, measured by a command and recorded with their figures.

``make bench`` (``python -m bench``) runs them all, prints PASS/MISS per goal and overwrites
``bench/RESULTS.md``. A missed goal is reported, never raised: these are measurements, not tests.
"""
