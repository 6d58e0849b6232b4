"""Benchmarks behind ``make bench``: figures measured side by side in one run, with ratios.

Never timed assertions in tests; these print and write JSON into ``reports/bench/``.
"""
