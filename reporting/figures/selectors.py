"""Use-case reads for the campaign pages. Counts are subqueries per row, so a page's query count is flat."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from districts.models import Community, Department, District, Street
from districts.querysets import CommunityQuerySet
from districts.scope import scope_of
from reporting.models import DEADLINE_OF, Campaign, Deadline, Enrolment, Milestone, Report, period_label
from standards.models import SelfAssessment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


def correlated_count(queryset: QuerySet, group_field: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset` rows whose `group_field` is the outer row, as an integer column."""
    return Coalesce(
        Subquery(
            queryset.filter(**{group_field: OuterRef("pk")})
            .order_by()
            .values(group_field)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def roster_communities(*, campaign: Campaign, on: datetime.date) -> CommunityQuerySet:
    """Roster (DESIGN.md): the urban communities open on `on`, each in the street and of the kind it had that day
    (`street_on`, `kind_on`: a later release's move or kind change does not reach back)."""
    roster = Community.objects.on_roster(on).as_of(on)
    if campaign.counts_similar_communities:
        return roster
    return roster.filter(kind_on=Community.Kind.RESIDENTS_COMMITTEE)


def active_enrolments(*, campaign: Campaign, on: datetime.date) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(campaign=campaign).active_on(on)


# A month's self-assessments count while its report stands submitted, resubmitted or accepted, however late it came
# (a report returned for changes states nothing until it is resubmitted).
FILED = (Report.Status.SUBMITTED, Report.Status.RESUBMITTED, Report.Status.ACCEPTED)


def reported_assessments(
    *, campaign: Campaign, on: datetime.date | None = None, stating: Report | None = None
) -> QuerySet[SelfAssessment]:
    """Self-assessments of months up to `on`'s month (every month without it) whose district's monthly report has
    been submitted — the rows a figure reads. `stating`, a monthly report, counts as submitted: the figures it shows
    and freezes are those it states."""
    filed = Report.objects.filter(
        campaign=campaign,
        kind=Report.Kind.MONTHLY,
        district=OuterRef("district"),
        period=OuterRef("period"),
        status__in=FILED,
    )
    rows = SelfAssessment.objects.all()
    if on is not None:
        rows = rows.filter(period__lte=on.replace(day=1))
    if stating is None:
        return rows.filter(Exists(filed))
    return rows.filter(Exists(filed) | Q(district_id=stating.district_id, period=stating.period))


def self_assessed_communities(
    *, campaign: Campaign, on: datetime.date, stating: Report | None = None
) -> QuerySet[Community]:
    """Self-assessed (DESIGN.md): communities on the roster and taking part on `on` whose latest reported
    self-assessment up to `on`'s month says they meet the standard. A month without a report carries the previous
    one forward; a withdrawn community never counts. The rollup's `rollup_sql.Rollup._assessed_spans` is the same
    rule over many dates at once."""
    latest = (
        reported_assessments(campaign=campaign, on=on, stating=stating)
        .filter(community=OuterRef("pk"))
        .order_by("-period")
        .values("stage")[:1]
    )
    enrolled = active_enrolments(campaign=campaign, on=on).filter(community=OuterRef("pk"))
    return (
        roster_communities(campaign=campaign, on=on)
        .filter(Exists(enrolled))
        .annotate(latest_stage=Subquery(latest))
        .filter(latest_stage=SelfAssessment.Stage.MEETS)
    )


def _pilot_exists(*, campaign: Campaign, on: datetime.date) -> Exists:
    """The street has a pilot on `on`: a community on the roster in that street that day, enrolled as a pilot."""
    pilot = active_enrolments(campaign=campaign, on=on).filter(kind=Enrolment.Kind.PILOT, community=OuterRef("pk"))
    return Exists(roster_communities(campaign=campaign, on=on).filter(street_on=OuterRef("pk")).filter(Exists(pilot)))


def districts_overview(*, user: Any, campaign: Campaign, on: datetime.date) -> QuerySet[District]:
    """Each visible district with roster size, enrolled, pilots and 街道 coverage as of `on`."""
    return with_district_figures(District.objects.visible_to(user), campaign=campaign, on=on)


def with_district_figures(districts: QuerySet[District], *, campaign: Campaign, on: datetime.date) -> QuerySet:
    roster = roster_communities(campaign=campaign, on=on)
    enrolled = active_enrolments(campaign=campaign, on=on)
    subdistricts = Street.objects.subdistricts()
    return districts.annotate(
        street_count=correlated_count(Street.objects.all(), "district"),
        subdistrict_count=correlated_count(subdistricts, "district"),
        subdistricts_with_pilot=correlated_count(
            subdistricts.filter(_pilot_exists(campaign=campaign, on=on)), "district"
        ),
        roster_count=correlated_count(roster, "district"),
        enrolled_count=correlated_count(roster.filter(Exists(enrolled.filter(community=OuterRef("pk")))), "district"),
        pilot_count=correlated_count(
            roster.filter(Exists(enrolled.filter(kind=Enrolment.Kind.PILOT, community=OuterRef("pk")))), "district"
        ),
    )


class StreetFigures(TypedDict):
    roster_count: int
    enrolled_count: int
    pilot_count: int
    has_pilot: bool


def streets_overview(
    *, user: Any, district: District, campaign: Campaign, on: datetime.date
) -> QuerySet[WithAnnotations[Street, StreetFigures]]:
    roster = roster_communities(campaign=campaign, on=on)
    enrolled = active_enrolments(campaign=campaign, on=on)
    return (
        Street.objects.visible_to(user)
        .filter(district=district)
        .annotate(
            roster_count=correlated_count(roster, "street_on"),
            enrolled_count=correlated_count(
                roster.filter(Exists(enrolled.filter(community=OuterRef("pk")))), "street_on"
            ),
            pilot_count=correlated_count(
                roster.filter(Exists(enrolled.filter(kind=Enrolment.Kind.PILOT, community=OuterRef("pk")))),
                "street_on",
            ),
            has_pilot=_pilot_exists(campaign=campaign, on=on),
        )
    )


ENROLMENT_FILTERS = ("enrolled", "pilot", "batch", "not_enrolled", "withdrawn")


def community_list(
    *,
    user: Any,
    campaign: Campaign,
    on: datetime.date,
    district: District | None = None,
    street: Street | None = None,
    text: str = "",
    kind: str = "",
    enrolment: str = "",
    include_closed: bool = False,
) -> QuerySet[Community]:
    """The roster browser's rows: scoped, filtered, with the current enrolment kind annotated."""
    communities = Community.objects.visible_to(user)
    if not include_closed:
        communities = communities.on_roster(on)
    if district is not None:
        communities = communities.filter(district=district)
    if street is not None:
        communities = communities.filter(street=street)
    if kind:
        communities = communities.filter(kind=kind)
    communities = communities.search(text)
    active = active_enrolments(campaign=campaign, on=on).filter(community=OuterRef("pk"))
    communities = communities.annotate(enrolment_kind=Subquery(active.values("kind")[:1]))
    if enrolment == "enrolled":
        communities = communities.filter(enrolment_kind__isnull=False)
    elif enrolment in {"pilot", "batch"}:
        communities = communities.filter(enrolment_kind=enrolment)
    elif enrolment == "not_enrolled":
        communities = communities.filter(enrolment_kind__isnull=True)
    elif enrolment == "withdrawn":
        withdrawn = Enrolment.objects.filter(campaign=campaign, community=OuterRef("pk"), withdrawn_on__lte=on)
        communities = communities.filter(enrolment_kind__isnull=True).filter(Exists(withdrawn))
    return communities.select_related("street", "district").order_by("code")


def next_deadlines(*, campaign: Campaign, on: datetime.date) -> list[tuple[Deadline, datetime.date]]:
    upcoming = []
    for deadline in campaign.deadlines.all():
        due = deadline.next_due_on(on)
        if due is not None:
            upcoming.append((deadline, due))
    return sorted(upcoming, key=lambda pair: pair[1])


def next_milestone(*, campaign: Campaign, on: datetime.date) -> Milestone | None:
    return campaign.milestones.filter(due_on__gte=on).order_by("due_on").first()


def current_phase(*, campaign: Campaign, on: datetime.date) -> Any:
    return campaign.phases.filter(starts_on__lte=on, ends_on__gte=on).first()


def pilot_gaps(*, user: Any, campaign: Campaign, on: datetime.date) -> QuerySet[Street]:
    """Visible 街道 that have no active pilot as of `on`."""
    return (
        Street.objects.visible_to(user)
        .subdistricts()
        .filter(~_pilot_exists(campaign=campaign, on=on))
        .select_related("district")
        .order_by("code")
    )


def survey_gaps(*, user: Any, campaign: Campaign, on: datetime.date) -> int:
    """Visible roster communities whose survey (调查摸底) is still missing its basic figures."""
    return (
        roster_communities(campaign=campaign, on=on)
        .visible_to(user)
        .filter(Q(households__isnull=True) | Q(buildings__isnull=True) | Q(is_old_estate__isnull=True))
        .count()
    )


# --- reports --------------------------------------------------------------------------------------------------


def month_end(period: datetime.date) -> datetime.date:
    nxt = (period.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def previous_month(period: datetime.date) -> datetime.date:
    return (period - datetime.timedelta(days=1)).replace(day=1)


def campaign_months(campaign: Campaign, *, until: datetime.date | None = None) -> list[datetime.date]:
    """The first day of every month of the campaign, up to the month of `until`."""
    months, month = [], campaign.starts_on.replace(day=1)
    last = campaign.ends_on.replace(day=1)
    if until is not None:
        last = min(last, until.replace(day=1))
    while month <= last:
        months.append(month)
        month = month_end(month) + datetime.timedelta(days=1)
    return months


FIGURE_KEYS = (
    "roster",
    "enrolled",
    "pilots",
    "subdistricts",
    "subdistricts_with_pilot",
    "subdistricts_without_pilot",
    "self_assessed",
    "met",
)


def district_figures(
    *, campaign: Campaign, district: District, period: datetime.date, stating: Report | None = None
) -> dict[str, int]:
    """A district's roster figures at the end of the month `period`, as the monthly report shows them: one query,
    each figure by its definition. `stating`: the monthly report whose self-assessments count as submitted."""
    from standards.acceptance import met_inspections

    on = month_end(period)
    row = (
        with_district_figures(District.objects.filter(pk=district.pk), campaign=campaign, on=on)
        .annotate(
            self_assessed=correlated_count(
                self_assessed_communities(campaign=campaign, on=on, stating=stating), "district"
            ),
            met=correlated_count(met_inspections(on), "district"),
        )
        .values(
            "roster_count",
            "enrolled_count",
            "pilot_count",
            "subdistrict_count",
            "subdistricts_with_pilot",
            "self_assessed",
            "met",
        )
        .get()
    )
    return {
        "roster": row["roster_count"],
        "enrolled": row["enrolled_count"],
        "pilots": row["pilot_count"],
        "subdistricts": row["subdistrict_count"],
        "subdistricts_with_pilot": row["subdistricts_with_pilot"],
        "subdistricts_without_pilot": row["subdistrict_count"] - row["subdistricts_with_pilot"],
        "self_assessed": row["self_assessed"],
        "met": row["met"],
    }


def report_figures(report: Any) -> dict[str, Any]:
    """This month's figures (frozen once submitted), last month's, and the change, for a monthly report.

    Last month's are those its own report stated when it was submitted — the figures the district filed and the
    commission read, so the change column compares with the record — and computed from their definitions only when
    that report is missing, still a draft or returned (or was filed before figures were frozen)."""
    now = (
        report.figures
        if report.figures and not report.is_editable
        else district_figures(campaign=report.campaign, district=report.district, period=report.period, stating=report)
    )
    before_period = previous_month(report.period)
    if before_period < report.campaign.starts_on.replace(day=1):
        before = dict.fromkeys(FIGURE_KEYS, 0)
    else:
        filed = (
            Report.objects.filter(
                campaign=report.campaign,
                kind=Report.Kind.MONTHLY,
                district_id=report.district_id,
                period=before_period,
                status__in=FILED,
            )
            .values_list("figures", flat=True)
            .first()
        )
        if filed and all(key in filed for key in FIGURE_KEYS):
            before = filed
        else:
            before = district_figures(campaign=report.campaign, district=report.district, period=before_period)
    return {
        "now": now,
        "before": before,
        "rows": [(key, now.get(key, 0), now.get(key, 0) - before.get(key, 0)) for key in FIGURE_KEYS],
    }


def annual_years(campaign: Campaign) -> list[int]:
    """The years an annual report is due for: every full calendar year the campaign runs through.

    A campaign starting in November (as 2020's did) files its first annual report the next November; its
    first weeks are covered by the implementation plan.
    """
    first = campaign.starts_on.year if campaign.starts_on.timetuple().tm_yday == 1 else campaign.starts_on.year + 1
    return list(range(first, campaign.ends_on.year + 1))


def expected_reports(*, campaign: Campaign, kinds: Sequence[str], on: datetime.date) -> list[tuple[str, datetime.date]]:
    """(kind, period) of every report a filer owes by `on` (periods that have begun)."""
    expected: list[tuple[str, datetime.date]] = []
    if "implementation_plan" in kinds and on >= campaign.starts_on:
        expected.append(("implementation_plan", campaign.starts_on))
    if "monthly" in kinds:
        expected += [("monthly", month) for month in campaign_months(campaign, until=on)]
    if "annual" in kinds:
        expected += [("annual", datetime.date(y, 1, 1)) for y in annual_years(campaign) if datetime.date(y, 1, 1) <= on]
    return expected


@dataclass(frozen=True)
class ExpectedReport:
    """One report a filer owes: its kind and period, when it is due, and the report itself once started."""

    kind: str
    period: datetime.date
    label: str
    due_on: datetime.date | None
    report: Report | None

    @property
    def kind_label(self) -> StrOrPromise:
        return Report.Kind(self.kind).label

    @property
    def is_open(self) -> bool:
        """Still the filer's to do: not started, a draft, or returned (or unlocked) for changes."""
        return self.report is None or self.report.is_editable


@dataclass(frozen=True)
class FilerReports:
    filer: District | Department
    rows: list[ExpectedReport]


def filer_reports(*, user: Any, campaign: Campaign, on: datetime.date) -> FilerReports | None:
    """Every report the user's district (or department) owes by `on`, each with its report once started, newest due
    first: what `/reports/` lists, and what the home page's to-dos are taken from. None for a user who files nothing.

    After the campaign's end the list stays whole: its last month's report, due in the next year, is still owed.
    """
    scope = scope_of(user)
    if scope.district_id:
        filer: District | Department = District.objects.get(pk=scope.district_id)
        kinds = [Report.Kind.IMPLEMENTATION_PLAN, Report.Kind.MONTHLY, Report.Kind.ANNUAL]
        reports = Report.objects.filter(campaign=campaign, district_id=scope.district_id)
    elif scope.role == "department_staff" and scope.department_id:
        filer = Department.objects.get(pk=scope.department_id)
        kinds = [Report.Kind.ANNUAL]
        reports = Report.objects.filter(campaign=campaign, department_id=scope.department_id)
    else:
        return None
    existing = {(r.kind, r.period): r for r in reports}
    deadlines = {d.kind: d for d in campaign.deadlines.all()}
    rows = []
    for kind, period in expected_reports(campaign=campaign, kinds=kinds, on=on):
        deadline = deadlines.get(DEADLINE_OF[kind])
        rows.append(
            ExpectedReport(
                kind=kind,
                period=period,
                label=period_label(kind, period, campaign),
                due_on=deadline.due_for(period) if deadline else None,
                report=existing.get((kind, period)),
            )
        )
    rows.sort(key=lambda r: r.due_on or datetime.date.min, reverse=True)
    return FilerReports(filer=filer, rows=rows)


def report_todos(*, user: Any, campaign: Campaign, on: datetime.date) -> FilerReports | None:
    """The reports of `filer_reports` still to be filed as of `on` (overdue, due, returned or draft), oldest due first."""
    found = filer_reports(user=user, campaign=campaign, on=on)
    if found is None:
        return None
    owed = [r for r in found.rows if r.is_open]
    return FilerReports(filer=found.filer, rows=sorted(owed, key=lambda r: (r.due_on or datetime.date.min, r.period)))
