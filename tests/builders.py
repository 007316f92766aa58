"""Small pieces of a world that several tests build: each makes what a figure needs and nothing more."""

from __future__ import annotations

import datetime

from django.utils import timezone

from districts.models import Community, District
from reporting.models import DEADLINE_OF, Campaign, Report
from standards.models import SelfAssessment


def filed_monthly_report(
    campaign: Campaign,
    district: District | int,
    period: datetime.date,
    *,
    submitted_at: datetime.datetime | None = None,
) -> Report:
    """The district's monthly report for `period`, standing submitted, so its self-assessments count (DESIGN.md
    "Self-assessed"). First submitted `submitted_at`, by default now: a late report, which counts in its month's
    figures but not in the reporting rates of any date before today."""
    district_id = district if isinstance(district, int) else district.pk
    deadline = campaign.deadlines.get(kind=DEADLINE_OF[Report.Kind.MONTHLY])
    at = submitted_at or timezone.now()
    report, _created = Report.objects.get_or_create(
        campaign=campaign,
        kind=Report.Kind.MONTHLY,
        district_id=district_id,
        period=period,
        defaults={"due_on": deadline.due_for(period), "status": Report.Status.SUBMITTED},
    )
    if report.status != Report.Status.SUBMITTED or report.first_submitted_at is None:
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.SUBMITTED, first_submitted_at=at, submitted_at=at
        )
        report.refresh_from_db()
    return report


def reported_assessment(
    campaign: Campaign, community: Community, period: datetime.date, stage: str = SelfAssessment.Stage.MEETS
) -> SelfAssessment:
    """A community's self-assessment for `period`, stated by its district's submitted monthly report."""
    filed_monthly_report(campaign, community.district_id, period)
    return SelfAssessment.objects.create(
        community=community, district_id=community.district_id, period=period, stage=stage, standard=campaign.standard
    )
