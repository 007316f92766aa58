"""Rules for a community's self-assessment, shared by every page and import that writes one."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .models import SelfAssessment, StandardItem, StandardVersion

NOTE_MAX = 500


class AssessmentError(Exception):
    """The self-assessment is not valid; the message is for the user."""


def _items_allowing_not_applicable(standard: StandardVersion) -> frozenset[int]:
    return frozenset(
        StandardItem.objects.filter(version=standard, allows_not_applicable=True).values_list("number", flat=True)
    )


def self_assessment_clean(
    *, standard: StandardVersion, stage: str, items: Mapping[str, str], notes: Mapping[str, str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """Check and normalise a stage and the states and notes of the standard's items; raise AssessmentError with the
    reason."""
    if stage not in SelfAssessment.Stage.values or stage == SelfAssessment.Stage.WITHDRAWN:
        raise AssessmentError(_("Choose a stage from the list."))
    clean_items: dict[str, str] = {}
    clean_notes: dict[str, str] = {}
    allows_na = _items_allowing_not_applicable(standard)
    for number in standard.item_numbers:
        key = str(number)
        status = items.get(key) or SelfAssessment.ItemStatus.NOT_STARTED
        if status not in SelfAssessment.ItemStatus.values:
            raise AssessmentError(_("Item %(number)d: choose a state from the list.") % {"number": number})
        if status == SelfAssessment.ItemStatus.NOT_APPLICABLE and number not in allows_na:
            raise AssessmentError(_("Item %(number)d cannot be marked not applicable.") % {"number": number})
        if status != SelfAssessment.ItemStatus.NOT_STARTED:
            clean_items[key] = status
        note = (notes.get(key) or "").strip()
        if len(note) > NOTE_MAX:
            raise AssessmentError(
                _("Item %(number)d: the note is longer than %(max)d characters.") % {"number": number, "max": NOTE_MAX}
            )
        if note:
            clean_notes[key] = note
    if stage == SelfAssessment.Stage.MEETS:
        open_items = [
            str(n)
            for n in standard.item_numbers
            if clean_items.get(str(n))
            not in {SelfAssessment.ItemStatus.MEETS, SelfAssessment.ItemStatus.NOT_APPLICABLE}
        ]
        if open_items:
            raise AssessmentError(
                _("A community self-assessed as meeting the standard must meet every item; not yet: %(items)s.")
                % {"items": "、".join(open_items)}
            )
    return stage, clean_items, clean_notes
