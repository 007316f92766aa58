"""Every write to a report: open, save, the per-community rows, and the workflow transitions.

Each service locks what it changes, checks the report's state and the writer's version, writes, audits and
records the step in the report's history, all in one transaction. A save made on an older copy is refused
with `ReportConflict`, which carries what the other person changed, so the caller can show it while keeping
what this user typed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from districts.audit import actor, audit_entry, audit_record, diff, readable_change_rows, snapshot
from districts.models import AuditEntry, Department, District
from greencommunity.people import person_name
from outbox.services import enqueue_on_commit
from reporting.figures.rollups import rollup_on_commit
from reporting.figures.selectors import annual_years, district_figures, month_end
from reporting.models import DEADLINE_OF, Campaign, Enrolment, PlanTarget, Report, ReportEvent, WorkAssignment
from reporting.reports.narrative import NARRATIVE_FIELDS
from reporting.tasks import report_transition_notify
from standards.models import SelfAssessment
from standards.services import AssessmentError, self_assessment_clean


class ReportError(Exception):
    """The change is not allowed in the report's current state; the message is for the user."""


@dataclass
class ReportConflict(Exception):
    """Someone saved a newer version first. `changes` are theirs: [(label, old, new)], newest last."""

    current_version: int
    changed_by: str
    changed_at: datetime.datetime | None
    changes: list[tuple[str, object, object]] = field(default_factory=list)

    def __str__(self) -> str:
        return _("%(who)s saved a newer version first; your changes were not saved.") % {"who": self.changed_by}


def _event(report: Report, action: str, from_status: str, by: Any, comment: str = "") -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=actor(by),
        comment=comment,
    )


def _conflict(obj: Any, since_version: int, current_version: int) -> ReportConflict:
    """What changed on `obj` after `since_version`, read back from the audit trail."""
    entries = list(
        AuditEntry.objects.filter(
            content_type__app_label=obj._meta.app_label,
            content_type__model=obj._meta.model_name,
            object_id=str(obj.pk),
            changes___version__1__gt=since_version,
        )
        .select_related("actor")
        .order_by("at", "id")
    )
    # A report's narrative fields are shown under the names its kind gives them (本月工作进展, not 工作进展).
    labels = {name: str(label) for name, label in NARRATIVE_FIELDS.get(getattr(obj, "kind", ""), [])}
    changes = [
        (labels.get(name, label), old, new)
        for entry in entries
        for name, label, old, new in readable_change_rows(entry)
    ]
    last = entries[-1] if entries else None
    who = person_name(last.actor) if last and last.actor else _("someone else")
    return ReportConflict(current_version, who, last.at if last else None, changes)


# --- opening a report -----------------------------------------------------------------------------------------


def report_period_check(*, campaign: Campaign, kind: str, period: datetime.date, today: datetime.date) -> None:
    """Raise ReportError unless `period` is one the campaign expects a report for, and it has begun."""
    if kind == Report.Kind.MONTHLY:
        first, last = campaign.starts_on.replace(day=1), campaign.ends_on.replace(day=1)
        if period.day != 1 or not first <= period <= last:
            raise ReportError(_("The campaign has no monthly report for that month."))
        if period > today:
            raise ReportError(_("That month has not begun yet."))
    elif kind == Report.Kind.ANNUAL:
        if period.month != 1 or period.day != 1 or period.year not in annual_years(campaign):
            raise ReportError(_("The campaign has no annual report for that year."))
        if period > today:
            raise ReportError(_("That year has not begun yet."))
    elif kind == Report.Kind.IMPLEMENTATION_PLAN:
        if period != campaign.starts_on:
            raise ReportError(_("The implementation plan belongs to the campaign's start."))
    else:
        raise ReportError(_("Unknown report kind."))


