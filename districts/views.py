"""Roster pages owned by `districts`: the survey edit and the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .access import community_for
from .forms import CommunitySurveyForm
from .models import AuditEntry
from .scope import scope_of
from .services import SURVEY_FIELDS, community_update_survey


@login_required
def community_edit(request: HttpRequest, code: str) -> HttpResponse:
    community = community_for(request.user, code, write=True)
    form = CommunitySurveyForm(request.POST or None, instance=community)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in SURVEY_FIELDS}
        try:
            community_update_survey(community=community, by=request.user, data=data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The survey of %(name)s was saved.") % {"name": community.name})
            return redirect("community_detail", code=community.code)
    # The form worked on the instance in place; show the stored name in the heading, not the typed one.
    community.refresh_from_db(fields=["name"])
    return render(request, "districts/community_edit.html", {"community": community, "form": form})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope.is_commission:
        entries = AuditEntry.objects.all()
    elif scope.is_district_staff and scope.district_id:
        entries = AuditEntry.objects.filter(district_id=scope.district_id)
    else:
        raise PermissionDenied
    action = request.GET.get("action", "")
    if action in AuditEntry.Action.values:
        entries = entries.filter(action=action)
    entries = entries.select_related("actor", "district", "content_type")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "districts/audit_list.html",
        {"page": page, "actions": AuditEntry.Action.choices, "action": action},
    )
