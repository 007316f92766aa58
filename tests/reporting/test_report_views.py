"""The report pages through the test client: the filer's list, editing, the edit race, review and scope."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from districts.models import Community, District
from reporting.models import Campaign, Report
from reporting.reports.services import report_open, report_save
from reporting.services import enrolment_enrol
from standards.models import SelfAssessment

pytestmark = pytest.mark.django_db
D = datetime.date
SCRIPT = '<script>alert("x")</script><b>粗</b>'


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def _enrol(campaign, by, street="120101001", count=3):
    communities = list(Community.objects.filter(street__code=street).order_by("code")[:count])
    enrolment_enrol(campaign=campaign, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=by)
    return communities


@pytest.fixture
def march(campaign, heping_staff):
    _enrol(campaign, heping_staff)
    return report_open(
        campaign=campaign,
        kind="monthly",
        period=D(2021, 3, 1),
        district=District.objects.get(code="120101"),
        by=heping_staff,
    )


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_district_list_offers_every_expected_report_and_starts_one(client_for, heping_staff, campaign):
    client = client_for(heping_staff)
    page = _text(client.get(reverse("report_list") + "?on=2021-04-10"))
    assert ">2021年3月<" in page and ">2020年11月<" in page and ">2021年5月<" not in page  # periods begun by then
    assert "区级实施方案" in page
    response = client.post(reverse("report_start"), {"kind": "monthly", "period": "2021-03-01", "district": "120101"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.kind, report.period, report.district.code, report.status) == (
        "monthly",
        D(2021, 3, 1),
        "120101",
        "draft",
    )


def test_a_forged_district_or_period_is_refused_and_nothing_is_created(client_for, heping_staff, hexi_staff):
    client = client_for(hexi_staff)
    assert (
        client.post(
            reverse("report_start"), {"kind": "monthly", "period": "2021-03-01", "district": "120101"}
        ).status_code
        == 404
    )
    client = client_for(heping_staff)
    response = client.post(
        reverse("report_start"), {"kind": "monthly", "period": "2030-03-01", "district": "120101"}, follow=True
    )
    assert "本次创建行动没有该月份的月报" in _text(response)
    response = client.post(
        reverse("report_start"), {"kind": "monthly", "period": "三月", "district": "120101"}, follow=True
    )
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_the_report_page_shows_figures_rows_and_escapes_narrative(client_for, heping_staff, march):
    fields = ["progress", "practices", "problems", "next_plan"]
    report_save(report=march, version=march.version, data=dict.fromkeys(fields, SCRIPT), by=heping_staff)
    client = client_for(heping_staff)
    page = client.get(march.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    rows = SelfAssessment.objects.filter(period=march.period, district__code="120101")
    for row in rows:
        assert row.community.name in page
    assert "试点" in page  # the figures table
    printable = client.get(reverse("report_print", args=[march.pk])).content.decode()
    assert "<script>alert" not in printable and "&lt;script&gt;" in printable
    assert all(row.community.name in printable for row in rows)


def test_two_officers_saving_the_same_draft(client_for, heping_staff, make_user, march):
    from django.test import Client

    first, second = Client(), client_for(heping_staff)
    first.force_login(make_user("district-120101-b", "district_staff", district="120101"))
    url = reverse("report_narrative_save", args=[march.pk])
    seen = march.version
    response = first.post(
        url, {"version": seen, "progress": "甲：完成了三个社区的摸底", "practices": "", "problems": "", "next_plan": ""}
    )
    assert response.status_code == 302
    response = second.post(
        url, {"version": seen, "progress": "乙：召开了动员会", "practices": "乙的经验", "problems": "", "next_plan": ""}
    )
    assert response.status_code == 409
    page = _text(response)
    assert "district-120101-b" in page and "甲：完成了三个社区的摸底" in page  # what the other changed
    assert "乙：召开了动员会" in page and "乙的经验" in page  # what this officer typed is still in the form
    march.refresh_from_db()
    assert march.progress == "甲：完成了三个社区的摸底" and march.practices == ""
    # Saving again from the conflict page (which carries the new version) replaces the other's text knowingly.
    version = int(re.search(r'name="version" value="(\d+)"', response.content.decode()).group(1))
    assert (
        second.post(
            url, {"version": version, "progress": "乙：合并后的进展", "practices": "", "problems": "", "next_plan": ""}
        ).status_code
        == 302
    )
    march.refresh_from_db()
    assert march.progress == "乙：合并后的进展"


def test_rows_save_inline_and_a_stale_row_is_refused(client_for, heping_staff, march):
    client = client_for(heping_staff)
    row = SelfAssessment.objects.filter(period=march.period).order_by("pk").first()
    url = reverse("report_row", args=[march.pk, row.pk])
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'name="item-16"' in form and "not_applicable" in form  # item 16 may be not applicable
    data = {"version": row.version, "stage": "creating", "item-1": "meets", "note-1": "已成立领导小组"}
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "已保存" in response.content.decode()
    row.refresh_from_db()
    assert row.stage == "creating" and row.items == {"1": "meets"} and row.notes == {"1": "已成立领导小组"}
    stale = client.post(url, {**data, "stage": "not_started", "note-1": "旧的"}, headers={"HX-Request": "true"})
    text = stale.content.decode()
    assert "旧的" in text and "你的修改尚未保存" in text
    row.refresh_from_db()
    assert row.notes == {"1": "已成立领导小组"}
    bad = client.post(url, {"version": row.version, "stage": "meets"}, headers={"HX-Request": "true"})
    assert "自评达标的社区每一项都须达标" in bad.content.decode()


def test_street_staff_edit_only_their_street(client_for, heping_staff, heping_street_staff, campaign):
    _enrol(campaign, heping_staff, street="120101002", count=1)
    _enrol(campaign, heping_staff, street="120101001", count=1)
    report = report_open(
        campaign=campaign,
        kind="monthly",
        period=D(2021, 3, 1),
        district=District.objects.get(code="120101"),
        by=heping_staff,
    )
    own = SelfAssessment.objects.get(period=report.period, community__street__code="120101001")
    other = SelfAssessment.objects.get(period=report.period, community__street__code="120101002")
    client = client_for(heping_street_staff)
    ok = client.post(reverse("report_row", args=[report.pk, own.pk]), {"version": own.version, "stage": "creating"})
    assert ok.status_code == 302
    refused = client.post(
        reverse("report_row", args=[report.pk, other.pk]), {"version": other.version, "stage": "creating"}
    )
    assert refused.status_code == 404  # another street's row is out of their scope
    assert client.post(reverse("report_submit", args=[report.pk])).status_code == 403
    assert (
        client.post(reverse("report_narrative_save", args=[report.pk]), {"version": 1, "progress": "x"}).status_code
        == 403
    )
    other.refresh_from_db()
    assert other.stage == "not_started"


def test_bulk_set_through_the_page(client_for, heping_staff, march):
    client = client_for(heping_staff)
    ids = list(SelfAssessment.objects.filter(period=march.period).values_list("pk", flat=True))
    response = client.post(
        reverse("report_rows_bulk", args=[march.pk]),
        {"row": ids, "item": "7", "item_status": "in_progress"},
        follow=True,
    )
    assert "已修改3个社区。" in _text(response)
    assert all(r.items == {"7": "in_progress"} for r in SelfAssessment.objects.filter(pk__in=ids))
    response = client.post(reverse("report_rows_bulk", args=[march.pk]), {"row": ids, "stage": "meets"}, follow=True)
    assert "自评达标的社区每一项都须达标" in _text(response)
    assert not SelfAssessment.objects.filter(pk__in=ids, stage="meets").exists()


def test_review_return_accept_lock_and_unlock_through_the_pages(client_for, heping_staff, reviewer, march):
    report_save(report=march, version=march.version, data={"progress": "进展"}, by=heping_staff)
    filer = client_for(heping_staff)
    filer.post(reverse("report_submit", args=[march.pk]))
    march.refresh_from_db()
    assert march.status == "submitted"
    from django.test import Client

    commission = Client()
    commission.force_login(reviewer)
    queue = _text(commission.get(reverse("report_review_queue")))
    assert "和平区" in queue and "2021年3月" in queue
    response = commission.post(reverse("report_return", args=[march.pk]), {"comment": ""}, follow=True)
    assert "退回前请写明需要修改的内容" in _text(response)
    march.refresh_from_db()
    assert march.status == "submitted"
    commission.post(reverse("report_return", args=[march.pk]), {"comment": "请补充照片"})
    page = _text(filer.get(march.get_absolute_url()))
    assert '<div class="notice warn"><strong>市住房城乡建设委退回意见：</strong> 请补充照片</div>' in page
    filer.post(reverse("report_submit", args=[march.pk]))
    commission.post(reverse("report_accept", args=[march.pk]))
    march.refresh_from_db()
    assert march.status == "accepted"
    response = filer.post(
        reverse("report_narrative_save", args=[march.pk]), {"version": march.version, "progress": "改动"}, follow=True
    )
    assert "该报告已审核通过并锁定，只有市住房城乡建设委可以解锁。" in [str(m) for m in response.context["messages"]]
    march.refresh_from_db()
    assert march.progress == "进展"
    refused = commission.post(reverse("report_unlock", args=[march.pk]), {"reason": "数字有误"}, follow=True)
    assert "勾选" in _text(refused)
    commission.post(reverse("report_unlock", args=[march.pk]), {"reason": "数字有误", "confirm": "on"})
    history = _text(filer.get(march.get_absolute_url()))
    assert "数字有误" in history
    march.refresh_from_db()
    assert march.status == "returned"


def test_other_districts_and_inspectors_cannot_see_a_report(client_for, hexi_staff, inspector, march):
    assert client_for(hexi_staff).get(march.get_absolute_url()).status_code == 404
    assert client_for(inspector).get(march.get_absolute_url()).status_code == 404


def test_the_report_page_query_count_does_not_grow_with_communities(client_for, heping_staff, campaign):
    heping = District.objects.get(code="120101")
    communities = list(Community.objects.filter(district=heping).order_by("code"))
    enrolment_enrol(
        campaign=campaign, communities=communities[:2], kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff
    )
    small = report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)
    client = client_for(heping_staff)
    client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(small.get_absolute_url())
    enrolment_enrol(
        campaign=campaign, communities=communities[2:40], kind="batch", joined_on=D(2021, 3, 2), by=heping_staff
    )
    client.get(small.get_absolute_url())  # adds the new rows
    with CaptureQueriesContext(connection) as many:
        response = client.get(small.get_absolute_url())
    assert response.content.decode().count('class="stage-') >= 40
    assert len(many) == len(few)


def test_a_rows_file_count_follows_its_uploads(client_for, heping_staff, march, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 128, 0)).save(buffer, "PNG")
    client = client_for(heping_staff)
    row = SelfAssessment.objects.filter(period=march.period).order_by("pk").first()
    upload = SimpleUploadedFile("照片.png", buffer.getvalue(), content_type="image/png")
    response = client.post(
        reverse("evidence_upload", args=[march.pk]),
        {"file": upload, "community": row.community.code},
        headers={"HX-Request": "true"},
    )
    assert "照片.png" in response.content.decode()
    saved = client.post(
        reverse("report_row", args=[march.pk, row.pk]),
        {"version": row.version, "stage": "creating"},
        headers={"HX-Request": "true"},
    )
    files_cell = re.search(r'data-label="附件">(\d+)<', saved.content.decode())
    assert files_cell and files_cell.group(1) == "1"
    page = client.get(march.get_absolute_url()).content.decode()
    assert re.search(rf'id="row-{row.pk}".*?data-label="附件">1<', page, re.S)


def test_every_free_text_of_an_implementation_plan_is_escaped(client_for, heping_staff, campaign):
    plan = report_open(
        campaign=campaign,
        kind="implementation_plan",
        period=campaign.starts_on,
        district=District.objects.get(code="120101"),
        by=heping_staff,
    )
    report_save(
        report=plan,
        version=plan.version,
        data={"overall_target": SCRIPT, "measures": SCRIPT},
        by=heping_staff,
        targets=[{"year": 2021, "communities": 20, "pilots_per_street": 1}],
        assignments=[{"task": SCRIPT, "unit": SCRIPT, "due_on": None}],
    )
    client = client_for(heping_staff)
    for url in (plan.get_absolute_url(), reverse("report_print", args=[plan.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<b>粗</b>" not in page
        assert page.count("&lt;script&gt;alert") >= 2


def test_a_view_with_nothing_to_sync_costs_one_query_and_a_change_still_syncs(client_for, heping_staff, march):
    from reporting.services import enrolment_withdraw

    client = client_for(heping_staff)
    client.get(march.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        client.get(march.get_absolute_url())
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "SAVEPOINT" in s or "INSERT" in s or s.startswith("UPDATE")]
    # The check is the one query reading enrolments other than as the figures' subqueries (aliased U0, U1…).
    assert len([s for s in sql if re.search(r'FROM "reporting_enrolment" (?!U\d)', s)]) == 1
    # Since the report was opened: one community joins, one withdraws. The next view gives the first its row and
    # marks the second's withdrawn.
    newcomer = Community.objects.filter(street__code="120101001").order_by("code")[5]
    enrolment_enrol(
        campaign=march.campaign, communities=[newcomer], kind="batch", joined_on=D(2021, 3, 20), by=heping_staff
    )
    leaving = SelfAssessment.objects.filter(period=march.period).order_by("community__code").first()
    enrolment_withdraw(enrolment=leaving.community.enrolments.get(), on=D(2021, 3, 25), reason="撤并", by=heping_staff)
    page = client.get(march.get_absolute_url()).content.decode()
    added = SelfAssessment.objects.get(period=march.period, community=newcomer)
    assert f'id="row-{added.pk}"' in page
    leaving.refresh_from_db()
    assert leaving.stage == "withdrawn" and f'id="row-{leaving.pk}" class="stage-withdrawn' in page


# --- the table's pages and the bulk change across them ---------------------------------------------------------

HX = {"HX-Request": "true"}


@pytest.fixture
def heping_all(campaign, heping_staff):
    """和平区's report with all 64 of its communities taking part: two pages of rows (50 and 14)."""
    heping = District.objects.get(code="120101")
    communities = list(Community.objects.filter(district=heping).order_by("code"))
    enrolment_enrol(campaign=campaign, communities=communities, kind="batch", joined_on=D(2021, 1, 10), by=heping_staff)
    return report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)


