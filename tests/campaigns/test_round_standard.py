"""Issue 17 item 3: an acceptance round inspects against its own standard version (its campaign's)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from districts.models import Community
from reporting.models import Campaign
from standards.acceptance import (
    AcceptanceError,
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)
from standards.versions import standard_item_add, standard_version_copy

pytestmark = pytest.mark.django_db


def test_a_round_of_a_new_standard_needs_its_items_and_answers_them_on_its_own_items(inspector, commission_admin):
    old = Campaign.objects.current()
    assert old is not None
    new = standard_version_copy(source=old.standard, name="2026年版", by=commission_admin)
    first = new.items.get(number=1)
    standard_item_add(
        version=new, category=first.category, text="新增条目", allows_not_applicable=False, by=commission_admin
    )
    today = timezone.localdate()
    round_ = round_create(
        name="2026年度验收",
        year=2026,
        opens_on=today - datetime.timedelta(days=3),
        closes_on=today + datetime.timedelta(days=30),
        standard=new,
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin)
    community = Community.objects.filter(street__code="120101001").order_by("code").first()
    (assignment,) = assignments_create(round=round_, communities=[community], team=team, by=commission_admin)
    inspection = inspection_start(assignment=assignment, by=inspector)
    for number in range(1, 17):
        answer = answer_save(inspection=inspection, item_number=number, result="meets", note="", by=inspector)
        assert answer.item.version_id == new.pk
    with pytest.raises(AcceptanceError, match="17"):
        inspection_sign(inspection=inspection, by=inspector)
    answer_save(inspection=inspection, item_number=17, result="meets", note="", by=inspector)
    signed = inspection_sign(inspection=inspection, by=inspector)
    assert signed.passed and signed.answers.count() == 17
    assert not signed.answers.filter(item__version=old.standard).exists()
