"""Reads for the drill-down below a district's dashboard: a street's communities and one community's campaign story as
of a date, and the communities that failed an item. Each costs a fixed number of queries, however many communities,
inspections or answers there are.

"Met" is `standards.acceptance.met_inspections`, the one definition the rollups use too; "self-assessed" follows
the design's definition: the latest self-assessment that a submitted monthly report states, for months up to the date.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DateField,
    Exists,
    F,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districts.models import Community, District, Street
from reporting.figures.selectors import active_enrolments, reported_assessments, roster_communities
from reporting.figures.timeliness import percent
from reporting.models import Campaign, Enrolment
from standards.acceptance import latest_signed, met_inspections
from standards.models import (
    Inspection,
    InspectionAnswer,
    Objection,
    Rectification,
    Revocation,
    SelfAssessment,
    StandardItem,
)
from standards.selectors import standard_items

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _latest_assessment(*, campaign: Campaign, on: datetime.date, field: str, output_field: Any) -> Subquery:
    """A field of the community's latest reported self-assessment: a month without a report carries the last one
    forward."""
    rows = reported_assessments(campaign=campaign, on=on).filter(community=OuterRef("pk"))
    return Subquery(rows.order_by("-period").values(field)[:1], output_field=output_field)


def _met_since() -> Greatest:
    """On a `met_inspections` row: the day it made its community meet, its notice's end or the last dismissal of an
    objection raised against it, whichever came later (an undismissed objection would have kept it out of the rows)."""
    dismissed = (
        Objection.objects.filter(inspection=OuterRef("pk"), decision=Objection.Decision.DISMISSED)
        .order_by()
        .values("inspection")
        .annotate(last=Max(TruncDate("decided_at", tzinfo=LOCAL)))
        .values("last")
    )
    return Greatest(F("notice_ends_on"), Coalesce(Subquery(dismissed, output_field=DateField()), F("notice_ends_on")))


def _to_rectify_on(on: datetime.date) -> Q:
    """Rectifications from inspections signed by `on` that the district had not yet reported done by then."""
    return Q(inspection__signed_on__lte=on) & (Q(done_at__isnull=True) | Q(done_at__date__gt=on))


# --- a street ---------------------------------------------------------------------------------------------------


@dataclass
class CommunityRow:
    """One community of a street's progress table."""

    community: Community
    enrolment_kind: str | None
    assessment: SelfAssessment | None
    inspected_on: datetime.date | None
    inspection_passed: bool | None
    rectifying: int
    met_since: datetime.date | None

    @property
    def participating(self) -> bool:
        return self.enrolment_kind is not None

    @property
    def is_pilot(self) -> bool:
        return self.enrolment_kind == Enrolment.Kind.PILOT

    @property
    def self_assessed(self) -> bool:
        """Counts as self-assessed as meeting: taking part, and its latest reported stage says it meets."""
        return (
            self.participating and self.assessment is not None and self.assessment.stage == SelfAssessment.Stage.MEETS
        )

    @property
    def items_meeting(self) -> tuple[int, int]:
        """(items self-assessed as met, items that apply): an item marked not applicable counts in neither."""
        if self.assessment is None:
            return 0, 0
        counts = self.assessment.counts()
        status = SelfAssessment.ItemStatus
        return counts[status.MEETS], sum(counts.values()) - counts[status.NOT_APPLICABLE]

    @property
    def met(self) -> bool:
        return self.met_since is not None


@dataclass(frozen=True)
class StreetSummary:
    roster: int
    participating: int
    pilots: int
    self_assessed: int
    met: int

    @property
    def met_percent(self) -> Decimal | None:
        return percent(self.met, self.roster)


