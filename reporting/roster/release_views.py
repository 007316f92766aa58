"""The commission's roster-release pages: upload a release with its effective date and scope, see the preview with
what closing units means for the campaign, confirm (applied in the background, with progress), and the list of past
releases. Only the commission's administrators; anyone else gets 404."""

from __future__ import annotations

import contextlib
import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from districts.models import RosterRelease
from districts.releases.diff import CLASSES
from districts.releases.reading import ReleaseError
from districts.releases.services import release_discard, release_store, release_stored_preview
from districts.scope import scope_of
from reporting.roster.releases import closure_consequences, release_apply_request

Status = RosterRelease.Status
PAST = 30


def _require_admin(request: HttpRequest) -> None:
    if not scope_of(request.user).is_commission_admin:
        raise Http404


def _release(request: HttpRequest, pk: int) -> RosterRelease:
    _require_admin(request)
    return get_object_or_404(RosterRelease, pk=pk)


def _class_labels() -> list[tuple[str, str]]:
    labels = {
        "added": _("added"),
        "closed": _("closed"),
        "renamed": _("renamed"),
        "moved": _("moved to another parent"),
        "kind_changed": _("kind changed"),
        "unchanged": _("unchanged"),
    }
    return [(name, labels[name]) for name in CLASSES]


@login_required
@require_http_methods(["GET", "POST"])
def roster_releases(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    problems: list[str] = []
    values = {"effective_on": request.POST.get("effective_on", ""), "scope": request.POST.get("scope", "")[:500]}
    if request.method == "POST":
        upload = request.FILES.get("file")
        effective_on = None
        try:
            effective_on = datetime.date.fromisoformat(values["effective_on"])
        except ValueError:
            problems.append(_("Enter the effective date as YYYY-MM-DD, e.g. 2022-01-01."))
        if upload is None:
            problems.append(_("Choose the release file (CSV or xlsx)."))
        if not problems and upload is not None and effective_on is not None:
            try:
                release, _diff = release_store(
                    content=upload.read(),
                    filename=(upload.name or "").rsplit("/", 1)[-1],
                    effective_on=effective_on,
                    scope=values["scope"],
                    by=request.user,
                )
            except ReleaseError as exc:
                problems = exc.problems
            else:
                return redirect("roster_release", pk=release.pk)
    past = RosterRelease.objects.select_related("uploaded_by", "applied_by").order_by("-uploaded_at", "-id")[:PAST]
    return render(
        request,
        "reporting/roster_releases.html",
        {
            "problems": problems[:50],
            "more_problems": max(0, len(problems) - 50),
            "values": values,
            "today": timezone.localdate(),
            "past": past,
        },
        status=400 if problems else 200,
    )


@login_required
@require_GET
def roster_release(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(request, pk)
    context: dict = {"release": release, "classes": _class_labels()}
    if release.status == Status.PREVIEW:
        try:
            diff = release_stored_preview(release)
        except ReleaseError as exc:
            # The roster changed since the upload in a way the release no longer fits.
            context["problems"] = exc.problems[:50]
        else:
            context["diff"] = diff
            labels = _class_labels()
            context["counts"] = [(name, label, diff.counts[name]) for name, label in labels]
            context["samples"] = [
                (name, label, diff.samples[name])
                for name, label in labels
                if name != "unchanged" and diff.samples[name]
            ]
            context["consequences"] = closure_consequences(diff.closed_communities)
    return render(request, "reporting/roster_release.html", context)


@login_required
@require_POST
def roster_release_apply(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(request, pk)
    # Already applied or discarded: the page it returns to says which.
    with contextlib.suppress(ReleaseError):
        release_apply_request(release=release, by=request.user)
    return redirect("roster_release", pk=release.pk)


@login_required
@require_POST
def roster_release_discard(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(request, pk)
    with contextlib.suppress(ReleaseError):
        release_discard(release=release, by=request.user)
    return redirect("roster_releases")


@login_required
@require_GET
def roster_release_status(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(request, pk)
    return render(request, "reporting/partials/roster_release_status.html", {"release": release})
