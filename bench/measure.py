"""Small measuring tools: progress lines, a throttle, a peak-RSS sampler, percentiles,
a yardstick of the machine's speed."""

from __future__ import annotations

import statistics
import sys
import threading
import time

import psutil

MB = 1024 * 1024
_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


class Throttle:
    """Call ``report`` at most every ``seconds``, and always for the last item."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = 0.0

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if (total and done == total) or now - self.last >= self.seconds:
            self.last = now
            return True
        return False


class PeakRss:
    """The process's RSS peak while the block runs, sampled every ``interval`` s."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.baseline = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.baseline = self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def percentile(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def cpu_yardstick(*, loops: int = 3, iterations: int = 1_000_000) -> float:
    """CPU seconds of a fixed pure-Python loop, the fastest of ``loops`` runs: this
    machine's speed at the time, so that figures of different days (or of the start
    and end of a long run) can be compared. Lower is faster."""
    best = float("inf")
    for _ in range(loops):
        started = time.process_time()
        total = 0
        for i in range(iterations):
            total += i * i
        best = min(best, time.process_time() - started)
    return best
