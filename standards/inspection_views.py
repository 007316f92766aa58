"""The inspector's checklist for year-end acceptance, made for a phone on site.

An inspector opens an assigned community, answers the 16 items one by one (each answer is saved on its own, so a
dropped connection loses at most what the browser still holds and sends again), adds photos, then signs. The
signed record is read-only and readable by the team, the commission, the city's departments and the community's
own district and street. Only the team's members may answer, upload or sign; anyone else gets a 404.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import acceptance
from .acceptance import AcceptanceError, RoundClosed, answer_save, inspection_photo_add, inspection_start
from .evidence import EvidenceError, evidence_for
from .models import (
    Assignment,
    Evidence,
    Inspection,
    InspectionAnswer,
    Refinement,
    SelfAssessment,
    StandardItem,
)
from .refinements import approved_by_item
from .selectors import standard_categories, standard_items

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _member_inspections(user: Any) -> QuerySet[Inspection]:
    """Inspections of the assignments the user's teams hold; `__in` keeps one row per inspection."""
    return Inspection.objects.filter(assignment__in=Assignment.objects.for_member(user))


def _inspection_for_member(user: Any, pk: int) -> Inspection:
    return get_object_or_404(
        _member_inspections(user).select_related("community__street", "district", "round__standard"), pk=pk
    )


def inspections_visible_to(user: Any) -> QuerySet[Inspection]:
    return Inspection.objects.visible_to(user)


def _item_number(raw: str | None, inspection: Inspection) -> int | None:
    """The number, when the inspection's round standard has an item of that number."""
    raw = (raw or "").strip()
    number = int(raw) if raw.isdecimal() and raw.isascii() and len(raw) < 4 else 0
    return number if number in inspection.round.standard.item_numbers else None


def _no_such_item(raw: str | None) -> str:
    return _("There is no item %(number)s.") % {"number": (raw or "").strip()[:10] or "—"}


def _signed_message() -> str:
    return _("This inspection is signed and can no longer be changed; a correction is a new inspection.")