def _row_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="row-(\d+)"', response.content.decode())]


def _in_order(report, **filters) -> list[int]:
    rows = SelfAssessment.objects.filter(district=report.district, period=report.period, **filters)
    return list(rows.order_by("community__street__code", "community__code").values_list("pk", flat=True))


def test_the_table_shows_fifty_rows_a_page_in_street_and_community_order(client_for, heping_staff, heping_all):
    everything = _in_order(heping_all)
    assert len(everything) == 64
    url, rows_url = heping_all.get_absolute_url(), reverse("report_rows", args=[heping_all.pk])
    client = client_for(heping_staff)
    first = client.get(url)
    assert _row_ids(first) == everything[:50]
    page = _text(first)
    assert "64个社区" in page and "第1页，共2页" in page and 'rel="prev"' not in page
    assert f'<a href="{url}?page=2#rows" hx-get="{rows_url}?page=2"' in page  # works with and without JavaScript
    second = client.get(f"{rows_url}?page=2", headers=HX)
    assert _row_ids(second) == everything[50:]
    assert second["HX-Replace-Url"] == f"{url}?page=2"  # a reload shows the same page
    assert "第2页，共2页" in _text(second) and 'rel="next"' not in _text(second)
    assert _row_ids(client.get(f"{url}?page=2")) == everything[50:]  # the same page without JavaScript
    assert _row_ids(client.get(f"{url}?page=99")) == everything[50:]  # past the end: the last page
    assert _row_ids(client.get(f"{url}?page=abc")) == everything[:50]


