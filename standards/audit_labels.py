"""What the acceptance and evidence services' audit entries mean, for the trail's reader (`districts.audit`)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from districts.audit import ChangeLabel, change_labels

from .models import InspectionAnswer, Rectification, SelfAssessment

ITEM_KEY = re.compile(r"item (\d+)")
SUB_CHECKS_KEY = re.compile(r"item (\d+) sub-indicators")


@change_labels("standards.inspection")
def _inspection(name: str) -> ChangeLabel | None:
    """An answer is recorded on its inspection under "item N"."""
    match = ITEM_KEY.fullmatch(name)
    if match:
        return _("Item %(n)s") % {"n": match.group(1)}, dict(InspectionAnswer.Result.choices)
    # The sub-indicators checked with an item, {refinement id: met or not met}.
    match = SUB_CHECKS_KEY.fullmatch(name)
    if match:
        return _("Item %(n)s: sub-indicators") % {"n": match.group(1)}, dict(InspectionAnswer.SubCheck.choices)
    return None


@change_labels("districts.community")
def _community(name: str) -> ChangeLabel | None:
    """A re-inspection request is recorded on the community, with its rectifications' status."""
    if name == "rectification":
        return _("rectification"), dict(Rectification.Status.choices)
    return None


@change_labels("standards.selfassessment")
def _self_assessment(name: str) -> ChangeLabel | None:
    """A row's items are stored as {number: state}."""
    if name == "items":
        return SelfAssessment._meta.get_field("items").verbose_name, dict(SelfAssessment.ItemStatus.choices)
    return None


@change_labels("standards.evidence")
def _evidence(name: str) -> ChangeLabel | None:
    if name == "sha256":
        return _("SHA-256 checksum"), {}
    return None
