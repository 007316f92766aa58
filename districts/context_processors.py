from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .scope import scope_of


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    items: list[tuple[str, str]] = [(_("Home"), reverse("home"))]
    if scope.sees_whole_city or scope.district_id:
        items.append((_("Dashboard"), reverse("dashboard")))
    if scope.role == "department_staff":
        items.append((_("Items dashboard"), reverse("dashboard_department")))
    if scope.sees_whole_city or scope.district_id:
        items.append((_("Roster"), reverse("roster_districts")))
    if scope.is_commission_admin or scope.is_district_staff:
        items.append((_("Import / export"), reverse("roster_import")))
    if scope.is_commission_admin:
        items.append((_("Roster releases"), reverse("roster_releases")))
        items.append((_("Campaigns"), reverse("campaign_list")))
    if scope.is_district_staff:
        items.append((_("Enrolment"), reverse("enrolment", args=[scope.district_code])))
    if scope.is_commission:
        items.append((_("Review"), reverse("report_review_queue")))
    if scope.is_commission or scope.district_id or scope.role == "department_staff":
        items.append((_("Reports"), reverse("report_list")))
    if scope.is_commission:
        items.append((_("Acceptance rounds"), reverse("acceptance_rounds")))
    if scope.is_commission or scope.district_id or scope.role == "department_staff":
        items.append((_("Rectifications"), reverse("rectifications")))
    if scope.is_commission or scope.is_district_staff or scope.role == "department_staff":
        items.append((_("Item pass rates"), reverse("acceptance_items")))
    if scope.role == "inspector" or scope.role == "department_staff":
        items.append((_("My inspections"), reverse("inspection_assignments")))
    if scope.is_district_staff:
        items.append((_("Refinements"), reverse("refinement_list")))
    if scope.is_commission:
        items.append((_("Refinements"), reverse("refinement_review")))
    if scope.is_commission or scope.district_id or scope.role == "department_staff":
        items.append((_("Supervision"), reverse("supervision_list")))
    if scope.is_commission or scope.is_district_staff or scope.role == "department_staff":
        items.append((_("Documents"), reverse("documents")))
    if scope.sees_whole_city or scope.district_id:
        items.append((_("Funds"), reverse("funds_home")))
    if scope.is_commission or scope.is_district_staff or scope.role == "department_staff":
        items.append((_("Responsible officials"), reverse("officials_list")))
    if scope.role is not None:
        items.append((_("Experience library"), reverse("experience_list")))
        items.append((_("Commendations"), reverse("commendation_list")))
    if scope.is_commission or scope.is_district_staff:
        items.append((_("Audit trail"), reverse("audit_list")))
    path = request.path
    # The longest matching prefix wins, so /roster/import/ marks "Import / export", not "Roster".
    matching = [url for _label, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matching, key=len, default="")
    nav = [{"label": label, "url": url, "active": url == current} for label, url in items]
    # The Django admin is a tool, not a page of the campaign: it sits with the user's own links, which keeps the
    # commission's menu on one row on a desktop.
    admin_url = reverse("admin:index") if scope.is_commission_admin and user.is_staff else ""
    return {"portal_nav": nav, "portal_scope": scope, "portal_scope_label": scope.label, "portal_admin_url": admin_url}