def test_filters_narrow_the_pages_and_the_pager_keeps_them(client_for, heping_staff, heping_all):
    everything = _in_order(heping_all)
    SelfAssessment.objects.filter(pk__in=everything[48:53]).update(stage="creating")
    url, rows_url = heping_all.get_absolute_url(), reverse("report_rows", args=[heping_all.pk])
    client = client_for(heping_staff)
    creating = client.get(f"{rows_url}?street=&stage=creating&q=", headers=HX)
    assert _row_ids(creating) == everything[48:53]
    assert "5个社区" in _text(creating) and "rows-pager" not in _text(creating)
    assert creating["HX-Replace-Url"] == f"{url}?stage=creating"
    street = _row_ids(client.get(f"{rows_url}?street=120101001", headers=HX))
    assert street == _in_order(heping_all, community__street__code="120101001") and len(street) == 12
    waiting = client.get(f"{url}?stage=not_started")
    assert _row_ids(waiting) == _in_order(heping_all, stage="not_started")[:50]
    assert f'href="{url}?stage=not_started&amp;page=2#rows"' in _text(waiting)
    last = client.get(f"{rows_url}?stage=not_started&page=2", headers=HX)
    assert _row_ids(last) == _in_order(heping_all, stage="not_started")[50:]
    name = Community.objects.get(self_assessments__pk=everything[60]).name
    assert everything[60] in _row_ids(client.get(f"{rows_url}?q={name}", headers=HX))


