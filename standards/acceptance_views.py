"""Year-end acceptance pages for the commission, the districts and the departments: rounds, teams and bulk
assignment; rectification and requests for re-inspection; objections during the public notice; item pass rates;
and a community's acceptance record. Every write goes through `standards.acceptance`."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from districts.access import community_for, district_for
from districts.models import Community, Department, District, Role, Street
from districts.scope import Scope, scope_of
from greencommunity.dates import as_of
from greencommunity.paging import paged

from . import acceptance
from .acceptance import AcceptanceError, latest_signed, met_inspections
from .evidence import EvidenceError, evidence_add
from .forms import (
    AssignConfirmForm,
    AssignForm,
    ConfirmForm,
    ObjectionDecisionForm,
    ObjectionForm,
    RectificationDoneForm,
    RoundExtendForm,
    RoundForm,
    TeamForm,
    form_errors,
)
from .models import (
    AcceptanceRound,
    Assignment,
    Evidence,
    Inspection,
    InspectionAnswer,
    Objection,
    RecheckSelection,
    Rectification,
    Revocation,
    SelfAssessment,
    StandardItem,
    StandardVersion,
    readable_communities,
)
from .selectors import picked_standard_id, standard_items

SIGNED = Inspection.Status.SIGNED
# Districts a page of the item pass rates: Tianjin's 16 on one, a national roster's 3,000 on 60.
DISTRICTS_PER_PAGE = 50
ACTIVE_RECTIFICATION = [
    Rectification.Status.OPEN,
    Rectification.Status.DONE,
    Rectification.Status.REINSPECTION_REQUESTED,
]


# --- access ---------------------------------------------------------------------------------------------------


def _commission_only(user: Any) -> Scope:
    """Rounds, teams and assignments are the commission's; to anyone else they do not exist."""
    scope = scope_of(user)
    if not scope.is_commission:
        raise Http404
    return scope


def _commission_admin_only(user: Any) -> Scope:
    """Extending a round is the commission administrator's decision; a reviewer reads the round but may not."""
    scope = _commission_only(user)
    if not scope.is_commission_admin:
        raise PermissionDenied
    return scope


def _visible_rectifications(user: Any) -> QuerySet[Rectification]:
    return Rectification.objects.visible_to(user)


def _may_rectify(scope: Scope, district_id: int) -> bool:
    """Putting a failed item right is the district's work; everyone else who sees it only reads."""
    return scope.is_district_staff and scope.district_id == district_id


def _record_community(user: Any, code: str) -> Community:
    """The community whose acceptance record `user` may read: in their scope, or, for an inspector, assigned to
    one of their teams."""
    return get_object_or_404(readable_communities(user).select_related("street", "district"), code=code)


def _inspection_for(user: Any, pk: int, *, write: bool) -> Inspection:
    inspection = get_object_or_404(Inspection.objects.select_related("community"), pk=pk)
    _record_community(user, inspection.community.code)
    if write and not scope_of(user).is_commission:
        raise PermissionDenied
    return inspection


def _objection_for(user: Any, pk: int) -> Objection:
    objection = get_object_or_404(Objection.objects.select_related("inspection__community"), pk=pk)
    _inspection_for(user, objection.inspection_id, write=True)
    return objection


def _record_url(community: Community, anchor: str = "") -> str:
    url = reverse("acceptance_record", args=[community.code])
    return f"{url}#{anchor}" if anchor else url


def _error_messages(request: HttpRequest, errors: list[str]) -> None:
    for error in errors:
        messages.error(request, error)


# --- rounds ---------------------------------------------------------------------------------------------------


def _per(outer: str, rows: QuerySet, counted: str = "community") -> Coalesce:
    """How many distinct `counted` of `rows` belong to the outer row, as a subquery (0 when none)."""
    grouped = rows.filter(**{outer: OuterRef("pk")}).order_by().values(outer).annotate(n=Count(counted, distinct=True))
    return Coalesce(Subquery(grouped.values("n"), output_field=IntegerField()), Value(0))


