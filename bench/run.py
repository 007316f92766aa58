"""`make bench`: measure the portal on PostgreSQL and write bench/results.json.

`BENCH_SCALE` chooses the data (default `tianjin`; `national`; or `tianjin,national`):
- tianjin: Tianjin's real divisions — the monthly report at its largest and the inspector's checklist (their own
  data), then the demo campaign (`seed_demo`, `rollup`) for the dashboards and the PDFs;
- national: a national-size synthetic campaign (`bench/national.py`) for the roster import, the full rollup
  against its SQL bound, and the dashboards.
Each suite runs in a fresh process on a throwaway database next to the one BENCH_DATABASE_URL names (default
postgres://postgres@127.0.0.1:5432/greencommunity_bench). Every figure is a median of repeated runs after warm-up;
run `make bench` twice and compare. results.json keeps the latest figures of each scale.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SUITES = {"tianjin": ["tianjin-pages", "tianjin-demo"], "national": ["national"]}


def _database_url(suffix: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/greencommunity_bench")
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix.replace('-', '_')}"
    import psycopg

    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def suite(name: str, out: str) -> None:
    """Run one suite in this process (set up by `main` in a child process) and write its results to `out`."""
    os.environ.pop("REDIS_URL", None)  # tasks run in process: the benchmark measures the web side
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-media-")  # uploads and PDFs stay out of media/
    call_command("migrate", verbosity=0)
    if name == "national":
        from bench import national

        results = national.run()
    else:
        call_command("load_divisions", str(ROOT / "districts" / "data" / "tianjin-divisions.csv"), verbosity=0)
        if name == "tianjin-pages":
            from bench import acceptance_bench, reporting_bench

            results = reporting_bench.run() + acceptance_bench.run()
        else:
            from bench import dashboard_bench, document_bench

            call_command("seed_demo", verbosity=0)
            call_command("rollup", verbosity=0)
            results = dashboard_bench.run(scale="tianjin", district_code="120116") + document_bench.run()
    Path(out).write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


def _print(results: list[dict]) -> None:
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark'.ljust(width)}  {'value':>10}  {'unit':<7}  {'baseline':>8}  {'ratio':>6}  extra / target")
    for r in results:
        baseline, ratio = r.get("baseline", ""), r.get("ratio", "")
        extra = ", ".join(f"{k}={r[k]}" for k in ("queries", "size_kb", "peak_memory_mb", "rows") if k in r)
        target = r.get("target", "")
        print(
            f"{r['name'].ljust(width)}  {r['value']:>10}  {r['unit']:<7}  {baseline:>8}  {ratio:>6}  "
            f"{'; '.join(part for part in (extra, target) if part)}"
        )


def main() -> None:
    scales = [scale.strip() for scale in os.environ.get("BENCH_SCALE", "tianjin").split(",") if scale.strip()]
    unknown = [scale for scale in scales if scale not in SUITES]
    if unknown:
        sys.exit(f"BENCH_SCALE: unknown scale {', '.join(unknown)} (tianjin, national)")
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    by_scale = stored.get("scales", {})
    for scale in scales:
        results: list[dict] = []
        for name in SUITES[scale]:
            out = Path(tempfile.mkdtemp(prefix="bench-")) / "results.json"
            env = {**os.environ, "DATABASE_URL": _database_url(name)}
            code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.run import suite; suite({name!r}, {str(out)!r})"
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)  # noqa: S603 — this file's own suite
            results += json.loads(out.read_text(encoding="utf-8"))
        by_scale[scale] = results
        _print(results)
    payload = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "scales": by_scale,
    }
    RESULTS.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