def test_bulk_changes_the_ticked_rows_or_every_row_that_matches_on_every_page(client_for, heping_staff, heping_all):
    everything = _in_order(heping_all)
    SelfAssessment.objects.filter(pk=everything[55]).update(stage="withdrawn")
    url, bulk = heping_all.get_absolute_url(), reverse("report_rows_bulk", args=[heping_all.pk])
    client = client_for(heping_staff)
    # Ticked rows: only those, and back to the page the officer was on.
    response = client.post(
        bulk, {"row": everything[50:52], "stage": "creating", "filter_stage": "", "filter_street": "", "page": "2"}
    )
    assert response["Location"] == f"{url}?page=2#rows"
    assert _in_order(heping_all, stage="creating") == everything[50:52]
    # Every row the filter matches, on both pages: the page offers it with the number it will change.
    page = client.get(f"{url}?stage=not_started").content.decode()
    offered = re.search(r'name="matching" value="(\d+)" data-confirm="([^"]+)"', page)
    assert offered.groups() == ("61", "确定对符合筛选条件的全部61个社区（所有页）执行此修改吗？")
    response = client.post(
        bulk, {"matching": "61", "item": "3", "item_status": "in_progress", "filter_stage": "not_started", "page": "2"}
    )
    assert response["Location"] == f"{url}?stage=not_started&page=2#rows"
    rows = SelfAssessment.objects.filter(pk__in=everything)
    assert sorted(r.pk for r in rows if r.items.get("3") == "in_progress") == sorted(
        _in_order(heping_all, stage="not_started")
    )
    assert SelfAssessment.objects.get(pk=everything[55]).items == {}  # the withdrawn community is left alone
    assert all(r.items == {} for r in rows if r.stage == "creating")  # outside the filter