def street_progress(
    *, campaign: Campaign, street: Street, on: datetime.date
) -> tuple[list[CommunityRow], StreetSummary]:
    """The street's communities on the campaign's roster on `on`, in code order, with where each stands: one query."""
    active = active_enrolments(campaign=campaign, on=on).filter(community=OuterRef("pk"))
    latest = latest_signed(on).filter(community=OuterRef("pk"))
    met = met_inspections(on).filter(community=OuterRef("pk")).annotate(since=_met_since())
    rectifying = (
        Rectification.objects.filter(_to_rectify_on(on), community=OuterRef("pk"))
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    communities = list(
        roster_communities(campaign=campaign, on=on)
        .filter(street_on=street.pk)
        .annotate(
            # Pilot first, should a community ever hold two enrolments at once.
            enrolment_kind=Subquery(active.order_by("-kind").values("kind")[:1]),
            assessment_period=_latest_assessment(campaign=campaign, on=on, field="period", output_field=DateField()),
            assessment_stage=_latest_assessment(campaign=campaign, on=on, field="stage", output_field=CharField()),
            assessment_items=_latest_assessment(campaign=campaign, on=on, field="items", output_field=JSONField()),
            inspected_on=Subquery(latest.values("signed_on")[:1]),
            inspection_passed=Subquery(latest.values("passed")[:1]),
            rectifying=Coalesce(Subquery(rectifying), 0),
            met_since=Subquery(met.values("since")[:1], output_field=DateField()),
        )
        .order_by("code")
    )
    # One instance for every row, its items read once here whether or not a row needs them (a campaign's reports
    # are made against its standard): the page's cost does not depend on what it shows.
    standard = campaign.standard
    assert standard.item_numbers is not None
    rows = [
        CommunityRow(
            community=c,
            enrolment_kind=c.enrolment_kind,
            # What the row shows of it, read in the same query (never saved).
            assessment=SelfAssessment(
                community=c,
                period=c.assessment_period,
                stage=c.assessment_stage,
                items=c.assessment_items or {},
                standard=standard,
            )
            if c.assessment_period
            else None,
            inspected_on=c.inspected_on,
            inspection_passed=c.inspection_passed,
            rectifying=c.rectifying,
            met_since=c.met_since,
        )
        for c in communities
    ]
    summary = StreetSummary(
        roster=len(rows),
        participating=sum(r.participating for r in rows),
        pilots=sum(r.is_pilot for r in rows),
        self_assessed=sum(r.self_assessed for r in rows),
        met=sum(r.met for r in rows),
    )
    return rows, summary


# --- a community ------------------------------------------------------------------------------------------------


@dataclass
class ItemLine:
    """One item of the standard: the community's own latest reported assessment of it and each inspection's finding."""

    item: StandardItem
    assessed: str
    assessed_label: StrOrPromise
    note: str
    findings: list[tuple[Inspection, InspectionAnswer | None]]  # one for each inspection, in signing order


@dataclass
class RectificationLine:
    rectification: Rectification
    status: str
    status_label: StrOrPromise
    overdue: bool


@dataclass
class ObjectionLine:
    objection: Objection
    decision: str
    decision_label: StrOrPromise
    decided_on: datetime.date | None


@dataclass
class CommunityStory:
    community: Community
    enrolment: Enrolment | None
    active: bool
    assessment: SelfAssessment | None
    inspections: list[Inspection]
    items: list[ItemLine]
    rectifications: list[RectificationLine]
    objections: list[ObjectionLine]
    met: Inspection | None
    revoked: Revocation | None = None  # the latest revocation by the date, whether or not a re-acceptance followed
    state: str = ""
    state_label: str = ""

    @property
    def is_pilot(self) -> bool:
        return self.active and self.enrolment is not None and self.enrolment.kind == Enrolment.Kind.PILOT


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment, LOCAL) if moment else None


def _rectification_line(rectification: Rectification, on: datetime.date) -> RectificationLine:
    """Where the rectification stood on `on`, from the dates its steps were taken."""
    status = Rectification.Status
    closing = rectification.closed_by_inspection
    if closing is not None and closing.signed_on and closing.signed_on <= on:
        now = status.CLOSED
    elif (_local_day(rectification.requested_at) or datetime.date.max) <= on:
        now = status.REINSPECTION_REQUESTED
    elif (_local_day(rectification.done_at) or datetime.date.max) <= on:
        now = status.DONE
    else:
        now = status.OPEN
    return RectificationLine(
        rectification=rectification,
        status=now,
        status_label=status(now).label,
        overdue=now == status.OPEN and rectification.due_on < on,
    )


def _objection_line(objection: Objection, on: datetime.date) -> ObjectionLine:
    decided_on = _local_day(objection.decided_at)
    if decided_on is None or decided_on > on:
        return ObjectionLine(objection, Objection.Decision.PENDING, Objection.Decision.PENDING.label, None)
    decision = Objection.Decision(objection.decision)
    return ObjectionLine(objection, decision, decision.label, decided_on)


