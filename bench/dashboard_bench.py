"""The dashboards' server time and query count, read from the snapshots the rollup stored.

Measured in process through Django's test client (middleware, view, queries, template): the commission's city
dashboard, one district's dashboard (its streets) and a department's dashboard (its items).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from bench.timing import timed_get
from districts.models import Department, District, Membership, Role


def _client(username: str, **membership: Any) -> Client:
    user, _ = get_user_model().objects.get_or_create(username=username)  # logged in with force_login
    Membership.objects.get_or_create(user=user, **membership)
    client = Client()
    client.force_login(user)
    return client


def run(*, scale: str, district_code: str) -> list[dict[str, Any]]:
    district = District.objects.get(code=district_code)
    department = Department.objects.earliest("code")
    pages = [
        ("city", _client("bench-commission", role=Role.COMMISSION_ADMIN), reverse("dashboard")),
        (
            f"district {district.name}",
            _client(f"bench-district-{district.code}", role=Role.DISTRICT_STAFF, district=district),
            reverse("dashboard_district", args=[district.code]),
        ),
        (
            f"department {department.name}",
            _client(f"bench-department-{department.code}", role=Role.DEPARTMENT_STAFF, department=department),
            reverse("dashboard_department"),
        ),
    ]
    results = []
    for label, client, url in pages:
        milliseconds, queries = timed_get(client, url, 15)
        results.append(
            {
                "name": f"{scale}: dashboard, {label}",
                "value": round(milliseconds, 1),
                "unit": "ms",
                "queries": queries,
                "target": "≤ 100 ms, ≤ 15 queries",
            }
        )
    return results