def test_bulk_on_every_matching_row_is_refused_when_the_rows_changed_since_the_page(
    client_for, heping_staff, heping_all
):
    everything = _in_order(heping_all)
    client = client_for(heping_staff)
    page = client.get(f"{heping_all.get_absolute_url()}?stage=not_started").content.decode()
    assert 'name="matching" value="64"' in page
    SelfAssessment.objects.filter(pk=everything[0]).update(stage="creating")  # a colleague moves one on meanwhile
    response = client.post(
        reverse("report_rows_bulk", args=[heping_all.pk]),
        {"matching": "64", "item": "1", "item_status": "meets", "filter_stage": "not_started"},
        follow=True,
    )
    assert "现在符合筛选条件的社区为63个，与您确认的数量不同，未作任何修改。" in _text(response)
    assert not [r for r in SelfAssessment.objects.filter(pk__in=everything) if r.items]


def test_street_staff_change_every_matching_row_of_their_own_street_only(client_for, heping_street_staff, heping_all):
    own = _in_order(heping_all, community__street__code="120101001")
    client = client_for(heping_street_staff)
    page = client.get(heping_all.get_absolute_url())
    ticks = re.findall(r'name="row" value="(\d+)"', page.content.decode())
    assert {int(pk) for pk in ticks} <= set(own)  # no box on another street's row
    assert 'name="matching" value="12"' in page.content.decode()
    client.post(reverse("report_rows_bulk", args=[heping_all.pk]), {"matching": "12", "stage": "creating"})
    assert _in_order(heping_all, stage="creating") == own


def test_a_withdrawn_row_offers_no_tick_and_no_stage_picker(client_for, heping_staff, march):
    row = SelfAssessment.objects.filter(period=march.period).order_by("pk").first()
    SelfAssessment.objects.filter(pk=row.pk).update(stage="withdrawn")
    page = client_for(heping_staff).get(march.get_absolute_url()).content.decode()
    html = re.search(rf'<tr id="row-{row.pk}" class="stage-withdrawn">(.*?)</tr>', page, re.S).group(1)
    assert 'name="row"' not in html and "<select" not in html
    assert '<span class="flag stage-withdrawn">已退出</span>' in html and ">详情</button>" in html
    others = re.findall(r'<input type="checkbox" form="bulk" name="row" value="(\d+)"', page)
    assert len(others) == 2 and str(row.pk) not in others  # "tick all" cannot take it into a bulk change


def test_community_names_are_escaped_in_the_table_and_in_a_saved_row(client_for, heping_staff, march):
    row = SelfAssessment.objects.filter(period=march.period).order_by("pk").first()
    Community.objects.filter(pk=row.community_id).update(name=SCRIPT)
    client = client_for(heping_staff)
    page = client.get(march.get_absolute_url()).content.decode()
    saved = client.post(
        reverse("report_row", args=[march.pk, row.pk]), {"version": row.version, "stage": "creating"}, headers=HX
    ).content.decode()
    for html in (page, saved):
        assert SCRIPT not in html and 'aria-label="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;粗' in html
    assert 'class="stage-creating just-saved"' in saved and '<span class="saved" role="status">已保存</span>' in saved
