"""Hostile query parameters on the API, the dashboards and the lists: a bad value is a Chinese 400 (API) or falls
back visibly (pages), never a 500, and SQL-looking text is only ever a value to compare."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]
SQL = "1' OR '1'='1'; DROP TABLE districts_community; --"


def api(client, path: str):
    response = client.get(path)
    return response.status_code, json.loads(response.content)


DATE_MESSAGE = "日期格式应为“年-月-日”（YYYY-MM-DD），例如 2021-05-31。"


def test_an_api_date_that_is_not_a_date_is_a_chinese_400(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/communities/?date=abc") == (400, {"date": [DATE_MESSAGE]})


def test_an_impossible_api_date_on_the_progress_is_a_chinese_400(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/progress/?date=2021-02-30") == (400, {"date": [DATE_MESSAGE]})


def test_a_thirteenth_month_in_the_api_is_a_chinese_400(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/districts/?date=2021-13-01") == (400, {"date": [DATE_MESSAGE]})


def test_an_api_page_far_beyond_the_last_is_a_chinese_404(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/communities/?page=99999999999999999999") == (404, {"detail": "无效页面。"})


def test_sql_in_the_api_search_matches_nothing(zh, heping_staff):
    status, body = api(zh(heping_staff), f"/api/v1/communities/?q={SQL[:50]}")
    assert (status, body["count"], body["results"]) == (200, 0, [])


def test_an_api_search_longer_than_allowed_is_a_chinese_400(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/communities/?q=" + "社" * 51) == (
        400,
        {"q": ["请确保这个字段不能超过 50 个字符。"]},
    )


def test_an_unknown_api_level_is_a_chinese_400(zh, heping_staff):
    assert api(zh(heping_staff), "/api/v1/progress/?level=' OR 1=1") == (
        400,
        {"level": ["层级只能是 city（全市）、district（区）或 street（街道）。"]},
    )


def test_another_districts_code_in_the_api_is_not_found(zh, heping_staff):
    status, _body = api(zh(heping_staff), "/api/v1/communities/?district=120103")
    assert status == 404


@pytest.mark.parametrize("on", ["abc", "2021-02-30", "2021-13", "../../etc/passwd"])
def test_a_dashboard_date_that_is_not_a_date_falls_back_to_today_and_says_so(zh, commission_admin, on):
    response = zh(commission_admin).get(reverse("dashboard") + f"?on={on}")
    assert response.status_code == 200
    today = timezone.localdate()
    assert f'<div class="muted as-of">截至{today.year}年{today.month}月{today.day}日 · 今日' in text_of(response)


@pytest.mark.parametrize("page", ["-1", "0", "99999999999999999999", "abc"])
def test_a_list_page_number_out_of_range_shows_a_page_of_the_list(zh, reviewer, page):
    response = zh(reviewer).get(reverse("report_list") + f"?page={page}")
    assert response.status_code == 200
    assert "没有符合条件的报告。" in text_of(response)


def test_sql_in_the_community_search_is_shown_escaped_and_matches_nothing(zh, heping_staff):
    response = zh(heping_staff).get(reverse("community_search") + "?q=" + "<b>x</b>" + SQL[:40])
    assert response.status_code == 200
    page = response.content.decode()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_a_dashboard_export_of_an_unknown_table_is_a_chinese_400(zh, commission_admin):
    response = zh(commission_admin).get(reverse("dashboard_export") + f"?table={SQL}")
    assert response.status_code == 400
    assert "请选择要导出的表格：各区排名、某区各街道（乡镇）或各项指标。" in text_of(response)


def test_a_roster_export_format_that_is_not_offered_is_a_chinese_400(zh, heping_staff):
    response = zh(heping_staff).get(reverse("roster_export") + "?format=xlsm")
    assert response.status_code == 400
    assert response.content.decode() == "未知的导出格式。"