def _rounds_with_counts(today: datetime.date) -> list[AcceptanceRound]:
    """Every round with its counts of communities, each count one grouped query over all rounds at once (a
    national year's 20,000 inspections a round): the latest signed inspections behind "met" are found once, not
    once a round."""
    signed = Inspection.objects.filter(status=SIGNED)
    counts = {
        name: _by_round(rows)
        for name, rows in (
            ("assigned", Assignment.objects.filter(cancelled_at__isnull=True)),
            ("signed", signed),
            ("passed", signed.filter(passed=True)),
            ("met", met_inspections(today)),
        )
    }
    rounds = list(AcceptanceRound.objects.all())
    for round_ in rounds:
        for name, by_round in counts.items():
            setattr(round_, name, by_round.get(round_.pk, 0))
    return rounds


def _by_round(rows: QuerySet) -> dict[int, int]:
    """How many distinct communities of `rows` each round has."""
    grouped = rows.order_by().values("round_id").annotate(n=Count("community", distinct=True))
    return {row["round_id"]: row["n"] for row in grouped}


@login_required
@require_http_methods(["GET", "POST"])
def acceptance_rounds(request: HttpRequest) -> HttpResponse:
    _commission_only(request.user)
    form = RoundForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                round_ = acceptance.round_create(**form.cleaned_data, by=request.user)
            except AcceptanceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The round “%(name)s” is open.") % {"name": round_.name})
                return redirect("acceptance_round", pk=round_.pk)
        status = 400
    today = timezone.localdate()
    return render(
        request,
        "standards/acceptance_rounds.html",
        {
            "rounds": _rounds_with_counts(today),
            "form": form,
            "today": today,
            "can_open_recheck": scope_of(request.user).is_commission_admin,
        },
        status=status,
    )


def _district_table(round_: AcceptanceRound) -> list[District]:
    signed = Inspection.objects.filter(round=round_, status=SIGNED)
    newest = signed.filter(community=OuterRef("community")).order_by("-signed_at", "-pk").values("pk")[:1]
    latest = signed.filter(pk=Subquery(newest))
    items = Rectification.objects.filter(inspection__round=round_)
    return list(
        District.objects.order_by("code").annotate(
            assigned=_per("district", Assignment.objects.filter(round=round_, cancelled_at__isnull=True)),
            inspected=_per("district", signed),
            passed=_per("district", latest.filter(passed=True)),
            failed=_per("district", latest.filter(passed=False)),
            to_rectify=_per("district", items.filter(status=Rectification.Status.OPEN), "pk"),
            requested=_per("district", items.filter(status=Rectification.Status.REINSPECTION_REQUESTED)),
        )
    )


ASSIGN_FIELDS = ("team", "district", "street", "only_meets", "kind")


def _candidates(
    round_: AcceptanceRound, *, district: District, street: Street | None, only_meets: bool, kind: str
) -> tuple[QuerySet[Community], QuerySet[Community]]:
    """(every community the choice matches, those of them that can be assigned now)."""
    matched = Community.objects.on_roster(timezone.localdate()).filter(district=district)
    if street is not None:
        matched = matched.filter(street=street)
    if only_meets:
        latest_stage = SelfAssessment.objects.filter(community=OuterRef("pk")).order_by("-period").values("stage")[:1]
        matched = matched.annotate(latest_stage=Subquery(latest_stage)).filter(latest_stage=SelfAssessment.Stage.MEETS)
    if round_.is_recheck:
        matched = matched.filter(Exists(RecheckSelection.objects.filter(round=round_, community=OuterRef("pk"))))
    if kind == Assignment.Kind.REINSPECTION:
        requested = Rectification.objects.filter(
            community=OuterRef("pk"), status=Rectification.Status.REINSPECTION_REQUESTED
        )
        matched = matched.filter(Exists(requested))
    in_round = Assignment.objects.filter(round=round_, community=OuterRef("pk"), cancelled_at__isnull=True)
    waiting = in_round.exclude(inspections__status=SIGNED)
    assignable = matched.exclude(Exists(waiting))
    if kind == Assignment.Kind.FIRST:
        assignable = assignable.exclude(Exists(in_round.filter(kind=Assignment.Kind.FIRST)))
    return matched, assignable.select_related("street").order_by("code")


