"""Issue 17 item 3: the commission opens a campaign with a copy of an earlier standard, edits it, makes it current;
an old campaign's records stay readable against their own standard."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from districts.models import AuditEntry, Community, District
from reporting.campaigns.services import CampaignError, campaign_make_current, campaign_open
from reporting.models import Campaign, Report
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.models import SelfAssessment
from standards.versions import standard_item_add, standard_item_update, standard_version_copy

pytestmark = pytest.mark.django_db
D = datetime.date
NEW_TEXT = "社区议事协商常态化开展"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _new_campaign(by, *, current: bool = True) -> Campaign:
    old = Campaign.objects.current()
    assert old is not None
    standard = standard_version_copy(source=old.standard, name="天津市绿色社区创建标准（2023年版）", by=by)
    first = standard.items.get(number=1)
    standard_item_update(item=first, text=NEW_TEXT, category=first.category, allows_not_applicable=False, by=by)
    campaign = campaign_open(
        name="天津市绿色社区创建行动（2023—2025年）",
        issued_by="天津市住房和城乡建设委员会",
        starts_on=D(2023, 1, 1),
        ends_on=D(2025, 12, 31),
        standard=standard,
        monthly_due_day=10,
        by=by,
    )
    if current:
        campaign_make_current(campaign=campaign, by=by)
    return campaign


def _form(**extra: str) -> dict[str, str]:
    current = Campaign.objects.current()
    assert current is not None
    data = {
        "name": "天津市绿色社区创建行动（2023—2025年）",
        "issued_by": "天津市住房和城乡建设委员会",
        "starts_on": "2023-01-01",
        "ends_on": "2025-12-31",
        "monthly_due_day": "10",
        "copy_from": str(current.standard_id),
        "standard_name": "天津市绿色社区创建标准（2023年版）",
        "phase-TOTAL_FORMS": "1",
        "phase-INITIAL_FORMS": "0",
        "phase-0-name": "全面推进阶段",
        "phase-0-starts_on": "2023-01-01",
        "phase-0-ends_on": "2025-12-31",
        "milestone-TOTAL_FORMS": "2",  # the second row left blank, as the page offers it
        "milestone-INITIAL_FORMS": "0",
        "milestone-0-name": "各区80%以上城市社区达到创建要求",
        "milestone-0-kind": "met_share",
        "milestone-0-due_on": "2025-12-31",
        "milestone-0-target_share": "0.8",
        "milestone-1-kind": "",
    }
    data.update(extra)
    return data


def test_the_commission_opens_a_campaign_with_a_copied_standard_and_edits_it(client_for, commission_admin):
    client = client_for(commission_admin)
    response = client.post(reverse("campaign_new"), _form())
    campaign = Campaign.objects.get(name="天津市绿色社区创建行动（2023—2025年）")
    assert response.status_code == 302 and response["Location"] == reverse("campaign_standard", args=[campaign.pk])
    assert not campaign.is_current and campaign.standard.items.count() == 16
    assert list(campaign.phases.values_list("name", flat=True)) == ["全面推进阶段"]
    assert campaign.milestones.get().target_share == Decimal("0.800")
    assert campaign.deadlines.get(kind="monthly_report").day == 10
    item = campaign.standard.items.get(number=2)
    response = client.post(
        reverse("campaign_standard_item", args=[campaign.pk, item.pk]),
        {f"item-{item.pk}-text": NEW_TEXT, f"item-{item.pk}-category": item.category_id, "action": "save"},
    )
    assert response.status_code == 302
    page = _text(client.get(reverse("campaign_standard", args=[campaign.pk])))
    assert NEW_TEXT in page and "尚无记录按此标准填报" in page
    assert Campaign.objects.exclude(pk=campaign.pk).get().standard.items.get(number=2).text != NEW_TEXT
    assert AuditEntry.objects.filter(content_type__model="campaign", action="create").exists()


def test_a_campaign_overlapping_another_is_refused_in_chinese_and_leaves_nothing(client_for, commission_admin):
    client = client_for(commission_admin)
    versions_before = Campaign.objects.current().standard.__class__.objects.count()
    response = client.post(reverse("campaign_new"), _form(starts_on="2022-06-01"))
    assert response.status_code == 400
    assert "日期与“天津市绿色社区创建行动（2020—2022年）”" in _text(response)
    assert "2020年11月1日" in _text(response) and "2020-11-01" not in _text(response)
    assert Campaign.objects.count() == 1
    assert Campaign.objects.current().standard.__class__.objects.count() == versions_before


def test_making_a_campaign_current_asks_for_confirmation(client_for, commission_admin):
    campaign = _new_campaign(commission_admin, current=False)
    client = client_for(commission_admin)
    response = client.post(reverse("campaign_make_current", args=[campaign.pk]), {})
    assert response.status_code == 400 and "请勾选以确认" in _text(response)
    assert not Campaign.objects.get(pk=campaign.pk).is_current
    client.post(reverse("campaign_make_current", args=[campaign.pk]), {"confirm": "1"})
    assert Campaign.objects.current() == campaign


@pytest.mark.hostile
def test_an_item_of_another_campaigns_standard_cannot_be_edited_through_this_one(client_for, commission_admin):
    campaign = _new_campaign(commission_admin, current=False)
    old_item = Campaign.objects.exclude(pk=campaign.pk).get().standard.items.get(number=3)
    response = client_for(commission_admin).post(
        reverse("campaign_standard_item", args=[campaign.pk, old_item.pk]), {"action": "remove"}
    )
    assert response.status_code == 404
    assert old_item.__class__.objects.filter(pk=old_item.pk).exists()


def test_a_closed_campaigns_records_stay_readable(client_for, commission_admin, heping_staff):
    """The 2020 campaign's report keeps showing its rows against the 2020 items after a new campaign is current."""
    old = Campaign.objects.current()
    communities = list(Community.objects.filter(street__code="120101001").order_by("code")[:2])
    enrolment_enrol(campaign=old, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    report = report_open(
        campaign=old,
        kind="monthly",
        period=D(2021, 3, 1),
        district=District.objects.get(code="120101"),
        by=heping_staff,
    )
    row = SelfAssessment.objects.get(community=communities[0], period=D(2021, 3, 1))
    SelfAssessment.objects.filter(pk=row.pk).update(items={"1": "meets"})
    new = _new_campaign(commission_admin)
    assert Campaign.objects.current() == new

    client = client_for(heping_staff)
    page = _text(client.get(report.get_absolute_url()))
    assert "1/16" in page and communities[0].name in page
    form = _text(client.get(reverse("report_row", args=[report.pk, row.pk])))
    assert "坚持美好环境与幸福生活共同缔造理念" in form and NEW_TEXT not in form
    listed = _text(client.get(reverse("report_list") + f"?campaign={old.pk}&on=2021-04-10"))
    assert ">2021年3月<" in listed
    current_list = _text(client.get(reverse("report_list") + f"?campaign={new.pk}&on=2023-02-20"))
    assert ">2023年1月<" in current_list and ">2021年3月<" not in current_list


def test_the_picker_shows_only_when_there_is_more_than_one_campaign_and_keeps_the_choice(client_for, reviewer):
    client = client_for(reviewer)
    assert 'id="campaign-picker"' not in _text(client.get(reverse("home")))
    old = Campaign.objects.current()
    new = _new_campaign(None)
    page = _text(client.get(reverse("home")))
    assert 'id="campaign-picker"' in page and f'<option value="{new.pk}" selected>' in page
    client.get(reverse("home") + f"?campaign={old.pk}")
    page = _text(client.get(reverse("dashboard")))
    assert f'<option value="{old.pk}" selected>' in page and old.name in page


def test_the_api_answers_for_the_campaign_asked_for(client_for, reviewer, commission_admin):
    old = Campaign.objects.current()
    new = _new_campaign(commission_admin)
    client = client_for(reviewer)
    current = client.get("/api/v1/standards/").json()
    earlier = client.get(f"/api/v1/standards/?campaign={old.pk}").json()
    assert current["results"][0]["items"][0]["text"] == NEW_TEXT
    assert earlier["results"][0]["items"][0]["text"].startswith("坚持美好环境")
    assert client.get("/api/v1/standards/?campaign=999999").status_code == 404
    assert new.pk != old.pk


def test_a_campaign_must_end_after_it_starts(commission_admin):
    with pytest.raises(CampaignError, match="结束日期须晚于开始日期"):
        campaign_open(
            name="x",
            issued_by="y",
            starts_on=D(2024, 1, 1),
            ends_on=D(2023, 1, 1),
            standard=Campaign.objects.current().standard,
            monthly_due_day=5,
            by=commission_admin,
        )
    assert Report.objects.count() == 0


def test_the_home_page_says_a_running_campaign_without_milestones_ends_later_not_that_it_ended(
    client_for, commission_admin
):
    _new_campaign(commission_admin)
    client = client_for(commission_admin)
    running = _text(client.get("/?on=2024-06-30"))
    assert "暂无待到期的时间节点；创建行动至2025年12月31日结束。" in running and "已于" not in running
    ended = _text(client.get("/?on=2026-03-31"))
    assert "各时间节点均已过，创建行动已于2025年12月31日结束。" in ended


def test_the_standard_page_costs_the_same_queries_however_many_items_it_shows(client_for, commission_admin):
    """A form for every item, each with its category choice: the choices come from the categories read once."""
    campaign = _new_campaign(commission_admin, current=False)
    client = client_for(commission_admin)
    url = reverse("campaign_standard", args=[campaign.pk])

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return len(captured), page

    before, page = queries()
    category = campaign.standard.categories.order_by("number").first()
    assert f'<option value="{category.pk}" selected>{category.name}</option>' in page
    for text in ("社区议事厅每月开放", "楼门长制度全覆盖", "绿色出行宣传进社区"):
        standard_item_add(
            version=campaign.standard, category=category, text=text, allows_not_applicable=False, by=commission_admin
        )
    after, page = queries()
    assert "绿色出行宣传进社区" in page
    assert after == before
