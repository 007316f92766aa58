"""Who may see and change a report: one place, used by every report page, upload and API route.

Out of scope → 404; in scope but not allowed to change it → 403; allowed but the report's state forbids the
change → the service refuses with a message (the page shows it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from districts.scope import Scope, scope_of
from reporting.models import Report
from standards.models import Assignment, SelfAssessment


def can_edit_report(scope: Scope, report: Report) -> bool:
    """The filer's own staff write the report: a district's staff, or a department's for its annual report."""
    if report.district_id:
        return scope.is_district_staff and scope.district_id == report.district_id
    return scope.role == "department_staff" and scope.department_id == report.department_id


def can_edit_rows(scope: Scope, report: Report, street_id: int | None = None) -> bool:
    """Monthly rows: the district's staff, and street staff for their own street's communities."""
    if report.kind != Report.Kind.MONTHLY:
        return False
    if can_edit_report(scope, report):
        return True
    return (
        scope.is_street_staff
        and scope.district_id == report.district_id
        and (street_id is None or street_id == scope.street_id)
    )


def can_start_reports(scope: Scope) -> bool:
    """Those who file reports start them: a district's staff, a department's staff (street staff only fill rows)."""
    return scope.is_district_staff or scope.role == "department_staff"


def can_review(scope: Scope) -> bool:
    return scope.is_commission


def report_for(user: Any, pk: int, *, write: bool = False) -> Report:
    """The report if the user may see it (else 404); with `write`, also if they may change it (else 403)."""
    report = get_object_or_404(
        Report.objects.visible_to(user).select_related("campaign", "district", "department"), pk=pk
    )
    if write:
        scope = scope_of(user)
        if not (can_edit_report(scope, report) or can_edit_rows(scope, report)):
            raise PermissionDenied
    return report


def report_files_readable(user: Any) -> Q:
    """Which files of reports `user` may read (a filter on Evidence): the report's own files by its readers; a file on
    a community's row by the report's readers who may read that row, and by the inspectors assigned to the community
    (their checklist shows its self-assessment and what it put forward)."""
    report_readable = Q(owner_id__in=Report.objects.visible_to(user).values("pk"))
    row_readable = Exists(SelfAssessment.objects.visible_to(user).filter(community=OuterRef("community")))
    inspected = Exists(Assignment.objects.for_member(user).filter(community=OuterRef("community")))
    return (report_readable & (Q(community__isnull=True) | row_readable)) | inspected
