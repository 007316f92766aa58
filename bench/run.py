"""`make bench`: measure the portal on PostgreSQL and write bench/results.json.

Creates a throwaway database next to the one BENCH_DATABASE_URL names (default
postgres://postgres@127.0.0.1:5432/greencommunity_bench), migrates it, loads Tianjin's divisions and runs each
benchmark. Every figure is the median of repeated runs after warm-up; run `make bench` twice and compare.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def _database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/greencommunity_bench")
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    import psycopg

    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def main() -> None:
    os.environ["DATABASE_URL"] = _database_url()
    os.environ.pop("REDIS_URL", None)  # tasks run in process: the benchmark measures the web side
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_divisions", str(ROOT / "districts" / "data" / "tianjin-divisions.csv"), verbosity=0)

    import tempfile

    from django.conf import settings

    from bench import acceptance_bench, reporting_bench

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-media-")  # uploaded test photos stay out of media/
    results = reporting_bench.run() + acceptance_bench.run()
    payload = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "results": results,
    }
    RESULTS.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark'.ljust(width)}  {'value':>10}  {'unit':<8}  {'baseline':>8}  {'ratio':>6}  target")
    for r in results:
        baseline, ratio = r.get("baseline", ""), r.get("ratio", "")
        print(
            f"{r['name'].ljust(width)}  {r['value']:>10}  {r['unit']:<8}  {baseline:>8}  {ratio:>6}  {r.get('target', '')}"
        )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