def _json(payload: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def _refusal(item: int | None, message: str, status: int = 400) -> JsonResponse:
    return _json({"ok": False, "item": item, "error": message}, status=status)


def _is_signed_now(inspection: Inspection) -> bool:
    return Inspection.objects.filter(pk=inspection.pk, status=Inspection.Status.SIGNED).exists()


def _choices(item: StandardItem) -> list[tuple[str, StrOrPromise]]:
    return [
        (value, label)
        for value, label in InspectionAnswer.Result.choices
        if value != InspectionAnswer.Result.NOT_APPLICABLE or item.allows_not_applicable
    ]


def _sub_check_rows(refinements: list[Refinement], answer: InspectionAnswer | None) -> list[dict[str, Any]]:
    """Each approved sub-indicator of an item with what the inspector marked ("" for not checked)."""
    marked = (answer.sub_checks if answer else None) or {}
    return [{"refinement": r, "value": marked.get(str(r.pk), "")} for r in refinements]


def _sub_checks_posted(request: HttpRequest) -> dict[str, str]:
    """The sub-indicator checks sent with an answer, `sub-<refinement id>`: met, not_met, or "" (not checked)."""
    return {
        key[4:]: request.POST.get(key, "")[:20]
        for key in request.POST
        if key.startswith("sub-") and key[4:].isdecimal() and key[4:].isascii()
    }


def _files_by_item(files: list[Evidence]) -> dict[int | None, list[Evidence]]:
    grouped: dict[int | None, list[Evidence]] = defaultdict(list)
    for file in files:
        grouped[file.item_id].append(file)
    return grouped


@login_required
@require_GET
def inspection_assignments(request: HttpRequest) -> HttpResponse:
    """The communities the user's teams are to inspect, rounds still open first, those not yet signed first."""
    today = timezone.localdate()
    inspections = Inspection.objects.filter(assignment=OuterRef("pk"))
    signed = inspections.filter(status=Inspection.Status.SIGNED).order_by("-signed_at", "-pk")
    answered = (
        InspectionAnswer.objects.filter(
            inspection__assignment=OuterRef("pk"), inspection__status=Inspection.Status.OPEN
        )
        .order_by()
        .values("inspection__assignment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    assignments = (
        Assignment.objects.for_member(request.user)
        .select_related("round", "team", "community__street", "district")
        .annotate(
            round_closed=Case(When(round__closes_on__lt=today, then=Value(True)), default=Value(False)),
            started=Exists(inspections.filter(status=Inspection.Status.OPEN)),
            answered=Coalesce(Subquery(answered), 0),
            done=Exists(signed),
            signed_pk=Subquery(signed.values("pk")[:1]),
            signed_passed=Subquery(signed.values("passed")[:1]),
            item_count=Subquery(
                StandardItem.objects.filter(version=OuterRef("round__standard"))
                .values("version")
                .annotate(n=Count("pk"))
                .values("n")
            ),
        )
        .order_by("round_closed", "-round__opens_on", "round_id", "done", "community__code")
    )
    return render(
        request,
        "standards/inspect_assignments.html",
        {"assignments": assignments, "today": today},
    )


@login_required
@require_GET
def inspection_checklist(request: HttpRequest, assignment_pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.for_member(request.user).select_related("community__street", "district", "round", "team"),
        pk=assignment_pk,
    )
    latest = assignment.inspections.order_by("-started_at", "-pk").first()
    if latest is not None and latest.is_signed:
        return redirect("inspection_record", pk=latest.pk)
    # Opening the page changes nothing: the inspection starts when the first answer or photo is sent (a POST).
    inspection = latest

    community = assignment.community
    assessment = SelfAssessment.objects.filter(community=community).order_by("-period").first()
    answers = {a.item_id: a for a in inspection.answers.all()} if inspection else {}
    files = list(
        Evidence.objects.current().visible_to(request.user).filter(community=community).select_related("uploaded_by")
    )
    inspection_type = ContentType.objects.get_for_model(Inspection)
    # The inspector's own photos sit with the answers; everything else is what the community put forward.
    own_pk = inspection.pk if inspection else None
    taken_here = [f.owner_type_id == inspection_type.pk and f.owner_id == own_pk for f in files]
    photos = _files_by_item([f for f, here in zip(files, taken_here, strict=True) if here])
    community_files = _files_by_item([f for f, here in zip(files, taken_here, strict=True) if not here])
    categories = standard_categories(standard=assignment.round.standard_id)
    # The district's approved sub-indicators guide the check of each item; the answer stays the item's.
    refinements = approved_by_item(assignment.district_id)
    sections = []
    for category in categories:
        rows = []
        for item in category.items.all():
            status = assessment.item_status(item.number) if assessment else ""
            rows.append(
                {
                    "item": item,
                    "answer": answers.get(item.pk),
                    "choices": _choices(item),
                    "self_status": dict(SelfAssessment.ItemStatus.choices).get(status, "") if assessment else "",
                    "self_status_key": status,
                    "self_note": assessment.notes.get(str(item.number), "") if assessment else "",
                    "files": community_files.get(item.pk, []),
                    "photos": photos.get(item.pk, []),
                    "sub_checks": _sub_check_rows(refinements.get(item.pk, []), answers.get(item.pk)),
                }
            )
        sections.append({"category": category, "rows": rows})
    closed = assignment.round.is_closed_on(timezone.localdate())
    return render(
        request,
        "standards/inspect_checklist.html",
        {
            "assignment": assignment,
            "round_closed_message": acceptance.round_closed_message(assignment.round) if closed else "",
            "inspection": inspection,
            "community": community,
            "assessment": assessment,
            "general_files": community_files.get(None, []),
            "sections": sections,
            "answered": len(answers),
            "item_count": assignment.round.standard.item_count,
        },
    )


def _inspection_urls(inspection: Inspection) -> dict[str, str]:
    return {
        "answer_url": reverse("inspection_answer", args=[inspection.pk]),
        "photo_url": reverse("inspection_photo", args=[inspection.pk]),
        "sign_url": reverse("inspection_sign", args=[inspection.pk]),
    }


@login_required
@require_POST
def inspection_start_view(request: HttpRequest, assignment_pk: int) -> JsonResponse:
    """Start the assignment's inspection, or return the one already open. The checklist asks for it just before
    it sends the first answer or photo, and again after a dropped line: starting twice is one inspection."""
    assignment = get_object_or_404(Assignment.objects.for_member(request.user), pk=assignment_pk)
    try:
        inspection = inspection_start(assignment=assignment, by=request.user)
    except AcceptanceError as exc:
        return _refusal(None, str(exc), status=409)
    return _json({"ok": True, "inspection": inspection.pk, **_inspection_urls(inspection)})


@login_required
@require_POST
def inspection_answer(request: HttpRequest, inspection_pk: int) -> JsonResponse:
    """Save one item's answer. Repeating the same answer is harmless: the browser resends after a dropped line."""
    inspection = _inspection_for_member(request.user, inspection_pk)
    raw = request.POST.get("item")
    number = _item_number(raw, inspection)
    if inspection.is_signed:
        return _refusal(number, _signed_message(), status=409)
    if number is None:
        return _refusal(None, _no_such_item(raw))
    try:
        answer = answer_save(
            inspection=inspection,
            item_number=number,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
            sub_checks=_sub_checks_posted(request),
            by=request.user,
        )
    except AcceptanceError as exc:
        # Signed by a teammate, or the round ended, since the page loaded: a conflict, not a bad answer.
        conflict = isinstance(exc, RoundClosed) or _is_signed_now(inspection)
        return _refusal(number, str(exc), status=409 if conflict else 400)
    return _json(
        {
            "ok": True,
            "item": number,
            "result": answer.result,
            "saved_at": timezone.localtime(answer.answered_at).isoformat(timespec="seconds"),
        }
    )


@login_required
@require_POST
def inspection_photo(request: HttpRequest, inspection_pk: int) -> JsonResponse:
    inspection = _inspection_for_member(request.user, inspection_pk)
    raw = request.POST.get("item")
    number = _item_number(raw, inspection)
    if inspection.is_signed:
        return _refusal(number, _signed_message(), status=409)
    if number is None:
        return _refusal(None, _no_such_item(raw))
    item = StandardItem.objects.get(version_id=inspection.round.standard_id, number=number)
    try:
        evidence = inspection_photo_add(
            inspection=inspection, item=item, upload=request.FILES.get("file"), by=request.user
        )
    except AcceptanceError as exc:
        return _refusal(number, str(exc), status=409)
    except EvidenceError as exc:
        return _refusal(number, exc.message)
    return _json(
        {
            "ok": True,
            "item": number,
            "name": evidence.original_name,
            "url": evidence.get_absolute_url(),
            "thumbnail": evidence.thumbnail_url,
        }
    )


def _sign_summary(inspection: Inspection) -> dict[str, Any]:
    answers = {a.item_id: a for a in inspection.answers.all()}
    rows: list[dict[str, Any]] = [
        {"item": item, "answer": answers.get(item.pk)} for item in standard_items(standard=inspection.round.standard_id)
    ]
    results = [row["answer"].result for row in rows if row["answer"]]
    return {
        "rows": rows,
        "missing": [row["item"] for row in rows if row["answer"] is None],
        "failures": [row for row in rows if row["answer"] and row["answer"].result == InspectionAnswer.Result.FAILS],
        "counts": {key: results.count(key) for key in InspectionAnswer.Result.values},
    }


@login_required
@require_http_methods(["GET", "POST"])
def inspection_sign(request: HttpRequest, inspection_pk: int) -> HttpResponse:
    inspection = _inspection_for_member(request.user, inspection_pk)
    if inspection.is_signed and request.method == "GET":
        return redirect("inspection_record", pk=inspection.pk)
    error, status = "", 200
    round_closed = inspection.round.is_closed_on(timezone.localdate())
    if inspection.is_signed:
        error, status = _signed_message(), 409
    elif round_closed:
        error, status = acceptance.round_closed_message(inspection.round), 409 if request.method == "POST" else 200
    elif request.method == "POST":
        if not request.POST.get("confirm"):
            error, status = _("Tick the box to confirm the findings before signing."), 400
        else:
            try:
                acceptance.inspection_sign(
                    inspection=inspection, by=request.user, summary=request.POST.get("summary", "")
                )
            except AcceptanceError as exc:
                conflict = isinstance(exc, RoundClosed) or _is_signed_now(inspection)
                error, status = str(exc), 409 if conflict else 400
            else:
                messages.success(request, _("The inspection is signed. The record below can no longer be changed."))
                return redirect("inspection_record", pk=inspection.pk)
    return render(
        request,
        "standards/inspect_sign.html",
        {
            "inspection": inspection,
            "assignment_pk": inspection.assignment_id,
            "round_closed": round_closed,
            "error": error,
            "summary_text": request.POST.get("summary", ""),
            "item_count": inspection.round.standard.item_count,
            **_sign_summary(inspection),
        },
        status=status,
    )


@login_required
@require_GET
def inspection_record(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_object_or_404(
        inspections_visible_to(request.user).select_related(
            "community__street", "district", "round", "assignment__team", "signed_by", "started_by"
        ),
        pk=pk,
    )
    answers = {a.item_id: a for a in inspection.answers.select_related("answered_by")}
    photos = _files_by_item(list(evidence_for(inspection).visible_to(request.user)))
    # The sub-indicators as they were checked, withdrawn since or not (one query).
    checked = {int(pk) for a in answers.values() for pk in (a.sub_checks or {})}
    refinements = Refinement.objects.in_bulk(checked) if checked else {}
    labels = dict(InspectionAnswer.SubCheck.choices)
    rows = [
        {
            "item": item,
            "answer": answers.get(item.pk),
            "photos": photos.get(item.pk, []),
            "sub_checks": [
                {"refinement": refinements[int(pk)], "value": value, "label": labels.get(value, value)}
                for pk, value in ((answers[item.pk].sub_checks or {}) if item.pk in answers else {}).items()
                if int(pk) in refinements
            ],
        }
        for item in standard_items(standard=inspection.round.standard_id)
    ]
    results = [a.result for a in answers.values()]
    return render(
        request,
        "standards/inspection_record.html",
        {
            "inspection": inspection,
            "rows": rows,
            "counts": {key: results.count(key) for key in InspectionAnswer.Result.values},
            "members": inspection.assignment.team.members.order_by("username"),
            "rectifications": inspection.rectifications.select_related("item"),
            "is_member": _member_inspections(request.user).filter(pk=inspection.pk).exists(),
            "item_count": inspection.round.standard.item_count,
        },
    )