def report_open(
    *,
    campaign: Campaign,
    kind: str,
    period: datetime.date,
    by: Any,
    district: District | None = None,
    department: Department | None = None,
    today: datetime.date | None = None,
) -> Report:
    """The report for this filer and period, started (and pre-filled) if it does not exist yet. Idempotent."""
    today = today or timezone.localdate()
    report_period_check(campaign=campaign, kind=kind, period=period, today=today)
    if (district is None) == (department is None):
        raise ReportError(_("A report is filed by one district or one department."))
    if department is not None and kind != Report.Kind.ANNUAL:
        raise ReportError(_("Departments file only the annual report."))
    deadline = campaign.deadlines.filter(kind=DEADLINE_OF[kind]).first()
    if deadline is None:
        raise ReportError(_("The campaign has no deadline for this kind of report."))
    with transaction.atomic():
        report, was_created = Report.objects.get_or_create(
            campaign=campaign,
            kind=kind,
            district=district,
            department=department,
            period=period,
            defaults={"due_on": deadline.due_for(period), "created_by": actor(by), "updated_by": actor(by)},
        )
        if was_created:
            _event(report, ReportEvent.Action.CREATED, "", by)
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=report,
                district_id=report.district_id,
                changes={"status": [None, report.status]},
            )
    if kind == Report.Kind.MONTHLY and report.is_editable:
        report_rows_sync(report=report)
    return report


def participating_in_month(report: Report) -> Any:
    """Enrolments of the report's district active at any time in its month."""
    end = month_end(report.period)
    return Enrolment.objects.filter(
        campaign=report.campaign, community__district=report.district, joined_on__lte=end
    ).exclude(withdrawn_on__lt=report.period)


def report_rows_sync(*, report: Report) -> int:
    """Give every community taking part in the month a row, pre-filled from the last accepted month.

    Rows that exist are left alone, so this is safe to call on every visit; communities that withdrew in the
    month are marked withdrawn. Returns the number of rows added.
    """
    if report.kind != Report.Kind.MONTHLY or not report.is_editable or not _rows_need_sync(report):
        return 0
    assert report.district_id is not None  # a monthly report is a district's
    end = month_end(report.period)
    enrolments = {e.community_id: e for e in participating_in_month(report).order_by("joined_on")}
    existing = set(
        SelfAssessment.objects.filter(district=report.district, period=report.period).values_list(
            "community_id", flat=True
        )
    )
    missing = [cid for cid in enrolments if cid not in existing]
    withdrawn = [cid for cid, e in enrolments.items() if e.withdrawn_on is not None and e.withdrawn_on <= end]
    with transaction.atomic():
        if missing:
            previous = _last_accepted_period(report)
            carried = (
                {
                    a.community_id: a
                    for a in SelfAssessment.objects.filter(
                        district=report.district, period=previous, community_id__in=missing
                    )
                }
                if previous
                else {}
            )
            SelfAssessment.objects.bulk_create(
                [
                    SelfAssessment(
                        community_id=cid,
                        district_id=report.district_id,
                        period=report.period,
                        standard_id=report.campaign.standard_id,
                        stage=carried[cid].stage if cid in carried else SelfAssessment.Stage.NOT_STARTED,
                        items=dict(carried[cid].items) if cid in carried else {},
                        notes=dict(carried[cid].notes) if cid in carried else {},
                    )
                    for cid in missing
                ],
                ignore_conflicts=True,  # two first visits at once: the second adds nothing
            )
        if withdrawn:
            SelfAssessment.objects.filter(
                district=report.district, period=report.period, community_id__in=withdrawn
            ).exclude(stage=SelfAssessment.Stage.WITHDRAWN).update(
                stage=SelfAssessment.Stage.WITHDRAWN, version=F("version") + 1
            )
    return len(missing)


