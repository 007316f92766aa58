"""The inspector's checklist on a phone: the page with 16 items, the community's self-assessment and a dozen
files, and saving one answer.

Measured in process through Django's test client, as for the report page: the checklist page (median of 15
after 3 warm-ups) and its query count with 2 and with 12 files on the community (the count must not grow), and one
answer saved (median of 30).
"""

from __future__ import annotations

import datetime
import io
import statistics
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bench.timing import timed_get
from districts.models import Community, Membership, Role
from standards.acceptance import assignments_create, inspection_start, round_create, team_create
from standards.evidence import evidence_add
from standards.models import SelfAssessment


def _png(n: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (n * 20 % 255, 120, 80)).save(buffer, "PNG")
    return SimpleUploadedFile(f"现场{n}.png", buffer.getvalue(), content_type="image/png")


def run() -> list[dict[str, Any]]:
    inspector = get_user_model().objects.create_user(username="bench-inspector")
    Membership.objects.create(user=inspector, role=Role.INSPECTOR)
    # Open today: a round refuses answers after its end date, and the bench answers through the pages.
    today = timezone.localdate()
    round_ = round_create(
        name="基准验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today + datetime.timedelta(days=60),
        by=None,
    )
    team = team_create(round=round_, name="基准组", members=[inspector], by=None)
    community = Community.objects.filter(district__code="120116", kind="居委会").earliest("code")
    SelfAssessment.objects.update_or_create(
        community=community,
        period=datetime.date(2022, 9, 1),
        defaults={
            "district_id": community.district_id,
            "stage": "meets",
            "items": {str(n): "meets" for n in range(1, 17)},
        },
    )
    (assignment,) = assignments_create(round=round_, communities=[community], team=team, by=None)
    inspection = inspection_start(assignment=assignment, by=inspector)
    for n in range(2):
        evidence_add(upload=_png(n), by=inspector, district=community.district, community=community)
    client = Client()
    client.force_login(inspector)
    url = reverse("inspection_checklist", args=[assignment.pk])
    few_ms, few_queries = timed_get(client, url, 15)
    for n in range(2, 12):
        evidence_add(upload=_png(n), by=inspector, district=community.district, community=community)
    many_ms, many_queries = timed_get(client, url, 15)

    answer_url = reverse("inspection_answer", args=[inspection.pk])
    times = []
    for n in range(33):
        data = {"item": str(n % 16 + 1), "result": "meets" if n % 2 else "fails", "note": f"第{n}次检查记录"}
        start = time.perf_counter()
        response = client.post(answer_url, data)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.content[:300]
        if n >= 3:
            times.append(elapsed)
    return [
        {"name": "checklist_page_ms", "value": round(many_ms, 1), "unit": "ms", "target": "≤ 200", "files": 12},
        {
            "name": "checklist_page_queries",
            "value": many_queries,
            "unit": "queries",
            "baseline": few_queries,
            "ratio": round(many_queries / few_queries, 2),
            "target": "= the count with 2 files",
        },
        {"name": "checklist_page_2_files_ms", "value": round(few_ms, 1), "unit": "ms"},
        {
            "name": "inspection_answer_save_ms",
            "value": round(statistics.median(times), 1),
            "unit": "ms",
            "target": "≤ 100",
        },
    ]
