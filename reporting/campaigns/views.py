"""The commission opens a campaign: its dates, phases, milestones, deadlines and a copy of an earlier standard,
whose items it edits before the campaign is made current (a separate, confirmed step)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from districts.scope import scope_of
from reporting.campaigns.forms import CampaignForm, ItemForm, MilestoneFormSet, PhaseFormSet
from reporting.campaigns.selectors import request_campaigns, selected_campaign
from reporting.campaigns.services import CampaignError, MilestoneSpec, PhaseSpec, campaign_make_current, campaign_open
from reporting.models import Campaign
from standards.models import StandardItem
from standards.selectors import standard_categories
from standards.standard_excel import COLUMNS, standard_rows_read
from standards.versions import (
    ImportRow,
    StandardVersionError,
    standard_item_add,
    standard_item_remove,
    standard_item_update,
    standard_version_copy,
    standard_version_import,
)


def _require_admin(request: HttpRequest) -> None:
    """Campaigns are the commission administrators' to open; to anyone else the pages do not exist."""
    if not scope_of(request.user).is_commission_admin:
        raise Http404


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    _require_admin(request)
    return get_object_or_404(Campaign.objects.select_related("standard"), pk=pk)


@login_required
@require_http_methods(["GET"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    selected_campaign(request)  # the picker in the top bar
    return render(request, "reporting/campaign_list.html", {"campaigns": request_campaigns(request)})


def _filled(formset: Any) -> list[dict[str, Any]]:
    return [form.cleaned_data for form in formset.forms if form.cleaned_data]


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data)
    phases = PhaseFormSet(data, prefix="phase")
    milestones = MilestoneFormSet(data, prefix="milestone")
    error, status = "", 200
    if data is not None:
        status = 400
        if form.is_valid() and phases.is_valid() and milestones.is_valid():
            fields = form.cleaned_data
            annual = (fields["annual_month"], fields["annual_day"]) if fields.get("annual_month") else None
            try:
                # The copy and the campaign together: a refused campaign leaves no orphan standard behind.
                with transaction.atomic():
                    standard = standard_version_copy(
                        source=fields["copy_from"], name=fields["standard_name"], by=request.user
                    )
                    campaign = campaign_open(
                        name=fields["name"],
                        issued_by=fields["issued_by"],
                        starts_on=fields["starts_on"],
                        ends_on=fields["ends_on"],
                        standard=standard,
                        monthly_due_day=fields["monthly_due_day"],
                        annual_due=annual,
                        phases=[PhaseSpec(**p) for p in _filled(phases)],
                        milestones=[MilestoneSpec(**m) for m in _filled(milestones)],
                        by=request.user,
                    )
            except (CampaignError, StandardVersionError) as exc:
                error = str(exc)
            else:
                messages.success(request, _("The campaign is opened. Edit its standard before it is made current."))
                return redirect("campaign_standard", pk=campaign.pk)
    return render(
        request,
        "reporting/campaign_new.html",
        {"form": form, "phases": phases, "milestones": milestones, "error": error},
        status=status,
    )


def _standard_context(campaign: Campaign, **extra: Any) -> dict[str, Any]:
    version = campaign.standard
    editable = not version.is_in_use()
    categories = list(standard_categories(standard=version))
    rows = [
        {
            "category": category,
            "items": [
                {
                    "item": item,
                    "form": ItemForm(
                        version=version, categories=categories, initial=_initial(item), prefix=f"item-{item.pk}"
                    ),
                }
                for item in category.items.all()
            ],
        }
        for category in categories
    ]
    return {
        "campaign": campaign,
        "version": version,
        "editable": editable,
        "categories": rows,
        "add_form": ItemForm(version=version, categories=categories, prefix="new"),
        **extra,
    }


def _initial(item: StandardItem) -> dict[str, Any]:
    return {"text": item.text, "category": item.category_id, "allows_not_applicable": item.allows_not_applicable}


@login_required
@require_http_methods(["GET"])
def campaign_standard(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return render(request, "reporting/campaign_standard.html", _standard_context(campaign))


@login_required
@require_POST
def campaign_standard_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Save or remove one item of the campaign's standard."""
    campaign = _campaign(request, pk)
    item = get_object_or_404(StandardItem.objects.select_related("version", "category"), pk=item_pk)
    if item.version_id != campaign.standard_id:
        raise Http404
    try:
        if request.POST.get("action") == "remove":
            standard_item_remove(item=item, by=request.user)
            messages.success(
                request, _("Item %(number)d is removed; the items after it moved up.") % {"number": item.number}
            )
        else:
            form = ItemForm(request.POST, version=campaign.standard, prefix=f"item-{item.pk}")
            if not form.is_valid():
                raise StandardVersionError(
                    _("Item %(number)d: check the text and the category.") % {"number": item.number}
                )
            standard_item_update(item=item, by=request.user, **form.cleaned_data)
            messages.success(request, _("Item %(number)d is saved.") % {"number": item.number})
    except StandardVersionError as exc:
        return render(
            request, "reporting/campaign_standard.html", _standard_context(campaign, error=str(exc)), status=400
        )
    return redirect("campaign_standard", pk=campaign.pk)


@login_required
@require_POST
def campaign_standard_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = ItemForm(request.POST, version=campaign.standard, prefix="new")
    try:
        if not form.is_valid():
            raise StandardVersionError(_("Write the new item's standard and choose its category."))
        item = standard_item_add(version=campaign.standard, by=request.user, **form.cleaned_data)
    except StandardVersionError as exc:
        return render(
            request, "reporting/campaign_standard.html", _standard_context(campaign, error=str(exc)), status=400
        )
    messages.success(request, _("Item %(number)d is added.") % {"number": item.number})
    return redirect("campaign_standard", pk=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_make_current_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every page's default campaign changes: asked, then confirmed."""
    campaign = _campaign(request, pk)
    current = Campaign.objects.current()
    error, status = "", 200
    if request.method == "POST":
        if not request.POST.get("confirm"):
            error, status = _("Tick the box to confirm."), 400
        else:
            campaign_make_current(campaign=campaign, by=request.user)
            messages.success(request, _("%(name)s is now the current campaign.") % {"name": campaign.name})
            return redirect("campaign_list")
    return render(
        request,
        "reporting/campaign_make_current.html",
        {"campaign": campaign, "current": current, "error": error},
        status=status,
    )


IMPORT_SALT = "standard-import"


@login_required
@require_http_methods(["GET", "POST"])
def standard_import(request: HttpRequest) -> HttpResponse:
    """Import a standard from a spreadsheet: check and preview, then confirm. The preview carries its rows signed,
    so what is confirmed is exactly what was shown, and nothing is written before that."""
    _require_admin(request)
    name = request.POST.get("name", "").strip()[:100]
    context: dict[str, Any] = {"name": name, "columns": COLUMNS, "problems": [], "rows": [], "payload": ""}
    if request.method == "GET":
        return render(request, "reporting/standard_import.html", context)
    if request.POST.get("payload"):
        try:
            data = signing.loads(request.POST["payload"], salt=IMPORT_SALT, max_age=3600)
            rows = [ImportRow(**row) for row in data["rows"]]
            version = standard_version_import(name=data["name"], rows=rows, by=request.user)
        except (signing.BadSignature, KeyError, TypeError):
            context["problems"] = [_("The preview has expired or was changed. Upload the file again.")]
        except StandardVersionError as exc:
            context["problems"] = [str(exc)]
        else:
            messages.success(
                request,
                _("The standard “%(name)s” is imported. Choose it as the standard to copy for the new campaign.")
                % {"name": version.name},
            )
            return redirect("campaign_new")
        return render(request, "reporting/standard_import.html", context, status=400)
    if not name:
        context["problems"] = [_("Give the standard a name.")]
    rows, problems = standard_rows_read(request.FILES.get("file")) if request.FILES.get("file") else ([], [])
    if not request.FILES.get("file"):
        problems = [_("Choose the file to import.")]
    context["problems"] += problems
    if context["problems"]:
        return render(request, "reporting/standard_import.html", context, status=400)
    context["rows"] = rows
    context["payload"] = signing.dumps({"name": name, "rows": [asdict(row) for row in rows]}, salt=IMPORT_SALT)
    return render(request, "reporting/standard_import.html", context)
