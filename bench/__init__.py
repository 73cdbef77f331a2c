"""Benchmark of Segment Desk: sync throughput and memory, and table response times.

Run it with ``make bench`` (``python -m bench``). It uses a fresh SQLite file in
a temporary directory (or the caller's PostgreSQL ``DATABASE_URL``) and its own
sandbox subprocess, so it never touches the developer's database or sandbox.
"""
