"""CPU seconds used so far by the load test's own processes, per process: gunicorn (its process group), the Celery
worker (its process group) and the PostgreSQL backends connected to the load-test database.

On a machine shared with other work, response times say as much about the neighbours as about the portal; the CPU
each request costs does not. The runner takes a reading before and after the run; verify.py divides the difference
by the requests. A database backend that closed during the run is missing from the second reading, so the
PostgreSQL figure is a lower bound.
Usage: LOADTEST_DATABASE_URL=... python loadtest/cpu.py GUNICORN_PGID WORKER_PGID  (prints JSON)
"""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Counting from the state after the command name, utime and stime are the 12th and 13th fields (see proc(5)).
    return (int(fields[11]) + int(fields[12])) / TICKS


def group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def database_backends(url: str) -> list[int]:
    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [parts.path.lstrip("/")])
        return [row[0] for row in rows]


def main() -> None:
    gunicorn, worker = int(sys.argv[1]), int(sys.argv[2])
    reading = {
        "gunicorn": {pid: cpu_seconds(pid) for pid in group(gunicorn)},
        "worker": {pid: cpu_seconds(pid) for pid in group(worker)},
        "postgres": {pid: cpu_seconds(pid) for pid in database_backends(os.environ["LOADTEST_DATABASE_URL"])},
    }
    print(json.dumps(reading))


if __name__ == "__main__":
    main()
