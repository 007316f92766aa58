"""The demo's roster after the campaign: two yearly division releases, applied through the roster-release service
as the commission would (`districts.releases`), so the roster pages, the history and today's figures have changes
to show.

- 2024-01-01, 河西区 (120103): one community renamed, one moved to another street, one closed.
- 2026-01-01, 西青区 (120111): a new community founded, a street renamed, one unit recounted as a residents'
  committee (类似居委会 → 居委会).
Only communities with no enrolment and no inspection are closed, moved or renamed (a real release may touch any; the
demo keeps the campaign's figures as they were), and each file is the project's division list of that district with
the changes made, as the statistics bureau's file would be.
"""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

from django.conf import settings

from districts.models import Community, RosterRelease
from districts.releases.services import release_apply, release_store
from reporting.models import Enrolment
from standards.models import Inspection

D = datetime.date
DIVISIONS = Path(settings.BASE_DIR) / "districts" / "data" / "tianjin-divisions.csv"
HEXI, XIQING = "120103", "120111"
HEXI_FILE = "河西区区划代码2024.csv"


def _district_rows(code: str) -> list[list[str]]:
    with DIVISIONS.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return [rows[0]] + [row for row in rows[1:] if row[1].startswith(code)]


def _quiet_communities(district: str) -> list[str]:
    """Codes of the district's open residents' committees with no enrolment and no inspection, in code order."""
    busy = set(Enrolment.objects.values_list("community_id", flat=True)) | set(
        Inspection.objects.values_list("community_id", flat=True)
    )
    return [
        code
        for pk, code in Community.objects.filter(
            district__code=district, closed_on__isnull=True, kind=Community.Kind.RESIDENTS_COMMITTEE
        )
        .order_by("code")
        .values_list("pk", "code")
        if pk not in busy
    ]


def _apply(rows: list[list[str]], *, district: str, effective_on: datetime.date, name: str) -> dict[str, int]:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    release, _diff = release_store(
        content=out.getvalue().encode("utf-8"), filename=name, effective_on=effective_on, scope=district, by=None
    )
    return release_apply(release=release, by=None, source="demo").counts


def seed_roster_releases() -> str:
    """Apply the two demo releases; returns a line for seed_demo's summary. A second run leaves them as they are."""
    if RosterRelease.objects.filter(filename=HEXI_FILE).exists():
        return "roster releases already present, left as they are"
    hexi = _district_rows(HEXI)
    quiet = _quiet_communities(HEXI)
    renamed, moved, closed = quiet[0], quiet[len(quiet) // 2], quiet[-1]
    streets = [row[1] for row in hexi if row[0] == "street"]
    changed = []
    for row in hexi:
        if row[1] == closed:
            continue
        if row[1] == renamed:
            row = [row[0], row[1], row[2].removesuffix("居委会").removesuffix("社区") + "新苑社区居委会", *row[3:]]
        if row[1] == moved:
            row = [*row[:3], next(s for s in streets if s != row[3]), row[4]]
        changed.append(row)
    first = _apply(changed, district=HEXI, effective_on=D(2024, 1, 1), name=HEXI_FILE)

    xiqing = _district_rows(XIQING)
    street = next(row for row in xiqing if row[0] == "street")
    used = {row[1] for row in xiqing}
    founded = next(code for code in (f"{street[1]}{n:03d}" for n in range(999, 900, -1)) if code not in used)
    recounted = next((row[1] for row in xiqing if row[0] == "community" and row[4] == "类似居委会"), None)
    changed = []
    for row in xiqing:
        if row[1] == street[1]:
            row = [row[0], row[1], row[2].removesuffix("街道") + "新城街道", *row[3:]]
        if row[1] == recounted:
            row = [*row[:4], "居委会"]
        changed.append(row)
    changed.append(["community", founded, "水上新园社区居委会", street[1], "居委会"])
    second = _apply(changed, district=XIQING, effective_on=D(2026, 1, 1), name="西青区区划代码2026.csv")
    return (
        f"roster releases: 河西区 2024-01-01 (renamed {first['renamed']}, moved {first['moved']}, closed "
        f"{first['closed']}), 西青区 2026-01-01 (added {second['added']}, renamed {second['renamed']}, "
        f"kind changed {second['kind_changed']})"
    )
