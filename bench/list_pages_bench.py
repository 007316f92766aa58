"""The commission's list pages with a national roster loaded: server time and HTML size against the target.

Issue 15 item 7: every page the commission opens, national roster loaded, answers in ≤ 300 ms server time with
≤ 300 KB of HTML. Measured in process through Django's test client as a commission admin: the median of a few
runs after a warm-up, and the size of the last response.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from districts.models import District, Membership, Role, Street

TARGET_MS, TARGET_KB = 300, 300


def _commission_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-commission")  # logged in with force_login
    Membership.objects.get_or_create(user=user, role=Role.COMMISSION_ADMIN)
    client = Client()
    client.force_login(user)
    return client


def pages(*, district_code: str) -> list[tuple[str, str]]:
    """(label, URL) of every list page the commission opens, the roster's largest first."""
    district = District.objects.get(code=district_code)
    street = Street.objects.filter(district=district).order_by("code").first()
    assert street is not None, "the national roster gives every district its streets"
    return [
        ("home", reverse("home")),
        ("roster: districts", reverse("roster_districts")),
        ("roster: districts, page 20", reverse("roster_districts") + "?page=20"),
        ("roster: all communities", reverse("community_search")),
        ("roster: communities found by name", reverse("community_search") + "?q=%E5%90%88%E6%88%90"),
        ("roster: a district's streets", reverse("roster_district", args=[district.code])),
        ("roster: a street's communities", reverse("roster_street", args=[street.code])),
        ("enrolment of a district", reverse("enrolment", args=[district.code])),
        ("reports", reverse("report_list")),
        ("reports: review queue", reverse("report_review_queue")),
        ("reports: rate and timeliness", reverse("reporting_timeliness")),
        ("dashboard: city", reverse("dashboard")),
        ("dashboard: a district", reverse("dashboard_district", args=[district.code])),
        ("dashboard: a street", reverse("dashboard_street", args=[street.code])),
        ("funds", reverse("funds_home")),
        ("supervision", reverse("supervision_list")),
        ("experience", reverse("experience_list")),
        ("commendations", reverse("commendation_list")),
        ("acceptance rounds", reverse("acceptance_rounds")),
        ("rectifications", reverse("rectifications")),
        ("acceptance items", reverse("acceptance_items")),
        ("officials", reverse("officials_list")),
        ("audit log", reverse("audit_list")),
        ("documents", reverse("documents")),
        ("roster releases", reverse("roster_releases")),
    ]


def measure(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    """(median milliseconds over `runs` after a warm-up, bytes of HTML, status code)."""
    response = client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(response.content), response.status_code


def run(*, scale: str, district_code: str, runs: int = 3) -> list[dict[str, Any]]:
    client = _commission_client()
    results = []
    for label, url in pages(district_code=district_code):
        milliseconds, size, status = measure(client, url, runs)
        assert status == 200, (url, status)
        results.append(
            {
                "name": f"{scale}: commission page, {label}",
                "value": round(milliseconds, 1),
                "unit": "ms",
                "size_kb": round(size / 1024, 1),
                "target": f"≤ {TARGET_MS} ms, ≤ {TARGET_KB} KB",
            }
        )
    return results