def _assign_query(data: dict[str, Any]) -> str:
    values = {
        "team": data["team"].pk,
        "district": data["district"].code,
        "street": data["street"].code if data["street"] else "",
        "kind": data["kind"],
    }
    if data["only_meets"]:
        values["only_meets"] = "on"
    return urlencode({**values, "preview": "1"})


def _round_page(
    request: HttpRequest,
    round_: AcceptanceRound,
    *,
    team_form: TeamForm | None = None,
    assign_form: AssignForm | None = None,
    extend_form: RoundExtendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    closed = round_.is_closed_on(timezone.localdate())
    preview = None
    if assign_form is None and closed:
        assign_form = AssignForm(round=round_)
    elif assign_form is None:
        if request.GET.get("preview"):
            assign_form = AssignForm(request.GET, round=round_)
            if assign_form.is_valid():
                data = assign_form.cleaned_data
                matched, assignable = _candidates(
                    round_,
                    district=data["district"],
                    street=data["street"],
                    only_meets=data["only_meets"],
                    kind=data["kind"],
                )
                communities = list(assignable)
                preview = {
                    "communities": communities,
                    "count": len(communities),
                    "left_out": matched.count() - len(communities),
                    "data": data,
                    "street_code": data["street"].code if data["street"] else "",
                }
        else:
            # A link (from the rectification list) may pre-fill the choice without asking for a preview yet.
            assign_form = AssignForm(
                initial={k: request.GET[k] for k in ASSIGN_FIELDS if k in request.GET}, round=round_
            )
    teams = round_.teams.annotate(
        assigned=Count("assignments", filter=Q(assignments__cancelled_at__isnull=True))
    ).prefetch_related("members")
    districts = _district_table(round_)
    totals = {
        key: sum(getattr(d, key) for d in districts)
        for key in ("assigned", "inspected", "passed", "failed", "to_rectify", "requested")
    }
    return render(
        request,
        "standards/acceptance_round.html",
        {
            "round": round_,
            "closed_message": acceptance.round_closed_message(round_) if closed else "",
            "extensions": round_.extensions.select_related("extended_by").order_by("extended_at", "pk"),
            "can_extend": scope_of(request.user).is_commission_admin,
            "extend_form": extend_form or RoundExtendForm(),
            "teams": teams,
            "districts": districts,
            "totals": totals,
            "team_form": team_form or TeamForm(),
            "assign_form": assign_form,
            "preview": preview,
            **(_recheck_draw(round_) if round_.is_recheck else {}),
        },
        status=status,
    )


def _recheck_draw(round_: AcceptanceRound) -> dict[str, Any]:
    """A re-check round's draw as stored, and whether repeating it from the stored seed gives the same list."""
    from .recheck import recheck_redraw

    selections = list(round_.selections.select_related("community__street", "district"))
    drawn: dict[str, list[str]] = defaultdict(list)
    for selection in selections:
        if selection.reason == RecheckSelection.Reason.DRAWN:
            drawn[selection.district.code].append(selection.community.code)
    quotas = list(round_.quotas.select_related("district"))
    repeated = recheck_redraw(round_)
    return {
        "selections": selections,
        "quotas": quotas,
        "draw_repeats": all(sorted(drawn.get(code, [])) == codes for code, codes in repeated.items()),
    }


@login_required
@require_GET
def acceptance_round(request: HttpRequest, pk: int) -> HttpResponse:
    _commission_only(request.user)
    return _round_page(request, get_object_or_404(AcceptanceRound, pk=pk))


@login_required
@require_POST
def acceptance_round_extend(request: HttpRequest, pk: int) -> HttpResponse:
    _commission_admin_only(request.user)
    round_ = get_object_or_404(AcceptanceRound, pk=pk)
    form = RoundExtendForm(request.POST)
    if form.is_valid():
        try:
            acceptance.round_extend(
                round=round_,
                closes_on=form.cleaned_data["closes_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except AcceptanceError as exc:
            form.add_error("closes_on", str(exc))
        else:
            messages.success(
                request,
                _("The round is extended; it now ends on %(date)s.") % {"date": date_format(round_.closes_on)},
            )
            return redirect(reverse("acceptance_round", args=[round_.pk]) + "#dates")
    return _round_page(request, round_, extend_form=form, status=400)


@login_required
@require_POST
def acceptance_team_create(request: HttpRequest, pk: int) -> HttpResponse:
    _commission_only(request.user)
    round_ = get_object_or_404(AcceptanceRound, pk=pk)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = acceptance.team_create(
                round=round_, name=form.cleaned_data["name"], members=form.cleaned_data["members"], by=request.user
            )
        except AcceptanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The team “%(name)s” is saved.") % {"name": team.name})
            return redirect(reverse("acceptance_round", args=[round_.pk]) + "#teams")
    return _round_page(request, round_, team_form=form, status=400)


@login_required
@require_POST
def acceptance_assign(request: HttpRequest, pk: int) -> HttpResponse:
    _commission_only(request.user)
    round_ = get_object_or_404(AcceptanceRound, pk=pk)
    if round_.is_closed_on(timezone.localdate()):
        # Said before anything else: a changed count or a bad choice would not be the reason nothing is assigned.
        messages.error(request, acceptance.round_closed_message(round_))
        return redirect(reverse("acceptance_round", args=[round_.pk]))
    form = AssignConfirmForm(request.POST, round=round_)
    if not form.is_valid():
        return _round_page(request, round_, assign_form=form, status=400)
    data = form.cleaned_data
    preview_url = f"{reverse('acceptance_round', args=[round_.pk])}?{_assign_query(data)}#assign"
    _matched, assignable = _candidates(
        round_, district=data["district"], street=data["street"], only_meets=data["only_meets"], kind=data["kind"]
    )
    communities = list(assignable)
    if len(communities) != data["expected"]:
        # Someone assigned some of them, or the roster changed, between the preview and the confirmation.
        messages.error(
            request,
            _("The choice now covers %(now)d communities, not the %(then)d shown before; check the list again.")
            % {"now": len(communities), "then": data["expected"]},
        )
        return redirect(preview_url)
    try:
        created = acceptance.assignments_create(
            round=round_, communities=communities, team=data["team"], by=request.user, kind=data["kind"]
        )
    except AcceptanceError as exc:
        messages.error(request, str(exc))
        return redirect(preview_url)
    messages.success(
        request,
        _("%(count)d communities assigned to %(team)s.") % {"count": len(created), "team": data["team"].name},
    )
    return redirect(reverse("acceptance_round", args=[round_.pk]) + "#districts")


# --- rectifications -------------------------------------------------------------------------------------------


@dataclass
class CommunityItems:
    """A community's rectification items on the list, and what may be done with them."""

    community: Community
    items: list[Rectification] = field(default_factory=list)
    # The ended round its open items belong to: nothing more can be done on them unless it is extended.
    closed_round: AcceptanceRound | None = None

    @property
    def still_open(self) -> list[int]:
        return [r.item.number for r in self.items if r.status == Rectification.Status.OPEN]

    @property
    def done(self) -> int:
        return sum(1 for r in self.items if r.status == Rectification.Status.DONE)

    @property
    def can_request(self) -> bool:
        return self.done > 0 and not self.still_open

    @property
    def requested(self) -> Rectification | None:
        return next((r for r in self.items if r.status == Rectification.Status.REINSPECTION_REQUESTED), None)


def _attach_evidence(user: Any, rectifications: Sequence[Rectification]) -> None:
    """Give each rectification its files the user may see (`.files`), from one query."""
    files = (
        Evidence.objects.visible_to(user)
        .current()
        .filter(
            owner_type=ContentType.objects.get_for_model(Rectification),
            owner_id__in=[r.pk for r in rectifications],
        )
        .select_related("uploaded_by")
    )
    by_owner: dict[int, list[Evidence]] = defaultdict(list)
    for file in files:
        by_owner[file.owner_id].append(file)
    for rectification in rectifications:
        rectification.files = by_owner.get(rectification.pk, [])


STATUS_FILTERS = ["", "all", *Rectification.Status.values]


@login_required
@require_GET
def rectifications(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.sees_whole_city or scope.district_id):
        raise Http404
    rows = _visible_rectifications(request.user)
    district = None
    code = request.GET.get("district", "").strip()
    if scope.sees_whole_city and code:
        district = get_object_or_404(District, code=code)
        rows = rows.filter(district=district)
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    if status == "":
        rows = rows.filter(status__in=ACTIVE_RECTIFICATION)
    elif status != "all":
        rows = rows.filter(status=status)
    waiting = Assignment.objects.filter(
        community=OuterRef("community"), kind=Assignment.Kind.REINSPECTION, cancelled_at__isnull=True
    ).exclude(inspections__status=SIGNED)
    requested_first = Case(When(status=Rectification.Status.REINSPECTION_REQUESTED, then=0), default=1)
    rows = (
        rows.select_related(
            "community__street", "community__district", "district", "item", "inspection__round", "done_by"
        )
        .annotate(reinspection_assigned=Exists(waiting), requested_first=requested_first)
        .order_by("requested_first", "district__code", "community__code", "item__number")
    )
    items = list(rows)
    _attach_evidence(request.user, items)
    today = timezone.localdate()
    groups: dict[int, CommunityItems] = {}
    for item in items:
        group = groups.setdefault(item.community_id, CommunityItems(item.community))
        group.items.append(item)
        item.round_closed = item.inspection.round.is_closed_on(today)
        if item.round_closed and item.status in (Rectification.Status.OPEN, Rectification.Status.DONE):
            group.closed_round = group.closed_round or item.inspection.round
    return render(
        request,
        "standards/rectifications.html",
        {
            "groups": list(groups.values()),
            "count": len(items),
            "can_act": scope.is_district_staff,
            "is_commission": scope.is_commission,
            "districts": District.objects.order_by("code") if scope.sees_whole_city else None,
            "district": district,
            "status": status,
            "statuses": Rectification.Status.choices,
            "today": today,
            "done_form": RectificationDoneForm(),
            "confirm_form": ConfirmForm(),
        },
    )


@login_required
@require_POST
def rectification_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_visible_rectifications(request.user).select_related("community", "item"), pk=pk)
    if not _may_rectify(scope_of(request.user), rectification.district_id):
        raise PermissionDenied
    back = f"{reverse('rectifications')}#c-{rectification.community.code}"
    form = RectificationDoneForm(request.POST, request.FILES)
    if not form.is_valid():
        _error_messages(request, form_errors(form))
        return redirect(back)
    upload = form.cleaned_data["file"]
    try:
        # The note and the file are kept together or not at all.
        with transaction.atomic():
            acceptance.rectification_done(rectification=rectification, note=form.cleaned_data["note"], by=request.user)
            if upload:
                evidence_add(
                    upload=upload,
                    by=request.user,
                    community=rectification.community,
                    item=rectification.item,
                    owner=rectification,
                    caption=form.cleaned_data["caption"],
                )
    except AcceptanceError as exc:
        messages.error(request, str(exc))
    except EvidenceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Item %(number)d of %(community)s is marked as rectified.")
            % {"number": rectification.item.number, "community": rectification.community.name},
        )
    return redirect(back)


@login_required
@require_POST
def reinspection_request_view(request: HttpRequest, code: str) -> HttpResponse:
    community = community_for(request.user, code)
    if not _may_rectify(scope_of(request.user), community.district_id):
        raise PermissionDenied
    back = f"{reverse('rectifications')}#c-{community.code}"
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        _error_messages(request, form_errors(form))
        return redirect(back)
    try:
        count = acceptance.reinspection_request(community=community, by=request.user)
    except AcceptanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Re-inspection of %(community)s requested (%(count)d items).")
            % {"community": community.name, "count": count},
        )
    return redirect(back)


