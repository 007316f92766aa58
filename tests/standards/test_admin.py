import pytest

from districts.models import AuditEntry
from standards.models import StandardCategory, StandardItem

pytestmark = pytest.mark.django_db


def test_the_standard_is_loaded_verbatim_with_its_departments():
    assert StandardCategory.objects.count() == 5
    assert list(StandardCategory.objects.values_list("items__number", flat=True).order_by("items__number")) == list(
        range(1, 17)
    )
    assert StandardItem.objects.get(number=12).text == "物业管理覆盖面不低于30%"
    fire = StandardCategory.objects.get(number=2).departments.values_list("name", flat=True)
    assert set(fire) == {"市住房城乡建设委", "市城市管理委", "市水务局", "市消防救援总队"}


def test_an_item_edited_in_the_admin_is_audited_with_old_and_new_text(client, commission_admin):
    item = StandardItem.objects.get(number=16)
    client.force_login(commission_admin)
    response = client.post(
        f"/admin/standards/standarditem/{item.pk}/change/",
        {"number": 16, "category": item.category_id, "text": "历史文化资源得到有效保护（修订）"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_id=str(item.pk), content_type__model="standarditem")
    assert entry.source == "admin" and entry.actor == commission_admin
    assert entry.changes["text"][1] == "历史文化资源得到有效保护（修订）"
    # The checkbox was left unticked, so the admin turned "not applicable" off: that is recorded too.
    assert entry.changes["allows_not_applicable"] == [True, False]


def test_the_audit_trail_cannot_be_changed_in_the_admin(client, commission_admin):
    client.force_login(commission_admin)
    entry = AuditEntry.objects.create(action="update", note="x")
    assert client.post(f"/admin/districts/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_a_rounds_end_date_is_moved_on_its_page_with_a_reason_not_in_the_admin(client, commission_admin):
    """Issue 14 item 3: an extension needs a reason and is listed on the round; the admin cannot bypass it."""
    import datetime

    from standards.acceptance import round_create

    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=datetime.date(2021, 10, 1),
        closes_on=datetime.date(2021, 12, 31),
        by=commission_admin,
    )
    client.force_login(commission_admin)
    assert 'name="closes_on"' in client.get("/admin/standards/acceptanceround/add/").content.decode()
    change = f"/admin/standards/acceptanceround/{round_.pk}/change/"
    assert 'name="closes_on"' not in client.get(change).content.decode()
    data = {"name": "2021年度验收", "year": 2021, "opens_on": "2021-10-01", "closes_on": "2099-12-31"}
    client.post(change, {**data, "notice_days": 0, "rectification_days": 30})
    round_.refresh_from_db()
    assert round_.closes_on == datetime.date(2021, 12, 31)
