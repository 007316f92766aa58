"""Attaching photos and documents to a report, and taking them off again.

A file's target is the report itself, one of its district's communities, and optionally one of the 16 items. The
report page shows one box per target (`templates/standards/partials/evidence.html`); an htmx request gets that box
back, re-rendered, and a plain form post is redirected to the page it came from.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from districts.models import Community
from districts.scope import Scope, scope_of
from reporting.access import can_edit_report, can_edit_rows, report_for
from reporting.models import Report
from standards import evidence as evidence_service
from standards.evidence import EvidenceError, evidence_add, evidence_for
from standards.models import Evidence, SelfAssessment, StandardItem
from standards.selectors import standard_item

TARGET_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,80}$")


class Refused(Exception):
    """An upload or removal that is not done: the message says why; the status is for plain (non-htmx) requests."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def evidence_target_id(community_code: str = "", item_number: int | str | None = None) -> str:
    """The id of a target's box on the report page, when the page did not send its own."""
    base = f"ev-row-{community_code}" if community_code else "ev-report"
    return f"{base}-item-{item_number}" if item_number else base


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _community(report: Report, code: str) -> Community | None:
    if not code:
        return None
    if report.district_id is None:
        raise Refused(_("A department's report has no communities; attach the file to the report itself."))
    community = Community.objects.filter(code=code, district_id=report.district_id).select_related("street").first()
    if community is None:
        assert report.district is not None  # a district's report, as checked above
        raise Refused(
            _("There is no community with code %(code)s in %(district)s.")
            % {"code": code[:20], "district": report.district.name}
        )
    return community


def _item(report: Report, raw: str) -> StandardItem | None:
    """The item of that number in the standard of the report's campaign."""
    if not raw:
        return None
    number = int(raw) if raw.isdecimal() and raw.isascii() and len(raw) < 4 else 0
    item = standard_item(standard=report.campaign.standard_id, number=number) if number else None
    if item is None:
        raise Refused(_("There is no standard item %(item)s in this campaign's standard.") % {"item": raw[:10]})
    return item


def _may_change(scope: Scope, report: Report, community: Community | None) -> None:
    """District and department staff may change any part of their own report; street staff only their street's
    communities."""
    if can_edit_report(scope, report):
        return
    if community is None:
        raise Refused(_("Choose one of your street's communities to attach the file to."), status=403)
    if not can_edit_rows(scope, report, community.street_id):
        raise Refused(_("You may attach files only to communities of your own street."), status=403)


def _on_a_row(report: Report, community: Community | None) -> None:
    """A community's file belongs to its row of this report, and is read by whoever may read that row."""
    if community is None:
        return
    if (
        report.district_id is None
        or not SelfAssessment.objects.filter(
            district_id=report.district_id, period=report.period, community=community
        ).exists()
    ):
        raise Refused(
            _("%(community)s has no row in this report; attach the file to one of the report's communities.")
            % {"community": community.name}
        )


def _editable(report: Report) -> None:
    if not report.is_editable:
        raise Refused(
            _("This report is %(status)s; files can be added or removed only while it is a draft or returned.")
            % {"status": report.get_status_display()}
        )


def _box(
    request: HttpRequest,
    report: Report,
    *,
    community: Community | None,
    community_code: str,
    item: StandardItem | None,
    item_number: str,
    editable: bool,
    error: str = "",
) -> HttpResponse:
    """The target's box, as the report page includes it."""
    target_id = request.POST.get("target", "")
    if not TARGET_ID.match(target_id):
        target_id = evidence_target_id(community_code, item_number)
    if (community_code and community is None) or (item_number and item is None):
        files = Evidence.objects.none()  # a code or number that does not resolve has no files to show
    else:
        files = evidence_for(report).visible_to(request.user).filter(community=community, item=item)
    response = render(
        request,
        "standards/partials/evidence.html",
        {
            "files": files,
            "upload_url": reverse("evidence_upload", args=[report.pk]),
            "community_code": community_code,
            "item_number": item_number,
            "editable": editable,
            "target_id": target_id,
            "error": error,
            "next_url": _next_url(request),
        },
    )
    if not error:
        # Lets the report page refresh its counts of files.
        response["HX-Trigger"] = "evidence-changed"
    return response


def _refused(request: HttpRequest, exc: Refused, report: Report, **target: Any) -> HttpResponse:
    if _is_htmx(request):
        # 200, so htmx swaps the box with the message in it.
        return _box(request, report, error=exc.message, **target)
    messages.error(request, exc.message)
    if exc.status == 403:
        return render(request, "403.html", status=403)
    return render(request, "400.html", status=400)


def _done(request: HttpRequest, report: Report, message: str, **target: Any) -> HttpResponse:
    if _is_htmx(request):
        return _box(request, report, **target)
    messages.success(request, message)
    return redirect(_next_url(request) or report.get_absolute_url())


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk, write=True)
    code = request.POST.get("community", "").strip()
    number = request.POST.get("item", "").strip()
    target: dict[str, Any] = {
        "community": None,
        "community_code": code,
        "item": None,
        "item_number": number,
        "editable": False,
    }
    try:
        target["community"] = community = _community(report, code)
        target["item"] = item = _item(report, number)
        _may_change(scope_of(request.user), report, community)
        _on_a_row(report, community)
        _editable(report)
        target["editable"] = True
        try:
            evidence = evidence_add(
                upload=request.FILES.get("file"),
                by=request.user,
                district=report.district,
                department=report.department,
                community=community,
                item=item,
                owner=report,
                caption=request.POST.get("caption", ""),
            )
        except EvidenceError as exc:
            raise Refused(exc.message) from exc
    except Refused as exc:
        return _refused(request, exc, report, **target)
    return _done(request, report, _("“%(name)s” has been uploaded.") % {"name": evidence.original_name}, **target)


@login_required
@require_POST
def evidence_remove(request: HttpRequest, pk: int, public_id: uuid.UUID) -> HttpResponse:
    report = report_for(request.user, pk, write=True)
    evidence = get_object_or_404(evidence_for(report).visible_to(request.user), public_id=public_id)
    target = {
        "community": evidence.community,
        "community_code": evidence.community.code if evidence.community else "",
        "item": evidence.item,
        "item_number": str(evidence.item.number) if evidence.item else "",
        "editable": False,
    }
    try:
        _may_change(scope_of(request.user), report, evidence.community)
        _editable(report)
        target["editable"] = True
        try:
            evidence_service.evidence_remove(evidence=evidence, by=request.user)
        except EvidenceError as exc:
            raise Refused(exc.message) from exc
    except Refused as exc:
        return _refused(request, exc, report, **target)
    return _done(request, report, _("“%(name)s” has been removed.") % {"name": evidence.original_name}, **target)