# --- objections -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request.user, pk, write=True)
    back = _record_url(inspection.community, f"inspection-{inspection.pk}")
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        _error_messages(request, form_errors(form))
        return redirect(back)
    try:
        acceptance.objection_record(
            inspection=inspection,
            received_on=form.cleaned_data["received_on"],
            text=form.cleaned_data["text"],
            raised_by=form.cleaned_data["raised_by"],
            by=request.user,
        )
    except AcceptanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The objection is recorded; the community does not count as met until it is decided.")
        )
    return redirect(back)


@login_required
@require_POST
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    objection = _objection_for(request.user, pk)
    back = _record_url(objection.inspection.community, f"objection-{objection.pk}")
    form = ObjectionDecisionForm(request.POST)
    if not form.is_valid():
        _error_messages(request, form_errors(form))
        return redirect(back)
    try:
        decided = acceptance.objection_decide(
            objection=objection, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"], by=request.user
        )
    except AcceptanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection is %(decision)s.") % {"decision": decided.get_decision_display()})
    return redirect(back)


# --- item pass rates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    meets: int = 0
    fails: int = 0

    @property
    def answered(self) -> int:
        return self.meets + self.fails

    @property
    def percent(self) -> int | None:
        return round(self.meets * 100 / self.answered) if self.answered else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.meets + other.meets, self.fails + other.fails)