def _rows_need_sync(report: Report) -> bool:
    """Whether a community taking part in the month has no row yet, or withdrew by its end and its row is not marked.

    One query, so that the report page, which syncs on every view, pays little when (as almost always) nothing is
    to do. It may answer yes when the full sync then finds nothing (a community that withdrew and joined again in the
    same month), never no when there is something.
    """
    rows = SelfAssessment.objects.filter(period=report.period, community=OuterRef("community_id"))
    open_row = rows.exclude(stage=SelfAssessment.Stage.WITHDRAWN)
    withdrawn = Q(withdrawn_on__lte=month_end(report.period))
    return participating_in_month(report).filter(~Exists(rows) | (withdrawn & Exists(open_row))).exists()


def _last_accepted_period(report: Report) -> datetime.date | None:
    return (
        Report.objects.filter(
            campaign=report.campaign,
            kind=Report.Kind.MONTHLY,
            district=report.district,
            period__lt=report.period,
            status=Report.Status.ACCEPTED,
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


# --- saving ---------------------------------------------------------------------------------------------------


def _require_editable(report: Report) -> None:
    if report.status == Report.Status.ACCEPTED:
        raise ReportError(_("This report has been accepted and is locked; only the commission can unlock it."))
    if not report.is_editable:
        raise ReportError(_("This report is waiting for review and cannot be changed now."))


def report_save(
    *,
    report: Report,
    version: int,
    data: Mapping[str, str],
    by: Any,
    targets: Sequence[Mapping[str, Any]] | None = None,
    assignments: Sequence[Mapping[str, Any]] | None = None,
) -> Report:
    """Save the narrative (and, for a plan, its targets and division of work) if `version` is still current."""
    names = [name for name, _label in NARRATIVE_FIELDS[report.kind]]
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        _require_editable(locked)
        if locked.version != version:
            raise _conflict(locked, version, locked.version)
        before = snapshot(locked, names)
        before_rows = _plan_rows(locked) if targets is not None else {}
        for name in names:
            setattr(locked, name, (data.get(name) or "").strip())
        if targets is not None:
            _plan_rows_replace(locked, targets, assignments or [])
        after_rows = _plan_rows(locked) if targets is not None else {}
        changes = diff(before, snapshot(locked, names)) | diff(before_rows, after_rows)
        if not changes:
            return locked
        locked.version += 1
        locked.updated_by = actor(by)
        locked.save()
        changes["_version"] = [version, locked.version]
        audit_record(
            actor=by, action=AuditEntry.Action.UPDATE, obj=locked, district_id=locked.district_id, changes=changes
        )
    return locked


def _plan_rows(report: Report) -> dict[str, str]:
    """A plan's targets and division of work as the audit trail and the conflict notice show them, in words."""
    with translation.override(settings.LANGUAGE_CODE):
        targets = "；".join(
            _("%(year)d: %(communities)d communities to meet the standard, %(pilots)d pilots per subdistrict")
            % {"year": t.year, "communities": t.communities, "pilots": t.pilots_per_street}
            for t in report.targets.order_by("year")
        )
        work = "；".join(
            " · ".join([a.task, a.unit] + ([_("by %(date)s") % {"date": _long_date(a.due_on)}] if a.due_on else []))
            for a in report.assignments.order_by("id")
        )
    return {"targets": targets, "assignments": work}


def _long_date(day: datetime.date) -> str:
    return formats.date_format(day, "Y年n月j日")


def _plan_rows_replace(
    report: Report, targets: Sequence[Mapping[str, Any]], assignments: Sequence[Mapping[str, Any]]
) -> None:
    years = [t["year"] for t in targets]
    if len(years) != len(set(years)):
        raise ReportError(_("Each year may have one target only."))
    report.targets.all().delete()
    PlanTarget.objects.bulk_create([PlanTarget(report=report, **t) for t in targets])
    report.assignments.all().delete()
    WorkAssignment.objects.bulk_create([WorkAssignment(report=report, **a) for a in assignments])


def assessment_save(
    *,
    report: Report,
    assessment: SelfAssessment,
    version: int,
    stage: str,
    items: Mapping[str, str],
    notes: Mapping[str, str],
    by: Any,
) -> SelfAssessment:
    """Save one community's row of a monthly report if `version` is still current."""
    try:
        stage, items, notes = self_assessment_clean(standard=assessment.standard, stage=stage, items=items, notes=notes)
    except AssessmentError as error:
        raise ReportError(str(error)) from error
    with transaction.atomic():
        locked_report = Report.objects.select_for_update().get(pk=report.pk)
        _require_editable(locked_report)
        row = SelfAssessment.objects.select_for_update().select_related("community").get(pk=assessment.pk)
        if row.district_id != locked_report.district_id or row.period != locked_report.period:
            raise ReportError(_("That community is not part of this report."))
        if row.stage == SelfAssessment.Stage.WITHDRAWN:
            raise ReportError(_("This community has withdrawn from the campaign; its row cannot be changed."))
        if row.version != version:
            raise _conflict(row, version, row.version)
        fields = ["stage", "items", "notes"]
        before = snapshot(row, fields)
        row.stage, row.items, row.notes = stage, items, notes
        changes = diff(before, snapshot(row, fields))
        if not changes:
            return row
        row.version += 1
        row.updated_by = actor(by)
        row.save()
        changes["_version"] = [version, row.version]
        audit_record(actor=by, action=AuditEntry.Action.UPDATE, obj=row, district_id=row.district_id, changes=changes)
        Report.objects.filter(pk=report.pk).update(updated_at=timezone.now(), updated_by=actor(by))
    return row


def assessments_bulk_set(
    *,
    report: Report,
    ids: Iterable[int],
    by: Any,
    stage: str = "",
    item: int | None = None,
    item_status: str = "",
) -> int:
    """Set the stage, or one item's state, on many rows at once; all or nothing.

    A row that would break a rule (a stage of "meets" with items still open) stops the whole change with the
    community's name in the message. Returns how many rows changed. A bulk set is a deliberate overwrite: it does not check versions, but it
    raises every row's version, so anyone editing one of them is told on their next save.
    """
    ids = list(ids)
    if not ids:
        raise ReportError(_("Choose at least one community."))
    if not stage and not (item and item_status):
        raise ReportError(_("Choose what to set."))
    with transaction.atomic():
        locked_report = Report.objects.select_for_update().get(pk=report.pk)
        _require_editable(locked_report)
        rows = list(
            SelfAssessment.objects.select_for_update()
            .filter(pk__in=ids, district_id=locked_report.district_id, period=locked_report.period)
            .exclude(stage=SelfAssessment.Stage.WITHDRAWN)
            .select_related("community", "standard")
            .order_by("pk")
        )
        # The rows share a few standards (one, in practice): read each one's items once.
        standards = {row.standard_id: row.standard for row in rows}
        if len(rows) != len(set(ids)):
            raise ReportError(_("Some of the chosen communities are not part of this report."))
        if item and any(item not in standard.item_numbers for standard in standards.values()):
            raise ReportError(_("There is no item %(number)s in this campaign's standard.") % {"number": item})
        entries, changed_rows, now = [], [], timezone.now()
        for row in rows:
            new_stage, new_items = row.stage, dict(row.items)
            if stage:
                new_stage = stage
            if item:
                new_items[str(item)] = item_status
            try:
                new_stage, new_items, new_notes = self_assessment_clean(
                    standard=standards[row.standard_id], stage=new_stage, items=new_items, notes=row.notes
                )
            except AssessmentError as error:
                raise ReportError(f"{row.community.name}：{error}") from error
            before = snapshot(row, ["stage", "items"])
            row.stage, row.items, row.notes = new_stage, new_items, new_notes
            changes = diff(before, snapshot(row, ["stage", "items"]))
            if not changes:
                continue
            row.version += 1
            row.updated_by, row.updated_at = actor(by), now
            changes["_version"] = [row.version - 1, row.version]
            entries.append(
                audit_entry(
                    actor=by,
                    action=AuditEntry.Action.UPDATE,
                    obj=row,
                    district_id=row.district_id,
                    changes=changes,
                    note=_("bulk change"),
                )
            )
            changed_rows.append(row)
        SelfAssessment.objects.bulk_update(
            changed_rows, ["stage", "items", "notes", "version", "updated_by", "updated_at"]
        )
        AuditEntry.objects.bulk_create(entries)
    return len(changed_rows)


# --- the workflow ---------------------------------------------------------------------------------------------


def _transition(
    report: Report, *, allowed_from: Sequence[str], to: str, action: str, by: Any, comment: str = ""
) -> Report:
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status not in allowed_from:
            raise ReportError(
                _("This report is %(status)s; that step is not possible now.") % {"status": locked.get_status_display()}
            )
        from_status = locked.status
        locked.status = to
        locked.version += 1
        now = timezone.now()
        if to in (Report.Status.SUBMITTED, Report.Status.RESUBMITTED):
            locked.submitted_at = now
            locked.first_submitted_at = locked.first_submitted_at or now
            locked.figures = _frozen_figures(locked)
        if to == Report.Status.ACCEPTED:
            locked.accepted_at = now
        if from_status == Report.Status.ACCEPTED:
            locked.accepted_at = None
        locked.save()
        _event(locked, action, from_status, by, comment)
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": [from_status, to], "_version": [locked.version - 1, locked.version]},
            note=comment,
        )
        # Written with the step itself and sent once it commits; kept for later when the broker is down.
        enqueue_on_commit(report_transition_notify, args=[locked.pk, action])
    rollup_on_commit()
    return locked


def _frozen_figures(report: Report) -> dict[str, Any]:
    if report.kind != Report.Kind.MONTHLY:
        return {}
    assert report.district is not None  # a monthly report is a district's
    return district_figures(campaign=report.campaign, district=report.district, period=report.period, stating=report)


def report_submit(*, report: Report, by: Any) -> Report:
    missing = [str(label) for name, label in NARRATIVE_FIELDS[report.kind][:1] if not getattr(report, name).strip()]
    if missing:
        raise ReportError(_("Fill in %(field)s before submitting.") % {"field": missing[0]})
    if report.status == Report.Status.RETURNED:
        return _transition(
            report,
            allowed_from=[Report.Status.RETURNED],
            to=Report.Status.RESUBMITTED,
            action=ReportEvent.Action.RESUBMITTED,
            by=by,
        )
    return _transition(
        report,
        allowed_from=[Report.Status.DRAFT],
        to=Report.Status.SUBMITTED,
        action=ReportEvent.Action.SUBMITTED,
        by=by,
    )


def report_return(*, report: Report, comment: str, by: Any) -> Report:
    comment = comment.strip()
    if not comment:
        raise ReportError(_("Say what needs to change before returning the report."))
    return _transition(
        report,
        allowed_from=[Report.Status.SUBMITTED, Report.Status.RESUBMITTED],
        to=Report.Status.RETURNED,
        action=ReportEvent.Action.RETURNED,
        by=by,
        comment=comment,
    )


def report_accept(*, report: Report, by: Any, comment: str = "") -> Report:
    return _transition(
        report,
        allowed_from=[Report.Status.SUBMITTED, Report.Status.RESUBMITTED],
        to=Report.Status.ACCEPTED,
        action=ReportEvent.Action.ACCEPTED,
        by=by,
        comment=comment.strip(),
    )


def report_unlock(*, report: Report, reason: str, by: Any) -> Report:
    """Reopen an accepted report for changes: it goes back to the filer as returned, with the reason."""
    reason = reason.strip()
    if not reason:
        raise ReportError(_("Give the reason for unlocking."))
    return _transition(
        report,
        allowed_from=[Report.Status.ACCEPTED],
        to=Report.Status.RETURNED,
        action=ReportEvent.Action.UNLOCKED,
        by=by,
        comment=reason,
    )
