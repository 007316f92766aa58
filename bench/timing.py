"""How the benchmarks time a page: server time in process through Django's test client."""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def timed_get(client: Client, url: str, runs: int) -> tuple[float, int]:
    """(median milliseconds over `runs` after 3 warm-ups, the query count of one more request)."""
    for _ in range(3):
        client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries)