@dataclass
class RateRow:
    unit: Any
    cells: list[tuple[StandardItem, Rate]]
    communities: int

    @property
    def total(self) -> Rate:
        return sum((rate for _item, rate in self.cells), Rate())


def _rate_rows(
    answers: QuerySet[InspectionAnswer], key: str, units: list[Any], items: list[StandardItem]
) -> list[RateRow]:
    """Pass rates of `items` for each unit (district or street), from one aggregate query."""
    counts = answers.values(key, "item_id").annotate(
        meets=Count("pk", filter=Q(result=InspectionAnswer.Result.MEETS)),
        fails=Count("pk", filter=Q(result=InspectionAnswer.Result.FAILS)),
        communities=Count("inspection__community", distinct=True),
    )
    rates: dict[tuple[int, int], Rate] = {}
    communities: dict[int, int] = defaultdict(int)
    for row in counts:
        rates[(row[key], row["item_id"])] = Rate(row["meets"], row["fails"])
        # Every inspection answers every item, so the item answered most often counts the communities.
        communities[row[key]] = max(communities[row[key]], row["communities"])
    return [
        RateRow(unit, [(item, rates.get((unit.pk, item.pk), Rate())) for item in items], communities[unit.pk])
        for unit in units
    ]


def _total_row_of(inspections: QuerySet[Inspection], items: list[StandardItem]) -> RateRow:
    """The pass rates of `items` over the answers of `inspections`, whichever page of units is shown; the
    communities are those of `inspections` with an answer to any of the items.

    Two queries, each the cheap shape for a national roster's million answers: the answers counted by item and
    result (a few dozen groups, where one row of 32 filtered counts evaluated every filter on every answer), and
    the communities from their inspections, each looked up in the answers by its index (where a distinct count
    over the answers sorted a million rows)."""
    rated = InspectionAnswer.objects.filter(
        item__in=[item.pk for item in items],
        result__in=[InspectionAnswer.Result.MEETS, InspectionAnswer.Result.FAILS],
    )
    counts = {
        (row["item_id"], row["result"]): row["n"]
        for row in rated.filter(inspection__in=inspections)
        .order_by()
        .values("item_id", "result")
        .annotate(n=Count("pk"))
    }
    answered = inspections.filter(Exists(rated.filter(inspection=OuterRef("pk"))))
    communities = answered.aggregate(n=Count("community", distinct=True))["n"]
    cells = [
        (
            item,
            Rate(
                counts.get((item.pk, InspectionAnswer.Result.MEETS), 0),
                counts.get((item.pk, InspectionAnswer.Result.FAILS), 0),
            ),
        )
        for item in items
    ]
    return RateRow(None, cells, communities)


