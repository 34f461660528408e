"""Timing for the benchmarks: median and 90th percentile of many in-process runs."""

import statistics
import time


def measure(function, runs, before=None):
    """Run ``function`` once to warm up, then ``runs`` times; return (median, p90) in ms.

    ``before`` runs ahead of each timed call, outside the timing.
    """
    function()
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter_ns()
        function()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]
