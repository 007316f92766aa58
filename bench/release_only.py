"""The national roster release alone, against its bound, without the rest of the national suite:

    DATABASE_URL=postgres://... python bench/release_only.py [runs]

Empties the roster (every table that refers to it, too) before each run, writes the synthetic national file, and
prints the three ratios of `release_bench.run` for each run and their medians. Not for a database that matters.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench import national_divisions, release_bench  # noqa: E402


def _empty_roster() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE districts_district, districts_street, districts_community, districts_divisionchange, "
            "districts_rosterchange, districts_rosterrelease CASCADE"
        )


def main(runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-release-"))
    path = folder / "national.csv"
    national_divisions.main(str(path))
    with path.open(encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    ratios: dict[str, list[float]] = {}
    for _run in range(runs):
        _empty_roster()
        for result in release_bench.run(path, rows):
            print(json.dumps(result, ensure_ascii=False))
            if "ratio" in result:
                ratios.setdefault(result["name"], []).append(result["ratio"])
    for name, values in ratios.items():
        print(f"median {statistics.median(values):.2f}× {name}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