def _rates_standard(request: HttpRequest, on: datetime.date) -> StandardVersion | None:
    """The standard whose items the pass rates are of: `?standard=<id>`, else that of the campaign picked in the top
    bar (by default the current one; this app asks through the provider reporting registers), else that of the
    latest round opened by `on` (rounds inspect against their campaign's standard)."""
    raw = request.GET.get("standard", "").strip()
    if raw.isdecimal() and raw.isascii() and len(raw) < 10:
        chosen = StandardVersion.objects.filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    picked = picked_standard_id(request)
    if picked is not None:
        version = StandardVersion.objects.filter(pk=picked).first()
        if version is not None:
            return version
    latest = AcceptanceRound.objects.filter(opens_on__lte=on).order_by("-opens_on", "-pk").first()
    if latest is not None:
        return latest.standard
    return StandardVersion.objects.order_by("created_at", "pk").first()


@login_required
@require_GET
def acceptance_items(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    on, given = as_of(request)
    departments = Department.objects.filter(standard_categories__isnull=False).distinct().order_by("order", "code")
    if scope.role == Role.DEPARTMENT_STAFF:
        # A department answers for its own items; that is what it sees.
        department: Department | None = get_object_or_404(Department, pk=scope.department_id)
    elif scope.is_commission or scope.is_district_staff:
        code = request.GET.get("department", "").strip()
        department = get_object_or_404(departments, code=code) if code else None
    else:
        raise Http404
    standard = _rates_standard(request, on)
    item_rows = standard_items(standard=standard)
    if department is not None:
        item_rows = item_rows.filter(category__departments=department)
    items = list(item_rows)
    # Streets of one district: any for city readers; district staff always see their own (another is a 404).
    code = request.GET.get("district", "").strip()
    if code:
        chosen = district_for(request.user, code)
    elif scope.is_district_staff:
        assert scope.district_id is not None  # district staff always have their district
        chosen = District.objects.get(pk=scope.district_id)
    else:
        chosen = None
    inspections = latest_signed(on)
    if scope.is_district_staff and scope.district_id is not None:
        inspections = inspections.filter(district_id=scope.district_id)

    def answers(of: QuerySet[Inspection]) -> QuerySet[InspectionAnswer]:
        """The answers to `items` of the inspections `of`, filtered to the districts shown inside the latest
        inspections' own query, so that only theirs are looked up, not the whole country's."""
        return InspectionAnswer.objects.filter(
            inspection__in=of,
            item__in=[item.pk for item in items],
            result__in=[InspectionAnswer.Result.MEETS, InspectionAnswer.Result.FAILS],
        )

    visible = District.objects.visible_to(request.user).order_by("code")
    districts = list(visible.only("code", "name"))  # the "streets of" choice
    # A page of a national roster's 3,000 districts; the total row is still every visible district's, from SQL.
    pager = paged(request, visible, per_page=DISTRICTS_PER_PAGE)
    on_page = list(pager.rows)
    district_rows = _rate_rows(
        answers(inspections.filter(district__in=[d.pk for d in on_page])), "inspection__district_id", on_page, items
    )
    district_total = _total_row_of(inspections, items) if len(districts) > 1 else None
    street_rows = None
    if chosen is not None:
        streets = list(chosen.streets.order_by("code"))
        street_rows = _rate_rows(
            answers(inspections.filter(district=chosen)), "inspection__community__street_id", streets, items
        )
    return render(
        request,
        "standards/acceptance_items.html",
        {
            "on": on,
            "on_given": given,
            "items": items,
            "department": department,
            "departments": departments if scope.role != Role.DEPARTMENT_STAFF else None,
            "districts": districts,
            "district_rows": district_rows,
            "district_total": district_total,
            "pager": pager,
            "chosen": chosen,
            "street_rows": street_rows,
            "street_total": _total_row_of(inspections.filter(district=chosen), items) if street_rows else None,
            "can_choose_district": not scope.is_district_staff,
        },
    )


# --- a community's acceptance record --------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    key: str
    label: str


def _state(community: Community, on: datetime.date) -> tuple[State, Inspection | None]:
    """Where the community stands on `on`, and the inspection that decides it."""
    latest = latest_signed(on).filter(community=community).first()
    if latest is None:
        return State("waiting", _("Awaiting acceptance")), None
    if not latest.passed:
        return State("failed", _("Not passed, rectifying")), latest
    if met_inspections(on).filter(pk=latest.pk).exists():
        return State("met", _("Meets the creation requirements")), latest
    assert latest.signed_on is not None  # a signed inspection
    revoked = Revocation.objects.filter(
        community=community, revoked_on__gt=latest.signed_on, revoked_on__lte=on
    ).first()
    if revoked is not None:
        return State("revoked", _("Title revoked from %(date)s") % {"date": date_format(revoked.revoked_on)}), latest
    pending, upheld = False, False
    for objection in latest.objections.filter(received_on__lte=on):
        decided_on = timezone.localdate(objection.decided_at) if objection.decided_at else None
        if decided_on is None or decided_on > on:
            pending = True
        elif objection.decision == Objection.Decision.UPHELD:
            upheld = True
    if pending:
        return State("objection", _("Objection pending")), latest
    if upheld:
        return State("upheld", _("Objection upheld; does not meet the requirements")), latest
    assert latest.notice_ends_on is not None  # set when the inspection is signed
    return (
        State("notice", _("Under public notice until %(date)s") % {"date": date_format(latest.notice_ends_on)}),
        latest,
    )


@login_required
@require_GET
def acceptance_record(request: HttpRequest, code: str) -> HttpResponse:
    community = _record_community(request.user, code)
    scope = scope_of(request.user)
    on, given = as_of(request)
    failed = InspectionAnswer.objects.filter(result=InspectionAnswer.Result.FAILS).select_related("item")
    inspections = list(
        Inspection.objects.filter(community=community)
        .select_related("round", "assignment__team", "signed_by")
        .prefetch_related(
            Prefetch("answers", queryset=failed, to_attr="failed_answers"),
            Prefetch("objections", queryset=Objection.objects.select_related("decided_by", "recorded_by")),
            Prefetch("assignment__team__members", queryset=get_user_model().objects.order_by("username")),
        )
        .order_by(F("signed_at").desc(nulls_first=True), "-started_at", "-pk")
    )
    rectification_rows = list(
        Rectification.objects.filter(community=community)
        .select_related("item", "inspection", "done_by")
        .order_by("-inspection__started_at", "item__number")
    )
    _attach_evidence(request.user, rectification_rows)
    state, deciding = _state(community, on)
    return render(
        request,
        "standards/acceptance_record.html",
        {
            "community": community,
            "on": on,
            "on_given": given,
            "state": state,
            "deciding": deciding,
            "inspections": inspections,
            "rectifications": rectification_rows,
            "can_object": scope.is_commission,
            "can_revoke": scope.is_commission_admin,
            "revocations": list(
                Revocation.objects.filter(community=community).select_related("revoked_by").order_by("revoked_on")
            ),
            "objection_form": ObjectionForm(initial={"received_on": timezone.localdate()}),
            "decision_form": ObjectionDecisionForm(),
        },
    )
