"""Benchmark of Segment Desk: sync throughput and memory, and table response times.

Run it with ``make bench`` (``python -m bench``; ``--db postgres``, ``--size``).
It uses its own fresh database (``bench.database``) and its own sandbox
subprocess, so it never touches the developer's database or sandbox.
"""
