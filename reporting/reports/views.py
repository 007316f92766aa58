"""Report pages: the filer's list, the report itself (figures, narrative, community rows), the review queue,
the workflow buttons and the printable view. Every write goes through `reporting.reports.services`."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from districts.access import district_for
from districts.models import Department, District, Street
from districts.scope import scope_of
from greencommunity.dates import as_of
from greencommunity.paging import paged
from reporting.access import can_edit_report, can_edit_rows, can_review, can_start_reports, report_for
from reporting.campaigns.selectors import campaign_items, selected_campaign
from reporting.figures import selectors
from reporting.forms import CommentForm, NarrativeForm, PlanTargetFormSet, UnlockForm, WorkAssignmentFormSet
from reporting.models import Campaign, Report, ReportEvent
from reporting.reports.narrative import NARRATIVE_FIELDS
from reporting.reports.services import (
    ReportConflict,
    ReportError,
    assessment_save,
    assessments_bulk_set,
    report_accept,
    report_open,
    report_return,
    report_rows_sync,
    report_save,
    report_submit,
    report_unlock,
)
from standards.models import Evidence, SelfAssessment
from standards.refinements import approved_by_item
from standards.selectors import standard_categories

ROW_FILTER_STAGES = SelfAssessment.Stage.values


def _campaign(request: HttpRequest) -> Campaign:
    """The campaign the reader chose (`?campaign=`, kept in the session), else the current one."""
    campaign = selected_campaign(request)
    if campaign is None:
        raise Http404("no campaign is set up")
    return campaign


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- lists ----------------------------------------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The filer's reports, expected period by period; for the commission, every report with filters."""
    scope = scope_of(request.user)
    campaign = _campaign(request)
    on, given = as_of(request)
    if scope.is_commission:
        return _commission_list(request, campaign)
    found = selectors.filer_reports(user=request.user, campaign=campaign, on=on)
    if found is None:
        raise Http404
    can_start = can_start_reports(scope)
    return render(
        request,
        "reporting/report_list.html",
        {
            "filer": found.filer,
            "rows": found.rows,
            "on": on,
            "on_given": given,
            "can_start": can_start,
            "scope": scope,
        },
    )


def _commission_list(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    # The campaign too: each row's period label reads it, which was a query a row.
    reports = Report.objects.filter(campaign=campaign).select_related("district", "department", "campaign")
    filters = {
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in Report.Kind.values else "",
        "status": request.GET.get("status", "") if request.GET.get("status") in Report.Status.values else "",
        "district": request.GET.get("district", "")[:12],
        "period": request.GET.get("period", "")[:7],
    }
    if filters["kind"]:
        reports = reports.filter(kind=filters["kind"])
    if filters["status"]:
        reports = reports.filter(status=filters["status"])
    if filters["district"]:
        reports = reports.filter(district__code=filters["district"])
    if filters["period"]:
        try:
            period = datetime.date.fromisoformat(filters["period"] + "-01")
        except ValueError:
            messages.error(request, _("Write the month as YYYY-MM, e.g. 2021-03."))
        else:
            reports = reports.filter(period=period)
    pager = paged(request, reports.order_by("-period", "district__code", "department__code"), per_page=100)
    return render(
        request,
        "reporting/report_list_commission.html",
        {
            "page": pager.page,
            "pager": pager,
            "filters": filters,
            "kinds": Report.Kind.choices,
            "statuses": Report.Status.choices,
            "districts": District.objects.order_by("code"),
            "waiting": Report.objects.filter(campaign=campaign).waiting_for_review().count(),
        },
    )


@login_required
def report_review_queue(request: HttpRequest) -> HttpResponse:
    """What waits for the commission, oldest first, with its age."""
    if not can_review(scope_of(request.user)):
        raise Http404
    now = timezone.now()
    reports = (
        Report.objects.waiting_for_review()
        .select_related("campaign", "district", "department")
        .order_by("submitted_at", "pk")
    )
    today = timezone.localdate(now)
    # Days waited, for the flag's colour; the page says how long with the `how_long` filter, as everywhere.
    rows = [(r, (today - timezone.localdate(r.submitted_at)).days if r.submitted_at else 0) for r in reports[:500]]
    returned_at = (
        ReportEvent.objects.filter(
            report=OuterRef("pk"), action__in=[ReportEvent.Action.RETURNED, ReportEvent.Action.UNLOCKED]
        )
        .order_by("-at")
        .values("at")[:1]
    )
    returned = (
        Report.objects.filter(status=Report.Status.RETURNED)
        .annotate(returned_at=Subquery(returned_at))
        .select_related("campaign", "district", "department")
        .order_by("returned_at")[:200]
    )
    return render(request, "reporting/review_queue.html", {"rows": rows, "returned": returned, "now": now})


@login_required
@require_POST
def report_start(request: HttpRequest) -> HttpResponse:
    """Open (or start) the report for a filer and period; the filer's own staff only."""
    scope = scope_of(request.user)
    campaign = _campaign(request)
    kind = request.POST.get("kind", "")
    if kind not in Report.Kind.values:
        raise Http404
    district = department = None
    if request.POST.get("district"):
        district = district_for(request.user, request.POST["district"])
        if not (scope.is_district_staff and scope.district_id == district.pk):
            raise PermissionDenied
    elif request.POST.get("department") and scope.role == "department_staff":
        department = get_object_or_404(Department, code=request.POST["department"], pk=scope.department_id)
    else:
        raise Http404
    try:
        period = datetime.date.fromisoformat(request.POST.get("period", ""))
        report = report_open(
            campaign=campaign, kind=kind, period=period, district=district, department=department, by=request.user
        )
    except ValueError:
        messages.error(request, _("That period is not a date."))
        return redirect("report_list")
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("report_list")
    return redirect(report)


# --- one report -----------------------------------------------------------------------------------------------


def _report_context(request: HttpRequest, report: Report, **extra: Any) -> dict[str, Any]:
    scope = scope_of(request.user)
    editable = report.is_editable and can_edit_report(scope, report)
    fields = NARRATIVE_FIELDS[report.kind]
    events = list(report.events.select_related("actor"))
    narrative_form = extra.pop("narrative_form", None) or NarrativeForm(
        initial={"version": report.version, **{name: getattr(report, name) for name, _label in fields}},
        fields=fields,
        readonly=not editable,
    )
    context: dict[str, Any] = {
        "report": report,
        "scope": scope,
        "editable": editable,
        "rows_editable": report.is_editable and can_edit_rows(scope, report),
        "can_review": can_review(scope) and report.status in (Report.Status.SUBMITTED, Report.Status.RESUBMITTED),
        "can_unlock": can_review(scope) and report.status == Report.Status.ACCEPTED,
        "narrative_form": narrative_form,
        "narrative": [(label, getattr(report, name)) for name, label in fields],
        "events": events,
        "last_event": events[-1] if events else None,
        "comment_form": CommentForm(),
        "unlock_form": UnlockForm(),
        "evidence": Evidence.objects.current()
        .filter(
            owner_type__app_label="reporting", owner_type__model="report", owner_id=report.pk, community__isnull=True
        )
        .select_related("uploaded_by"),
    }
    if report.kind == Report.Kind.MONTHLY:
        context["figures"] = selectors.report_figures(report)
        context["streets"] = Street.objects.filter(district=report.district).order_by("code")
        context.update(_rows_context(request, report))
    if report.kind == Report.Kind.IMPLEMENTATION_PLAN:
        context["targets"] = report.targets.all()
        context["assignments"] = report.assignments.all()
        context["target_formset"] = extra.pop("target_formset", None) or PlanTargetFormSet(
            prefix="targets",
            initial=[
                {"year": t.year, "communities": t.communities, "pilots_per_street": t.pilots_per_street}
                for t in report.targets.all()
            ],
        )
        context["assignment_formset"] = extra.pop("assignment_formset", None) or WorkAssignmentFormSet(
            prefix="work",
            initial=[{"task": a.task, "unit": a.unit, "due_on": a.due_on} for a in report.assignments.all()],
        )
    context.update(extra)
    return context


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    if report.kind == Report.Kind.MONTHLY and report.is_editable and can_edit_rows(scope_of(request.user), report):
        report_rows_sync(report=report)  # communities enrolled since the report was started get their row
    return render(request, "reporting/report_detail.html", _report_context(request, report))


@login_required
@require_POST
def report_narrative_save(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk, write=True)
    if not can_edit_report(scope_of(request.user), report):
        raise PermissionDenied
    fields = NARRATIVE_FIELDS[report.kind]
    form = NarrativeForm(request.POST, fields=fields)
    target_formset = assignment_formset = None
    targets = assignments = None
    valid = form.is_valid()
    if report.kind == Report.Kind.IMPLEMENTATION_PLAN:
        target_formset = PlanTargetFormSet(request.POST, prefix="targets")
        assignment_formset = WorkAssignmentFormSet(request.POST, prefix="work")
        valid = target_formset.is_valid() and assignment_formset.is_valid() and valid
        if valid:
            targets = [f.cleaned_data for f in target_formset if _kept(f)]
            assignments = [f.cleaned_data for f in assignment_formset if _kept(f)]
            for row in targets + assignments:
                row.pop("DELETE", None)

    def again(status: int, **extra: Any) -> HttpResponse:
        context = _report_context(
            request,
            report,
            narrative_form=form,
            target_formset=target_formset,
            assignment_formset=assignment_formset,
            **extra,
        )
        return render(request, "reporting/report_detail.html", context, status=status)

    if not valid:
        messages.error(request, _("Please correct the marked fields; nothing was saved."))
        return again(400)
    try:
        report_save(
            report=report,
            version=form.cleaned_data["version"],
            data=form.cleaned_data,
            by=request.user,
            targets=targets,
            assignments=assignments,
        )
    except ReportConflict as conflict:
        # Keep what this user typed, show what the other person changed, and let them save over it knowingly.
        data = request.POST.copy()
        data["version"] = str(conflict.current_version)
        form = NarrativeForm(data, fields=fields)
        form.is_valid()
        return again(409, conflict=conflict)
    except ReportError as error:
        messages.error(request, str(error))
        return again(400)
    messages.success(request, _("Saved."))
    return redirect(report)


def _kept(form: Any) -> bool:
    return bool(form.cleaned_data) and not form.cleaned_data.get("DELETE")


# --- the community rows of a monthly report ------------------------------------------------------------------

ROWS_PER_PAGE = 50
ROW_ORDER = ("community__street__code", "community__code")


def _row_filter(report: Report, *, street: str = "", stage: str = "", q: str = "") -> QuerySet[SelfAssessment]:
    """The report's rows that match the filters, in no order: what the table lists, counts and bulk-changes."""
    assert report.district_id is not None  # only a district's monthly report has community rows
    rows = SelfAssessment.objects.filter(district_id=report.district_id, period=report.period)
    if street:
        rows = rows.filter(community__street__code=street)
    if stage in ROW_FILTER_STAGES:
        rows = rows.filter(stage=stage)
    if q:
        rows = rows.filter(Q(community__name__contains=q) | Q(community__code__startswith=q))
    return rows


def _rows(report: Report, **filters: str) -> QuerySet[SelfAssessment]:
    """The matching rows in the table's order, each with its community, its 街道 and its number of files."""
    evidence_count = Coalesce(
        Subquery(
            Evidence.objects.current()
            .filter(
                owner_type__app_label="reporting",
                owner_type__model="report",
                owner_id=report.pk,
                community=OuterRef("community_id"),
            )
            .order_by()
            .values("community")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    return (
        _row_filter(report, **filters)
        .select_related("community__street")
        .annotate(evidence_count=evidence_count)
        .order_by(*ROW_ORDER)
    )


def _row_filters(params: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    """The table's filters (街道, stage, name or code) as read from a query string, or from a form's `prefix` fields."""
    stage = params.get(prefix + "stage", "")
    return {
        "street": params.get(prefix + "street", "")[:12],
        "stage": stage if stage in ROW_FILTER_STAGES else "",
        "q": params.get(prefix + "q", "")[:50].strip(),
    }


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _rows_query(filters: Mapping[str, str], page: int = 1) -> str:
    """`?street=…&page=2` for the filters set and a page after the first; "" for the whole table's first page."""
    params: dict[str, Any] = {name: value for name, value in filters.items() if value}
    if page > 1:
        params["page"] = page
    return f"?{urlencode(params)}" if params else ""


def _changeable(scope: Any, report: Report) -> Q:
    """Rows this user may change: not withdrawn, and for street staff in their own 街道."""
    changeable = ~Q(stage=SelfAssessment.Stage.WITHDRAWN)
    if not can_edit_report(scope, report):
        changeable &= Q(community__street_id=scope.street_id)
    return changeable


def _row_summary(row: SelfAssessment, numbers: Sequence[int]) -> dict[str, Any]:
    counts = row.counts(numbers)
    return {
        "meets": counts["meets"] + counts["not_applicable"],
        "in_progress": counts["in_progress"],
        "cells": [row.item_status(n) for n in numbers],
    }


# The mark of item n's state: the class comes from this fixed list, never from stored text. Item numbers have at
# most two digits (the forms and imports refuse more).
_CELLS: dict[tuple[int, str], str] = {
    (n, value): f'<i class="s-{value}" title="{n}"></i>' for n in range(1, 100) for value in SelfAssessment.ItemStatus
}
_COUNTED = {SelfAssessment.ItemStatus.MEETS, SelfAssessment.ItemStatus.NOT_APPLICABLE}


def _cells(items: Mapping[str, str], numbers: Sequence[int]) -> tuple[str, int]:
    """The marks of a row's items, and how many of them meet the standard (or do not apply)."""
    marks, meets = [], 0
    for n in numbers:
        state = items.get(str(n), "not_started")
        marks.append(_CELLS.get((n, state)) or _CELLS[(n, "not_started")])
        meets += state in _COUNTED
    return "".join(marks), meets


def _row_labels() -> dict[str, str]:
    """The column labels every row repeats (for the phone layout), translated once per page."""
    return {
        "choose": _("Choose"),
        "community": _("Community"),
        "street": _("Street-level unit"),
        "stage": _("Stage"),
        "items": _("Items"),
        "files": _("Files"),
        "edit": _("Edit"),
        "details": _("Details"),
        "saved": _("Saved"),
    }


_ROW_FIELDS = (
    "pk",
    "stage",
    "version",
    "items",
    "community__code",
    "community__name",
    "community__street_id",
    "community__street__name",
    "evidence_count",
)
_SOME_CODE = "000000000000"


class _RowMarkup:
    """The HTML of a community's row in the report's table, built in Python.

    Measured against the same rows from a template (the rows and their shared labels prepared in Python, one
    `{% for %}` in a partial, output identical): a page of 50 rows cost 27.7 ms of CPU through the template against
    2.4 ms here, and the report page of 滨海新区 in `make bench` went from 41 to 82 ms of CPU, over its 60 ms
    target. So the rows stay here: the labels are translated, the URLs reversed and the stage pickers' options built
    once per response; every stored text goes through `escape` (a test puts markup in a community's name), and the
    rest comes from fixed lists (the item marks' classes, the stages), never from stored text.
    """

    def __init__(self, report: Report) -> None:
        self.labels = {key: escape(label) for key, label in _row_labels().items()}
        self.row_base = reverse("report_rows", args=[report.pk])
        self.numbers = report.campaign.standard.item_numbers
        self.community_url = reverse("community_detail", args=[_SOME_CODE]).split(_SOME_CODE)
        choices = SelfAssessment.Stage.choices
        self.stage_names = {value: escape(label) for value, label in choices}
        self.stage_options = {
            current: "".join(
                f'<option value="{value}"{" selected" if value == current else ""}>{escape(label)}</option>'
                for value, label in choices
                if value != SelfAssessment.Stage.WITHDRAWN
            )
            for current in SelfAssessment.Stage.values
        }

    def row(
        self,
        row: Mapping[str, Any],
        *,
        choose_column: bool,
        editable: bool,
        linked: bool = True,
        saved: bool = False,
        error: str = "",
    ) -> str:
        """One row (`row` has `_ROW_FIELDS`); `editable` gives it a tick box, the stage picker and "Edit";
        `linked` links the community's page (not for a reader who cannot open it)."""
        labels, pk, stage = self.labels, int(row["pk"]), escape(row["stage"])
        name, code = escape(row["community__name"]), escape(row["community__code"])
        cells, meets = _cells(row["items"] or {}, self.numbers)
        html = [f'<tr id="row-{pk}" class="stage-{stage}{" just-saved" if saved else ""}">']
        if choose_column:
            box = f'<input type="checkbox" form="bulk" name="row" value="{pk}" aria-label="{name}">' if editable else ""
            html.append(f'<td data-label="{labels["choose"]}">{box}</td>')
        link = f'<a href="{self.community_url[0]}{code}{self.community_url[1]}">{name}</a>' if linked else name
        html.append(
            f'<td data-label="{labels["community"]}">{link} <span class="muted">{code}</span></td>'
            f'<td data-label="{labels["street"]}">{escape(row["community__street__name"])}</td>'
            f'<td data-label="{labels["stage"]}">'
        )
        if editable:
            html.append(
                f'<form hx-post="{self.row_base}{pk}/" hx-trigger="change" hx-target="closest tr" hx-swap="outerHTML"'
                ' class="inline"><input type="hidden" name="only" value="stage">'
                f'<input type="hidden" name="version" value="{int(row["version"])}">'
                f'<select name="stage" aria-label="{labels["stage"]} · {name}">'
                f"{self.stage_options.get(row['stage'], self.stage_options['not_started'])}</select></form>"
            )
        else:
            html.append(f'<span class="flag stage-{stage}">{self.stage_names.get(row["stage"], stage)}</span>')
        if error:
            html.append(f'<div class="errorlist" role="alert">{escape(error)}</div>')
        if saved:
            html.append(f'<span class="saved" role="status">{labels["saved"]}</span>')
        html.append(
            f'</td><td data-label="{labels["items"]}"><span class="cells">{cells}</span> {meets}/{len(self.numbers)}</td>'
            f'<td class="num" data-label="{labels["files"]}">{int(row["evidence_count"] or 0)}</td>'
            f'<td data-label=""><button type="button" class="secondary" hx-get="{self.row_base}{pk}/"'
            f' hx-target="closest tr" hx-swap="outerHTML">{labels["edit"] if editable else labels["details"]}'
            "</button></td></tr>\n"
        )
        return "".join(html)


def _row_fields(row: SelfAssessment, evidence_count: int) -> dict[str, Any]:
    """A row read as a model instance, in the shape `_RowMarkup.row` takes."""
    return {
        "pk": row.pk,
        "stage": row.stage,
        "version": row.version,
        "items": row.items,
        "community__code": row.community.code,
        "community__name": row.community.name,
        "community__street_id": row.community.street_id,
        "community__street__name": row.community.street.name,
        "evidence_count": evidence_count,
    }


def _row_editable(scope: Any, report: Report, stage: str, street_id: int | None) -> bool:
    return report.is_editable and stage != SelfAssessment.Stage.WITHDRAWN and can_edit_rows(scope, report, street_id)


def _rows_context(request: HttpRequest, report: Report) -> dict[str, Any]:
    """The table of community rows: one page of ROWS_PER_PAGE in 街道 and community order, with the filters."""
    scope = scope_of(request.user)
    filters = _row_filters(request.GET)
    editable = report.is_editable and can_edit_rows(scope, report)
    counts = _row_filter(report, **filters).aggregate(
        total=Count("pk"), changeable=Count("pk", filter=_changeable(scope, report))
    )
    pages = max(1, -(-counts["total"] // ROWS_PER_PAGE))
    number = min(_page_number(request.GET.get("page")), pages)
    start = (number - 1) * ROWS_PER_PAGE
    markup = _RowMarkup(report)
    rows_html = "".join(
        markup.row(
            row,
            choose_column=editable,
            editable=editable and _row_editable(scope, report, row["stage"], row["community__street_id"]),
            linked=scope.street_id in (None, row["community__street_id"]),
        )
        for row in _rows(report, **filters).values(*_ROW_FIELDS)[start : start + ROWS_PER_PAGE]
    )
    return {
        "rows_html": mark_safe(rows_html),  # noqa: S308 - every stored text escaped by _RowMarkup
        "total": counts["total"],
        "changeable": counts["changeable"],
        "pager": {
            "number": number,
            "pages": pages,
            "previous": _rows_query(filters, number - 1) if number > 1 else None,
            "next": _rows_query(filters, number + 1) if number < pages else None,
        },
        "query": _rows_query(filters, number),
        "rows_url": markup.row_base,
        "filters": filters,
        "rows_editable": editable,
        "stages": SelfAssessment.Stage.choices,
        "item_numbers": report.campaign.standard.item_numbers,
        "statuses": SelfAssessment.ItemStatus.choices,
    }


@login_required
@require_GET
def report_rows(request: HttpRequest, pk: int) -> HttpResponse:
    """The table alone, for the filters and the pager (htmx); the address bar then shows the page it stands for."""
    report = report_for(request.user, pk)
    if report.kind != Report.Kind.MONTHLY:
        raise Http404
    context = _rows_context(request, report)
    response = render(request, "reporting/partials/report_rows.html", {"report": report, **context})
    if _htmx(request):
        response["HX-Replace-Url"] = report.get_absolute_url() + context["query"]
    return response


def _row_context(request: HttpRequest, report: Report, row: SelfAssessment, **extra: Any) -> dict[str, Any]:
    scope = scope_of(request.user)
    categories = standard_categories(standard=row.standard_id)
    refinements = approved_by_item(report.district_id)
    values = extra.pop("values", None)
    groups = []
    for category in categories:
        entries = []
        for item in category.items.all():
            key = str(item.number)
            entries.append(
                {
                    "item": item,
                    "status": values["items"].get(key, "not_started") if values else row.item_status(item.number),
                    "note": values["notes"].get(key, "") if values else row.notes.get(key, ""),
                    "refinements": refinements.get(item.pk, []),
                }
            )
        groups.append((category, entries))
    files = list(
        Evidence.objects.current()
        .filter(
            owner_type__app_label="reporting", owner_type__model="report", owner_id=report.pk, community=row.community
        )
        .select_related("uploaded_by", "item")
    )
    return {
        "report": report,
        "row": row,
        "groups": groups,
        "stage": values["stage"] if values else row.stage,
        "version": values["version"] if values else row.version,
        "stages": [c for c in SelfAssessment.Stage.choices if c[0] != SelfAssessment.Stage.WITHDRAWN],
        "statuses": SelfAssessment.ItemStatus.choices,
        "editable": _row_editable(scope, report, row.stage, row.community.street_id),
        "files": files,
        **extra,
    }


def _row_for(request: HttpRequest, report: Report, row_pk: int) -> SelfAssessment:
    return get_object_or_404(
        SelfAssessment.objects.visible_to(request.user).select_related("community__street", "standard"),
        pk=row_pk,
        district_id=report.district_id,
        period=report.period,
    )


def _row_response(
    request: HttpRequest, report: Report, row: SelfAssessment, *, status: int = 200, **state: Any
) -> HttpResponse:
    """One row of the table (after a save, or closing its form), as the table shows it."""
    scope = scope_of(request.user)
    files = (
        Evidence.objects.current()
        .filter(
            owner_type__app_label="reporting", owner_type__model="report", owner_id=report.pk, community=row.community
        )
        .count()
    )
    markup = _RowMarkup(report).row(
        _row_fields(row, files),
        choose_column=report.is_editable and can_edit_rows(scope, report),
        editable=_row_editable(scope, report, row.stage, row.community.street_id),
        linked=scope.street_id in (None, row.community.street_id),
        **state,
    )
    return HttpResponse(markup, status=status)


@login_required
def report_row(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    """GET: one community's row opened for editing (or reading). POST: save it, with the version it was read at."""
    report = report_for(request.user, pk, write=request.method == "POST")
    if report.kind != Report.Kind.MONTHLY:
        raise Http404
    row = _row_for(request, report, row_pk)
    if request.method == "GET":
        if request.GET.get("view") == "summary":
            return _row_response(request, report, row)
        return render(request, "reporting/partials/report_row_form.html", _row_context(request, report, row))
    if request.method != "POST":
        return HttpResponse(status=405)
    if not can_edit_rows(scope_of(request.user), report, row.community.street_id):
        raise PermissionDenied
    values: dict[str, Any] = {
        "stage": request.POST.get("stage", "")[:20],
        "items": {str(n): request.POST.get(f"item-{n}", "")[:20] for n in row.standard.item_numbers},
        "notes": {str(n): request.POST.get(f"note-{n}", "")[:2000] for n in row.standard.item_numbers},
    }
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    only_stage = request.POST.get("only") == "stage"
    if only_stage:  # the stage picker in the table: keep the items as they are
        values["items"], values["notes"] = dict(row.items), dict(row.notes)
    try:
        row = assessment_save(
            report=report,
            assessment=row,
            version=version,
            stage=values["stage"],
            items=values["items"],
            notes=values["notes"],
            by=request.user,
        )
    except ReportConflict as conflict:
        context = _row_context(
            request, report, row, values={**values, "version": conflict.current_version}, conflict=conflict
        )
        return render(
            request, "reporting/partials/report_row_form.html", context, status=200 if _htmx(request) else 409
        )
    except ReportError as error:
        status = 200 if _htmx(request) else 400
        if only_stage:
            return _row_response(request, report, row, status=status, error=str(error))
        context = _row_context(request, report, row, values={**values, "version": version}, error=str(error))
        return render(request, "reporting/partials/report_row_form.html", context, status=status)
    if not _htmx(request):
        messages.success(request, _("Saved."))
        return redirect(report)
    return _row_response(request, report, _row_for(request, report, row.pk), saved=True)


@login_required
@require_POST
def report_rows_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the stage, or one item, on many rows at once (the page has asked for confirmation first).

    What changes is what the officer sees ticked. The table shows one page of rows at a time and a tick lives on its
    page: turning the page or changing a filter redraws the table without ticks, so no tick is ever left hidden on
    another page. To change every row the filters match, on every page, the officer ticks "all N matching" instead;
    the rows are then found again here, and the change is refused unless they are still the N that were confirmed.
    Afterwards the table comes back with the same filters and page.
    """
    report = report_for(request.user, pk, write=True)
    scope = scope_of(request.user)
    if report.kind != Report.Kind.MONTHLY:
        raise Http404
    filters = _row_filters(request.POST, prefix="filter_")
    back = f"{report.get_absolute_url()}{_rows_query(filters, _page_number(request.POST.get('page')))}#rows"
    try:
        ids = [int(i) for i in request.POST.getlist("row")]
        item = int(request.POST["item"]) if request.POST.get("item") else None
    except ValueError:
        ids, item = [], None
    if request.POST.get("matching"):
        matching = _row_filter(report, **filters).filter(_changeable(scope, report))
        ids = list(matching.order_by("pk").values_list("pk", flat=True))
        if str(len(ids)) != request.POST["matching"]:
            messages.error(
                request,
                _(
                    "%(count)d communities match the filters now, not the number you confirmed; nothing was "
                    "changed. Check the table and apply again."
                )
                % {"count": len(ids)},
            )
            return redirect(back)
    elif scope.is_street_staff:
        assert scope.street_id is not None  # street staff always have their street
        # Street staff may only touch their own street's rows.
        allowed = set(
            SelfAssessment.objects.filter(pk__in=ids, community__street_id=scope.street_id).values_list("pk", flat=True)
        )
        if allowed != set(ids):
            raise PermissionDenied
    stage = request.POST.get("stage", "")
    item_status = request.POST.get("item_status", "")
    if stage and stage not in SelfAssessment.Stage.values:
        stage = "invalid"
    try:
        changed = assessments_bulk_set(
            report=report, ids=ids, by=request.user, stage=stage, item=item, item_status=item_status
        )
    except ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)d rows changed.") % {"count": changed})
    return redirect(back)


# --- the workflow ---------------------------------------------------------------------------------------------


def _transition_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope = scope_of(request.user)
    report = report_for(request.user, pk)
    try:
        if action == "submit":
            if not can_edit_report(scope, report):
                raise PermissionDenied
            report_submit(report=report, by=request.user)
            messages.success(request, _("Submitted. The commission has been told."))
        elif action == "return":
            if not can_review(scope):
                raise PermissionDenied
            form = CommentForm(request.POST)
            if not form.is_valid():
                raise ReportError(_("Say what needs to change before returning the report."))
            report_return(report=report, comment=form.cleaned_data["comment"], by=request.user)
            messages.success(request, _("Returned to the filer with your comments."))
        elif action == "accept":
            if not can_review(scope):
                raise PermissionDenied
            report_accept(report=report, by=request.user, comment=request.POST.get("comment", "")[:5000])
            messages.success(request, _("Accepted. The report is now locked."))
        elif action == "unlock":
            if not can_review(scope):
                raise PermissionDenied
            unlock_form = UnlockForm(request.POST)
            if not unlock_form.is_valid():
                errors = [str(e) for field_errors in unlock_form.errors.values() for e in field_errors]
                raise ReportError(" ".join(errors))
            report_unlock(report=report, reason=unlock_form.cleaned_data["reason"], by=request.user)
            messages.success(request, _("Unlocked. The report went back to its filer."))
    except ReportError as error:
        messages.error(request, str(error))
    return redirect(report)


@login_required
@require_POST
def report_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "submit")


@login_required
@require_POST
def report_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "return")


@login_required
@require_POST
def report_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "accept")


@login_required
@require_POST
def report_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "unlock")


@login_required
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    context = _report_context(request, report)
    if report.kind == Report.Kind.MONTHLY:
        rows = list(_rows(report))
        numbers = report.campaign.standard.item_numbers
        context["print_rows"] = [{"row": r, "summary": _row_summary(r, numbers)} for r in rows]
        context["items"] = campaign_items(report.campaign)
    context["attachments"] = _attachments(request.user, report)
    return render(request, "reporting/report_print.html", context)


def _attachments(user: Any, report: Report) -> QuerySet[Evidence]:
    """Every file attached to the report and not removed, as far as the reader may see it: the report's own files,
    and its communities' files within the reader's scope (a street's staff see their street's). The report's own
    first, then by community and upload time."""
    owned = Evidence.objects.current().filter(
        owner_type__app_label="reporting", owner_type__model="report", owner_id=report.pk
    )
    visible = owned.filter(community__isnull=True) | owned.visible_to(user).filter(community__isnull=False)
    return visible.select_related("uploaded_by", "community", "item").order_by(
        F("community__code").asc(nulls_first=True), "uploaded_at", "pk"
    )