def community_story(*, campaign: Campaign, community: Community, on: datetime.date) -> CommunityStory:
    """Everything the campaign knows of the community as of `on`, in a fixed number of queries."""
    enrolments = list(Enrolment.objects.filter(campaign=campaign, community=community, joined_on__lte=on))
    active = next((e for e in enrolments if e.withdrawn_on is None or e.withdrawn_on > on), None)
    enrolment = active or (enrolments[-1] if enrolments else None)
    assessment = reported_assessments(campaign=campaign, on=on).filter(community=community).order_by("-period").first()
    # Each signed inspection, and whether it is the one that makes the community meet on the date (and since when):
    # `met_inspections` asked within the same query.
    inspections = list(
        Inspection.objects.filter(community=community, status=Inspection.Status.SIGNED, signed_on__lte=on)
        .annotate(makes_met=Exists(met_inspections(on).filter(pk=OuterRef("pk"))), since=_met_since())
        .select_related("round", "assignment", "signed_by")
        .prefetch_related("answers")
        .order_by("signed_at", "pk")
    )
    # The campaign's items; an assessment made against another version (none, while campaigns do not overlap)
    # shows its states by number.
    items = list(standard_items(standard=campaign.standard_id))
    answers = [{answer.item_id: answer for answer in inspection.answers.all()} for inspection in inspections]
    item_status = SelfAssessment.ItemStatus
    lines = []
    for item in items:
        assessed = assessment.item_status(item.number) if assessment else ""
        lines.append(
            ItemLine(
                item=item,
                assessed=assessed,
                assessed_label=item_status(assessed).label if assessed else "",
                note=(assessment.notes.get(str(item.number), "") if assessment else ""),
                findings=[
                    (inspection, by_item.get(item.pk)) for inspection, by_item in zip(inspections, answers, strict=True)
                ],
            )
        )
    rectifications = [
        _rectification_line(r, on)
        for r in Rectification.objects.filter(community=community, inspection__signed_on__lte=on)
        .select_related("item", "inspection", "closed_by_inspection")
        .order_by("inspection__signed_at", "item__number")
    ]
    objections = [
        _objection_line(o, on)
        for o in Objection.objects.filter(inspection__community=community, received_on__lte=on)
        .select_related("inspection")
        .order_by("received_on", "pk")
    ]
    met = next((inspection for inspection in inspections if inspection.makes_met), None)
    revoked = Revocation.objects.filter(community=community, revoked_on__lte=on).order_by("-revoked_on").first()
    story = CommunityStory(
        community=community,
        enrolment=enrolment,
        active=active is not None,
        assessment=assessment,
        inspections=inspections,
        items=lines,
        rectifications=rectifications,
        objections=objections,
        met=met,
        revoked=revoked,
    )
    story.state, story.state_label = _state(story)
    return story


def _state(story: CommunityStory) -> tuple[str, str]:
    """Where the community stands in acceptance on the date, in words; whether it met is `met_inspections`' answer."""
    if story.met is not None:
        return "met", _("Meets the creation requirements")
    # A re-check's inspections do not decide; a revocation after the latest acceptance does.
    accepted = [i for i in story.inspections if not i.round.is_recheck]
    if not accepted:
        return "waiting", _("Awaiting acceptance")
    latest = accepted[-1]
    assert latest.signed_on is not None  # the story holds signed inspections only
    if story.revoked is not None and story.revoked.revoked_on > latest.signed_on:
        return "revoked", _("Title revoked from %(date)s") % {"date": date_format(story.revoked.revoked_on)}
    if not latest.passed:
        return "failed", _("Not passed, rectifying")
    raised = [line for line in story.objections if line.objection.inspection_id == latest.pk]
    if any(line.decision == Objection.Decision.PENDING for line in raised):
        return "objection", _("Objection pending")
    if any(line.decision == Objection.Decision.UPHELD for line in raised):
        return "upheld", _("Objection upheld; does not meet the requirements")
    assert latest.notice_ends_on is not None  # set when the inspection is signed
    return "notice", _("Under public notice until %(date)s") % {"date": date_format(latest.notice_ends_on)}


# --- the communities that failed an item --------------------------------------------------------------------------


def item_failures(
    *, campaign: Campaign, number: int, on: datetime.date, district: District | None
) -> QuerySet[InspectionAnswer]:
    """The failing answers on item `number` of the latest signed inspection of each community on the campaign's roster
    on `on`: the communities the dashboards count as inspected on the item and not meeting it."""
    answers = InspectionAnswer.objects.filter(
        item__number=number,
        result=InspectionAnswer.Result.FAILS,
        inspection__in=latest_signed(on),
        inspection__community__in=roster_communities(campaign=campaign, on=on),
    )
    if district is not None:
        answers = answers.filter(inspection__district=district)
    return answers.select_related(
        "inspection__community__street", "inspection__community__district", "inspection__round"
    ).order_by("inspection__district__code", "inspection__community__code")
