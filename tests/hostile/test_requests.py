"""Hostile requests as a whole: an oversized body, a form without its CSRF token, NUL characters, ids that are not
numbers. Each gets a Chinese page with the right status before anything is read or written."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from reporting.models import Report

from .conftest import counts, first_row, open_inspection, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]
TOO_LARGE = "上传内容过大：每次请求最多%(limit)s。请缩小文件后重试。"
NUL = "请求中含有空字符（NUL），任何字段都不接受。请删除后重试。"
TWO_HUNDRED_MB = 200 * 1024 * 1024


def files_in(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def test_a_200_mb_upload_is_refused_from_its_content_length_before_it_is_read(zh, heping_staff, march, media):
    before = counts()
    body = b"x" * 1024  # the declared length is what is checked; a body that is never read need not be sent
    response = zh(heping_staff).generic(
        "POST",
        reverse("evidence_upload", args=[march.pk]),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(TWO_HUNDRED_MB),
    )
    assert response.status_code == 413
    assert TOO_LARGE % {"limit": "25.0 MB"} in text_of(response)
    assert counts() == before and files_in(media) == []


def test_a_roster_upload_larger_than_the_request_limit_is_refused_and_nothing_is_stored(
    zh, heping_staff, media, settings
):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    before = counts()
    content = ("社区代码,社区名称,户数\r\n" + "120101001001,花园路社区居委会,1\r\n" * 4000).encode()
    response = zh(heping_staff).post(reverse("roster_import"), {"file": SimpleUploadedFile("名册.csv", content)})
    assert response.status_code == 413
    assert TOO_LARGE % {"limit": "64.0 KB"} in text_of(response)
    assert counts() == before and files_in(media) == []


def test_an_upload_within_the_request_limit_still_goes_through(zh, heping_staff, march, media):
    response = zh(heping_staff).post(
        reverse("evidence_upload", args=[march.pk]), {"file": SimpleUploadedFile("照片.jpg", jpeg())}
    )
    assert response.status_code == 302
    assert counts()["evidence"] == 1


def test_a_form_without_its_csrf_token_gets_the_chinese_403_page_and_submits_nothing(heping_staff, march):
    client = Client(enforce_csrf_checks=True)
    client.force_login(heping_staff)
    before = counts()
    response = client.post(reverse("report_submit", args=[march.pk]))
    assert response.status_code == 403
    page = text_of(response)
    assert '<html lang="zh-hans">' in page
    assert "<h1>表单已失效</h1>" in page
    assert "该表单不是从本平台页面提交的，或页面打开时间过长。未保存任何内容。请返回并刷新页面后重新提交。" in page
    assert "CSRF verification failed" not in page
    march.refresh_from_db()
    assert march.status == "draft" and counts() == before


def test_a_nul_character_in_a_narrative_is_refused_in_chinese(zh, heping_staff, march):
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_narrative_save", args=[march.pk]), {"version": march.version, "progress": "进展\x00"}
    )
    assert response.status_code == 400
    assert NUL in text_of(response)
    march.refresh_from_db()
    assert march.progress == "" and counts() == before


def test_a_nul_character_in_an_accept_comment_is_refused_not_a_server_error(zh, heping_staff, reviewer, march):
    client = zh(heping_staff)
    client.post(reverse("report_narrative_save", args=[march.pk]), {"version": march.version, "progress": "进展"})
    client.post(reverse("report_submit", args=[march.pk]))
    before = counts()
    response = zh(reviewer).post(reverse("report_accept", args=[march.pk]), {"comment": "同意\x00"})
    assert response.status_code == 400
    assert NUL in text_of(response)
    march.refresh_from_db()
    assert march.status == "submitted" and counts() == before


def test_a_nul_character_in_a_row_note_is_refused_not_a_server_error(zh, heping_staff, march):
    row = first_row(march)
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_row", args=[march.pk, row.pk]), {"stage": "creating", "version": row.version, "note-1": "a\x00"}
    )
    assert response.status_code == 400 and NUL in text_of(response)
    row.refresh_from_db()
    assert row.notes == {} and counts() == before


def test_a_nul_character_in_an_inspection_answer_is_refused_not_a_server_error(zh, world, inspector):
    inspection = open_inspection(world, world.communities[0], by=inspector)
    response = zh(inspector).post(
        reverse("inspection_answer", args=[inspection.pk]), {"item": "1", "result": "fails", "note": "缺\x00"}
    )
    assert response.status_code == 400 and NUL in text_of(response)
    assert not inspection.answers.exists()


def test_a_nul_character_in_a_query_parameter_is_refused_not_a_server_error(zh, reviewer):
    response = zh(reviewer).get(reverse("report_list") + "?district=120101%00")
    assert response.status_code == 400 and NUL in text_of(response)


@pytest.mark.parametrize("path", ["/reports/abc/", "/reports/-1/", "/reports/1.5/", "/communities/12010100100x/"])
def test_an_id_that_is_not_a_number_is_the_chinese_404_page(zh, heping_staff, path):
    response = zh(heping_staff).get(path)
    assert response.status_code == 404
    assert "该页面不存在，或不在您的查看范围内。" in text_of(response)


def test_an_id_beyond_the_databases_integers_is_not_found_not_a_server_error(zh, heping_staff):
    response = zh(heping_staff).get("/reports/99999999999999999999999/")
    assert response.status_code == 404
    assert "该页面不存在，或不在您的查看范围内。" in text_of(response)
    assert Report.objects.count() == 0
