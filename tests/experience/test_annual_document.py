"""The annual compilation's two added sections: 经验做法 (the cases published in the year) and 表扬名单 (the year's
approved commendations), read from the rendered HTML and from the printed PDF."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest

from reporting.commendations import services as commendations
from reporting.documents.build import document_html, document_pdf, document_spec
from reporting.experience import services
from reporting.experience.models import ExperienceCase
from tests.reporting.test_documents import pdf_text

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _published_on(case: ExperienceCase, day: datetime.date) -> None:
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI)
    ExperienceCase.objects.filter(pk=case.pk).update(published_at=moment)


@pytest.fixture
def year_of_work(published_case, make_case, heping_staff, department_staff, reviewer, onsite_event):
    sorting = published_case("垃圾分类积分兑换", items=(12,), measures="设立积分兑换点。", cost=None)
    services.case_promote(case=sorting, replicable=True, event=onsite_event, by=reviewer)
    _published_on(sorting, datetime.date(2021, 9, 20))
    # Published on New Year's Eve in Tianjin, which is still 2021 there (but 2021-12-31 16:00 UTC).
    published_case("雨水花园", items=(6, 9))
    ExperienceCase.objects.filter(title="雨水花园").update(
        published_at=datetime.datetime(2021, 12, 31, 23, 30, tzinfo=SHANGHAI)
    )
    _published_on(published_case("加装电梯", items=(6,)), datetime.date(2022, 3, 1))
    services.case_submit(case=make_case("待审核的做法"), by=heping_staff)

    def propose(by, name, kind="unit", year=2021, affiliation=""):
        return commendations.commendation_propose(
            by=by, year=year, kind=kind, name=name, affiliation=affiliation, reason="事迹突出"
        )

    for proposal in (
        propose(heping_staff, "新华社区居委会"),
        propose(heping_staff, "王芳", kind="individual", affiliation="和平区新华社区党委书记"),
        propose(department_staff, "楼道微更新", kind="practice"),
        propose(heping_staff, "2022年的单位", year=2022),
    ):
        commendations.commendation_approve(commendation=proposal, by=reviewer)
    propose(heping_staff, "待审的单位")
    declined = propose(heping_staff, "未通过的单位")
    commendations.commendation_decline(commendation=declined, reason="材料不足", by=reviewer)


def _section(html: str, css_class: str) -> str:
    match = re.search(rf'<section class="{css_class}">(.*?)</section>', html, re.S)
    assert match, f"no {css_class} section"
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", match.group(1)))


def test_the_annual_compilation_lists_the_years_published_cases(year_of_work):
    html = document_html(document_spec(kind="annual", period="2021"))
    text = _section(html, "cases")
    assert text.startswith("经验做法2021年，市住房城乡建设委发布各区经验做法2项，其中可复制可推广1项：")
    assert "垃圾分类积分兑换（和平区）" in text and "雨水花园（和平区）" in text
    assert "涉及的创建标准条目：第12项" in text and "第6项、第9项" in text
    assert "列为可复制可推广经验。在全市绿色社区创建现场会（2021年9月16日）上交流。" in text
    assert "主要做法：设立积分兑换点。" in text
    assert "投入费用：12000元" in text  # the rain garden's cost; the sorting case gave none
    assert text.count("投入费用") == 1
    assert "加装电梯" not in text and "待审核的做法" not in text
    assert text.index("垃圾分类积分兑换") < text.index("雨水花园")  # in the order they were published


def test_the_annual_compilation_lists_the_years_approved_commendations_by_kind(year_of_work):
    html = document_html(document_spec(kind="annual", period="2021"))
    text = _section(html, "commendations")
    assert text.startswith("表扬名单经各区、各有关部门推荐，市住房城乡建设委审核，对2021年度")
    assert "优秀单位（1）新华社区居委会" in text
    assert "优秀个人（1）王芳（和平区新华社区党委书记）" in text
    assert "优秀做法（1）楼道微更新" in text
    for absent in ("2022年的单位", "待审的单位", "未通过的单位"):
        assert absent not in text


def test_a_year_without_cases_or_commendations_says_so(db):
    html = document_html(document_spec(kind="annual", period="2022"))
    assert "2022年未发布经验做法。" in _section(html, "cases")
    assert "2022年度暂无经审核通过的表扬对象。" in _section(html, "commendations")


def test_the_printed_sections_are_numbered_after_the_overview(year_of_work, tmp_path):
    text = pdf_text(document_pdf(document_spec(kind="annual", period="2021")), tmp_path, mode="")
    flat = text.replace("\n", "")
    assert "二、经验做法" in flat and "三、表扬名单" in flat and "四、资金统筹" in flat
    assert "（一）垃圾分类积分兑换（和平区）" in flat and "（二）雨水花园（和平区）" in flat
    assert "（一）优秀单位（1）" in flat and "（三）优秀做法（1）" in flat


def test_the_bulletin_cites_the_cases_published_in_its_month(year_of_work):
    """Issue 18 item 2: a case can be cited in the bulletin. September 2021's bulletin names the case published that
    month, with its district, communities and items; a month without one has no such section."""
    text = _section(document_html(document_spec(kind="city-bulletin", period="2021-09")), "cases")
    assert text.startswith("经验做法本月市住房城乡建设委发布经验做法1项，请各区学习借鉴：")
    assert "和平区：垃圾分类积分兑换（" in text and "第12项）列为可复制可推广经验。" in text
    assert "雨水花园" not in text and "加装电梯" not in text
    assert '<section class="cases">' not in document_html(document_spec(kind="city-bulletin", period="2021-10"))
