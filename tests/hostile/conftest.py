"""Fixtures of the hostile-input tests: a Chinese-speaking client, uploads kept in a temporary folder, a monthly
report with its community rows, and signed inspections with rectifications and objections."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from districts.models import AuditEntry, Community, District
from reporting.models import Campaign, Report, ReportEvent
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)
from standards.models import Evidence, SelfAssessment

D = datetime.date
HEPING, HEXI = "120101", "120103"
OWN_STREET = "120101001"
SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def zh(client_for):
    """A logged-in client reading the portal in Chinese (its default language)."""

    def login(user):
        client = client_for(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        return client

    return login


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages] if hasattr(response.wsgi_request, "_messages") else []


def audit_writes() -> int:
    """Audit entries of changes; the security trail of denied requests and failed logins is meant to grow."""
    return AuditEntry.objects.exclude(action__in=[AuditEntry.Action.DENIED, AuditEntry.Action.LOGIN_FAILED]).count()


def counts() -> dict[str, int]:
    """Rows that a refused request must not add."""
    return {
        "audit": audit_writes(),
        "evidence": Evidence.objects.count(),
        "events": ReportEvent.objects.count(),
        "reports": Report.objects.count(),
    }


@pytest.fixture
def campaign(db):
    return Campaign.objects.current()


@pytest.fixture
def march(campaign, heping_staff):
    """和平区's March 2021 monthly report (a draft) with three pilot communities' rows."""
    communities = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:3])
    enrolment_enrol(campaign=campaign, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    return report_open(
        campaign=campaign,
        kind="monthly",
        period=D(2021, 3, 1),
        district=District.objects.get(code=HEPING),
        by=heping_staff,
    )


def first_row(report) -> SelfAssessment:
    return SelfAssessment.objects.filter(district_id=report.district_id, period=report.period).order_by(
        "community__code"
    )[0]


@pytest.fixture
def world(commission_admin, inspector):
    """A round open today with one team and the first three communities of 劝业场街道, none inspected yet."""
    today = timezone.localdate()
    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=today - datetime.timedelta(days=60),
        closes_on=today + datetime.timedelta(days=60),
        notice_days=7,
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin)
    communities = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:3])
    return SimpleNamespace(round=round_, team=team, communities=communities)


def open_inspection(world, community, *, by):
    (assignment,) = assignments_create(round=world.round, communities=[community], team=world.team, by=by)
    return inspection_start(assignment=assignment, by=by)


def signed_inspection(world, community, *, by, fail=(), notes=None, summary=""):
    """Assign, answer every item (failing `fail` with `notes`) and sign."""
    inspection = open_inspection(world, community, by=by)
    for number in range(1, 17):
        failed = number in fail
        note = (notes or {}).get(number, "缺少分类投放点") if failed else ""
        answer_save(inspection=inspection, item_number=number, result="fails" if failed else "meets", note=note, by=by)
    return inspection_sign(inspection=inspection, by=by, summary=summary)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it."""
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) must be installed to read the PDFs back")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout
