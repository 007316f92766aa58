"""The documents page: ask for a PDF, watch it being made (an htmx fragment polled every second), download it.

Who sees what: the commission every document; a district's staff their district's monthly reports and their
communities' acceptance records; a department's staff the city bulletin and the annual compilation; nobody else
(404). Whoever may see a document may also ask for it to be made again.

The page is for one campaign, the one picked in the top bar (by default the current one): it lists that campaign's
documents, and a document asked for from it is made for that campaign (the form posts the campaign it shows).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from districts.models import Community, District
from districts.scope import Scope, scope_of
from reporting.campaigns.selectors import selected_campaign
from reporting.documents.build import DocumentError, document_spec
from reporting.documents.tasks import document_request
from reporting.models import GeneratedDocument

Kind = GeneratedDocument.Kind
CITY_KINDS = (Kind.CITY_BULLETIN, Kind.ANNUAL)
DISTRICT_KINDS = (Kind.DISTRICT_MONTHLY, Kind.ACCEPTANCE_RECORD)


def _kinds_for(scope: Scope) -> tuple[str, ...]:
    if scope.is_commission:
        return tuple(Kind.values)
    if scope.role == "department_staff":
        return CITY_KINDS
    if scope.is_district_staff:
        return DISTRICT_KINDS
    return ()


def documents_visible_to(user: Any) -> QuerySet[GeneratedDocument]:
    scope = scope_of(user)
    documents = GeneratedDocument.objects.all()
    if scope.is_commission:
        return documents
    if scope.role == "department_staff":
        return documents.filter(kind__in=CITY_KINDS)
    if scope.is_district_staff and scope.district_id:
        own_community = Exists(Community.objects.filter(code=OuterRef("scope_code"), district_id=scope.district_id))
        return documents.filter(
            Q(kind=Kind.DISTRICT_MONTHLY, scope_code=scope.district_code)
            | Q(own_community, kind=Kind.ACCEPTANCE_RECORD)
        )
    return documents.none()


def _may_request(scope: Scope, kind: str, scope_code: str) -> bool:
    """Whether the user may ask for this document. An unknown code is let through: the service names the mistake."""
    if kind not in _kinds_for(scope):
        return False
    if scope.is_commission or kind in CITY_KINDS:
        return True
    if kind == Kind.DISTRICT_MONTHLY:
        return scope_code in ("", scope.district_code)
    community = Community.objects.filter(code=scope_code).only("district_id").first()
    return community is None or community.district_id == scope.district_id


def document_for(user: Any, pk: int) -> GeneratedDocument:
    return get_object_or_404(documents_visible_to(user).select_related("campaign"), pk=pk)


def document_filename(document: GeneratedDocument) -> str:
    """The download's name in the portal's language, e.g. 天津市绿色社区创建工作情况通报（2022年6月）.pdf."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return document_spec(
                kind=document.kind, period=document.period, scope_code=document.scope_code, campaign=document.campaign
            ).filename
        except DocumentError:
            # The campaign moved on since the file was made; its plain key still names it.
            return "-".join(part for part in (document.kind, document.period, document.scope_code) if part) + ".pdf"


def _scope_names(documents: list[GeneratedDocument]) -> dict[str, str]:
    codes = {d.scope_code for d in documents if d.scope_code}
    names = dict(District.objects.filter(code__in=codes).values_list("code", "name"))
    for code, name, district in Community.objects.filter(code__in=codes).values_list("code", "name", "district__name"):
        names[code] = f"{district} {name}"
    return names


@login_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    kinds = _kinds_for(scope)
    if not kinds:
        raise Http404
    campaign = selected_campaign(request)  # and the picker in the top bar
    rows = list(
        documents_visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")
    )
    names = _scope_names(rows)
    return render(
        request,
        "reporting/documents.html",
        {
            "campaign": campaign,
            # The month field's example is a month of this campaign: its last begun month.
            "period_example": min(timezone.localdate(), campaign.ends_on).strftime("%Y-%m") if campaign else "",
            "rows": [(document, names.get(document.scope_code, document.scope_code)) for document in rows],
            "kinds": [(value, label) for value, label in Kind.choices if value in kinds],
            "districts": District.objects.visible_to(request.user).order_by("code")
            if Kind.DISTRICT_MONTHLY in kinds
            else [],
            "asks_community": Kind.ACCEPTANCE_RECORD in kinds,
        },
    )


@login_required
@require_POST
def document_request_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not _kinds_for(scope):
        raise Http404
    kind = request.POST.get("kind", "")[:20]
    period = request.POST.get("period", "")[:20].strip()
    scope_code = ""
    if kind == Kind.DISTRICT_MONTHLY:
        scope_code = request.POST.get("district", "")[:12].strip()
    elif kind == Kind.ACCEPTANCE_RECORD:
        # The acceptance record covers every inspection to date, whatever period the form still holds.
        scope_code, period = request.POST.get("community", "")[:12].strip(), ""
    if kind in Kind.values and not _may_request(scope, kind, scope_code):
        raise Http404
    # The form's address names the campaign the page showed, whatever the session has picked since.
    campaign = selected_campaign(request)
    try:
        document = document_request(kind=kind, period=period, scope_code=scope_code, by=request.user, campaign=campaign)
    except DocumentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("“%(name)s” is being made; this page shows when it is ready.")
            % {"name": document_filename(document).removesuffix(".pdf")},
        )
    return redirect("documents")


@login_required
@require_GET
def document_status(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_for(request.user, pk)
    return render(request, "reporting/partials/document_status.html", {"document": document})


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = document_for(request.user, pk)
    if document.status != GeneratedDocument.Status.DONE or not document.file:
        raise Http404("the document is not ready")
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("the document's file is missing") from error
    return FileResponse(
        handle, as_attachment=True, filename=document_filename(document), content_type="application/pdf"
    )
